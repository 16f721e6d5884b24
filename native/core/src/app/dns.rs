//! DNS messages (RFC 1035) over UDP and TCP: header, questions and answer records.
//!
//! Names are kept **as received** (no lowercasing, no trailing dot): Suricata's EVE
//! `dns.queries[].rrname` / `dns.rrname` print the original case (suricata-verify
//! `dns-udp-junkrequest-first` expects `catenacyber.Fr`, `dns/bug-1158` expects mixed-case
//! base64 labels), and Zeek's `dns.query` keeps the case with `policy/protocols/dns/original_case`
//! (`dns_original_case.pcap`: `us.v27.distributed.net`). Bytes outside printable ASCII and the
//! characters `.` and `\` inside a label are written as `\xNN` so a name never becomes ambiguous.
//! The root name is the empty string. Zeek's default `dns.query`/`dns.answers` are lowercased
//! (`dns-two-responses.pcap` carries `WWW-CMU.ANDREW.cmu.edu`, Zeek prints
//! `www-cmu.andrew.cmu.edu`): compare with Zeek case-insensitively.
//!
//! Bounds: a name is at most 255 wire bytes (longer is an error), compression-pointer hops at
//! most 32, at most 16 questions and 64 answers are kept (`answers_truncated` says more were
//! announced or the message ended inside the answer section), TXT and NULL keep at most 1 KiB per record.
//! Authority and additional sections are not parsed.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest name on the wire (RFC 1035 3.1), in bytes including length octets.
pub const MAX_NAME_WIRE: usize = 255;
/// Most compression pointers followed while reading one name.
pub const MAX_POINTER_HOPS: usize = 32;
/// Most answers kept per message.
pub const MAX_ANSWERS: usize = 64;
/// Most questions kept per message.
pub const MAX_QUERIES: usize = 16;
/// Most TXT bytes (all character-strings together) kept per record.
pub const MAX_TXT: usize = 1024;
/// Most messages returned by one `split_tcp_messages` call.
pub const MAX_TCP_MESSAGES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    /// Shorter than the 12-byte header.
    ShortHeader,
    /// The question section ends before its announced records.
    Truncated,
    /// A label type 0x40/0x80 (reserved / obsolete extended labels).
    BadLabel,
    /// More than `MAX_POINTER_HOPS` compression pointers (or a pointer loop).
    TooManyHops,
    /// A name longer than 255 wire bytes.
    NameTooLong,
    /// A compression pointer outside the message.
    BadPointer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub name: String,
    pub rrtype: u16,
    pub rrtype_name: &'static str,
    pub class: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Ns(String),
    Ptr(String),
    Mx {
        preference: u16,
        exchange: String,
    },
    /// The character-strings, each as received (lossy UTF-8), at most `MAX_TXT` bytes in all.
    Txt(Vec<String>),
    /// SOA: primary name server only.
    Soa {
        mname: String,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    /// HTTPS (65) / SVCB (64): priority and target name only.
    Svcb {
        priority: u16,
        target: String,
    },
    /// NULL (10): the rdata bytes as received, at most `MAX_TXT` of them (DNS tunnels carry
    /// their payload here: suricata-verify `dns-udp-null`).
    Null(Vec<u8>),
    /// Any other type, or a known type whose rdata did not parse: the rdata length.
    Raw {
        len: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub name: String,
    pub rrtype: u16,
    pub rrtype_name: &'static str,
    pub class: u16,
    pub ttl: u32,
    pub data: AnswerData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub is_response: bool,
    pub opcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub rcode: u8,
    pub rcode_name: &'static str,
    pub qdcount: u16,
    pub ancount: u16,
    pub queries: Vec<Query>,
    pub answers: Vec<Answer>,
    /// More answers were announced than kept, or the message ended inside the answers.
    pub answers_truncated: bool,
}

/// RCODE mnemonic (RFC 1035 / 2136 / 6895), the spelling Suricata's `dns.rcode` and Zeek's
/// `dns.rcode_name` use (`NOERROR`, `NXDOMAIN`, ...).
pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => "UNKNOWN",
    }
}

