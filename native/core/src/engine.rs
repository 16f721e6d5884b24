//! The per-worker engine: decode -> flow table -> finished flow records.
//!
//! One `FlowEngine` lives in one worker and sees only its shard of the traffic. It is driven by
//! packet time only: `process_packet` moves the clock forward, `advance` moves it on an idle tick
//! (live capture) or at the end of a batch, and `flush_all` ends every flow at shutdown.

use std::collections::VecDeque;

use crate::community_id::{community_id_v1, CommunityIdInput};
use crate::decode::{decode, decode_outer, PacketMeta};
use crate::flow::frag::FragTracker;
use crate::flow::key::{key_for, KeyOutcome, Untracked, PROTO_ESP, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP};
use crate::flow::{EndReason, Flow, FlowRecord, FlowState, FlowTable, Timeouts, BYTES_PER_FLOW, TO_CLIENT, TO_SERVER};
use crate::hash::mix64;
use crate::stats::Stats;

const NS: u64 = 1_000_000_000;
const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;

#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Seed of the flow-table hash.
    pub hash_seed: u64,
    /// Community ID v1 seed.
    pub community_id_seed: u16,
    /// Flow table memory cap in bytes.
    pub memcap_bytes: u64,
    pub timeouts: Timeouts,
    /// Leave emergency mode once the table is below (100 - this) percent of its capacity.
    pub emergency_recovery_pct: u8,
    /// Include VLAN ids in the flow key (Suricata `vlan.use-for-tracking`).
    pub vlan_tracking: bool,
    /// In emergency mode, only a TCP SYN may create a TCP flow.
    pub emergency_syn_only: bool,
    /// Keep flows of different tunnel depths apart (Suricata `decoder.recursion-level.use-for-tracking`).
    pub recursion_tracking: bool,
    /// ICMPv4 error messages that do not belong to a tracked flow become their own one-way flows
    /// (Suricata tracks none of them). On by default so every packet is in some flow record.
    pub icmp_error_flows: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            hash_seed: 0x5eed_f10e,
            community_id_seed: 0,
            memcap_bytes: 128 * 1024 * 1024,
            timeouts: Timeouts::default(),
            emergency_recovery_pct: 30,
            vlan_tracking: true,
            emergency_syn_only: false,
            recursion_tracking: true,
            icmp_error_flows: true,
        }
    }
}

impl EngineConfig {
    /// Parse `key=value` lines (the binding's config format; the agent writes it from YAML).
    /// Keys: hash_seed, community_id_seed, memcap_bytes, emergency_recovery_pct, vlan_tracking,
    /// emergency_syn_only, and `timeout.<tcp|udp|icmp|default>.<new|established|closed>` and
    /// `emergency_timeout.<class>.<state>` in seconds. Unknown keys are errors.
    pub fn parse(text: &str) -> Result<EngineConfig, String> {
        let mut c = EngineConfig::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = match line.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => return Err(format!("line {}: expected key=value, got '{}'", n + 1, line)),
            };
            let num = || v.parse::<u64>().map_err(|_| format!("line {}: {} must be an unsigned integer, got '{}'", n + 1, k, v));
            let boolean = || match v {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(format!("line {}: {} must be true or false, got '{}'", n + 1, k, v)),
            };
            match k {
                "hash_seed" => c.hash_seed = num()?,
                "community_id_seed" => {
                    c.community_id_seed = u16::try_from(num()?).map_err(|_| format!("line {}: community_id_seed must be 0..65535", n + 1))?
                }
                "memcap_bytes" => c.memcap_bytes = num()?,
                "emergency_recovery_pct" => c.emergency_recovery_pct = num()?.min(100) as u8,
                "vlan_tracking" => c.vlan_tracking = boolean()?,
                "emergency_syn_only" => c.emergency_syn_only = boolean()?,
                "recursion_tracking" => c.recursion_tracking = boolean()?,
                "icmp_error_flows" => c.icmp_error_flows = boolean()?,
                _ => {
                    let parts: Vec<&str> = k.split('.').collect();
                    let emergency = match parts.first() {
                        Some(&"timeout") => false,
                        Some(&"emergency_timeout") => true,
                        _ => return Err(format!("line {}: unknown key '{}'", n + 1, k)),
                    };
                    if parts.len() != 3 {
                        return Err(format!("line {}: unknown key '{}'", n + 1, k));
                    }
                    let secs = u32::try_from(num()?).map_err(|_| format!("line {}: {} is too large", n + 1, k))?;
                    c.timeouts.set(parts[1], parts[2], emergency, secs).map_err(|e| format!("line {}: {}", n + 1, e))?;
                }
            }
        }
        Ok(c)
    }

    pub fn max_flows(&self) -> usize {
        ((self.memcap_bytes as usize) / BYTES_PER_FLOW).max(1)
    }
}

