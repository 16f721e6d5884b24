//! The per-worker engine: decode -> flow table -> finished flow records.
//!
//! One `FlowEngine` lives in one worker and sees only its shard of the traffic. It is driven by
//! packet time only: `process_packet` moves the clock forward, `advance` moves it on an idle tick
//! (live capture) or at the end of a batch, and `flush_all` ends every flow at shutdown.
//!
//! Output is one ordered stream of records: flow records when flows end, and (with
//! `emit_windows`) window records when tumbling windows close (see `window.rs`).

use std::collections::VecDeque;

use crate::app::evidence::EvidenceRecord;
use crate::app::session::{AppConfig, AppLayer, TcpSeg, APP_DONE, APP_HAS_STATE};
use crate::batch::record_size;
use crate::decode::{decode_outer, PacketMeta};
use crate::wire::{decode_frame_with, DecodeOptions, MAX_TUNNEL_DEPTH};
use crate::flow::frag::FragTracker;
use crate::flow::key::{key_for, KeyOutcome, Untracked, PROTO_ESP, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP};
use crate::flow::{EndReason, Flow, FlowRecord, FlowState, FlowTable, Timeouts, BYTES_PER_FLOW, TO_CLIENT, TO_SERVER};
use crate::net::HomeNet;
use crate::stats::Stats;
use crate::window::{WindowParams, WindowRecord, WindowState, MAX_GRACE_SECONDS, MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS};

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
    /// Also find Teredo and AYIYA tunnels by content on other UDP ports (Zeek's behaviour).
    /// Off by default: Suricata decodes them on their own ports only.
    pub udp_tunnel_detection: bool,
    /// ICMPv4 error messages that do not belong to a tracked flow become their own one-way flows
    /// (Suricata tracks none of them). On by default so every packet is in some flow record.
    pub icmp_error_flows: bool,
    /// Account bytes per (group, window) and emit window records. Off by default: a consumer
    /// that wants windows turns it on (the agent's replay does when it has a window callback).
    pub emit_windows: bool,
    /// Internal address space (default RFC 1918). Groups need the client inside, the server outside.
    pub home_net: HomeNet,
    /// Tumbling window length, aligned to the epoch (5 s .. 7 days).
    pub window_seconds: u64,
    /// A window closes when packet time passes its end plus this (0 .. 7 days).
    pub window_grace_seconds: u64,
    /// Most (group, window) aggregates held at once; 0 = the flow table's flow limit.
    pub window_max_groups: u64,
    /// Memory budget of the aggregates (entries, port sets, Community ID lists).
    pub window_memcap_bytes: u64,
    /// App-layer detection and evidence (see `app::session`).
    pub app: AppConfig,
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
            udp_tunnel_detection: false,
            icmp_error_flows: true,
            emit_windows: false,
            home_net: HomeNet::default(),
            window_seconds: 900,
            window_grace_seconds: 60,
            window_max_groups: 0,
            window_memcap_bytes: 64 * 1024 * 1024,
            app: AppConfig::default(),
        }
    }
}

