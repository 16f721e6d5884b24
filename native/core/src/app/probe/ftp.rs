//! FTP: client commands, the `220` greeting (shared with SMTP), and the commands and replies
//! that announce a data connection (PORT, EPRT, 227, 229) so the engine can expect it.

use super::{any_prefix, has_line_end, Probe};

/// FTP commands that start a client stream (Suricata's patterns: USER, FEAT, PORT; plus the
/// AUTH TLS upgrade and anonymous logins' first commands).
pub fn probe_client(b: &[u8]) -> Probe {
    any_prefix(b, &[b"USER ", b"FEAT", b"PORT ", b"AUTH TLS", b"AUTH SSL", b"SYST\r\n"], true)
}

/// What a `220` greeting says about its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    Ftp,
    Smtp,
    /// A 220 greeting that names neither: the client's first command or the port decides.
    Either,
    Not,
    NeedMore,
}

/// Classify a server greeting: `220 ` or `220-` and a complete line. The text decides when it
/// names the protocol (`FTP`, `vsFTPd`, `(`, `SMTP`, `ESMTP`, `Postfix`, `Exim`, `mail`);
/// otherwise the caller uses the client side, then the well-known port.
pub fn banner(b: &[u8]) -> Banner {
    let start = [b'2', b'2', b'0'];
    for (i, c) in start.iter().enumerate() {
        match b.get(i) {
            None => return Banner::NeedMore,
            Some(x) if x != c => return Banner::Not,
            Some(_) => {}
        }
    }
    match b.get(3) {
        None => return Banner::NeedMore,
        Some(b' ') | Some(b'-') => {}
        Some(_) => return Banner::Not,
    }
    if !has_line_end(&b[4..], 1024) {
        return if b.len() > 1024 { Banner::Not } else { Banner::NeedMore };
    }
    let line_end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    let line = &b[4..line_end];
    let has = |pat: &[u8]| line.windows(pat.len()).any(|w| w.eq_ignore_ascii_case(pat));
    if b.get(4) == Some(&b'(') || has(b"ftp") {
        Banner::Ftp
    } else if has(b"smtp") || has(b"postfix") || has(b"exim") || has(b"sendmail") || has(b" mail") {
        Banner::Smtp
    } else {
        Banner::Either
    }
}

/// A data connection announced on the control channel: its server side (address and port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataEndpoint {
    /// IPv4 in the first 4 bytes (rest zero) or IPv6; None = the control connection's peer
    /// that sent/received it (EPSV/229 and EPRT with family 2 name only a port).
    pub addr: Option<([u8; 16], u8)>,
    pub port: u16,
}

fn six_numbers(s: &[u8]) -> Option<[u16; 6]> {
    let mut out = [0u16; 6];
    let mut n = 0;
    let mut cur: Option<u32> = None;
    for &c in s.iter().chain(std::iter::once(&b')')) {
        if c.is_ascii_digit() {
            let v = cur.unwrap_or(0) * 10 + (c - b'0') as u32;
            if v > 255 {
                return None;
            }
            cur = Some(v);
        } else {
            if let Some(v) = cur.take() {
                if n == 6 {
                    return None;
                }
                out[n] = v as u16;
                n += 1;
            }
            if c != b',' && n > 0 && n < 6 {
                return None;
            }
            if n == 6 {
                break;
            }
        }
    }
    if n == 6 {
        Some(out)
    } else {
        None
    }
}

fn v4(n: &[u16; 6]) -> DataEndpoint {
    let mut a = [0u8; 16];
    for i in 0..4 {
        a[i] = n[i] as u8;
    }
    DataEndpoint { addr: Some((a, 4)), port: (n[4] << 8) | n[5] }
}

/// `PORT h1,h2,h3,h4,p1,p2` or `EPRT |1|a.b.c.d|port|` / `EPRT |2|addr|port|` (client line).
pub fn parse_client_line(line: &[u8]) -> Option<DataEndpoint> {
    if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"PORT ") {
        return six_numbers(&line[5..]).map(|n| v4(&n));
    }
    if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"EPRT ") {
        let rest = &line[5..];
        let d = *rest.first()?;
        let parts: Vec<&[u8]> = rest.split(|&c| c == d).collect();
        // "", family, addr, port, ""
        let port: u16 = std::str::from_utf8(parts.get(3)?).ok()?.trim().parse().ok()?;
        let addr_s = std::str::from_utf8(parts.get(2)?).ok()?;
        let addr = match parts.get(1).copied() {
            Some(b"1") => {
                let ip: std::net::Ipv4Addr = addr_s.parse().ok()?;
                let mut a = [0u8; 16];
                a[..4].copy_from_slice(&ip.octets());
                Some((a, 4))
            }
            Some(b"2") => {
                let ip: std::net::Ipv6Addr = addr_s.parse().ok()?;
                Some((ip.octets(), 6))
            }
            _ => return None,
        };
        return Some(DataEndpoint { addr, port });
    }
    None
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` or `229 ... (|||port|)` (server line).
pub fn parse_server_line(line: &[u8]) -> Option<DataEndpoint> {
    if line.starts_with(b"227") {
        let open = line.iter().skip(3).position(|c| c.is_ascii_digit()).map(|p| p + 3)?;
        return six_numbers(&line[open..]).map(|n| v4(&n));
    }
    if line.starts_with(b"229") {
        let open = line.iter().position(|&c| c == b'(')?;
        let inner = &line[open + 1..];
        let d = *inner.first()?;
        let parts: Vec<&[u8]> = inner.split(|&c| c == d).collect();
        let port: u16 = std::str::from_utf8(parts.get(3)?).ok()?.trim().parse().ok()?;
        return Some(DataEndpoint { addr: None, port });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        assert_eq!(banner(b"220 (vsFTPd 3.0.3)\r\n"), Banner::Ftp);
        assert_eq!(banner(b"220 mx.example.com ESMTP Postfix\r\n"), Banner::Smtp);
        assert_eq!(banner(b"220 welcome\r\n"), Banner::Either);
        assert_eq!(banner(b"220 welc"), Banner::NeedMore);
        assert_eq!(banner(b"230 ok\r\n"), Banner::Not);
    }

    #[test]
    fn data_endpoints() {
        let p = parse_client_line(b"PORT 192,168,1,2,7,138").unwrap();
        assert_eq!((&p.addr.unwrap().0[..4], p.port), (&[192u8, 168, 1, 2][..], 7 * 256 + 138));
        let p = parse_server_line(b"227 Entering Passive Mode (10,0,0,1,195,80).").unwrap();
        assert_eq!((&p.addr.unwrap().0[..4], p.port), (&[10u8, 0, 0, 1][..], 195 * 256 + 80));
        let p = parse_server_line(b"229 Entering Extended Passive Mode (|||50123|)").unwrap();
        assert_eq!((p.addr, p.port), (None, 50123));
        let p = parse_client_line(b"EPRT |2|::1|5282|").unwrap();
        assert_eq!((p.addr.unwrap().1, p.port), (6, 5282));
        assert_eq!(parse_client_line(b"PORT 1,2,3"), None);
        assert_eq!(parse_client_line(b"PORT 999,2,3,4,5,6"), None);
        assert_eq!(parse_server_line(b"227 nothing"), None);
    }
}