pub struct FlowEngine {
    cfg: EngineConfig,
    table: FlowTable,
    frags: FragTracker,
    stats: Stats,
    pending: VecDeque<FlowRecord>,
    now_ns: u64,
    next_expire_ns: u64,
    emergency: bool,
    meta: PacketMeta,
}

impl FlowEngine {
    pub fn new(cfg: EngineConfig) -> FlowEngine {
        let max = cfg.max_flows();
        FlowEngine {
            table: FlowTable::new(max),
            cfg,
            frags: FragTracker::default(),
            stats: Stats::default(),
            pending: VecDeque::new(),
            now_ns: 0,
            next_expire_ns: 0,
            emergency: false,
            meta: PacketMeta::default(),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    pub fn active_flows(&self) -> usize {
        self.table.len()
    }

    pub fn in_emergency(&self) -> bool {
        self.emergency
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Counters plus gauges, by name.
    pub fn visit_counters(&self, f: &mut dyn FnMut(&str, u64)) {
        let gauges = [
            ("flows_active", self.table.len() as u64),
            ("flows_max", self.table.max_flows() as u64),
            ("emergency", self.emergency as u64),
            ("pending_records", self.pending.len() as u64),
            ("bytes_per_flow", BYTES_PER_FLOW as u64),
        ];
        let mut stats = self.stats.clone();
        stats.frag_unmatched = self.frags.unmatched;
        stats.frag_table_full = self.frags.table_full;
        stats.visit(&gauges, f);
    }

    /// A batch index entry that pointed outside its chunk (a caller bug; counted, never fatal).
    pub fn note_bad_index_entry(&mut self) {
        self.stats.bad_index_entries += 1;
    }

    pub fn pending_records(&self) -> usize {
        self.pending.len()
    }

    pub fn pop_record(&mut self) -> Option<FlowRecord> {
        self.pending.pop_front()
    }

    pub fn peek_record(&self) -> Option<&FlowRecord> {
        self.pending.front()
    }

    /// Account one captured frame.
    pub fn process_packet(&mut self, ts_ns: u64, linktype: u32, frame: &[u8], wirelen: u32) {
        self.stats.packets += 1;
        self.stats.bytes += frame.len() as u64;
        if ts_ns > self.now_ns {
            self.now_ns = ts_ns;
        } else if ts_ns + NS < self.now_ns {
            self.stats.ts_regressions += 1;
        }
        let mut meta = self.meta;
        decode(linktype, frame, &mut meta);
        self.meta = meta;
        if let Some((e, l)) = meta.stop {
            self.stats.record_stop(e, l);
        }
        let wirelen = wirelen.max(frame.len() as u32);
        if meta.tunnel_depth > 0 {
            // Suricata counts a tunnelled packet twice: to the inner flow (keyed by its recursion
            // level) with the encapsulated packet's length, and to the outer tunnel flow whole.
            let inner_len = meta.inner_end.saturating_sub(meta.inner_off);
            // Wire bytes stay the whole frame's: that is what crossed the wire for this packet.
            self.account(ts_ns, frame, inner_len, wirelen, &meta);
            let mut outer = PacketMeta::default();
            decode_outer(linktype, frame, &mut outer);
            self.account(ts_ns, frame, frame.len() as u32, wirelen, &outer);
        } else {
            self.account(ts_ns, frame, frame.len() as u32, wirelen, &meta);
        }
        if self.now_ns >= self.next_expire_ns {
            self.expire();
        }
    }

    /// Count one packet (as described by `meta`) of `bytes` captured bytes to its flow.
    fn account(&mut self, ts_ns: u64, frame: &[u8], bytes: u32, wirelen: u32, meta: &PacketMeta) {
        let vlan = if self.cfg.vlan_tracking { meta.vlan } else { [0, 0] };
        let mut ports_override = None;
        if let Some(fr) = meta.fragment {
            if fr.offset == 0 && meta.l4_ok {
                self.frags.remember(meta.src, meta.dst, meta.proto, fr.id, (meta.src_port, meta.dst_port), ts_ns);
            } else if fr.offset > 0 {
                ports_override = self.frags.lookup(meta.src, meta.dst, meta.proto, fr.id);
            }
        }
        let mut fallback = None;
        let (mut key, mut src_is_lo, mut attach_only) = match key_for(frame, meta, ports_override, vlan) {
            KeyOutcome::Untracked(r) => {
                self.stats.untracked[r as usize] += 1;
                return;
            }
            KeyOutcome::IcmpError(k, lo) => {
                if !self.cfg.icmp_error_flows {
                    self.stats.untracked[Untracked::IcmpError as usize] += 1;
                    return;
                }
                (k, lo, false)
            }
            KeyOutcome::Track(k, lo) => (k, lo, false),
            KeyOutcome::AttachOnly(k, own, lo) => {
                fallback = Some((own, lo));
                (k, false, true)
            }
        };
        if self.cfg.recursion_tracking {
            key.recursion = meta.tunnel_depth;
        }
        let mut hash = key.hash(self.cfg.hash_seed);
        if attach_only && self.cfg.icmp_error_flows && self.table.lookup(&key, hash).is_none() {
            // The quoted flow is unknown: the error becomes (or joins) its own ICMP flow.
            if let Some((own, lo)) = fallback {
                key = own;
                src_is_lo = lo;
                attach_only = false;
                if self.cfg.recursion_tracking {
                    key.recursion = meta.tunnel_depth;
                }
                hash = key.hash(self.cfg.hash_seed);
            }
        }
        let is_tcp = key.proto == PROTO_TCP && meta.l4_ok && !attach_only;
        let flags = if is_tcp { meta.tcp_flags } else { 0 };
        let pure_syn = flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN) == TCP_SYN;

        let mut found = self.table.lookup(&key, hash);
        if let Some(idx) = found {
            let f = self.table.get(idx);
            let timeout = self.cfg.timeouts.get(f.class, f.state, self.emergency) as u64 * NS;
            if f.last_ns.saturating_add(timeout) < ts_ns {
                // Timed out before this packet, whether or not expiry has run yet: the outcome
                // must not depend on how often a worker's clock ticks (or on sharding).
                let reason = if f.state == FlowState::Closed { closing_reason(f) } else { EndReason::Timeout };
                self.end_flow(idx, reason);
                found = None;
            } else if is_tcp && pure_syn && f.state == FlowState::Closed {
                // TCP session reuse: a fresh SYN on a closed session starts a new flow.
                self.stats.tcp_reuse += 1;
                let reason = closing_reason(f);
                self.end_flow(idx, reason);
                found = None;
            }
        }
        let idx = match found {
            Some(i) => i,
            None => {
                if attach_only {
                    self.stats.untracked[Untracked::IcmpErrorNoFlow as usize] += 1;
                    return;
                }
                if self.emergency && self.cfg.emergency_syn_only && is_tcp && !pure_syn {
                    self.stats.untracked[Untracked::EmergencyNoSyn as usize] += 1;
                    return;
                }
                self.make_room();
                // Client = TCP SYN sender; a SYN/ACK seen first means its sender is the server.
                let synack = is_tcp && flags & (TCP_SYN | TCP_ACK) == (TCP_SYN | TCP_ACK);
                let client_is_lo = if synack { !src_is_lo } else { src_is_lo };
                let mut flow = Flow::new(key, hash, client_is_lo, ts_ns);
                let icmp = key.proto == PROTO_ICMP || key.proto == PROTO_ICMPV6;
                if icmp || !synack {
                    flow.rec_sport = meta.src_port;
                    flow.rec_dport = meta.dst_port;
                } else {
                    flow.rec_sport = meta.dst_port;
                    flow.rec_dport = meta.src_port;
                }
                if key.proto == PROTO_ESP {
                    // The record's "ports" carry the SPI (EVE prints it as `spi`).
                    flow.rec_sport = key.lo_port;
                    flow.rec_dport = key.hi_port;
                } else if !meta.l4_ok && !icmp {
                    // Later fragment without its first: ports came from the fragment tracker or are unknown.
                    let p = ports_override.unwrap_or((0, 0));
                    flow.rec_sport = p.0;
                    flow.rec_dport = p.1;
                }
                self.stats.flows_created += 1;
                self.table.insert(flow)
            }
        };

        let f = self.table.get_mut(idx);
        let dir = match key.proto {
            PROTO_TCP | PROTO_UDP | PROTO_SCTP if !attach_only => {
                if src_is_lo == f.client_is_lo {
                    TO_SERVER
                } else {
                    TO_CLIENT
                }
            }
            // ICMP, and ICMP errors attached to a TCP/UDP flow: by source address (Suricata).
            PROTO_ICMP | PROTO_ICMPV6 | PROTO_TCP | PROTO_UDP | PROTO_SCTP => {
                if meta.src == f.client().0 {
                    TO_SERVER
                } else {
                    TO_CLIENT
                }
            }
            // Suricata counts every packet of other protocols to the server.
            _ => TO_SERVER,
        };
        f.pkts[dir] += 1;
        f.bytes[dir] += bytes as u64;
        f.ip_bytes[dir] += meta.ip_len as u64;
        f.wire_bytes[dir] += wirelen as u64;
        f.seen |= 1 << dir;
        if ts_ns > f.last_ns {
            f.last_ns = ts_ns;
        }
        let before = f.state;
        if is_tcp {
            update_tcp_state(f, dir, flags);
        } else if f.state == FlowState::New && f.seen == 3 {
            f.state = FlowState::Established;
        }
        let _ = before;
        self.table.touch(idx);
    }

    /// Ensure there is room for one more flow: emergency timeouts first, then evict the oldest.
    fn make_room(&mut self) {
        if !self.table.is_full() {
            return;
        }
        if !self.emergency {
            self.emergency = true;
            self.stats.emergency_entered += 1;
        }
        self.expire_with(self.now_ns, true);
        while self.table.is_full() {
            match self.table.oldest() {
                Some(idx) => self.end_flow(idx, EndReason::Memcap),
                None => break,
            }
        }
    }

    /// Expire flows at the current packet time. Runs at most once per second of packet time.
    fn expire(&mut self) {
        let emergency = self.emergency;
        self.expire_with(self.now_ns, emergency);
        if self.emergency {
            let limit = self.table.max_flows() as u64 * (100 - self.cfg.emergency_recovery_pct as u64) / 100;
            if (self.table.len() as u64) < limit {
                self.emergency = false;
                self.stats.emergency_exited += 1;
            }
        }
        self.next_expire_ns = self.now_ns + NS;
    }

    fn expire_with(&mut self, now_ns: u64, emergency: bool) {
        while let Some(idx) = self.table.next_expired(now_ns, &self.cfg.timeouts, emergency) {
            let f = self.table.get(idx);
            let reason = if f.state == FlowState::Closed { closing_reason(f) } else { EndReason::Timeout };
            self.end_flow(idx, reason);
        }
    }

    /// Move packet time forward without a packet (idle tick, or the end of a batch).
    pub fn advance(&mut self, now_ns: u64) {
        if now_ns > self.now_ns {
            self.now_ns = now_ns;
        }
        if self.now_ns >= self.next_expire_ns {
            self.expire();
        }
    }

    /// End every flow (shutdown / end of replay). Flows already timed out at the last packet
    /// time end as timeouts; the rest with reason `shutdown`.
    pub fn flush_all(&mut self) {
        let emergency = self.emergency;
        self.expire_with(self.now_ns, emergency);
        while let Some(idx) = self.table.any() {
            self.end_flow(idx, EndReason::Shutdown);
        }
    }

    fn end_flow(&mut self, idx: u32, reason: EndReason) {
        let f = self.table.remove(idx);
        self.stats.flows_ended[reason as usize] += 1;
        let rec = self.record_of(&f, reason);
        self.pending.push_back(rec);
    }

    fn record_of(&self, f: &Flow, reason: EndReason) -> FlowRecord {
        let (src, _) = f.client();
        let (dst, _) = f.server();
        let alen = if f.key.ip_version == 6 { 16 } else { 4 };
        let has_ports = matches!(f.key.proto, PROTO_TCP | PROTO_UDP | PROTO_SCTP | PROTO_ICMP | PROTO_ICMPV6);
        let community_id = community_id_v1(
            self.cfg.community_id_seed,
            &CommunityIdInput {
                src: &src[..alen],
                dst: &dst[..alen],
                proto: f.key.proto,
                src_port: f.rec_sport,
                dst_port: f.rec_dport,
                has_ports,
            },
        );
        FlowRecord {
            ip_version: f.key.ip_version,
            proto: f.key.proto,
            src,
            dst,
            src_port: f.rec_sport,
            dst_port: f.rec_dport,
            vlan: f.key.vlan,
            pkts_toserver: f.pkts[TO_SERVER],
            pkts_toclient: f.pkts[TO_CLIENT],
            bytes_toserver: f.bytes[TO_SERVER],
            bytes_toclient: f.bytes[TO_CLIENT],
            ip_bytes_toserver: f.ip_bytes[TO_SERVER],
            ip_bytes_toclient: f.ip_bytes[TO_CLIENT],
            wire_bytes_toserver: f.wire_bytes[TO_SERVER],
            wire_bytes_toclient: f.wire_bytes[TO_CLIENT],
            start_ns: f.start_ns,
            end_ns: f.last_ns,
            state: f.state,
            reason,
            tcp_flags_ts: f.tcp.flags[TO_SERVER],
            tcp_flags_tc: f.tcp.flags[TO_CLIENT],
            flow_id: mix64(f.hash ^ f.start_ns) & ((1u64 << 53) - 1),
            community_id,
        }
    }
}

fn closing_reason(f: &Flow) -> EndReason {
    if f.tcp.rst {
        EndReason::TcpRst
    } else if f.tcp.fin[0] || f.tcp.fin[1] {
        EndReason::TcpFin
    } else {
        EndReason::Timeout
    }
}

/// A small TCP state machine: enough for EVE's `state` and for picking the timeout class.
fn update_tcp_state(f: &mut Flow, dir: usize, flags: u8) {
    f.tcp.flags[dir] |= flags;
    if flags & TCP_RST != 0 {
        f.tcp.rst = true;
        f.state = FlowState::Closed;
        return;
    }
    if flags & TCP_SYN != 0 {
        if flags & TCP_ACK != 0 {
            f.tcp.synack = true;
        } else {
            f.tcp.syn = true;
        }
    }
    if flags & TCP_FIN != 0 {
        f.tcp.fin[dir] = true;
    }
    if f.state == FlowState::New {
        let handshake_done = f.tcp.syn && f.tcp.synack && dir == TO_SERVER && flags & TCP_ACK != 0 && flags & TCP_SYN == 0;
        let midstream = !f.tcp.syn && !f.tcp.synack && f.seen == 3;
        if handshake_done || midstream {
            f.state = FlowState::Established;
        }
    }
    if f.tcp.fin[0] && f.tcp.fin[1] {
        f.state = FlowState::Closed;
    }
}