impl EngineConfig {
    /// Parse `key=value` lines (the binding's config format; the agent writes it from YAML).
    /// Keys: hash_seed, community_id_seed, memcap_bytes, emergency_recovery_pct, vlan_tracking,
    /// emergency_syn_only, recursion_tracking, icmp_error_flows, and
    /// `timeout.<tcp|udp|icmp|default>.<new|established|closed>` and
    /// `emergency_timeout.<class>.<state>` in seconds. Windows: emit_windows (true|false),
    /// home_net (comma-separated CIDRs, replaces the RFC 1918 default; empty = none),
    /// window_seconds (5..604800), window_grace_seconds (0..604800), window_max_groups
    /// (0 = max flows), window_memcap_bytes. App layer: app_layer (true|false),
    /// app_memcap_bytes, app_stream_depth (bytes, 1024..1048576). Unknown keys are errors.
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
                "udp_tunnel_detection" => c.udp_tunnel_detection = boolean()?,
                "icmp_error_flows" => c.icmp_error_flows = boolean()?,
                "emit_windows" => c.emit_windows = boolean()?,
                "home_net" => c.home_net = HomeNet::parse(v).map_err(|e| format!("line {}: {}", n + 1, e))?,
                "window_seconds" => {
                    let x = num()?;
                    if !(MIN_WINDOW_SECONDS..=MAX_WINDOW_SECONDS).contains(&x) {
                        return Err(format!("line {}: window_seconds must be {}..{}", n + 1, MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS));
                    }
                    c.window_seconds = x;
                }
                "window_grace_seconds" => {
                    let x = num()?;
                    if x > MAX_GRACE_SECONDS {
                        return Err(format!("line {}: window_grace_seconds must be 0..{}", n + 1, MAX_GRACE_SECONDS));
                    }
                    c.window_grace_seconds = x;
                }
                "window_max_groups" => c.window_max_groups = num()?,
                "window_memcap_bytes" => c.window_memcap_bytes = num()?,
                "app_layer" => c.app.enabled = boolean()?,
                "app_memcap_bytes" => c.app.memcap_bytes = num()?,
                "app_stream_depth" => {
                    let x = num()?;
                    if !(1024..=1_048_576).contains(&x) {
                        return Err(format!("line {}: app_stream_depth must be 1024..1048576", n + 1));
                    }
                    c.app.stream_depth = x as usize;
                }
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

    fn window_params(&self) -> WindowParams {
        let max_groups = if self.window_max_groups == 0 { self.max_flows() } else { usize::try_from(self.window_max_groups).unwrap_or(usize::MAX) };
        WindowParams {
            enabled: self.emit_windows,
            window_seconds: self.window_seconds,
            grace_seconds: self.window_grace_seconds,
            home_net: self.home_net.clone(),
            max_groups,
            memcap_bytes: self.window_memcap_bytes,
            community_id_seed: self.community_id_seed,
        }
    }
}

/// One record of the engine's output stream, in the order it was produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Flow(FlowRecord),
    Window(WindowRecord),
    Evidence(EvidenceRecord),
}