/// RR type mnemonic as Suricata prints it in `rrtype` (`A`, `AAAA`, `CNAME`, ...).
pub fn rrtype_name(t: u16) -> &'static str {
    match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        44 => "SSHFP",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => "UNKNOWN",
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the name at `at` in `msg`; returns the text and the offset just after the name as it
/// sits at `at` (after the first pointer if any).
pub fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), DnsError> {
    let mut out = String::new();
    let mut pos = at;
    let mut end: Option<usize> = None;
    let mut hops = 0usize;
    let mut wire = 0usize;
    let mut first = true;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    wire += 1;
                    if wire > MAX_NAME_WIRE {
                        return Err(DnsError::NameTooLong);
                    }
                    let after = end.unwrap_or(pos + 1);
                    return Ok((out, after));
                }
                let l = len as usize;
                wire += 1 + l;
                if wire > MAX_NAME_WIRE {
                    return Err(DnsError::NameTooLong);
                }
                let label = msg.get(pos + 1..pos + 1 + l).ok_or(DnsError::Truncated)?;
                if !first {
                    out.push('.');
                }
                first = false;
                for &c in label {
                    if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                        out.push(c as char);
                    } else {
                        out.push_str(&format!("\\x{:02x}", c));
                    }
                }
                pos += 1 + l;
            }
            0xC0 => {
                let lo = *msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(DnsError::TooManyHops);
                }
                let target = (((len & 0x3F) as usize) << 8) | lo as usize;
                if target >= msg.len() {
                    return Err(DnsError::BadPointer);
                }
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}

fn parse_rdata(msg: &[u8], rrtype: u16, start: usize, rdlen: usize) -> AnswerData {
    let raw = AnswerData::Raw { len: rdlen as u16 };
    let rd = match msg.get(start..start + rdlen) {
        Some(r) => r,
        None => return raw,
    };
    let name_at = |off: usize| read_name(msg, start + off).ok().map(|(n, _)| n);
    let parsed = match rrtype {
        1 if rdlen == 4 => Some(AnswerData::A(Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]))),
        28 if rdlen == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rd);
            Some(AnswerData::Aaaa(Ipv6Addr::from(a)))
        }
        5 => name_at(0).map(AnswerData::Cname),
        2 => name_at(0).map(AnswerData::Ns),
        12 => name_at(0).map(AnswerData::Ptr),
        6 => name_at(0).map(|mname| AnswerData::Soa { mname }),
        15 if rdlen >= 3 => {
            let preference = be16(rd, 0).unwrap_or(0);
            name_at(2).map(|exchange| AnswerData::Mx {
                preference,
                exchange,
            })
        }
        33 if rdlen >= 7 => {
            let priority = be16(rd, 0).unwrap_or(0);
            let weight = be16(rd, 2).unwrap_or(0);
            let port = be16(rd, 4).unwrap_or(0);
            name_at(6).map(|target| AnswerData::Srv {
                priority,
                weight,
                port,
                target,
            })
        }
        64 | 65 if rdlen >= 3 => {
            let priority = be16(rd, 0).unwrap_or(0);
            name_at(2).map(|target| AnswerData::Svcb { priority, target })
        }
        10 => Some(AnswerData::Null(rd[..rd.len().min(MAX_TXT)].to_vec())),
        16 => {
            let mut parts = Vec::new();
            let mut kept = 0usize;
            let mut i = 0usize;
            while i < rd.len() {
                let l = rd[i] as usize;
                let s = match rd.get(i + 1..i + 1 + l) {
                    Some(s) => s,
                    None => break,
                };
                let room = MAX_TXT.saturating_sub(kept);
                if room == 0 {
                    break;
                }
                let take = &s[..l.min(room)];
                kept += take.len();
                parts.push(String::from_utf8_lossy(take).into_owned());
                i += 1 + l;
            }
            Some(AnswerData::Txt(parts))
        }
        _ => None,
    };
    parsed.unwrap_or(raw)
}

