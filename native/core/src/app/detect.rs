//! app_proto detection by content, in the spirit of Suricata's pattern matcher plus probing
//! parsers (`app-layer-detect-proto.c`): each direction's first bytes (a TCP stream prefix, or
//! a UDP flow's first payload per direction) go through cheap probes; the first that claims
//! them names the protocol. The server port only orders the probes (the protocol registered
//! on that port is tried first); it decides nothing by itself, except where Suricata's own
//! probe is port-bound and content alone is ambiguous: an RPC *reply* (no program number) is
//! NFS only on 2049, and a `220` greeting that names neither FTP nor SMTP falls back to 21 /
//! 25, 465, 587 when the client has not spoken.
//!
//! Codes are the engine's u8 `app_proto`, mirrored in `agent/native/layout.ts` `APP_PROTOS`
//! (keep in lockstep). Names are Suricata 8's EVE spellings.

use super::probe::{self, ftp::Banner, Probe};
use super::{dns, gquic, http, quic, ssh, tls};

pub const NONE: u8 = 0;
pub const FAILED: u8 = 1;
pub const HTTP: u8 = 2;
pub const TLS: u8 = 3;
pub const DNS: u8 = 4;
pub const SSH: u8 = 5;
pub const SMB: u8 = 6;
pub const FTP: u8 = 7;
pub const SMTP: u8 = 8;
pub const QUIC: u8 = 9;
pub const NFS: u8 = 10;
pub const PGSQL: u8 = 11;
pub const DNP3: u8 = 12;
pub const FTP_DATA: u8 = 13;
pub const POP3: u8 = 14;
pub const IMAP: u8 = 15;
pub const TELNET: u8 = 16;
pub const DHCP: u8 = 17;
pub const NTP: u8 = 18;
pub const SNMP: u8 = 19;
pub const SIP: u8 = 20;
pub const RFB: u8 = 21;
pub const MQTT: u8 = 22;
pub const DCERPC: u8 = 23;
pub const IKE: u8 = 24;
pub const BITTORRENT_DHT: u8 = 25;
pub const ENIP: u8 = 26;
pub const HTTP2: u8 = 27;
pub const RDP: u8 = 28;
pub const LDAP: u8 = 29;

/// EVE names by code; index 0 (none yet) prints as null.
pub const NAMES: [&str; 30] = [
    "", "failed", "http", "tls", "dns", "ssh", "smb", "ftp", "smtp", "quic", "nfs", "pgsql", "dnp3", "ftp-data", "pop3", "imap", "telnet", "dhcp", "ntp", "snmp", "sip",
    "rfb", "mqtt", "dcerpc", "ike", "bittorrent-dht", "enip", "http2", "rdp", "ldap",
];

pub fn name(code: u8) -> Option<&'static str> {
    match code {
        0 => None,
        c => NAMES.get(c as usize).copied(),
    }
}

/// Bytes of a TCP direction looked at before detection gives that direction up.
pub const PROBE_DEPTH: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    /// The protocol; `reverse` when the content says this direction's sender is the server.
    Proto(u8, bool),
    NoMatch,
    NeedMore,
}

/// What detection knows about the rest of the flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpCtx {
    /// The flow's server port.
    pub server_port: u16,
    /// The flow's client port (the first sender's, which midstream may really be the server).
    pub client_port: u16,
    /// Protocol the other direction matched (0 = none yet).
    pub other: u8,
    /// The other direction's detection gave up.
    pub other_failed: bool,
    /// The session was picked up midstream (no SYN or SYN/ACK seen): content seen "to the
    /// server" may really come from the server (Suricata then matches the other direction's
    /// patterns and reverses the flow).
    pub midstream: bool,
}

fn port_hint(port: u16) -> u8 {
    match port {
        80 | 8080 | 8000 => HTTP,
        443 | 465 | 993 | 995 | 8443 => TLS,
        53 => DNS,
        22 => SSH,
        139 | 445 => SMB,
        21 => FTP,
        25 | 587 => SMTP,
        2049 => NFS,
        5432 => PGSQL,
        20000 => DNP3,
        110 => POP3,
        143 => IMAP,
        23 => TELNET,
        1883 => MQTT,
        5900 => RFB,
        5060 => SIP,
        135 => DCERPC,
        44818 => ENIP,
        3389 => RDP,
        389 | 3268 => LDAP,
        _ => NONE,
    }
}

