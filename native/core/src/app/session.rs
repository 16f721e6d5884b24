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

use super::detect::{self, Detect, TcpCtx};
use super::evidence::{self, EvidenceRecord, EV_DNS, EV_FILEINFO, EV_HTTP, EV_QUIC, EV_SSH, EV_TLS};
use super::probe::ftp;
use super::{dns, http, magic, quic, ssh, tls, x509};
use crate::flow::{Flow, TO_CLIENT, TO_SERVER};

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
    pub flows_reversed: u64,
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
        f("app_flows_reversed", self.flows_reversed);
    }
    pub const COUNT: usize = 13;
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
enum Parser {
    /// Nothing to parse after detection.
    None,
    Tls(Box<TlsSt>),
    Http(Box<HttpSt>),
    DnsTcp,
    Ssh(Box<SshSt>),
    /// FTP control: line scanning for data-connection announcements.
    Ftp,
    /// A stream whose first bytes get a file type (ftp-data, failed/unknown TCP).
    Magic,
    /// UDP DNS: every datagram is a message.
    DnsUdp,
    Quic { tries: u8, done: bool },
}

#[derive(Debug)]
struct FlowApp {
    d: [Dir; 2],
    proto: u8,
    parser: Parser,
    /// Bytes charged to the memory cap.
    mem: usize,
}

impl FlowApp {
    fn new() -> FlowApp {
        FlowApp { d: [Dir::default(), Dir::default()], proto: 0, parser: Parser::None, mem: STATE_OVERHEAD }
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
    states: HashMap<u32, Box<FlowApp>>,
    bytes: usize,
    expect: Vec<Expect>,
    pub counters: AppCounters,
    /// Evidence produced by the last call, for the engine to queue.
    pub out: Vec<EvidenceRecord>,
    cid_seed: u16,
}

/// A TCP segment's sequence number and flags.
#[derive(Debug, Clone, Copy)]
pub struct TcpSeg {
    pub seq: u32,
    pub flags: u8,
}

impl AppLayer {
    pub fn new(cfg: AppConfig, cid_seed: u16) -> AppLayer {
        AppLayer { cfg, states: HashMap::new(), bytes: 0, expect: Vec::new(), counters: AppCounters::default(), out: Vec::new(), cid_seed }
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
        self.out.push(EvidenceRecord::new(f, self.cid_seed, ts_ns, event, from_server, body));
    }

    /// One packet with payload of flow `f` (in slot `slot`), in direction `dir`.
    /// `tcp` is Some for TCP segments. Evidence goes to `self.out`.
    pub fn on_packet(&mut self, slot: u32, f: &mut Flow, dir: usize, tcp: Option<TcpSeg>, payload: &[u8], ts_ns: u64) {
        if f.app_flags & APP_DONE != 0 || payload.is_empty() {
            return;
        }
        let mut st = match self.states.remove(&slot) {
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
        } else {
            self.states.insert(slot, st);
        }
    }

