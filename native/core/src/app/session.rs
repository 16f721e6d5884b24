//! Per-flow app-layer state, kept outside `Flow` (whose size is budgeted) in a bounded side
//! table keyed by the flow's slot: detection progress, small per-direction stream buffers
//! (in-order TCP, a few out-of-order segments held), and each protocol's parse state. The table
//! has a memory cap; state is created only for flows whose packets carry payload, and freed as
//! soon as a flow has nothing more to parse (then `APP_DONE` on the flow makes later packets
//! skip the app layer entirely) or when the flow ends.
//!
//! Limits, all counted: a direction whose stream has a gap we cannot fill (more than
//! `MAX_OOO_SEGMENTS` segments or `MAX_OOO_BYTES` held) or whose unparsed bytes exceed the
//! stream depth is given up; a flow that finds the table at its memory cap gets no app state.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Slot numbers are small distinct integers: a multiplicative hash is enough (SipHash costs
/// more than the rest of a lookup).
#[derive(Default)]
struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64 ^ 0x5151_5151).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type SlotMap<V> = HashMap<u32, V, BuildHasherDefault<SlotHasher>>;

use super::detect::{self, Detect, TcpCtx};
use super::evidence::{self, EvidenceRecord, EV_DNS, EV_FILEINFO, EV_FTP, EV_HTTP, EV_QUIC, EV_SSH, EV_TLS};
use super::ftp::{self as ftp_control, FtpCommand};
use super::probe::ftp;
use super::upgrade::{self, Step};
use super::{dns, gquic, http, magic, quic, ssh, tls, x509};
use crate::flow::{Flow, TO_CLIENT, TO_SERVER};
use crate::community_id::CommunityIdCache;

/// `Flow::app_flags`: nothing more to parse; packets skip the app layer.
pub const APP_DONE: u8 = 1;
/// `Flow::app_flags`: the side table holds state for this flow's slot.
pub const APP_HAS_STATE: u8 = 2;

pub const MAX_OOO_SEGMENTS: usize = 8;
pub const MAX_OOO_BYTES: usize = 16 * 1024;
/// Unanswered HTTP requests held per flow (older ones are logged without a response).
pub const MAX_HTTP_PENDING: usize = 32;
/// Expected FTP data connections held (oldest replaced).
pub const MAX_FTP_EXPECT: usize = 256;
/// How long an FTP data-connection expectation lives, in packet time.
pub const FTP_EXPECT_NS: u64 = 120 * 1_000_000_000;
/// Bytes of a stream wanted before its file type is judged.
const MAGIC_BYTES: usize = 512;
/// Client Initial datagrams tried for a QUIC ClientHello.
const QUIC_TRIES: u8 = 4;
/// Fixed per-state cost charged to the memory cap (the boxed state and its map entry).
const STATE_OVERHEAD: usize = 512;
/// Suricata gives detection up when one side has sent this much without a match and the
/// other nothing (`TCPProtoDetectCheckBailConditions`, at least 100000 bytes).
const BAIL_BYTES: u64 = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    pub enabled: bool,
    pub memcap_bytes: u64,
    /// Most unparsed bytes held per direction (heads, hellos, certificates, DNS messages).
    pub stream_depth: usize,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { enabled: true, memcap_bytes: 64 * 1024 * 1024, stream_depth: 32 * 1024 }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppCounters {
    pub states_created: u64,
    pub memcap_hits: u64,
    pub stream_gaps: u64,
    pub stream_depth_hits: u64,
    pub evidence_records: u64,
    pub evidence_truncated: u64,
    pub http_pending_evicted: u64,
    pub ftp_expect_added: u64,
    pub ftp_expect_evicted: u64,
    pub ftp_data_matched: u64,
    pub dns_parse_errors: u64,
    pub quic_decrypt_errors: u64,
    /// Flows whose client CRYPTO stream hit `quic::MAX_CRYPTO_BYTES` or its range cap.
    pub quic_crypto_capped: u64,
    /// gQUIC CHLOs with a value cut at `gquic::MAX_TAG_VALUE` or tags beyond `gquic::MAX_TAGS`.
    pub quic_chlo_truncated: u64,
    pub flows_reversed: u64,
    /// Streams handed to the TLS parser after an in-band upgrade (STARTTLS and kin).
    pub tls_upgrades: u64,
    /// ACKs without PSH carrying 2-7 zero bytes (link padding), kept out of the stream.
    pub zero_padding_acks: u64,
}

impl AppCounters {
    pub fn visit(&self, f: &mut dyn FnMut(&str, u64)) {
        f("app_states_created", self.states_created);
        f("app_memcap_hits", self.memcap_hits);
        f("app_stream_gaps", self.stream_gaps);
        f("app_stream_depth_hits", self.stream_depth_hits);
        f("app_evidence_records", self.evidence_records);
        f("app_evidence_truncated", self.evidence_truncated);
        f("app_http_pending_evicted", self.http_pending_evicted);
        f("app_ftp_expect_added", self.ftp_expect_added);
        f("app_ftp_expect_evicted", self.ftp_expect_evicted);
        f("app_ftp_data_matched", self.ftp_data_matched);
        f("app_dns_parse_errors", self.dns_parse_errors);
        f("app_quic_decrypt_errors", self.quic_decrypt_errors);
        f("app_quic_crypto_capped", self.quic_crypto_capped);
        f("app_quic_chlo_truncated", self.quic_chlo_truncated);
        f("app_flows_reversed", self.flows_reversed);
        f("app_tls_upgrades", self.tls_upgrades);
        f("app_zero_padding_acks", self.zero_padding_acks);
    }
    pub const COUNT: usize = 17;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum DirDetect {
    #[default]
    Undecided,
    NoMatch,
    Matched,
}

#[derive(Debug, Default)]
struct Dir {
    /// Unparsed in-order bytes.
    buf: Vec<u8>,
    next_seq: Option<u32>,
    /// Out-of-order segments waiting for the gap before them: (seq, bytes).
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    /// Given up (gap, depth, parse error) or finished: bytes are no longer kept.
    closed: bool,
    detect: DirDetect,
    /// Stream bytes seen in this direction (for the bail condition).
    seen: u64,
    magic_done: bool,
}

#[derive(Debug, Default)]
struct TlsSt {
    ch: Option<tls::ClientHello>,
    client_done: bool,
    sh: Option<tls::ServerHello>,
    cert: Option<x509::CertSummary>,
    server_done: bool,
    /// `ch`'s JA3/JA4, computed once for its partial record and reused by the complete one.
    fp: Option<evidence::ClientFingerprints>,
}

#[derive(Debug, Default)]
struct HttpSt {
    body: [Option<http::BodyState>; 2],
    pending: VecDeque<http::HttpRequest>,
}

#[derive(Debug, Default)]
struct SshSt {
    banner: [Option<ssh::SshBanner>; 2],
    done: [bool; 2],
}

#[derive(Debug)]
struct FtpSt {
    watch: upgrade::Watch,
    control: ftp_control::Control,
}

#[derive(Debug)]
enum Parser {
    /// Nothing to parse after detection.
    None,
    Tls(Box<TlsSt>),
    Http(Box<HttpSt>),
    DnsTcp,
    Ssh(Box<SshSt>),
    /// FTP control: commands paired with replies (`ftp` events), data-connection
    /// announcements, and AUTH TLS.
    Ftp(Box<FtpSt>),
    /// A cleartext protocol that may turn into TLS in-band: watched until it does (then
    /// `Tls`), or until it cannot any more (`upgrade.rs`).
    Watch(Box<upgrade::Watch>),
    /// A stream whose first bytes get a file type (ftp-data, failed/unknown TCP).
    Magic,
    /// UDP DNS: every datagram is a message.
    DnsUdp,
    /// `crypto`: the client's CRYPTO stream over its Initials (a ClientHello may span several,
    /// in any order: Zeek quic-39264-rand), bounded by `quic::MAX_CRYPTO_BYTES`.
    /// `first_dcid`: the DCID of the first Initial decrypted, whose keys protect later Initials
    /// sent to another DCID (at most `quic::MAX_CID_LEN` bytes).
    Quic { tries: u8, done: bool, crypto: quic::CryptoStream, first_dcid: Vec<u8> },
}

#[derive(Debug)]
struct FlowApp {
    d: [Dir; 2],
    proto: u8,
    parser: Parser,
    /// Bytes charged to the memory cap.
    mem: usize,
    /// The protocol before a tunnel (HTTP CONNECT) restarted detection; it stays the flow's
    /// app_proto if the tunnel's content is not recognised (Suricata keeps the original).
    tunnel_from: u8,
}

impl FlowApp {
    fn new() -> FlowApp {
        FlowApp { d: [Dir::default(), Dir::default()], proto: 0, parser: Parser::None, mem: STATE_OVERHEAD, tunnel_from: 0 }
    }