/// Parses one DNS message (a UDP payload, or one message from `split_tcp_messages`).
pub fn parse_message(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::ShortHeader);
    }
    let id = be16(msg, 0).ok_or(DnsError::ShortHeader)?;
    let flags = be16(msg, 2).ok_or(DnsError::ShortHeader)?;
    let qdcount = be16(msg, 4).ok_or(DnsError::ShortHeader)?;
    let ancount = be16(msg, 6).ok_or(DnsError::ShortHeader)?;
    let rcode = (flags & 0x0F) as u8;
    let mut m = DnsMessage {
        id,
        is_response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0F) as u8,
        aa: flags & 0x0400 != 0,
        tc: flags & 0x0200 != 0,
        rd: flags & 0x0100 != 0,
        ra: flags & 0x0080 != 0,
        rcode,
        rcode_name: rcode_name(rcode),
        qdcount,
        ancount,
        queries: Vec::new(),
        answers: Vec::new(),
        answers_truncated: false,
    };
    let mut pos = 12usize;
    for i in 0..qdcount as usize {
        let (name, after) = read_name(msg, pos)?;
        let rrtype = be16(msg, after).ok_or(DnsError::Truncated)?;
        let class = be16(msg, after + 2).ok_or(DnsError::Truncated)?;
        pos = after + 4;
        if i < MAX_QUERIES {
            m.queries.push(Query {
                name,
                rrtype,
                rrtype_name: rrtype_name(rrtype),
                class,
            });
        }
    }
    for i in 0..ancount as usize {
        if i >= MAX_ANSWERS {
            m.answers_truncated = true;
            break;
        }
        let rec = (|| -> Option<(Answer, usize)> {
            let (name, after) = read_name(msg, pos).ok()?;
            let rrtype = be16(msg, after)?;
            let class = be16(msg, after + 2)?;
            let ttl = be32(msg, after + 4)?;
            let rdlen = be16(msg, after + 8)? as usize;
            let start = after + 10;
            let end = start.checked_add(rdlen)?;
            if end > msg.len() {
                return None;
            }
            let data = parse_rdata(msg, rrtype, start, rdlen);
            Some((
                Answer {
                    name,
                    rrtype,
                    rrtype_name: rrtype_name(rrtype),
                    class,
                    ttl,
                    data,
                },
                end,
            ))
        })();
        match rec {
            Some((a, end)) => {
                m.answers.push(a);
                pos = end;
            }
            None => {
                m.answers_truncated = true;
                break;
            }
        }
    }
    Ok(m)
}

/// Splits a TCP byte stream into DNS messages using the 2-byte length prefix (RFC 1035 4.2.2).
/// Returns the complete messages (without prefix) and the bytes consumed; an incomplete tail is
/// left for the next call. Zero-length messages are consumed and dropped. At most
/// `MAX_TCP_MESSAGES` per call (call again with the rest).
pub fn split_tcp_messages(stream: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while out.len() < MAX_TCP_MESSAGES {
        let len = match be16(stream, pos) {
            Some(l) => l as usize,
            None => break,
        };
        let body = match stream.get(pos + 2..pos + 2 + len) {
            Some(b) => b,
            None => break,
        };
        if len > 0 {
            out.push(body);
        }
        pos += 2 + len;
    }
    (out, pos)
}