    /// The flow in `slot` ends: log what is pending and free its state.
    pub fn on_flow_end(&mut self, slot: u32, f: &mut Flow, ts_ns: u64) {
        if f.app_flags & APP_HAS_STATE == 0 {
            return;
        }
        f.app_flags = (f.app_flags | APP_DONE) & !APP_HAS_STATE;
        let mut st = match self.states.remove(&slot) {
            Some(s) => s,
            None => return,
        };
        self.bytes = self.bytes.saturating_sub(st.mem);
        let parser = std::mem::replace(&mut st.parser, Parser::None);
        match parser {
            Parser::Tls(t) => {
                if t.ch.is_some() || t.sh.is_some() {
                    let body = evidence::tls_body(t.ch.as_ref(), t.sh.as_ref(), t.cert.as_ref());
                    self.emit(f, ts_ns, EV_TLS, false, body);
                }
            }
            Parser::Http(mut h) => {
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
            _ => {}
        }
        if st.proto == detect::NONE && f.key.proto == crate::flow::key::PROTO_TCP {
            // Undecided at the end: an upload's file type is still worth knowing.
            self.magic_dir(&mut st, f, TO_SERVER, ts_ns, true, None);
        }
    }

    // ---- TCP ----

    fn tcp_packet(&mut self, st: &mut FlowApp, f: &mut Flow, dir: usize, seg: TcpSeg, payload: &[u8], ts_ns: u64) -> bool {
        self.reassemble(st, dir, seg, payload);
        if st.proto == detect::NONE {
            self.tcp_detect(st, f, dir);
            if st.proto == detect::NONE {
                return false;
            }
            if st.proto == detect::FAILED {
                self.magic_dir(st, f, TO_SERVER, ts_ns, true, None);
                return true;
            }
            // Bytes buffered in the other direction before detection are parsed too.
            if self.parse(st, f, 1 - dir, ts_ns) {
                return true;
            }
        }
        self.parse(st, f, dir, ts_ns)
    }

    /// Append a segment's new bytes to the direction's buffer, in sequence order.
    fn reassemble(&mut self, st: &mut FlowApp, dir: usize, seg: TcpSeg, payload: &[u8]) {
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
            let ctx = TcpCtx { server_port: f.rec_dport, other: if other.detect == DirDetect::Matched { st.proto } else { 0 }, other_failed: other.detect == DirDetect::NoMatch };
            match detect::detect_tcp(&st.d[dd].buf, dd == TO_SERVER, &ctx) {
                Detect::Proto(p, reverse) => {
                    st.d[dd].detect = DirDetect::Matched;
                    if st.proto == detect::NONE {
                        if reverse {
                            self.counters.flows_reversed += 1;
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
        let done = match &mut parser {
            Parser::None => true,
            Parser::Tls(t) => self.parse_tls(st, f, t, dir, ts_ns),
            Parser::Http(h) => {
                self.parse_http(st, f, h, dir, ts_ns);
                st.d[0].closed && st.d[1].closed && h.pending.is_empty()
            }
            Parser::DnsTcp => {
                self.parse_dns_tcp(st, f, dir, ts_ns);
                st.d[0].closed && st.d[1].closed
            }
            Parser::Ssh(s) => self.parse_ssh(st, f, s, dir, ts_ns),
            Parser::Ftp => {
                self.parse_ftp(st, f, dir, ts_ns);
                st.d[0].closed && st.d[1].closed
            }
            Parser::Magic => self.magic(st, f, ts_ns, false),
            Parser::DnsUdp | Parser::Quic { .. } => false,
        };
        st.parser = parser;
        done
    }

    fn parse_tls(&mut self, st: &mut FlowApp, f: &Flow, t: &mut TlsSt, dir: usize, ts_ns: u64) -> bool {
        let d = &mut st.d[dir];
        if dir == TO_SERVER && !t.client_done {
            match tls::parse_client_hello(&d.buf) {
                tls::Parse::Done(ch) => {
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
                let body = evidence::tls_body(t.ch.as_ref(), t.sh.as_ref(), t.cert.as_ref());
                self.emit(f, ts_ns, EV_TLS, false, body);
            }
            t.ch = None;
            t.sh = None;
            return true;
        }
        false
    }

    fn parse_http(&mut self, st: &mut FlowApp, f: &Flow, h: &mut HttpSt, dir: usize, ts_ns: u64) {
        for _ in 0..64 {
            let d = &mut st.d[dir];
            if d.closed && d.buf.is_empty() {
                return;
            }
            if d.buf.is_empty() {
                return;
            }
            if let Some(mut bs) = h.body[dir].take() {
                match http::skip_body(&mut bs, &d.buf) {
                    Ok(sk) => {
                        d.buf.drain(..sk.used.min(d.buf.len()));
                        if !sk.done {
                            h.body[dir] = Some(bs);
                            return;
                        }
                    }
                    Err(_) => {
                        close(d);
                        return;
                    }
                }
                continue;
            }
            if dir == TO_SERVER {
                let (reqs, used) = http::parse_requests(&d.buf, 32);
                if reqs.is_empty() {
                    d.buf.drain(..used.min(d.buf.len()));
                    if d.buf.len() >= http::MAX_HEAD.min(self.cfg.stream_depth) || used == 0 && !d.buf.is_empty() && http::looks_like_http_request(&d.buf) == Some(false) {
                        close(d);
                    }
                    return;
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
                    h.pending.push_back(r);
                }
                let d = &mut st.d[dir];
                d.buf.drain(..used.min(d.buf.len()));
                for (t, uri) in files {
                    self.emit(f, ts_ns, EV_FILEINFO, false, evidence::fileinfo_body(t, true, Some(&uri), Some("http")));
                }
                if used == 0 {
                    return;
                }
            } else {
                let methods: Vec<&str> = h.pending.iter().map(|r| r.method.as_str()).collect();
                let (resps, used) = http::parse_responses_for(&d.buf, 32, &methods);
                if resps.is_empty() {
                    d.buf.drain(..used.min(d.buf.len()));
                    if d.buf.len() >= http::MAX_HEAD.min(self.cfg.stream_depth) || used == 0 && !d.buf.is_empty() && http::looks_like_http_response(&d.buf) == Some(false) {
                        close(d);
                    }
                    return;
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
                    self.emit(f, ts_ns, EV_HTTP, false, evidence::http_body(req.as_ref(), Some(&r)));
                }
                if used == 0 {
                    return;
                }
            }
        }
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

    fn parse_ftp(&mut self, st: &mut FlowApp, f: &Flow, dir: usize, ts_ns: u64) {
        let d = &mut st.d[dir];
        let mut found = Vec::new();
        let mut start = 0;
        while let Some(nl) = d.buf[start..].iter().position(|&c| c == b'\n') {
            let line = &d.buf[start..start + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let ep = if dir == TO_SERVER { ftp::parse_client_line(line) } else { ftp::parse_server_line(line) };
            if let Some(ep) = ep {
                found.push(ep);
            }
            start += nl + 1;
        }
        d.buf.drain(..start);
        if d.buf.len() > 4096 {
            // An overlong line: drop it and resynchronise at the next line end.
            d.buf.clear();
        }
        for ep in found {
            let addr = match ep.addr {
                Some((a, _)) => a,
                // EPSV names a port on the control connection's server.
                None => f.server().0,
            };
            self.add_expectation(addr, ep.port, ts_ns);
        }
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
            match detect::detect_udp(payload, dir == TO_SERVER, f.rec_dport) {
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
            Parser::Quic { tries, done } => {
                if !*done && dir == TO_SERVER && *tries < QUIC_TRIES {
                    *tries += 1;
                    match quic::decrypt_client_initial(payload) {
                        Ok(p) => {
                            let hs = p.handshake_bytes();
                            // `01 <u24 length> body`
                            let ch = if hs.len() >= 4 && hs[0] == 1 {
                                let len = ((hs[1] as usize) << 16) | ((hs[2] as usize) << 8) | hs[3] as usize;
                                hs.get(4..4 + len).and_then(tls::client_hello_body)
                            } else {
                                None
                            };
                            if ch.is_some() || *tries >= QUIC_TRIES {
                                *done = true;
                                let body = evidence::quic_body(p.version, ch.as_ref());
                                self.emit(f, ts_ns, EV_QUIC, false, body);
                            }
                        }
                        Err(_) => self.counters.quic_decrypt_errors += 1,
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
        detect::FTP => Parser::Ftp,
        detect::FTP_DATA => Parser::Magic,
        detect::QUIC => Parser::Quic { tries: 0, done: false },
        _ => Parser::None,
    };
}