    fn mem_now(&self) -> usize {
        STATE_OVERHEAD + self.d.iter().map(|d| d.buf.capacity() + d.ooo_bytes + d.ooo.len() * 32).sum::<usize>()
    }
}

#[derive(Debug, Clone, Copy)]
struct Expect {
    addr: [u8; 16],
    port: u16,
    expires_ns: u64,
}

pub struct AppLayer {
    cfg: AppConfig,
    states: SlotMap<Option<Box<FlowApp>>>,
    bytes: usize,
    expect: Vec<Expect>,
    pub counters: AppCounters,
    /// Evidence produced by the last call, for the engine to queue.
    pub out: Vec<EvidenceRecord>,
    /// Set when the last call reversed the flow's direction (`Flow::swap_direction`): the
    /// engine re-files its window accounting.
    pub reversed: bool,
    /// Community IDs of flows with evidence (the flow record reads it too: `engine.rs`).
    pub cid: CommunityIdCache,
}

/// A TCP segment's sequence number and flags.
#[derive(Debug, Clone, Copy)]
pub struct TcpSeg {
    pub seq: u32,
    pub flags: u8,
}

impl AppLayer {
    pub fn new(cfg: AppConfig, cid_seed: u16) -> AppLayer {
        AppLayer { cfg, states: SlotMap::default(), bytes: 0, expect: Vec::new(), counters: AppCounters::default(), out: Vec::new(), reversed: false, cid: CommunityIdCache::new(cid_seed) }
    }

    pub fn enabled(&self) -> bool {
        self.cfg.enabled
    }