/// Heuristic for app_proto detection on a UDP payload: a plausible header (opcode QUERY,
/// IQUERY, STATUS, NOTIFY or UPDATE; 1..=16 questions; section counts that fit the payload)
/// and a first question whose name parses, followed by type and a class of IN, CH, HS, NONE or
/// ANY (the top bit, mDNS "unicast response", is ignored).
pub fn looks_like_dns(udp_payload: &[u8]) -> bool {
    let flags = match be16(udp_payload, 2) {
        Some(f) => f,
        None => return false,
    };
    if udp_payload.len() < 17 {
        return false;
    }
    let opcode = (flags >> 11) & 0x0F;
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5) {
        return false;
    }
    let qd = be16(udp_payload, 4).unwrap_or(0);
    if qd == 0 || qd > 16 {
        return false;
    }
    // Each record needs at least 11 bytes; the counts must fit in what is there.
    let total: usize = (4..12)
        .step_by(2)
        .map(|o| be16(udp_payload, o).unwrap_or(0) as usize)
        .sum();
    if total.saturating_mul(5) > udp_payload.len() {
        return false;
    }
    let after = match read_name(udp_payload, 12) {
        Ok((_, a)) => a,
        Err(_) => return false,
    };
    let class = match be16(udp_payload, after + 2) {
        Some(c) => c & 0x7FFF,
        None => return false,
    };
    matches!(class, 1 | 3 | 4 | 254 | 255)
}

/// Text of an answer's data the way Suricata's EVE `dns.answers[].rdata` prints it: dotted
/// IPv4, IPv6 as eight zero-padded groups (`2001:4860:0000:2001:0000:0000:0000:0068`, from
/// suricata-verify `decode-teredo-01`), names as received; None for raw data.
pub fn rdata_text(d: &AnswerData) -> Option<String> {
    Some(match d {
        AnswerData::A(a) => a.to_string(),
        AnswerData::Aaaa(a) => {
            let s = a.segments();
            s.iter()
                .map(|g| format!("{:04x}", g))
                .collect::<Vec<_>>()
                .join(":")
        }
        AnswerData::Cname(n) | AnswerData::Ns(n) | AnswerData::Ptr(n) => n.clone(),
        AnswerData::Mx { exchange, .. } => exchange.clone(),
        AnswerData::Txt(parts) => parts.concat(),
        AnswerData::Soa { mname } => mname.clone(),
        AnswerData::Srv { target, .. } | AnswerData::Svcb { target, .. } => target.clone(),
        AnswerData::Null(bytes) => suricata_bytes_text(bytes),
        AnswerData::Raw { .. } => return None,
    })
}