fn dns_tcp(b: &[u8]) -> Probe {
    let len = match probe::be16(b, 0) {
        Some(l) => l as usize,
        None => return Probe::Maybe,
    };
    if len < 12 {
        return Probe::No;
    }
    let have = &b[2..];
    if have.len() < len && have.len() < 512 {
        // Judge the header bytes present: opcode QUERY/IQUERY/STATUS/NOTIFY/UPDATE, 1..16 questions.
        let opcode_ok = have.get(2).map_or(true, |f| matches!((f >> 3) & 0xf, 0 | 1 | 2 | 4 | 5));
        let qd_ok = probe::be16(have, 4).map_or(true, |q| (1..=16).contains(&q));
        return if opcode_ok && qd_ok { Probe::Maybe } else { Probe::No };
    }
    if dns::looks_like_dns(&have[..len.min(have.len())]) {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// One TCP probe by protocol code.
fn tcp_probe(code: u8, b: &[u8], ts: bool, ctx: &TcpCtx) -> (Probe, bool) {
    let p = match code {
        HTTP => Probe::from_opt(if ts { http::looks_like_http_request(b) } else { http::looks_like_http_response(b) }),
        HTTP2 if ts => probe::http2::probe(b),
        TLS => Probe::from_opt(tls::looks_like_tls(b)),
        SSH => Probe::from_opt(ssh::looks_like_ssh(b)),
        SMB => {
            let p = probe::smb::probe(b);
            // A reply header sent "to the server": the first sender is the server.
            return (p, p == Probe::Yes && ts && probe::smb::is_reply(b));
        }
        DCERPC => probe::dcerpc::probe(b),
        DNS => dns_tcp(b),
        NFS => probe::nfs::probe_tcp(b, ts, ctx.server_port),
        PGSQL => probe::pgsql::probe(b, ts),
        DNP3 => {
            let (p, from_master) = probe::dnp3::probe(b);
            // Frames from the master go to the outstation: seen in the other direction, the
            // flow's "client" is really the server.
            return (p, p == Probe::Yes && from_master != ts);
        }
        // QUIT opens no session by itself: only on the protocol's port (Suricata's probes).
        FTP if ts && ctx.server_port == 21 && probe::prefix(b, b"QUIT", true) == Probe::Yes => Probe::Yes,
        SMTP if ts && matches!(ctx.server_port, 25 | 465 | 587) && probe::prefix(b, b"QUIT", true) == Probe::Yes => Probe::Yes,
        FTP if ts => probe::ftp::probe_client(b),
        SMTP if ts => probe::smtp::probe_client(b),
        FTP | SMTP => match probe::ftp::banner(b) {
            Banner::Ftp => bool_probe(code == FTP),
            Banner::Smtp => bool_probe(code == SMTP),
            Banner::Not => Probe::No,
            Banner::NeedMore => Probe::Maybe,
            Banner::Either => {
                if ctx.other == FTP || ctx.other == SMTP {
                    bool_probe(ctx.other == code)
                } else if ctx.server_port == 21 {
                    bool_probe(code == FTP)
                } else if matches!(ctx.server_port, 25 | 465 | 587) {
                    bool_probe(code == SMTP)
                } else if ctx.other_failed {
                    Probe::No
                } else {
                    Probe::Maybe
                }
            }
        },
        POP3 => {
            // `USER` opens both POP3 and FTP sessions: a POP3 greeting claims the flow.
            if ts && ctx.other == POP3 {
                Probe::Yes
            } else {
                probe::pop3::probe(b, ts)
            }
        }
        IMAP => probe::imap::probe(b, ts),
        TELNET => probe::telnet::probe(b),
        MQTT if ts => probe::mqtt::probe(b),
        RFB => probe::rfb::probe(b),
        SIP => probe::sip::probe(b),
        ENIP => probe::enip::probe(b, false),
        // Port-bound, as Suricata registers them: a TPKT header and a BER sequence are short,
        // generic starts.
        RDP if ctx.server_port == 3389 => probe::rdp::probe(b, ts),
        LDAP if matches!(ctx.server_port, 389 | 3268) => probe::ldap::probe(b),
        _ => Probe::No,
    };
    (p, false)
}

fn bool_probe(b: bool) -> Probe {
    if b {
        Probe::Yes
    } else {
        Probe::No
    }
}

const TCP_ORDER: [u8; 22] = [HTTP, TLS, SSH, SMB, DNS, HTTP2, DCERPC, NFS, PGSQL, DNP3, POP3, FTP, SMTP, IMAP, TELNET, MQTT, RFB, SIP, ENIP, RDP, LDAP, NONE];

/// Detect on a TCP direction's stream prefix (`ts` = to server).
pub fn detect_tcp(b: &[u8], ts: bool, ctx: &TcpCtx) -> Detect {
    if b.is_empty() {
        return Detect::NeedMore;
    }
    let b = &b[..b.len().min(PROBE_DEPTH)];
    let hint = port_hint(ctx.server_port);
    let mut maybe = false;
    let order = std::iter::once(hint).chain(TCP_ORDER.iter().copied().filter(|&c| c != hint));
    for code in order {
        if code == NONE {
            continue;
        }
        match tcp_probe(code, b, ts, ctx) {
            // Midstream, a match for the protocol of the *client* port (and not of the server
            // port) means the first packet came from the server: Suricata's probing parsers try
            // the destination port, then the source port, and a source-port match reverses a
            // midstream flow (suricata-verify smb3-03-midstream: encrypted SMB3 from port 445).
            (Probe::Yes, rev) => {
                let by_client_port = ctx.midstream && port_hint(ctx.client_port) == code && port_hint(ctx.server_port) != code;
                return Detect::Proto(code, rev || by_client_port);
            }
            (Probe::Maybe, _) => maybe = true,
            (Probe::No, _) => {}
        }
    }
    if ctx.midstream {
        // Midstream: the stream may start with the other side's words.
        let other = if ts { http::looks_like_http_response(b) } else { http::looks_like_http_request(b) };
        match other {
            Some(true) => return Detect::Proto(HTTP, true),
            None => maybe = true,
            Some(false) => {}
        }
    }
    if maybe && b.len() < PROBE_DEPTH {
        Detect::NeedMore
    } else {
        Detect::NoMatch
    }
}

/// NetBIOS name service uses DNS's wire format with 32-character "first-level encoded"
/// names (letters A..P); Suricata does not call it DNS, and neither do we, except on port 53
/// where Suricata's DNS probe takes any message that parses.
fn is_netbios_ns(b: &[u8]) -> bool {
    b.len() >= 12 + 33 && b[12] == 32 && b[13..45].iter().all(|c| (b'A'..=b'P').contains(c))
}

/// Detect on one UDP payload (`ts` = to server; `ports` = client and server port). Never
/// NeedMore: a datagram is all there is.
pub fn detect_udp(b: &[u8], ts: bool, ports: (u16, u16)) -> Detect {
    let server_port = ports.1;
    if !is_netbios_ns(b) || ports.0 == 53 || ports.1 == 53 {
        if dns::looks_like_dns(b) {
            return Detect::Proto(DNS, false);
        }
        // On DNS's own port Suricata's probe takes any message that parses (odd opcodes too).
        // (A query needs a question; a response may carry none, as in dns-udp-junkrequest-first.)
        let is_response = b.get(2).map_or(false, |f| f & 0x80 != 0);
        let qd_ok = probe::be16(b, 4).map_or(false, |q| q <= 16 && (q >= 1 || is_response));
        if (ports.0 == 53 || ports.1 == 53) && qd_ok && dns::parse_message(b).is_ok() {
            return Detect::Proto(DNS, false);
        }
    }
    // A client's first QUIC datagram: an Initial, else a 0-RTT packet or a forcing-version-
    // negotiation Initial (the readable Initial follows), or a cleartext gQUIC CHLO.
    if quic::looks_like_quic_initial(b) || quic::looks_like_quic_client_start(b) || gquic::looks_like_gquic_chlo(b) {
        return Detect::Proto(QUIC, false);
    }
    let checks: [(u8, Probe); 9] = [
        (DHCP, probe::dhcp::probe(b)),
        (DCERPC, probe::dcerpc::probe_udp(b)),
        (NFS, probe::nfs::probe_udp(b, ts, server_port)),
        (SIP, probe::sip::probe(b)),
        // BER is too generic to claim a datagram on any port: SNMP only on its ports, as
        // Suricata registers it (suricata-verify dns-udp-junkrequest-first: SNMPv3 to port 53).
        (SNMP, if matches!(server_port, 161 | 162) || matches!(ports.0, 161 | 162) { probe::snmp::probe(b) } else { Probe::No }),
        (IKE, probe::ike::probe(b)),
        (NTP, probe::ntp::probe(b, ts, server_port)),
        (BITTORRENT_DHT, probe::bittorrent::probe(b)),
        (ENIP, probe::enip::probe(b, true)),
    ];
    for (code, p) in checks.iter() {
        if *p == Probe::Yes {
            return Detect::Proto(*code, false);
        }
    }
    Detect::NoMatch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(port: u16) -> TcpCtx {
        TcpCtx { server_port: port, ..TcpCtx::default() }
    }

    #[test]
    fn names_match_codes() {
        assert_eq!(name(HTTP2), Some("http2"));
        assert_eq!(name(BITTORRENT_DHT), Some("bittorrent-dht"));
        assert_eq!(name(FTP_DATA), Some("ftp-data"));
        assert_eq!(name(RDP), Some("rdp"));
        assert_eq!(name(LDAP), Some("ldap"));
        assert_eq!(name(NONE), None);
        assert_eq!(name(200), None);
    }

    #[test]
    fn tcp_by_content_not_port() {
        let c = ctx(443);
        assert_eq!(detect_tcp(b"GET / HTTP/1.1\r\n", true, &c), Detect::Proto(HTTP, false));
        assert_eq!(detect_tcp(b"\x16\x03\x01\x02\x00\x01", true, &ctx(80)), Detect::Proto(TLS, false));
        assert_eq!(detect_tcp(b"SSH-2.0-OpenSSH_9.6\r\n", false, &ctx(2222)), Detect::Proto(SSH, false));
        assert_eq!(detect_tcp(b"HTTP/1.1 200 OK\r\n", false, &ctx(9999)), Detect::Proto(HTTP, false));
        assert_eq!(detect_tcp(b"\x00\x00\x00\x66\xfeSMB", true, &ctx(1)), Detect::Proto(SMB, false));
        assert_eq!(detect_tcp(b"EHLO x\r\n", true, &ctx(1)), Detect::Proto(SMTP, false));
        assert_eq!(detect_tcp(b"+OK ready\r\n", false, &ctx(1)), Detect::Proto(POP3, false));
        assert_eq!(detect_tcp(b"G", true, &ctx(80)), Detect::NeedMore);
        assert_eq!(detect_tcp(b"\x01\x02\x03\x04garbage", true, &ctx(80)), Detect::NoMatch);
        assert_eq!(detect_tcp(&[0x41u8; PROBE_DEPTH + 10], true, &ctx(80)), Detect::NoMatch);
    }

    #[test]
    fn greeting_220_needs_context() {
        assert_eq!(detect_tcp(b"220 (vsFTPd 3.0.3)\r\n", false, &ctx(2121)), Detect::Proto(FTP, false));
        assert_eq!(detect_tcp(b"220 hello\r\n", false, &ctx(21)), Detect::Proto(FTP, false));
        assert_eq!(detect_tcp(b"220 hello\r\n", false, &ctx(25)), Detect::Proto(SMTP, false));
        assert_eq!(detect_tcp(b"220 hello\r\n", false, &ctx(2525)), Detect::NeedMore);
        let c = TcpCtx { server_port: 2525, other: SMTP, other_failed: false, midstream: false, ..TcpCtx::default() };
        assert_eq!(detect_tcp(b"220 hello\r\n", false, &c), Detect::Proto(SMTP, false));
    }

    #[test]
    fn dns_over_tcp_and_udp() {
        // Query for example.com A.
        let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
        let mut t = (q.len() as u16).to_be_bytes().to_vec();
        t.extend_from_slice(q);
        assert_eq!(detect_tcp(&t, true, &ctx(5353)), Detect::Proto(DNS, false));
        assert_eq!(detect_tcp(&t[..5], true, &ctx(53)), Detect::NeedMore);
        assert_eq!(detect_udp(q, true, (40000, 9999)), Detect::Proto(DNS, false));
        assert_eq!(detect_udp(b"hello world", true, (40000, 53)), Detect::NoMatch);
        // An odd opcode is still DNS on port 53, not elsewhere.
        let mut odd = q.to_vec();
        odd[2] = 0x30 | 0x01;
        assert_eq!(detect_udp(&odd, true, (40000, 53)), Detect::Proto(DNS, false));
        assert_eq!(detect_udp(&odd, true, (40000, 5353)), Detect::NoMatch);
        // NetBIOS name service: DNS format, not DNS.
        let mut nb = b"\x80\x01\x01\x10\x00\x01\x00\x00\x00\x00\x00\x00\x20".to_vec();
        nb.extend_from_slice(b"FHEPFCELEHFCEPFFFACACACACACACAAA\x00\x00\x20\x00\x01");
        assert_eq!(detect_udp(&nb, true, (137, 137)), Detect::NoMatch);
        // A first-level encoded name asked of a DNS server on port 53 is a DNS query: ndpi
        // netbios_wildcard_dns_query.pcap (SRV query for CKAAAA... = NetBIOS "*").
        let wildcard = b"\x80\xf0\x00\x10\x00\x01\x00\x00\x00\x00\x00\x00\x20CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01";
        assert_eq!(detect_udp(wildcard, true, (41335, 53)), Detect::Proto(DNS, false));
        assert_eq!(detect_udp(wildcard, true, (41335, 137)), Detect::NoMatch);
    }

    #[test]
    fn midstream_response_first_reverses() {
        let mid = TcpCtx { server_port: 40000, midstream: true, ..TcpCtx::default() };
        assert_eq!(detect_tcp(b"HTTP/1.1 200 OK\r\n", true, &mid), Detect::Proto(HTTP, true));
        assert_eq!(detect_tcp(b"GET / HTTP/1.1\r\n", false, &mid), Detect::Proto(HTTP, true));
        assert_eq!(detect_tcp(b"HTTP/1.1 200 OK\r\n", true, &ctx(40000)), Detect::NoMatch, "not midstream: no reversal");
        let mut reply = b"\x00\x00\x00\x40\xfeSMB".to_vec();
        reply.extend([0u8; 12]);
        reply.extend([1u8, 0, 0, 0]);
        assert_eq!(detect_tcp(&reply, true, &ctx(445)), Detect::Proto(SMB, true));
        assert_eq!(detect_tcp(&reply, false, &ctx(445)), Detect::Proto(SMB, false));
    }

    #[test]
    fn midstream_match_for_the_client_port_reverses() {
        // An SMB3 transform header (encrypted, no request/response bit), first seen from port
        // 445 (suricata-verify smb3-03-midstream.pcap frame 1): the flow's "client" is the server.
        let mut transform = b"\x00\x00\x00\xc4\xfdSMB".to_vec();
        transform.extend([0u8; 48]);
        let mid = TcpCtx { server_port: 38166, client_port: 445, midstream: true, ..TcpCtx::default() };
        assert_eq!(detect_tcp(&transform, true, &mid), Detect::Proto(SMB, true));
        // With a SYN seen the first sender is the client, whatever its port.
        let synced = TcpCtx { midstream: false, ..mid };
        assert_eq!(detect_tcp(&transform, true, &synced), Detect::Proto(SMB, false));
        // Both ports name the protocol: no reason to reverse.
        let both = TcpCtx { server_port: 139, ..mid };
        assert_eq!(detect_tcp(&transform, true, &both), Detect::Proto(SMB, false));
    }

    #[test]
    fn dnp3_response_first_reverses() {
        // A link header sent by the outstation (DIR bit clear), seen "to server".
        let mut h = [0x05u8, 0x64, 0x0a, 0x44, 0x01, 0x00, 0x0a, 0x00, 0, 0];
        let c = probe::dnp3::crc(&h[..8]);
        h[8..10].copy_from_slice(&c.to_le_bytes());
        assert_eq!(detect_tcp(&h, true, &ctx(20000)), Detect::Proto(DNP3, true));
        assert_eq!(detect_tcp(&h, false, &ctx(20000)), Detect::Proto(DNP3, false));
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let mut x: u32 = 12345;
        for len in 0..300usize {
            let mut b = vec![0u8; len];
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *v = x as u8;
            }
            for port in [0u16, 21, 25, 53, 2049, 20000] {
                let _ = detect_tcp(&b, true, &ctx(port));
                let _ = detect_tcp(&b, false, &ctx(port));
                let _ = detect_udp(&b, true, (port, port));
                let _ = detect_udp(&b, false, (port, 53));
            }
        }
    }
}