    pub fn states(&self) -> usize {
        self.states.len()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn emit(&mut self, f: &Flow, ts_ns: u64, event: u8, from_server: bool, body: String) {
        if body.contains("\"truncated\":true") {
            self.counters.evidence_truncated += 1;
        }
        self.counters.evidence_records += 1;
        self.out.push(EvidenceRecord::new(f, &mut self.cid, ts_ns, event, from_server, body));
    }

    /// An early, partial copy of evidence whose transaction is still in progress (session
    /// evidence for alerts that cannot wait; not an EVE event, not in `evidence_records`).
    fn emit_partial(&mut self, f: &Flow, ts_ns: u64, event: u8, body: String) {
        let mut e = EvidenceRecord::new(f, &mut self.cid, ts_ns, event, false, body);
        e.partial = true;
        self.out.push(e);
    }

    /// One packet with payload of flow `f` (in slot `slot`), in direction `dir`.
    /// `tcp` is Some for TCP segments. Evidence goes to `self.out`.
    pub fn on_packet(&mut self, slot: u32, f: &mut Flow, dir: usize, tcp: Option<TcpSeg>, payload: &[u8], ts_ns: u64) {
        if f.app_flags & APP_DONE != 0 || payload.is_empty() {
            return;
        }
        if let Some(seg) = tcp {
            if is_zero_padding_ack(seg.flags, payload) {
                self.counters.zero_padding_acks += 1;
                return;
            }
        }
        // The state is taken out of its entry while it is worked on (the entry stays: no
        // rehashing per packet) and put back after.
        let mut st = match self.states.get_mut(&slot).and_then(|e| e.take()) {
            Some(s) => s,
            None => {
                if f.app_flags & APP_HAS_STATE != 0 {
                    // Lost (cannot happen: removal clears the flag); be safe.
                    f.app_flags |= APP_DONE;
                    return;
                }
                if self.bytes + STATE_OVERHEAD > self.cfg.memcap_bytes as usize {
                    self.counters.memcap_hits += 1;
                    f.app_flags |= APP_DONE;
                    return;
                }
                self.counters.states_created += 1;
                self.bytes += STATE_OVERHEAD;
                f.app_flags |= APP_HAS_STATE;
                let mut s = Box::new(FlowApp::new());
                if tcp.is_some() && self.take_expectation(f, ts_ns) {
                    self.counters.ftp_data_matched += 1;
                    set_proto(&mut s, f, detect::FTP_DATA);
                }
                s
            }
        };
        let finished = match tcp {
            Some(seg) => self.tcp_packet(&mut st, f, dir, seg, payload, ts_ns),
            None => self.udp_packet(&mut st, f, dir, payload, ts_ns),
        };
        let now = st.mem_now();
        self.bytes = self.bytes.saturating_sub(st.mem) + now;
        st.mem = now;
        let mut finished = finished;
        if !finished && self.bytes > self.cfg.memcap_bytes as usize {
            // Over the cap: this flow gives its buffers up (bounded, counted, never fatal).
            self.counters.memcap_hits += 1;
            finished = true;
        }
        if finished {
            self.bytes = self.bytes.saturating_sub(st.mem);
            f.app_flags = (f.app_flags | APP_DONE) & !APP_HAS_STATE;
            self.states.remove(&slot);
        } else {
            match self.states.get_mut(&slot) {
                Some(e) => *e = Some(st),
                None => {
                    self.states.insert(slot, Some(st));
                }
            }
        }
    }

    /// The flow in `slot` ends: log what is pending and free its state.
    pub fn on_flow_end(&mut self, slot: u32, f: &mut Flow, ts_ns: u64) {
        if f.app_flags & APP_HAS_STATE == 0 {
            return;
        }
        f.app_flags = (f.app_flags | APP_DONE) & !APP_HAS_STATE;
        let mut st = match self.states.remove(&slot).flatten() {
            Some(s) => s,
            None => return,
        };
        self.bytes = self.bytes.saturating_sub(st.mem);
        let parser = std::mem::replace(&mut st.parser, Parser::None);
        match parser {
            Parser::Tls(t) => {
                if t.ch.is_some() || t.sh.is_some() {
                    let body = evidence::tls_body_with(t.ch.as_ref(), t.fp.as_ref(), t.sh.as_ref(), t.cert.as_ref());
                    self.emit(f, ts_ns, EV_TLS, false, body);
                }
            }
            Parser::Http(mut h) => {
                h.pending.extend(if h.body[TO_SERVER].is_none() { http::parse_unfinished_request(&st.d[TO_SERVER].buf) } else { None });
                while let Some(r) = h.pending.pop_front() {
                    self.emit(f, ts_ns, EV_HTTP, false, evidence::http_body(Some(&r), None));
                }
            }
            Parser::Ssh(s) => {
                if s.banner[0].is_some() || s.banner[1].is_some() {
                    self.emit(f, ts_ns, EV_SSH, false, evidence::ssh_body(s.banner[0].as_ref(), s.banner[1].as_ref()));
                }
            }
            Parser::Magic => {
                self.magic(&mut st, f, ts_ns, true);
            }
            Parser::Ftp(mut s) => {
                for c in s.control.finish() {
                    self.emit(f, ts_ns, EV_FTP, false, evidence::ftp_body(&c));
                }
            }
            _ => {}
        }
        if st.proto == detect::NONE && f.key.proto == crate::flow::key::PROTO_TCP {
            // Undecided at the end: an upload's file type is still worth knowing.
            self.magic_dir(&mut st, f, TO_SERVER, ts_ns, true, None);
        }
    }

    // ---- TCP ----

    fn tcp_packet(&mut self, st: &mut FlowApp, f: &mut Flow, dir: usize, seg: TcpSeg, payload: &[u8], ts_ns: u64) -> bool {
        // Fast path: an in-order segment inside an HTTP body is skipped where it lies, never
        // copied into the stream buffer (uploads are most of the bytes).
        let mut payload = payload;
        let mut seg = seg;
        if let Parser::Http(h) = &mut st.parser {
            let d = &mut st.d[dir];
            if let (Some(bs), Some(next)) = (h.body[dir].as_mut(), d.next_seq) {
                if d.buf.is_empty() && d.ooo.is_empty() && !d.closed && seg.seq == next {
                    d.seen += payload.len() as u64;
                    match http::skip_body(bs, payload) {
                        Ok(sk) => {
                            let used = sk.used.min(payload.len());
                            d.next_seq = Some(next.wrapping_add(used as u32));
                            if !sk.done {
                                return false;
                            }
                            h.body[dir] = None;
                            d.seen -= (payload.len() - used) as u64;
                            payload = &payload[used..];
                            seg.seq = next.wrapping_add(used as u32);
                            if payload.is_empty() {
                                return false;
                            }
                        }
                        Err(_) => {
                            close(d);
                            return false;
                        }
                    }
                }
            }
        }
        self.reassemble(st, dir, seg, payload);
        if st.proto == detect::NONE {
            self.tcp_detect(st, f, dir);
            if st.proto == detect::NONE {
                return false;
            }
            if st.proto == detect::FAILED {
                if st.tunnel_from != detect::NONE {
                    f.app_proto = st.tunnel_from;
                }
                self.magic_dir(st, f, TO_SERVER, ts_ns, true, None);
                return true;
            }
            // Bytes buffered in either direction before detection are parsed now (the flow may
            // have been reversed, so both).
            if self.parse(st, f, TO_SERVER, ts_ns) {
                return true;
            }
            return self.parse(st, f, TO_CLIENT, ts_ns);
        }
        self.parse(st, f, dir, ts_ns)
    }

    /// Append a segment's new bytes to the direction's buffer, in sequence order.
    fn reassemble(&mut self, st: &mut FlowApp, dir: usize, seg: TcpSeg, payload: &[u8]) {
        // Data on a SYN (TCP Fast Open) starts one past the SYN's sequence number.
        let seg = if seg.flags & 0x02 != 0 { TcpSeg { seq: seg.seq.wrapping_add(1), flags: seg.flags } } else { seg };
        let depth = if st.proto == detect::NONE { detect::PROBE_DEPTH.max(MAGIC_BYTES) } else { self.cfg.stream_depth };
        let d = &mut st.d[dir];
        d.seen += payload.len() as u64;
        if d.closed {
            return;
        }
        let next = match d.next_seq {
            None => {
                d.next_seq = Some(seg.seq);
                seg.seq
            }
            Some(n) => n,
        };
        let rel = seg.seq.wrapping_sub(next) as i32;
        if rel > 0 {
            // A gap: hold the segment if there is room, else give the direction up.
            if d.ooo.len() >= MAX_OOO_SEGMENTS || d.ooo_bytes + payload.len() > MAX_OOO_BYTES {
                self.counters.stream_gaps += 1;
                close(d);
                return;
            }
            d.ooo_bytes += payload.len();
            d.ooo.push((seg.seq, payload.to_vec()));
            return;
        }
        let skip = (-(rel as i64)) as usize;
        if skip < payload.len() {
            if !append(d, &payload[skip..], depth) {
                self.counters.stream_depth_hits += 1;
                return;
            }
        }
        // Held segments the stream has now reached.
        while !d.ooo.is_empty() && !d.closed {
            let n = d.next_seq.unwrap_or(0);
            let pos = d.ooo.iter().position(|(s, _)| (s.wrapping_sub(n) as i32) <= 0);
            let i = match pos {
                Some(i) => i,
                None => break,
            };
            let (s, bytes) = d.ooo.swap_remove(i);
            d.ooo_bytes -= bytes.len();
            let skip = n.wrapping_sub(s) as usize;
            if skip < bytes.len() && !append(d, &bytes[skip..], depth) {
                self.counters.stream_depth_hits += 1;
            }
        }
    }

    fn tcp_detect(&mut self, st: &mut FlowApp, f: &mut Flow, dir: usize) {
        for dd in [dir, 1 - dir] {
            if st.d[dd].detect != DirDetect::Undecided || st.d[dd].buf.is_empty() {
                continue;
            }
            let other = &st.d[1 - dd];
            let midstream = !f.tcp.syn() && !f.tcp.synack();
            let ctx = TcpCtx { server_port: f.rec_dport, client_port: f.rec_sport, other: if other.detect == DirDetect::Matched { st.proto } else { 0 }, other_failed: other.detect == DirDetect::NoMatch, midstream };
            // Inside a CONNECT tunnel Suricata's detection takes its 3-byte TLS pattern alone
            // (`16 03 0x`, no length check): suricata-verify http-connect-tls logs tls.
            let tunnel_tls = st.tunnel_from != detect::NONE && dd == TO_SERVER && tls::suricata_client_pattern(&st.d[dd].buf) == Some(true);
            let found = if tunnel_tls { Detect::Proto(detect::TLS, false) } else { detect::detect_tcp(&st.d[dd].buf, dd == TO_SERVER, &ctx) };
            match found {
                Detect::Proto(p, reverse) => {
                    st.d[dd].detect = DirDetect::Matched;
                    if st.proto == detect::NONE {
                        if reverse {
                            // The first sender is the server (Suricata's FlowSwap): flip the
                            // flow and our per-direction state with it.
                            self.counters.flows_reversed += 1;
                            self.reversed = true;
                            f.swap_direction();
                            st.d.swap(0, 1);
                        }
                        set_proto(st, f, p);
                    }
                }
                Detect::NoMatch => st.d[dd].detect = DirDetect::NoMatch,
                Detect::NeedMore => {
                    if st.d[dd].closed {
                        st.d[dd].detect = DirDetect::NoMatch;
                    }
                }
            }
            if st.proto != detect::NONE {
                return;
            }
        }
        let (ts, tc) = (&st.d[TO_SERVER], &st.d[TO_CLIENT]);
        let both = ts.detect == DirDetect::NoMatch && tc.detect == DirDetect::NoMatch;
        // Midstream (no SYN seen): the client side must identify the protocol (Suricata).
        let midstream = !f.tcp.syn() && !f.tcp.synack() && ts.detect == DirDetect::NoMatch;
        let bail = (ts.detect == DirDetect::NoMatch && ts.seen > BAIL_BYTES && tc.seen == 0) || (tc.detect == DirDetect::NoMatch && tc.seen > BAIL_BYTES && ts.seen == 0);
        if both || midstream || bail {
            set_proto(st, f, detect::FAILED);
        }
    }

    /// Run the protocol's parser on direction `dir`. True when the flow has nothing more to parse.
    fn parse(&mut self, st: &mut FlowApp, f: &mut Flow, dir: usize, ts_ns: u64) -> bool {
        let mut parser = std::mem::replace(&mut st.parser, Parser::None);
        let mut upgrade_from: Option<upgrade::Kind> = None;
        let done = match &mut parser {
            Parser::None => true,
            Parser::Tls(t) => self.parse_tls(st, f, t, dir, ts_ns),
            Parser::Http(h) => {
                if self.parse_http(st, f, h, dir, ts_ns) {
                    // CONNECT answered 2xx: the connection is now a tunnel; detect what it
                    // carries (Suricata's protocol change: the flow becomes tls, ...).
                    while let Some(r) = h.pending.pop_front() {
                        self.emit(f, ts_ns, EV_HTTP, false, evidence::http_body(Some(&r), None));
                    }
                    st.tunnel_from = st.proto;
                    st.proto = detect::NONE;
                    for d in st.d.iter_mut() {
                        d.detect = DirDetect::Undecided;
                    }
                    return false;
                }
                st.d[0].closed && st.d[1].closed && h.pending.is_empty()
            }
            Parser::DnsTcp => {
                self.parse_dns_tcp(st, f, dir, ts_ns);
                st.d[0].closed && st.d[1].closed
            }
            Parser::Ssh(s) => self.parse_ssh(st, f, s, dir, ts_ns),
            Parser::Ftp(s) => {
                if self.parse_ftp(st, f, s, dir, ts_ns) {
                    upgrade_from = Some(s.watch.kind());
                }
                st.d[0].closed && st.d[1].closed
            }
            Parser::Watch(w) => {
                let d = &mut st.d[dir];
                let step = if d.closed {
                    Step::Continue
                } else {
                    let (used, step) = w.feed(&d.buf, dir == TO_SERVER, &mut |_| {});
                    d.buf.drain(..used.min(d.buf.len()));
                    step
                };
                match step {
                    Step::Tls => {
                        upgrade_from = Some(w.kind());
                        false
                    }
                    Step::GiveUp => true,
                    Step::Continue => st.d[0].closed && st.d[1].closed,
                }
            }
            Parser::Magic => self.magic(st, f, ts_ns, false),
            Parser::DnsUdp | Parser::Quic { .. } => false,
        };
        st.parser = parser;
        if let Some(kind) = upgrade_from {
            self.start_tls(st, f, kind);
            if self.parse(st, f, TO_SERVER, ts_ns) {
                return true;
            }
            return self.parse(st, f, TO_CLIENT, ts_ns);
        }
        done
    }

    /// The stream turned into TLS in-band: the rest of both directions goes to the TLS parser.
    fn start_tls(&mut self, st: &mut FlowApp, f: &mut Flow, kind: upgrade::Kind) {
        self.counters.tls_upgrades += 1;
        // What the server had left unconsumed (a partial line) is cleartext, not its hello.
        let sc = &mut st.d[TO_CLIENT];
        if tls::starts_hello_record(&sc.buf, false) == Some(false) {
            sc.buf.clear();
        }
        st.proto = detect::TLS;
        if kind.becomes_tls() {
            f.app_proto = detect::TLS;
        }
        st.parser = Parser::Tls(Box::default());
    }

    fn parse_tls(&mut self, st: &mut FlowApp, f: &Flow, t: &mut TlsSt, dir: usize, ts_ns: u64) -> bool {
        let d = &mut st.d[dir];
        if dir == TO_SERVER && !t.client_done {
            match tls::parse_client_hello(&d.buf) {
                tls::Parse::Done(ch) => {
                    if !t.server_done {
                        // The ServerHello may be late or never come: SNI and JA4 now.
                        let fp = evidence::ClientFingerprints::of(&ch);
                        self.emit_partial(f, ts_ns, EV_TLS, evidence::tls_body_with(Some(&ch), Some(&fp), None, None));
                        t.fp = Some(fp);
                    }
                    t.ch = Some(ch);
                    t.client_done = true;
                }
                tls::Parse::NeedMore(n) => {
                    if d.closed || n > self.cfg.stream_depth {
                        t.client_done = true;
                    }
                }
                _ => t.client_done = true,
            }
            if t.client_done {
                close(d);
            }
        }
        if dir == TO_CLIENT && !t.server_done {
            if t.sh.is_none() {
                match tls::parse_server_hello(&d.buf) {
                    tls::Parse::Done(sh) => t.sh = Some(sh),
                    tls::Parse::NeedMore(n) => {
                        if d.closed || n > self.cfg.stream_depth {
                            t.server_done = true;
                        }
                    }
                    _ => t.server_done = true,
                }
            }
            if t.sh.is_some() && !t.server_done {
                match tls::parse_certificates(&d.buf) {
                    tls::Parse::Done(certs) => {
                        t.cert = certs.into_iter().next();
                        t.server_done = true;
                    }
                    tls::Parse::NeedMore(n) => {
                        if d.closed || n > self.cfg.stream_depth {
                            t.server_done = true;
                        }
                    }
                    _ => t.server_done = true,
                }
            }
            if t.server_done {
                close(d);
            }
        }
        // A direction with nothing to give counts as done once the other side is.
        if !t.server_done && st.d[TO_CLIENT].closed {
            t.server_done = true;
        }
        if !t.client_done && st.d[TO_SERVER].closed {
            t.client_done = true;
        }
        if t.client_done && t.server_done {
            if t.ch.is_some() || t.sh.is_some() {
                let body = evidence::tls_body_with(t.ch.as_ref(), t.fp.as_ref(), t.sh.as_ref(), t.cert.as_ref());
                self.emit(f, ts_ns, EV_TLS, false, body);
            }
            t.ch = None;
            t.fp = None;
            t.sh = None;
            return true;
        }
        false
    }

    /// Parse what `dir` holds. True when a CONNECT was answered 2xx (the stream is a tunnel now).
    fn parse_http(&mut self, st: &mut FlowApp, f: &Flow, h: &mut HttpSt, dir: usize, ts_ns: u64) -> bool {
        for _ in 0..64 {
            let d = &mut st.d[dir];
            if d.buf.is_empty() {
                return false;
            }
            if let Some(mut bs) = h.body[dir].take() {
                match http::skip_body(&mut bs, &d.buf) {
                    Ok(sk) => {
                        d.buf.drain(..sk.used.min(d.buf.len()));
                        if !sk.done {
                            h.body[dir] = Some(bs);
                            return false;
                        }
                    }
                    Err(_) => {
                        close(d);
                        return false;
                    }
                }
                continue;
            }
            if dir == TO_SERVER {
                let (reqs, used) = http::parse_requests(&d.buf, 32);
                if reqs.is_empty() {
                    d.buf.drain(..used.min(d.buf.len()));
                    if d.buf.len() >= http::MAX_HEAD.min(self.cfg.stream_depth) || used == 0 && !d.buf.is_empty() && http::looks_like_request_line(&d.buf) == Some(false) {
                        close(d);
                    }
                    return false;
                }
                let mut files = Vec::new();
                for r in reqs {
                    if let Some(o) = r.body_offset {
                        if let Some(t) = d.buf.get(o..).and_then(magic::file_type) {
                            files.push((t, r.uri.clone()));
                        }
                    }
                    if r.body_error {
                        close(d);
                    } else if let Some(bs) = r.body_pending {
                        h.body[dir] = Some(bs);
                    }
                    if h.pending.len() >= MAX_HTTP_PENDING {
                        self.counters.http_pending_evicted += 1;
                        if let Some(old) = h.pending.pop_front() {
                            self.emit(f, ts_ns, EV_HTTP, false, evidence::http_body(Some(&old), None));
                        }
                    }
                    // The response may be a long upload away (a slow POST): the request now.
                    self.emit_partial(f, ts_ns, EV_HTTP, evidence::http_body(Some(&r), None));
                    h.pending.push_back(r);
                }
                let d = &mut st.d[dir];
                d.buf.drain(..used.min(d.buf.len()));
                for (t, uri) in files {
                    self.emit(f, ts_ns, EV_FILEINFO, false, evidence::fileinfo_body(t, true, Some(&uri), Some("http")));
                }
                if used == 0 {
                    return false;
                }
            } else {
                let methods: Vec<&str> = h.pending.iter().map(|r| r.method.as_str()).collect();
                let (resps, used) = http::parse_responses_for(&d.buf, 32, &methods);
                if resps.is_empty() {
                    d.buf.drain(..used.min(d.buf.len()));
                    if d.buf.len() >= http::MAX_HEAD.min(self.cfg.stream_depth) || used == 0 && !d.buf.is_empty() && http::looks_like_http_response(&d.buf) == Some(false) {
                        close(d);
                    }
                    return false;
                }
                d.buf.drain(..used.min(d.buf.len()));
                for r in resps {
                    if r.body_error {
                        close(&mut st.d[dir]);
                    } else if let Some(bs) = r.body_pending {
                        h.body[dir] = Some(bs);
                    }
                    if (100..200).contains(&r.status) && r.status != 101 {
                        continue;
                    }
                    let req = h.pending.pop_front();
                    let tunnel = req.as_ref().map_or(false, |q| q.method.eq_ignore_ascii_case("CONNECT")) && (200..300).contains(&r.status);
                    self.emit(f, ts_ns, EV_HTTP, false, evidence::http_body(req.as_ref(), Some(&r)));
                    if tunnel {
                        h.body = [None, None];
                        return true;
                    }
                }
                if used == 0 {
                    return false;
                }
            }
        }
        false
    }

    fn parse_dns_tcp(&mut self, st: &mut FlowApp, f: &Flow, dir: usize, ts_ns: u64) {
        let d = &mut st.d[dir];
        let (msgs, used) = dns::split_tcp_messages(&d.buf);
        let mut bodies = Vec::new();
        for m in msgs {
            match dns::parse_message(m) {
                Ok(msg) => bodies.push((msg.is_response, evidence::dns_body(&msg))),
                Err(_) => self.counters.dns_parse_errors += 1,
            }
        }
        d.buf.drain(..used.min(d.buf.len()));
        if d.buf.len() >= self.cfg.stream_depth {
            close(d);
        }
        for (resp, b) in bodies {
            self.emit(f, ts_ns, EV_DNS, resp, b);
        }
    }

    fn parse_ssh(&mut self, st: &mut FlowApp, f: &Flow, s: &mut SshSt, dir: usize, ts_ns: u64) -> bool {
        let d = &mut st.d[dir];
        if !s.done[dir] {
            match ssh::parse_banner(&d.buf) {
                ssh::Parse::Done(b) => {
                    s.banner[dir] = Some(b);
                    s.done[dir] = true;
                }
                ssh::Parse::NeedMore => {
                    if d.closed || d.buf.len() >= ssh::MAX_PRE_BYTES {
                        s.done[dir] = true;
                    }
                }
                _ => s.done[dir] = true,
            }
            if s.done[dir] {
                close(d);
            }
        }
        for k in 0..2 {
            if st.d[k].closed {
                s.done[k] = true;
            }
        }
        if s.done[0] && s.done[1] {
            if s.banner[0].is_some() || s.banner[1].is_some() {
                self.emit(f, ts_ns, EV_SSH, false, evidence::ssh_body(s.banner[0].as_ref(), s.banner[1].as_ref()));
            }
            return true;
        }
        false
    }

    /// Scan `dir`'s complete lines for data-connection announcements (and AUTH TLS). True when
    /// TLS starts at the head of what remains.
    fn parse_ftp(&mut self, st: &mut FlowApp, f: &Flow, s: &mut FtpSt, dir: usize, ts_ns: u64) -> bool {
        let d = &mut st.d[dir];
        let mut found = Vec::new();
        let mut done: Vec<FtpCommand> = Vec::new();
        let to_server = dir == TO_SERVER;
        let control = &mut s.control;
        // Overlong lines are dropped by the line scan, which resynchronises at the next line end.
        let (used, step) = s.watch.feed(&d.buf, to_server, &mut |line| {
            let ep = if to_server { ftp::parse_client_line(line) } else { ftp::parse_server_line(line) };
            if let Some(ep) = ep {
                found.push(ep);
            }
            let logged = if to_server { control.client_line(line) } else { control.server_line(line) };
            done.extend(logged);
        });
        d.buf.drain(..used.min(d.buf.len()));
        if step == Step::Tls {
            // TLS from here on: the commands still waiting are logged as they are.
            done.extend(s.control.finish());
        }
        for c in &done {
            self.emit(f, ts_ns, EV_FTP, false, evidence::ftp_body(c));
        }
        for ep in found {
            let addr = match ep.addr {
                Some((a, _)) => a,
                // EPSV names a port on the control connection's server.
                None => f.server().0,
            };
            self.add_expectation(addr, ep.port, ts_ns);
        }
        step == Step::Tls
    }

    /// ftp-data and similar: judge the file type of each direction's first bytes.
    fn magic(&mut self, st: &mut FlowApp, f: &Flow, ts_ns: u64, at_end: bool) -> bool {
        let carrier = detect::name(st.proto);
        for dir in [TO_SERVER, TO_CLIENT] {
            self.magic_dir(st, f, dir, ts_ns, at_end, carrier);
        }
        st.d[0].magic_done && st.d[1].magic_done
    }

    fn magic_dir(&mut self, st: &mut FlowApp, f: &Flow, dir: usize, ts_ns: u64, at_end: bool, carrier: Option<&str>) {
        let d = &mut st.d[dir];
        if d.magic_done {
            return;
        }
        if d.buf.len() < MAGIC_BYTES && !d.closed && !at_end && st.proto != detect::FAILED {
            return;
        }
        d.magic_done = true;
        let t = magic::file_type(&d.buf);
        close(d);
        if let Some(t) = t {
            self.emit(f, ts_ns, EV_FILEINFO, false, evidence::fileinfo_body(t, dir == TO_SERVER, None, carrier));
        }
    }

    // ---- UDP ----

    fn udp_packet(&mut self, st: &mut FlowApp, f: &mut Flow, dir: usize, payload: &[u8], ts_ns: u64) -> bool {
        if st.d[dir].detect == DirDetect::Undecided {
            match detect::detect_udp(payload, dir == TO_SERVER, (f.rec_sport, f.rec_dport)) {
                Detect::Proto(p, _) => {
                    st.d[dir].detect = DirDetect::Matched;
                    if st.proto == detect::NONE || st.proto == detect::FAILED {
                        set_proto(st, f, p);
                    }
                }
                _ => {
                    st.d[dir].detect = DirDetect::NoMatch;
                    if st.proto == detect::NONE {
                        set_proto(st, f, detect::FAILED);
                    }
                }
            }
        }
        let both_probed = st.d[0].detect != DirDetect::Undecided && st.d[1].detect != DirDetect::Undecided;
        match &mut st.parser {
            Parser::DnsUdp => {
                match dns::parse_message(payload) {
                    Ok(m) => {
                        let resp = m.is_response;
                        let body = evidence::dns_body(&m);
                        self.emit(f, ts_ns, EV_DNS, resp, body);
                    }
                    Err(_) => self.counters.dns_parse_errors += 1,
                }
                false
            }
            Parser::Quic { tries, done, crypto, first_dcid } => {
                if !*done && dir == TO_SERVER && *tries < QUIC_TRIES {
                    *tries += 1;
                    // Google QUIC up to Q046 sends its CHLO in cleartext.
                    if let Ok(g) = gquic::parse_client_packet(payload) {
                        *done = true;
                        if g.chlo.truncated {
                            self.counters.quic_chlo_truncated += 1;
                        }
                        let body = evidence::quic_chlo_body(g.version, &g.chlo);
                        self.emit(f, ts_ns, EV_QUIC, false, body);
                    } else {
                        match quic::decrypt_client_initial_after(payload, first_dcid) {
                            Ok(p) => {
                                if first_dcid.is_empty() {
                                    first_dcid.extend_from_slice(&p.dcid);
                                }
                                let was_capped = crypto.dropped();
                                crypto.merge(&p.crypto);
                                if crypto.dropped() && !was_capped {
                                    self.counters.quic_crypto_capped += 1;
                                }
                                let hs = crypto.contiguous();
                                let last_try = *tries >= QUIC_TRIES;
                                let body = match p.handshake {
                                    quic::HandshakeKind::Tls => {
                                        // `01 <u24 length> body`
                                        let ch = if hs.len() >= 4 && hs[0] == 1 {
                                            let len = ((hs[1] as usize) << 16) | ((hs[2] as usize) << 8) | hs[3] as usize;
                                            hs.get(4..4 + len).and_then(tls::client_hello_body)
                                        } else {
                                            None
                                        };
                                        if ch.is_some() || last_try {
                                            Some(evidence::quic_body(p.version, ch.as_ref()))
                                        } else {
                                            None
                                        }
                                    }
                                    // Q050: the CRYPTO stream is a CHLO; its SNI sits early.
                                    quic::HandshakeKind::GoogleChlo => match gquic::parse_chlo(hs) {
                                        Ok(c) if c.sni.is_some() || last_try => {
                                            if c.truncated {
                                                self.counters.quic_chlo_truncated += 1;
                                            }
                                            Some(evidence::quic_chlo_body(p.version, &c))
                                        }
                                        _ if last_try => Some(evidence::quic_body(p.version, None)),
                                        _ => None,
                                    },
                                };
                                if let Some(body) = body {
                                    *done = true;
                                    self.emit(f, ts_ns, EV_QUIC, false, body);
                                }
                            }
                            Err(_) => self.counters.quic_decrypt_errors += 1,
                        }
                    }
                }
                let finished = *done || *tries >= QUIC_TRIES;
                finished && both_probed
            }
            _ => both_probed,
        }
    }

    // ---- FTP data expectations ----

    fn add_expectation(&mut self, addr: [u8; 16], port: u16, ts_ns: u64) {
        self.expect.retain(|e| e.expires_ns >= ts_ns);
        if self.expect.len() >= MAX_FTP_EXPECT {
            self.counters.ftp_expect_evicted += 1;
            self.expect.remove(0);
        }
        self.counters.ftp_expect_added += 1;
        self.expect.push(Expect { addr, port, expires_ns: ts_ns + FTP_EXPECT_NS });
    }

    fn take_expectation(&mut self, f: &Flow, ts_ns: u64) -> bool {
        if self.expect.is_empty() {
            return false;
        }
        let (saddr, _) = f.server();
        let (caddr, _) = f.client();
        let pos = self.expect.iter().position(|e| e.expires_ns >= ts_ns && ((e.addr == saddr && e.port == f.rec_dport) || (e.addr == caddr && e.port == f.rec_sport)));
        match pos {
            Some(i) => {
                self.expect.remove(i);
                true
            }
            None => false,
        }
    }
}

/// nDPI's `tcp_ack_payload_heuristic`: an ACK without PSH carrying 2 to 7 bytes, all zero, is
/// link padding some stacks count into the IP length, not stream data. Taken as data it fills
/// the sequence space the real first segment (a ClientHello, a request) then arrives in, and
/// the stream never parses (nDPI heuristic_tcp_ack_payload.pcap: every connection starts so).
/// A sender never leaves PSH off a segment that small unless it is such padding: PSH is clear
/// only on segments that are not the last of a write, and those are full-sized.
fn is_zero_padding_ack(flags: u8, payload: &[u8]) -> bool {
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    flags & (ACK | PSH) == ACK && (2..8).contains(&payload.len()) && payload.iter().all(|&b| b == 0)
}

fn close(d: &mut Dir) {
    d.closed = true;
    d.buf = Vec::new();
    d.ooo = Vec::new();
    d.ooo_bytes = 0;
}

/// Append in-order bytes; false (and the direction closed) when they would exceed `depth`.
fn append(d: &mut Dir, bytes: &[u8], depth: usize) -> bool {
    d.next_seq = Some(d.next_seq.unwrap_or(0).wrapping_add(bytes.len() as u32));
    if d.buf.len() + bytes.len() > depth {
        // Keep what fits for detection and file type; parsing stops here.
        let room = depth.saturating_sub(d.buf.len());
        d.buf.extend_from_slice(&bytes[..room]);
        d.closed = true;
        d.ooo = Vec::new();
        d.ooo_bytes = 0;
        return false;
    }
    d.buf.extend_from_slice(bytes);
    true
}

fn set_proto(st: &mut FlowApp, f: &mut Flow, p: u8) {
    st.proto = p;
    f.app_proto = p;
    let udp = f.key.proto == crate::flow::key::PROTO_UDP;
    st.parser = match p {
        detect::TLS => Parser::Tls(Box::default()),
        detect::HTTP => Parser::Http(Box::default()),
        detect::DNS if udp => Parser::DnsUdp,
        detect::DNS => Parser::DnsTcp,
        detect::SSH => Parser::Ssh(Box::default()),
        detect::FTP => Parser::Ftp(Box::new(FtpSt { watch: upgrade::Watch::new(upgrade::Kind::Ftp), control: ftp_control::Control::default() })),
        detect::FTP_DATA => Parser::Magic,
        detect::QUIC => Parser::Quic { tries: 0, done: false, crypto: quic::CryptoStream::new(), first_dcid: Vec::new() },
        p => match upgrade::Kind::of(p) {
            Some(kind) => Parser::Watch(Box::new(upgrade::Watch::new(kind))),
            None => Parser::None,
        },
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tls::tests::{client_hello_msg, records};
    use crate::flow::key::{FlowKey, PROTO_TCP, PROTO_UDP};

    const C: [u8; 16] = [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const S: [u8; 16] = [192, 0, 2, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    fn flow(proto: u8, dport: u16) -> Flow {
        let (key, lo) = FlowKey::new(4, proto, C, 40000, S, dport, [0, 0]);
        let mut f = Flow::new(key, 1, lo, 1_000);
        f.rec_sport = 40000;
        f.rec_dport = dport;
        f.tcp.set_syn();
        f.tcp.set_synack();
        f
    }

    fn body_of(app: &AppLayer, i: usize) -> &str {
        &app.out[i].body
    }

    /// Feed `data` in `dir` as segments of the given sizes, sequence numbers from `seq`.
    fn segments(app: &mut AppLayer, f: &mut Flow, dir: usize, seq: u32, data: &[u8], sizes: &[usize]) -> u32 {
        let mut at = 0;
        let mut s = seq;
        for &n in sizes {
            let end = (at + n).min(data.len());
            app.on_packet(0, f, dir, Some(TcpSeg { seq: s, flags: 0x18 }), &data[at..end], 2_000);
            s = s.wrapping_add((end - at) as u32);
            at = end;
        }
        if at < data.len() {
            app.on_packet(0, f, dir, Some(TcpSeg { seq: s, flags: 0x18 }), &data[at..], 2_000);
            s = s.wrapping_add((data.len() - at) as u32);
        }
        s
    }

    #[test]
    fn client_hello_split_over_three_segments() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 8443);
        let hello = records(&client_hello_msg(&[0x1301, 0xc02b], Some("split.example"), &["h2"], &[]), 16384);
        let third = hello.len() / 3;
        // The middle segment arrives last: held out of order, then the stream resumes.
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 100, flags: 0x18 }), &hello[..third], 2_000);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 100 + 2 * third as u32, flags: 0x18 }), &hello[2 * third..], 2_000);
        assert_eq!(f.app_proto, detect::TLS);
        assert!(app.out.is_empty());
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 100 + third as u32, flags: 0x18 }), &hello[third..2 * third], 2_000);
        // A retransmission of the first segment changes nothing.
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 100, flags: 0x18 }), &hello[..third], 2_000);
        // Only the early partial copy (session evidence for alerts) until the server side.
        assert_eq!(app.out.len(), 1, "{:?}", app.out);
        assert!(app.out[0].partial && app.out[0].event == EV_TLS && app.out[0].body.contains("\"sni\":\"split.example\""), "{:?}", app.out[0]);
        app.out.clear();
        app.on_flow_end(0, &mut f, 3_000);
        assert_eq!(app.out.len(), 1);
        assert!(!app.out[0].partial);
        let b = body_of(&app, 0);
        assert!(b.contains("\"sni\":\"split.example\""), "{}", b);
        assert!(b.contains("\"ja4\":\"t12d0202h2_"), "{}", b);
        assert!(b.contains("\"client_alpns\":[\"h2\"]"), "{}", b);
        assert_eq!((app.states(), app.bytes()), (0, 0), "state freed at flow end");
        assert_eq!(f.app_flags & APP_HAS_STATE, 0);
    }

    #[test]
    fn gquic_cleartext_chlo_gives_a_quic_event() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_UDP, 443);
        // Q046 long header (as in nDPI's quic_q46.pcap), STREAM frame on stream 1, CHLO with
        // PAD, SNI and UAID.
        let mut d = b"\xc3Q046\x50\xea\xcf\xe6\xe7\x06\xdf\x27\x2d\x00\x00\x00\x04".to_vec();
        d.extend_from_slice(&[0x5a; 12]);
        let chlo = b"CHLO\x03\x00\x00\x00PAD\x00\x04\x00\x00\x00SNI\x00\x13\x00\x00\x00UAID\x27\x00\x00\x00----play.google.comChrome/74.0.3729.157";
        d.extend_from_slice(&[0xa4, 0x01, 0x04, 0x00, 0x00, chlo.len() as u8]);
        d.extend_from_slice(chlo);
        d.resize(1350, 0x2d);
        app.on_packet(0, &mut f, TO_SERVER, None, &d, 2_000);
        assert_eq!(f.app_proto, detect::QUIC);
        let quic: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.event == EV_QUIC).collect();
        assert_eq!(quic.len(), 1, "{:?}", app.out);
        assert_eq!(quic[0].body, r#"{"version":"Q046","sni":"play.google.com","ua":"Chrome/74.0.3729.157"}"#);
        // The connection's later client packets do not log it again.
        app.on_packet(0, &mut f, TO_SERVER, None, &d, 2_100);
        assert_eq!(app.out.iter().filter(|e| e.event == EV_QUIC).count(), 1);
    }

    #[test]
    fn http_pipelining_pairs_requests_and_responses() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 8080);
        let reqs = b"GET /a HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8\r\n\r\nPOST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 8\r\n\r\nPK\x03\x04abcdGET /c HTTP/1.1\r\nHost: example.com\r\n\r\n";
        segments(&mut app, &mut f, TO_SERVER, 1, reqs, &[10, 50, 7, 40]);
        assert_eq!(f.app_proto, detect::HTTP);
        let resps = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
        segments(&mut app, &mut f, TO_CLIENT, 9000, resps, &[20, 60, 5]);
        let partial: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.partial).collect();
        assert_eq!(partial.len(), 3, "one early copy per request: {:?}", partial);
        assert!(partial.iter().all(|e| e.event == EV_HTTP && !e.body.contains("\"status\"")));
        let http: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.event == EV_HTTP && !e.partial).collect();
        assert_eq!(http.len(), 3, "{:?}", app.out);
        assert!(http[0].body.contains("\"url\":\"/a\"") && http[0].body.contains("\"status\":200") && http[0].body.contains("\"http_content_type\":\"text/html\""));
        assert!(http[0].body.contains("\"hostname\":\"example.com\"") && http[0].body.contains("\"http_user_agent\":\"curl/8\""));
        assert!(http[1].body.contains("\"http_method\":\"POST\"") && http[1].body.contains("\"status\":201"));
        assert!(http[2].body.contains("\"url\":\"/c\"") && http[2].body.contains("\"status\":404"));
        let files: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.event == EV_FILEINFO).collect();
        assert_eq!(files.len(), 1);
        assert!(files[0].body.contains("\"filetype\":\"zip\"") && files[0].body.contains("\"direction\":\"toserver\""), "{}", files[0].body);
        // HTTP logs in flow direction: src is the client.
        assert_eq!((http[0].src, http[0].src_port), (C, 40000));
    }

    #[test]
    fn dns_over_tcp_two_messages_in_pieces() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 53);
        let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
        let mut stream = Vec::new();
        for id in [0x12u8, 0x13] {
            stream.extend_from_slice(&(q.len() as u16).to_be_bytes());
            let mut m = q.to_vec();
            m[1] = id;
            stream.extend_from_slice(&m);
        }
        segments(&mut app, &mut f, TO_SERVER, 7, &stream, &[1, 20, 9]);
        assert_eq!(f.app_proto, detect::DNS);
        assert_eq!(app.out.len(), 2);
        assert!(app.out.iter().all(|e| e.event == EV_DNS && e.body.contains("\"rrname\":\"example.com\"")));
        assert!(app.out[1].body.contains("\"id\":4627"));
    }

    #[test]
    fn udp_dns_response_logs_from_the_server() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_UDP, 53);
        let resp = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22";
        app.on_packet(0, &mut f, TO_CLIENT, None, resp, 5);
        assert_eq!(f.app_proto, detect::DNS);
        assert_eq!(app.out.len(), 1);
        assert_eq!((app.out[0].src, app.out[0].src_port, app.out[0].dst_port), (S, 53, 40000));
        // Unknown first payload on UDP: failed, upgraded when the other side is recognised.
        let mut g = flow(PROTO_UDP, 9999);
        app.on_packet(1, &mut g, TO_SERVER, None, b"\x00\x01junk", 5);
        assert_eq!(g.app_proto, detect::FAILED);
    }

    #[test]
    fn tcp_failed_when_neither_side_matches() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 7777);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), b"\x01\x02\x03\x04 not a protocol", 5);
        assert_eq!(f.app_proto, detect::NONE, "one side is not enough");
        app.on_packet(0, &mut f, TO_CLIENT, Some(TcpSeg { seq: 1, flags: 0x18 }), b"\x09\x08\x07 nor this", 6);
        assert_eq!(f.app_proto, detect::FAILED);
        assert_ne!(f.app_flags & APP_DONE, 0, "nothing more to do");
        assert_eq!(app.states(), 0);
    }

    #[test]
    fn zero_padding_ack_is_not_stream_data() {
        // ndpi heuristic_tcp_ack_payload.pcap frames 85 and 86: the client's ACK carries 2 zero
        // bytes at the sequence number its ClientHello (PSH) then starts at.
        const HELLO: &str = "16030100d5010000d10303e47d06398fe8050e3e4b0912f78cf177418a35afe91d5d3d51af7df0a80267f700001cc02b\
            c02fcca9cca8c02cc030c00ac009c013c014009c009d002f00350100008c0000002a002800002566697265666f782e73\
            657474696e67732e73657276696365732e6d6f7a696c6c612e636f6d00170000ff01000100000a000a0008001d001700\
            180019000b00020100002300000010000e000c02683208687474702f312e31000500050100000000000d001800160403\
            0503060308040805080604010501060102030201001c00024000";
        let hello: Vec<u8> = (0..HELLO.len() / 2).map(|i| u8::from_str_radix(&HELLO[2 * i..2 * i + 2], 16).unwrap()).collect();
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 443);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 3484917704, flags: 0x10 }), &[0, 0], 5);
        assert_eq!((app.counters.zero_padding_acks, app.states()), (1, 0));
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 3484917704, flags: 0x18 }), &hello, 6);
        assert_eq!(f.app_proto, detect::TLS);
        app.on_flow_end(0, &mut f, 9);
        assert!(app.out.iter().any(|e| e.event == EV_TLS && e.body.contains("firefox.settings.services.mozilla.com")), "{:?}", app.out);
        // With PSH, one byte, eight bytes, or a non-zero byte, it is data.
        for (flags, data) in [(0x18u8, &[0u8, 0][..]), (0x10, &[0][..]), (0x10, &[0; 8][..]), (0x10, &[0, 1][..])] {
            assert!(!is_zero_padding_ack(flags, data), "{:#x} {:?}", flags, data);
        }
        assert!(is_zero_padding_ack(0x12, &[0; 7]), "a SYN/ACK's padding too (frame 180)");
    }

    #[test]
    fn connect_tunnel_is_detected_again() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 3128);
        let c = segments(&mut app, &mut f, TO_SERVER, 1, b"CONNECT tls.example:443 HTTP/1.1\r\nHost: tls.example:443\r\n\r\n", &[]);
        segments(&mut app, &mut f, TO_CLIENT, 1, b"HTTP/1.1 200 Connection established\r\n\r\n", &[]);
        assert_eq!(f.app_proto, detect::HTTP);
        let hello = records(&client_hello_msg(&[0x1301], Some("tunnelled.example"), &[], &[]), 16384);
        segments(&mut app, &mut f, TO_SERVER, c, &hello, &[]);
        assert_eq!(f.app_proto, detect::TLS);
        app.on_flow_end(0, &mut f, 9);
        assert!(app.out.iter().any(|e| e.event == EV_HTTP && e.body.contains("\"http_method\":\"CONNECT\"") && e.body.contains("\"status\":200")));
        assert!(app.out.iter().any(|e| e.event == EV_TLS && e.body.contains("tunnelled.example")), "{:?}", app.out);
    }

    /// ndpi smtp-starttls.pcap, first connection: the whole cleartext exchange and the
    /// client's ClientHello (TLS 1.0 record, no SNI).
    const SMTP_SERVER: &[&[u8]] = &[
        b"220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n",
        b"250-mx.google.com at your service, [10.000.000.01]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
        b"220 2.0.0 Ready to start TLS\r\n",
    ];
    const SMTP_CLIENT: &[&[u8]] = &[b"EHLO xxxxxxxxxxxxx.xxx.com\r\n", b"STARTTLS\r\n"];
    const SMTP_CLIENT_HELLO: &str = "160301006b01000067030152bb75e44e872de2ee0fb3d4bb5ba46ef845fb548e37525b9523bb8ef8036add00003a00390038008800870035008400160013000a00330032009a009900450044002f00960041000500040015001200090014001100080006000300ff0100000400230000";

    use crate::crypto::from_hex as unhex;

    #[test]
    fn smtp_starttls_hands_the_stream_to_tls() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 25);
        let (mut cs, mut ss) = (1000u32, 5000u32);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, SMTP_SERVER[0], &[]);
        assert_eq!(f.app_proto, detect::SMTP);
        cs = segments(&mut app, &mut f, TO_SERVER, cs, SMTP_CLIENT[0], &[]);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, SMTP_SERVER[1], &[]);
        cs = segments(&mut app, &mut f, TO_SERVER, cs, SMTP_CLIENT[1], &[]);
        assert_eq!(app.counters.tls_upgrades, 0);
        segments(&mut app, &mut f, TO_CLIENT, ss, SMTP_SERVER[2], &[]);
        assert_eq!(f.app_proto, detect::SMTP, "agreed, not yet switched");
        segments(&mut app, &mut f, TO_SERVER, cs, &unhex(SMTP_CLIENT_HELLO), &[40]);
        assert_eq!(app.counters.tls_upgrades, 1);
        assert_eq!(f.app_proto, detect::TLS, "Suricata re-detects after STARTTLS: the flow logs tls");
        app.on_flow_end(0, &mut f, 9);
        let tls: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.event == EV_TLS && !e.partial).collect();
        assert_eq!(tls.len(), 1, "{:?}", app.out);
        // nDPI's JA3 for this connection.
        assert!(tls[0].body.contains("fab507fe132c544e8a0eb7c394affeae"), "{}", tls[0].body);
        assert!(tls[0].body.contains("\"version\":\"TLSv1\""), "{}", tls[0].body);
        assert_eq!((app.states(), app.bytes()), (0, 0));
    }

    #[test]
    fn ftp_commands_are_logged_with_their_replies() {
        // zeek ftp__ipv4.pcap's session, abridged: login, passive RETR, a command left waiting.
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 21);
        let (mut cs, mut ss) = (1000u32, 5000u32);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, b"220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.\r\n", &[]);
        assert_eq!(f.app_proto, detect::FTP);
        cs = segments(&mut app, &mut f, TO_SERVER, cs, b"USER anonymous\r\n", &[]);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, b"331 Guest login ok, type your name as password.\r\n", &[]);
        cs = segments(&mut app, &mut f, TO_SERVER, cs, b"PASS test\r\nPASV\r\n", &[]);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, b"230-\r\n Welcome\r\n230 Guest login ok.\r\n227 Entering Passive Mode (199,233,217,249,221,90)\r\n", &[20]);
        cs = segments(&mut app, &mut f, TO_SERVER, cs, b"RETR robots.txt\r\n", &[]);
        ss = segments(&mut app, &mut f, TO_CLIENT, ss, b"150 Opening BINARY mode data connection for 'robots.txt' (77 bytes).\r\n226 Transfer complete.\r\n", &[]);
        segments(&mut app, &mut f, TO_SERVER, cs, b"QUIT\r\n", &[]);
        let _ = ss;
        app.on_flow_end(0, &mut f, 9);
        let ftp: Vec<&str> = app.out.iter().filter(|e| e.event == EV_FTP).map(|e| e.body.as_str()).collect();
        assert_eq!(ftp.len(), 5, "{:?}", ftp);
        assert!(ftp[1].starts_with("{\"command\":\"PASS\",\"command_data\":\"<hidden>\",\"reply\":[\"230-\",\"Welcome\",\"230 Guest login ok.\"]"), "{}", ftp[1]);
        assert!(ftp[3].contains("\"command\":\"RETR\",\"command_data\":\"robots.txt\"") && ftp[3].contains("\"completion_code\":[\"150\",\"226\"]"), "{}", ftp[3]);
        assert!(ftp[4].contains("\"command\":\"QUIT\"") && ftp[4].contains("\"reply_received\":\"no\""), "{}", ftp[4]);
        // PASV still announced the data connection.
        assert_eq!(app.counters.ftp_expect_added, 1);
    }

    #[test]
    fn cleartext_without_upgrade_is_watched_then_released() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 25);
        let ss = segments(&mut app, &mut f, TO_CLIENT, 5000, SMTP_SERVER[0], &[]);
        assert_eq!(app.states(), 1, "held while an upgrade may come");
        segments(&mut app, &mut f, TO_CLIENT, ss, b"554 no service\r\n", &[]);
        let mut c = 1000u32;
        let line = b"NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
        for _ in 0..(upgrade::MAX_WATCH_BYTES / line.len() + 2) {
            c = segments(&mut app, &mut f, TO_SERVER, c, line, &[]);
        }
        assert_ne!(f.app_flags & APP_DONE, 0, "watching is bounded");
        assert_eq!((app.states(), app.bytes(), app.counters.tls_upgrades), (0, 0, 0));
        assert_eq!(f.app_proto, detect::SMTP);
    }

    #[test]
    fn imap_starttls_keeps_imap_and_logs_tls() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 143);
        let ss = segments(&mut app, &mut f, TO_CLIENT, 7, b"* OK IMAP4rev1 ready\r\n", &[]);
        let cs = segments(&mut app, &mut f, TO_SERVER, 3, b"a1 STARTTLS\r\n", &[]);
        let ss = segments(&mut app, &mut f, TO_CLIENT, ss, b"a1 OK Begin TLS negotiation now\r\n", &[]);
        assert_eq!(f.app_proto, detect::IMAP);
        let hello = records(&client_hello_msg(&[0x1301, 0xc02b], Some("imap.example"), &[], &[]), 16384);
        segments(&mut app, &mut f, TO_SERVER, cs, &hello, &[]);
        assert_eq!(f.app_proto, detect::IMAP, "Suricata has no IMAP parser to follow the upgrade");
        segments(&mut app, &mut f, TO_CLIENT, ss, b"\x15\x03\x03\x00\x02\x02\x28", &[]);
        app.on_flow_end(0, &mut f, 9);
        assert!(app.out.iter().any(|e| e.event == EV_TLS && !e.partial && e.body.contains("\"sni\":\"imap.example\"")), "{:?}", app.out);
    }

    #[test]
    fn pgsql_ssl_request_then_tls() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 5432);
        // suricata-verify pgsql-upgrade-tls.pcap: SSLRequest, answered 'S'.
        let cs = segments(&mut app, &mut f, TO_SERVER, 1, b"\x00\x00\x00\x08\x04\xd2\x16\x2f", &[]);
        assert_eq!(f.app_proto, detect::PGSQL);
        segments(&mut app, &mut f, TO_CLIENT, 1, b"S", &[]);
        let hello = records(&client_hello_msg(&[0x1301], Some("db.example"), &[], &[]), 16384);
        segments(&mut app, &mut f, TO_SERVER, cs, &hello, &[]);
        assert_eq!((f.app_proto, app.counters.tls_upgrades), (detect::TLS, 1));
        app.on_flow_end(0, &mut f, 9);
        assert!(app.out.iter().any(|e| e.event == EV_TLS && !e.partial && e.body.contains("db.example")), "{:?}", app.out);
        // Refused ('N'): cleartext, app_proto stays pgsql, nothing held.
        let mut g = flow(PROTO_TCP, 5432);
        segments(&mut app, &mut g, TO_SERVER, 1, b"\x00\x00\x00\x08\x04\xd2\x16\x2f", &[]);
        segments(&mut app, &mut g, TO_CLIENT, 1, b"N", &[]);
        assert_eq!(g.app_proto, detect::PGSQL);
        assert_ne!(g.app_flags & APP_DONE, 0);
    }

    #[test]
    fn connect_tunnel_takes_suricatas_tls_pattern() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 8002);
        // suricata-verify http-connect-tls.pcap: the tunnel's first bytes are a bare record
        // header with a zero length, which Suricata's 3-byte pattern still calls TLS.
        let c = segments(&mut app, &mut f, TO_SERVER, 1, b"CONNECT abc:443 HTTP/1.1\r\nHost: abc:443\r\n\r\n", &[]);
        segments(&mut app, &mut f, TO_CLIENT, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &[]);
        segments(&mut app, &mut f, TO_SERVER, c, b"\x16\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", &[]);
        assert_eq!(f.app_proto, detect::TLS);
    }

    #[test]
    fn syn_data_is_one_past_the_syn() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 80);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 1000, flags: 0x02 }), b"GET / HTTP/1.1\r\n", 5);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 1001 + 16, flags: 0x18 }), b"Host: tfo.example\r\n\r\n", 6);
        app.on_flow_end(0, &mut f, 7);
        app.out.retain(|e| !e.partial);
        assert_eq!(app.out.len(), 1);
        assert!(app.out[0].body.contains("\"hostname\":\"tfo.example\""), "{}", app.out[0].body);
        assert_eq!(app.counters.stream_gaps, 0);
    }

    #[test]
    fn gaps_beyond_the_hold_give_the_direction_up() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut f = flow(PROTO_TCP, 80);
        app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), b"GET / HTTP/1.1\r\n", 5);
        for i in 0..=MAX_OOO_SEGMENTS as u32 {
            app.on_packet(0, &mut f, TO_SERVER, Some(TcpSeg { seq: 1000 + i * 100, flags: 0x18 }), b"X-A: b\r\n", 5);
        }
        assert_eq!(app.counters.stream_gaps, 1);
        app.on_flow_end(0, &mut f, 9);
        assert_eq!(app.bytes(), 0);
    }

    #[test]
    fn memcap_refuses_new_state_and_counts() {
        let cfg = AppConfig { enabled: true, memcap_bytes: STATE_OVERHEAD as u64, stream_depth: 1024 };
        let mut app = AppLayer::new(cfg, 0);
        let mut a = flow(PROTO_TCP, 80);
        let mut b = flow(PROTO_TCP, 81);
        app.on_packet(0, &mut a, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), b"GE", 5);
        assert_eq!(app.states(), 0, "over the cap once buffers are counted: given up");
        assert_eq!(app.counters.memcap_hits, 1);
        app.on_packet(1, &mut b, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), b"GET / HTTP/1.0\r\n\r\n", 5);
        assert!(app.counters.memcap_hits >= 1);
        assert!(app.bytes() <= STATE_OVERHEAD + 64);
        // A depth-capped stream: an over-long head gives the direction up, never grows past it.
        let cfg = AppConfig { enabled: true, memcap_bytes: 1 << 20, stream_depth: 1024 };
        let mut app = AppLayer::new(cfg, 0);
        let mut c = flow(PROTO_TCP, 80);
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend(std::iter::repeat(b'a').take(4000));
        segments(&mut app, &mut c, TO_SERVER, 1, &head, &[500, 500, 500, 500]);
        assert!(app.counters.stream_depth_hits >= 1);
        assert!(app.bytes() <= STATE_OVERHEAD + 2 * 1024);
    }

    #[test]
    fn ftp_pasv_reply_makes_the_data_connection_ftp_data() {
        let mut app = AppLayer::new(AppConfig::default(), 0);
        let mut ctl = flow(PROTO_TCP, 21);
        app.on_packet(0, &mut ctl, TO_CLIENT, Some(TcpSeg { seq: 1, flags: 0x18 }), b"220 (vsFTPd 3.0.3)\r\n", 5);
        assert_eq!(ctl.app_proto, detect::FTP);
        app.on_packet(0, &mut ctl, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), b"PASV\r\n", 6);
        app.on_packet(0, &mut ctl, TO_CLIENT, Some(TcpSeg { seq: 21, flags: 0x18 }), b"227 Entering Passive Mode (192,0,2,9,195,80).\r\n", 7);
        assert_eq!(app.counters.ftp_expect_added, 1);
        let mut data = flow(PROTO_TCP, 195 * 256 + 80);
        let mut up = b"\x1f\x8b\x08\x00".to_vec();
        up.extend([0u8; 600]);
        app.on_packet(1, &mut data, TO_SERVER, Some(TcpSeg { seq: 1, flags: 0x18 }), &up, 8);
        assert_eq!(data.app_proto, detect::FTP_DATA);
        app.on_flow_end(1, &mut data, 9);
        let fi: Vec<&EvidenceRecord> = app.out.iter().filter(|e| e.event == EV_FILEINFO).collect();
        assert_eq!(fi.len(), 1);
        assert!(fi[0].body.contains("\"filetype\":\"gzip\""), "{}", fi[0].body);
    }

    #[test]
    fn hostile_streams_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let cfg = AppConfig { enabled: true, memcap_bytes: 64 * 1024, stream_depth: 2048 };
        let mut app = AppLayer::new(cfg, 0);
        let seeds: [&[u8]; 6] = [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03", b"SSH-2.0-x\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", b"\x00\x1c\x12\x34\x01\x00\x00\x01", b"220 (x)\r\n227 (1,2,3,4,5,6)\r\n"];
        for round in 0..3000u32 {
            let slot = round % 17;
            let proto = if round % 5 == 0 { PROTO_UDP } else { PROTO_TCP };
            let mut f = flow(proto, [80u16, 443, 53, 22, 21, 5555][(round % 6) as usize]);
            let mut seq = [next() as u32, next() as u32];
            for _ in 0..(next() % 12) {
                let dir = (next() % 2) as usize;
                let mut p = seeds[(next() % 6) as usize].to_vec();
                let n = (next() % 64) as usize;
                for _ in 0..n {
                    let r = next();
                    match r % 3 {
                        0 if !p.is_empty() => {
                            let i = (r >> 8) as usize % p.len();
                            p[i] = (r >> 16) as u8;
                        }
                        1 => p.push((r >> 8) as u8),
                        _ => p.truncate(p.len().saturating_sub(1)),
                    }
                }
                let seg = if proto == PROTO_TCP { Some(TcpSeg { seq: seq[dir], flags: 0x18 }) } else { None };
                app.on_packet(slot, &mut f, dir, seg, &p, round as u64);
                seq[dir] = seq[dir].wrapping_add(if next() % 7 == 0 { 5000 } else { p.len() as u32 });
            }
            app.on_flow_end(slot, &mut f, round as u64);
            for e in app.out.drain(..) {
                assert!(e.body.len() <= crate::app::json::MAX_BODY);
            }
        }
        assert_eq!((app.states(), app.bytes()), (0, 0), "every state freed");
    }
}