pub struct FlowEngine {
    cfg: EngineConfig,
    table: FlowTable,
    frags: FragTracker,
    stats: Stats,
    windows: WindowState,
    app: AppLayer,
    pending: VecDeque<Record>,
    /// Encoded size of everything in `pending` (what `drain_records` needs to write it all).
    pending_bytes: usize,
    /// Scratch for window records produced by a close.
    closed: Vec<WindowRecord>,
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
            windows: WindowState::new(cfg.window_params()),
            app: AppLayer::new(cfg.app.clone(), cfg.community_id_seed),
            cfg,
            frags: FragTracker::default(),
            stats: Stats::default(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            closed: Vec::new(),
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
            ("window_groups_active", self.windows.groups_active() as u64),
            ("window_bytes", self.windows.bytes() as u64),
            ("app_states_active", self.app.states() as u64),
            ("app_bytes", self.app.bytes() as u64),
        ];
        let mut stats = self.stats.clone();
        stats.frag_unmatched = self.frags.unmatched;
        stats.frag_table_full = self.frags.table_full;
        stats.windows = self.windows.counters;
        stats.visit(&gauges, f);
        self.app.counters.visit(f);
    }

    /// App-layer counters (read-only; for tests).
    pub fn app_counters(&self) -> crate::app::session::AppCounters {
        self.app.counters
    }

    /// Queue the evidence the app layer produced.
    fn drain_app(&mut self) {
        if self.app.out.is_empty() {
            return;
        }
        let mut out = std::mem::take(&mut self.app.out);
        for e in out.drain(..) {
            self.push_record(Record::Evidence(e));
        }
        self.app.out = out;
    }

    /// A batch index entry that pointed outside its chunk (a caller bug; counted, never fatal).
    pub fn note_bad_index_entry(&mut self) {
        self.stats.bad_index_entries += 1;
    }

    pub fn pending_records(&self) -> usize {
        self.pending.len()
    }

    /// Bytes `drain_records` needs to write every pending record.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    pub fn pop_record(&mut self) -> Option<Record> {
        let r = self.pending.pop_front()?;
        self.pending_bytes -= record_size(&r);
        Some(r)
    }

    pub fn peek_record(&self) -> Option<&Record> {
        self.pending.front()
    }

    fn push_record(&mut self, r: Record) {
        self.pending_bytes += record_size(&r);
        self.pending.push_back(r);
    }

    /// Window accounting state (read-only; for tests and gauges).
    pub fn windows(&self) -> &WindowState {
        &self.windows
    }

    /// Close the windows the clock has moved past (end + grace). One compare per packet.
    #[inline]
    fn close_windows(&mut self) {
        if self.windows.close_is_due(self.now_ns) {
            self.windows.close_due(self.now_ns, &mut self.table, &mut self.closed);
            self.emit_closed();
        }
    }

    fn emit_closed(&mut self) {
        let mut closed = std::mem::take(&mut self.closed);
        for w in closed.drain(..) {
            self.push_record(Record::Window(w));
        }
        self.closed = closed;
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
        let opts = DecodeOptions { detect_udp_tunnels: self.cfg.udp_tunnel_detection };
        decode_frame_with(linktype, frame, &mut meta, MAX_TUNNEL_DEPTH, opts);
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
            // Every level between is a packet too (GTP carrying Teredo, GENEVE carrying VXLAN).
            for depth in 1..meta.tunnel_depth {
                let mut mid = PacketMeta::default();
                decode_frame_with(linktype, frame, &mut mid, depth, opts);
                let len = mid.inner_end.saturating_sub(mid.inner_off);
                self.account(ts_ns, frame, len, wirelen, &mid);
            }
            let mut outer = PacketMeta::default();
            decode_outer(linktype, frame, &mut outer);
            self.account(ts_ns, frame, frame.len() as u32, wirelen, &outer);
        } else {
            self.account(ts_ns, frame, frame.len() as u32, wirelen, &meta);
        }
        if self.now_ns >= self.next_expire_ns {
            self.expire();
        }
        self.close_windows();
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
                if r == Untracked::BadTransport {
                    self.windows.note_unattributed(ts_ns, meta);
                }
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
                    self.windows.note_unattributed(ts_ns, meta);
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
                // Once per flow: does it belong to a (home-net client, external server) group?
                flow.grouped = self.windows.classify(&flow);
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
        if f.grouped {
            self.windows.packet(f, ts_ns, dir, bytes);
        }
        if is_tcp {
            update_tcp_state(f, dir, flags);
        } else if f.state == FlowState::New && f.seen == 3 {
            f.state = FlowState::Established;
        }
        // App layer: only packets with payload of flows that still have something to parse.
        let app = meta.payload_len > 0 && f.app_flags & APP_DONE == 0 && meta.l4_ok && !attach_only && (is_tcp || key.proto == PROTO_UDP) && self.app.enabled();
        if app {
            let off = meta.payload_off as usize;
            if let Some(p) = frame.get(off..off.saturating_add(meta.payload_len as usize)) {
                let seg = if is_tcp { Some(TcpSeg { seq: meta.tcp_seq, flags }) } else { None };
                self.app.on_packet(idx, f, dir, seg, p, ts_ns);
                if self.app.reversed {
                    self.app.reversed = false;
                    // The window segment was counted in the old orientation: file it so, then
                    // classify the flow again (its client is now the other endpoint).
                    if f.grouped {
                        f.swap_direction();
                        self.windows.flush(f);
                        f.swap_direction();
                    }
                    f.grouped = self.windows.classify(f);
                }
            }
        }
        self.table.touch(idx);
        if app {
            self.drain_app();
        }
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
        self.close_windows();
    }

    /// End every flow (shutdown / end of replay). Flows already timed out at the last packet
    /// time end as timeouts; the rest with reason `shutdown`. Then every open window closes
    /// (its records follow the flow records); later packets of those windows count as late.
    pub fn flush_all(&mut self) {
        let emergency = self.emergency;
        self.expire_with(self.now_ns, emergency);
        while let Some(idx) = self.table.any() {
            self.end_flow(idx, EndReason::Shutdown);
        }
        self.windows.close_all(self.now_ns, &mut self.table, &mut self.closed);
        self.emit_closed();
    }

    fn end_flow(&mut self, idx: u32, reason: EndReason) {
        let mut f = self.table.remove(idx);
        // Its last window segment goes to its aggregate before the flow is gone.
        self.windows.flush(&mut f);
        if f.app_flags & APP_HAS_STATE != 0 {
            // Pending evidence precedes the flow record.
            let end_ns = f.last_ns;
            self.app.on_flow_end(idx, &mut f, end_ns);
            self.drain_app();
        }
        self.stats.flows_ended[reason as usize] += 1;
        let rec = self.record_of(&f, reason);
        self.push_record(Record::Flow(rec));
    }

    fn record_of(&self, f: &Flow, reason: EndReason) -> FlowRecord {
        let (src, _) = f.client();
        let (dst, _) = f.server();
        let community_id = f.community_id_peek(&self.app.cid);
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
            flow_id: f.flow_id(),
            community_id,
            app_proto: f.app_proto,
        }
    }
}