/// Bytes as Suricata's `JsonBuilder::set_string_from_bytes` prints them: valid UTF-8 as it
/// is, anything else byte by byte, ASCII as itself and bytes from 0x80 as `\xNN` (the JSON
/// writer then escapes control characters as `\u00NN`). suricata-verify `dns-udp-null`: NULL
/// rdata `56 41 43 4b 44 03 c5 e9 01` is printed `"VACKD\u0003\\xc5\\xe9\u0001"`.
pub fn suricata_bytes_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() * 2);
            for &b in bytes {
                if b < 0x80 {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("\\x{:02x}", b));
                }
            }
            out
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn name(n: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for l in n.split('.').filter(|l| !l.is_empty()) {
            v.push(l.len() as u8);
            v.extend_from_slice(l.as_bytes());
        }
        v.push(0);
        v
    }

    fn header(id: u16, flags: u16, qd: u16, an: u16) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [id, flags, qd, an, 0, 0] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    fn query(n: &str, t: u16) -> Vec<u8> {
        let mut m = header(0x1234, 0x0100, 1, 0);
        m.extend(name(n));
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m
    }

    fn rr(m: &mut Vec<u8>, owner: &[u8], t: u16, ttl: u32, rdata: &[u8]) {
        m.extend_from_slice(owner);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&ttl.to_be_bytes());
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }

    #[test]
    fn query_keeps_case() {
        let m = parse_message(&query("catenacyber.Fr", 1)).unwrap();
        assert!(!m.is_response);
        assert_eq!(m.id, 0x1234);
        assert_eq!(m.queries[0].name, "catenacyber.Fr");
        assert_eq!(m.queries[0].rrtype_name, "A");
        assert!(looks_like_dns(&query("catenacyber.Fr", 1)));
    }

    #[test]
    fn response_all_types() {
        let mut m = header(7, 0x8180, 1, 10);
        m.extend(name("ipv6.google.com"));
        m.extend_from_slice(&[0, 28, 0, 1]);
        let ptr = [0xC0, 12];
        let mut cname = name("ipv6.l.google.com");
        rr(&mut m, &ptr, 5, 300, &cname);
        rr(
            &mut m,
            &ptr,
            28,
            60,
            &[
                0x20, 0x01, 0x48, 0x60, 0, 0, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x68,
            ],
        );
        rr(&mut m, &ptr, 1, 60, &[1, 2, 3, 4]);
        rr(&mut m, &ptr, 2, 60, &[0xC0, 12]);
        rr(&mut m, &ptr, 12, 60, &[0xC0, 12]);
        let mut mx = vec![0, 10];
        mx.extend(name("mail.x"));
        rr(&mut m, &ptr, 15, 60, &mx);
        rr(&mut m, &ptr, 16, 60, b"\x05hello\x05world");
        let mut srv = vec![0, 1, 0, 2, 0x01, 0xBB];
        srv.extend(name("t.x"));
        rr(&mut m, &ptr, 33, 60, &srv);
        let mut https = vec![0, 1];
        https.extend(name("svc.x"));
        https.extend_from_slice(&[0, 1, 0, 0]);
        rr(&mut m, &ptr, 65, 60, &https);
        cname.extend_from_slice(&[0; 20]);
        rr(&mut m, &ptr, 6, 60, &cname);
        let d = parse_message(&m).unwrap();
        assert!(d.is_response);
        assert_eq!(d.rcode_name, "NOERROR");
        assert_eq!(d.answers.len(), 10);
        assert!(!d.answers_truncated);
        assert_eq!(d.answers[0].name, "ipv6.google.com");
        assert_eq!(
            d.answers[0].data,
            AnswerData::Cname("ipv6.l.google.com".into())
        );
        assert_eq!(
            rdata_text(&d.answers[1].data).unwrap(),
            "2001:4860:0000:2001:0000:0000:0000:0068"
        );
        assert_eq!(rdata_text(&d.answers[2].data).unwrap(), "1.2.3.4");
        assert_eq!(d.answers[3].data, AnswerData::Ns("ipv6.google.com".into()));
        assert_eq!(d.answers[4].data, AnswerData::Ptr("ipv6.google.com".into()));
        assert_eq!(
            d.answers[5].data,
            AnswerData::Mx {
                preference: 10,
                exchange: "mail.x".into()
            }
        );
        assert_eq!(
            d.answers[6].data,
            AnswerData::Txt(vec!["hello".into(), "world".into()])
        );
        assert_eq!(
            d.answers[7].data,
            AnswerData::Srv {
                priority: 1,
                weight: 2,
                port: 443,
                target: "t.x".into()
            }
        );
        assert_eq!(
            d.answers[8].data,
            AnswerData::Svcb {
                priority: 1,
                target: "svc.x".into()
            }
        );
        assert_eq!(
            d.answers[9].data,
            AnswerData::Soa {
                mname: "ipv6.l.google.com".into()
            }
        );
        assert_eq!(d.answers[9].ttl, 60);
    }

    #[test]
    fn rcode_names() {
        let mut m = header(1, 0x8183, 0, 0);
        assert_eq!(parse_message(&m).unwrap().rcode_name, "NXDOMAIN");
        m[3] = 0x82;
        assert_eq!(parse_message(&m).unwrap().rcode_name, "SERVFAIL");
        m[3] = 0x85;
        assert_eq!(parse_message(&m).unwrap().rcode_name, "REFUSED");
        m[3] = 0x8F;
        assert_eq!(parse_message(&m).unwrap().rcode_name, "UNKNOWN");
        assert_eq!(rrtype_name(9999), "UNKNOWN");
    }

    #[test]
    fn error_paths() {
        assert_eq!(parse_message(&[0; 11]), Err(DnsError::ShortHeader));
        // Question missing.
        assert_eq!(parse_message(&header(1, 0, 1, 0)), Err(DnsError::Truncated));
        // Type/class missing.
        let mut m = header(1, 0, 1, 0);
        m.extend(name("a.b"));
        assert_eq!(parse_message(&m), Err(DnsError::Truncated));
        // Reserved label type.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0x40, 0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::BadLabel));
        // Pointer loop.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::TooManyHops));
        // Pointer past the end.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0xC0, 200, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::BadPointer));
        // Truncated pointer.
        let mut m = header(1, 0, 1, 0);
        m.push(0xC0);
        assert_eq!(parse_message(&m), Err(DnsError::Truncated));
        // Name too long: 5 labels of 63.
        let mut m = header(1, 0, 1, 0);
        for _ in 0..5 {
            m.push(63);
            m.extend_from_slice(&[b'a'; 63]);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::NameTooLong));
        // Label past the end.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[10, b'a']);
        assert_eq!(parse_message(&m), Err(DnsError::Truncated));
    }

    #[test]
    fn answer_caps_and_truncation() {
        let mut m = query("a.b", 1);
        m[2] = 0x81;
        m[6..8].copy_from_slice(&100u16.to_be_bytes());
        for _ in 0..100 {
            rr(&mut m, &[0xC0, 12], 1, 1, &[9, 9, 9, 9]);
        }
        let d = parse_message(&m).unwrap();
        assert_eq!(d.answers.len(), MAX_ANSWERS);
        assert!(d.answers_truncated);
        // Announced but missing answer.
        let mut m = query("a.b", 1);
        m[7] = 2;
        rr(&mut m, &[0xC0, 12], 1, 1, &[9, 9, 9, 9]);
        m.extend_from_slice(&[0xC0, 12, 0, 1]);
        let d = parse_message(&m).unwrap();
        assert_eq!(d.answers.len(), 1);
        assert!(d.answers_truncated);
        // Bad rdata for known types falls back to raw.
        let mut m = query("a.b", 1);
        m[7] = 2;
        rr(&mut m, &[0xC0, 12], 1, 1, &[9, 9, 9]);
        rr(&mut m, &[0xC0, 12], 5, 1, &[0xC0]);
        let d = parse_message(&m).unwrap();
        assert_eq!(d.answers[0].data, AnswerData::Raw { len: 3 });
        assert_eq!(d.answers[1].data, AnswerData::Raw { len: 1 });
        assert_eq!(rdata_text(&d.answers[1].data), None);
        // TXT bounded.
        let mut txt = Vec::new();
        for _ in 0..10 {
            txt.push(255);
            txt.extend_from_slice(&[b'x'; 255]);
        }
        let mut m = query("a.b", 16);
        m[7] = 1;
        rr(&mut m, &[0xC0, 12], 16, 1, &txt);
        let d = parse_message(&m).unwrap();
        match &d.answers[0].data {
            AnswerData::Txt(p) => assert_eq!(p.iter().map(|s| s.len()).sum::<usize>(), MAX_TXT),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn null_rdata_as_suricata_prints_it() {
        // suricata-verify dns__dns-udp-null.pcap, the response (frame 2), whole UDP payload.
        let resp: [u8; 61] = [
            0x12, 0xb0, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x76,
            0x61, 0x61, 0x61, 0x61, 0x6b, 0x61, 0x72, 0x64, 0x6c, 0x69, 0x06, 0x70, 0x69, 0x72,
            0x61, 0x74, 0x65, 0x03, 0x73, 0x65, 0x61, 0x00, 0x00, 0x0a, 0x00, 0x01, 0xc0, 0x0c,
            0x00, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x56, 0x41, 0x43, 0x4b,
            0x44, 0x03, 0xc5, 0xe9, 0x01,
        ];
        let m = parse_message(&resp).unwrap();
        assert_eq!(m.queries[0].rrtype_name, "NULL");
        assert_eq!(m.answers[0].rrtype_name, "NULL");
        assert_eq!(
            m.answers[0].data,
            AnswerData::Null(b"VACKD\x03\xc5\xe9\x01".to_vec())
        );
        // Suricata's EVE: "VACKD\u0003\\xc5\\xe9\u0001" (the JSON writer escapes 03/01).
        assert_eq!(
            rdata_text(&m.answers[0].data).unwrap(),
            "VACKD\u{3}\\xc5\\xe9\u{1}"
        );
        if let Some(pk) = corpus_payloads("suricata-verify/pcaps/dns__dns-udp-null.pcap") {
            assert_eq!(pk.last().map(|p| p.3.as_slice()), Some(&resp[..]));
        }
        // Valid UTF-8 stays as it is; NULL rdata is bounded.
        assert_eq!(suricata_bytes_text("é\u{1}".as_bytes()), "é\u{1}");
        assert_eq!(suricata_bytes_text(&[0xff, b'a']), "\\xffa");
        let mut m = query("a.b", 10);
        m[7] = 1;
        rr(&mut m, &[0xC0, 12], 10, 1, &[7u8; 2000]);
        match &parse_message(&m).unwrap().answers[0].data {
            AnswerData::Null(b) => assert_eq!(b.len(), MAX_TXT),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn odd_label_bytes_escaped() {
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[3, b'a', b'.', 0xFF, 0, 0, 1, 0, 1]);
        let d = parse_message(&m).unwrap();
        assert_eq!(d.queries[0].name, "a\\x2e\\xff");
        // Root name.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0, 0, 2, 0, 1]);
        assert_eq!(parse_message(&m).unwrap().queries[0].name, "");
    }

    #[test]
    fn tcp_split() {
        let q = query("a.b", 1);
        let mut s = Vec::new();
        s.extend_from_slice(&(q.len() as u16).to_be_bytes());
        s.extend_from_slice(&q);
        s.extend_from_slice(&[0, 0]);
        s.extend_from_slice(&(q.len() as u16).to_be_bytes());
        s.extend_from_slice(&q);
        s.extend_from_slice(&[0, 50, 1, 2]);
        let (msgs, used) = split_tcp_messages(&s);
        assert_eq!(msgs.len(), 2);
        assert_eq!(used, s.len() - 4);
        assert_eq!(parse_message(msgs[1]).unwrap().queries[0].name, "a.b");
        assert_eq!(split_tcp_messages(&[0]), (Vec::new(), 0));
    }

    #[test]
    fn heuristic_rejects() {
        assert!(!looks_like_dns(b""));
        assert!(!looks_like_dns(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        let mut q = query("a.b", 1);
        q[2] = 0x18; // opcode 3
        assert!(!looks_like_dns(&q));
        let mut q = query("a.b", 1);
        q[5] = 0;
        assert!(!looks_like_dns(&q));
        let mut q = query("a.b", 1);
        let n = q.len();
        q[n - 1] = 9; // class 9
        assert!(!looks_like_dns(&q));
        let mut q = query("a.b", 1);
        q[7] = 200; // counts do not fit
        assert!(!looks_like_dns(&q));
    }

    /// UDP/TCP payloads of every decodable packet in a corpus pcap; None when absent.
    /// (IP protocol, source port, destination port, payload).
    pub(crate) type Payload = (u8, u16, u16, Vec<u8>);

    pub(crate) fn corpus_payloads(rel: &str) -> Option<Vec<Payload>> {
        let mut out = Vec::new();
        let found = crate::app::test_support::for_each_corpus_packet(rel, |meta, frame| {
            let po = meta.payload_off as usize;
            if let Some(p) = frame.get(po..po + meta.payload_len as usize) {
                out.push((meta.proto, meta.src_port, meta.dst_port, p.to_vec()));
            }
        });
        if found {
            Some(out)
        } else {
            None
        }
    }

    #[test]
    fn corpus_dns_two_responses() {
        // Zeek expectations (dns-two-responses.pcap): query `www.cmu.edu`, rcode NOERROR,
        // answers include `www-cmu.andrew.cmu.edu`, `www-cmu-2.andrew.cmu.edu`, 128.2.10.163.
        let pk = match corpus_payloads("zeek/pcaps/dns-two-responses.pcap") {
            Some(p) => p,
            None => return,
        };
        let mut seen_query = false;
        let mut texts = Vec::new();
        for (proto, sp, dp, p) in &pk {
            if *proto != 17 || (*sp != 53 && *dp != 53) {
                continue;
            }
            assert!(looks_like_dns(p));
            let m = parse_message(p).unwrap();
            assert_eq!(m.queries[0].name, "www.cmu.edu");
            if m.is_response {
                assert_eq!(m.rcode_name, "NOERROR");
                texts.extend(m.answers.iter().filter_map(|a| rdata_text(&a.data)));
            } else {
                seen_query = true;
            }
        }
        assert!(!pk.is_empty());
        let _ = seen_query;
        // On the wire the CNAMEs read `WWW-CMU.ANDREW.cmu.edu`: Zeek lowercases, we keep case.
        assert!(texts.iter().any(|t| t == "WWW-CMU.ANDREW.cmu.edu"));
        for want in [
            "www-cmu.andrew.cmu.edu",
            "www-cmu-2.andrew.cmu.edu",
            "128.2.10.163",
        ] {
            assert!(
                texts.iter().any(|t| t.eq_ignore_ascii_case(want)),
                "missing {} in {:?}",
                want,
                texts
            );
        }
    }

    #[test]
    fn corpus_original_case() {
        let pk = match corpus_payloads("zeek/pcaps/dns_original_case.pcap") {
            Some(p) => p,
            None => return,
        };
        let names: Vec<String> = pk
            .iter()
            .filter_map(|(_, _, _, p)| parse_message(p).ok())
            .filter_map(|m| m.queries.first().map(|q| q.name.clone()))
            .collect();
        assert!(
            names
                .iter()
                .any(|n| n.eq_ignore_ascii_case("us.v27.distributed.net")),
            "{:?}",
            names
        );
    }

    pub(crate) struct XorShift(pub u64);
    impl XorShift {
        pub fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn mutation_no_panic() {
        let mut seeds = vec![query("www.example.com", 28)];
        let mut m = query("a.b", 1);
        m[2] = 0x81;
        m[7] = 3;
        rr(&mut m, &[0xC0, 12], 5, 1, &[0xC0, 12]);
        rr(&mut m, &[0xC0, 12], 15, 1, &[0, 1, 0xC0, 12]);
        rr(&mut m, &[0xC0, 12], 16, 1, b"\x03abc");
        seeds.push(m);
        let mut r = XorShift(0x9E3779B97F4A7C15);
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].clone();
            let n = 1 + (r.next() % 6) as usize;
            for _ in 0..n {
                let k = (r.next() as usize) % b.len().max(1);
                match r.next() % 4 {
                    0 => b[k] = r.next() as u8,
                    1 => b.truncate(k),
                    2 => b.push(r.next() as u8),
                    _ => b[k] = 0xC0,
                }
                if b.is_empty() {
                    break;
                }
            }
            let _ = parse_message(&b);
            let _ = looks_like_dns(&b);
            let _ = split_tcp_messages(&b);
        }
    }
}