fn closing_reason(f: &Flow) -> EndReason {
    if f.tcp.rst() {
        EndReason::TcpRst
    } else if f.tcp.fin(TO_SERVER) || f.tcp.fin(TO_CLIENT) {
        EndReason::TcpFin
    } else {
        EndReason::Timeout
    }
}

/// A small TCP state machine: enough for EVE's `state` and for picking the timeout class.
fn update_tcp_state(f: &mut Flow, dir: usize, flags: u8) {
    f.tcp.flags[dir] |= flags;
    if flags & TCP_RST != 0 {
        f.tcp.set_rst();
        f.state = FlowState::Closed;
        return;
    }
    if flags & TCP_SYN != 0 {
        if flags & TCP_ACK != 0 {
            f.tcp.set_synack();
        } else {
            f.tcp.set_syn();
        }
    }
    if flags & TCP_FIN != 0 {
        f.tcp.set_fin(dir);
    }
    if f.state == FlowState::New {
        let handshake_done = f.tcp.syn() && f.tcp.synack() && dir == TO_SERVER && flags & TCP_ACK != 0 && flags & TCP_SYN == 0;
        let midstream = !f.tcp.syn() && !f.tcp.synack() && f.seen == 3;
        if handshake_done || midstream {
            f.state = FlowState::Established;
        }
    }
    if f.tcp.fin(TO_SERVER) && f.tcp.fin(TO_CLIENT) {
        f.state = FlowState::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_config_keys_parse_and_validate() {
        let c = EngineConfig::default();
        assert!(!c.emit_windows);
        assert_eq!((c.window_seconds, c.window_grace_seconds), (900, 60));
        assert_eq!(c.home_net, HomeNet::default());
        let c = EngineConfig::parse("emit_windows=true\nhome_net=10.0.0.0/8, 2001:db8::/32\nwindow_seconds=300\nwindow_grace_seconds=0\nwindow_max_groups=9\nwindow_memcap_bytes=4096").unwrap();
        assert!(c.emit_windows);
        assert_eq!(c.home_net.len(), 2);
        assert_eq!((c.window_seconds, c.window_grace_seconds, c.window_max_groups, c.window_memcap_bytes), (300, 0, 9, 4096));
        assert!(EngineConfig::parse("home_net=").unwrap().home_net.is_empty());
        assert!(EngineConfig::parse("window_seconds=4").unwrap_err().contains("window_seconds must be"));
        assert!(EngineConfig::parse("window_seconds=604801").is_err());
        assert!(EngineConfig::parse("window_grace_seconds=604801").is_err());
        assert!(EngineConfig::parse("emit_windows=yes").is_err());
        assert!(EngineConfig::parse("home_net=10.0.0.1/8").unwrap_err().starts_with("line 1: home_net:"));
    }
}
