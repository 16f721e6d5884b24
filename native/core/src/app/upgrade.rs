//! In-band upgrades to TLS: a connection that starts in a cleartext protocol and, after an
//! agreed exchange, carries TLS for the rest of both directions. What Suricata, Zeek and nDPI
//! follow by protocol logic:
//!
//! - SMTP `STARTTLS` answered `220` (RFC 3207; Suricata `app-layer-smtp.c`),
//! - IMAP `<tag> STARTTLS` answered `<tag> OK` (RFC 3501 6.2.1),
//! - POP3 `STLS` answered `+OK` (RFC 2595; Suricata `rust/src/pop3`),
//! - FTP `AUTH TLS` / `AUTH SSL` answered `234` (RFC 4217; Suricata `app-layer-ftp.c`),
//! - PostgreSQL SSLRequest answered `S` (Suricata `rust/src/pgsql`),
//! - LDAP extended request 1.3.6.1.4.1.1466.20037 answered success (RFC 4511 4.14),
//! - RDP X.224 Connection Confirm selecting SSL / CredSSP (MS-RDPBCGR 2.2.1.2.1).
//!
//! A [`Watch`] consumes a direction's complete cleartext messages (lines, PostgreSQL startup
//! messages, BER LDAP messages, TPKT frames) and says when TLS starts at the head of what
//! remains. A ClientHello record at a client message boundary switches the stream even when the
//! exchange before it was not seen (a sensor on a span port may miss segments); a ServerHello
//! switches it only after an agreed upgrade. Watching is bounded: at most `MAX_WATCH_BYTES` of
//! cleartext per direction, lines of at most `MAX_LINE` bytes, LDAP messages of at most
//! `ldap::MAX_MESSAGE`.

use super::probe::{be32, ldap, rdp};
use super::{detect, tls};

/// Cleartext bytes per direction looked through for an upgrade before watching stops.
pub const MAX_WATCH_BYTES: usize = 16 * 1024;
/// A longer line is dropped (and the scan resynchronises at the next line end).
pub const MAX_LINE: usize = 4096;
/// Longest IMAP tag remembered for matching the STARTTLS answer.
const MAX_TAG: usize = 32;
const PGSQL_SSL_REQUEST: u32 = 80877103;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Pgsql,
    Ldap,
    Rdp,
}

impl Kind {
    /// The protocols (by `detect` code) that can turn into TLS in-band.
    pub fn of(proto: u8) -> Option<Kind> {
        match proto {
            detect::SMTP => Some(Kind::Smtp),
            detect::IMAP => Some(Kind::Imap),
            detect::POP3 => Some(Kind::Pop3),
            detect::FTP => Some(Kind::Ftp),
            detect::PGSQL => Some(Kind::Pgsql),
            detect::LDAP => Some(Kind::Ldap),
            detect::RDP => Some(Kind::Rdp),
            _ => None,
        }
    }

    /// Does the flow's app_proto become `tls` after the upgrade? Suricata's parsers for SMTP,
    /// FTP, POP3, PostgreSQL and LDAP request a protocol change (`SCAppLayerRequestProtocolTLSUpgrade`)
    /// and the flow logs `app_proto: tls`; IMAP has detection only (no parser to see the
    /// upgrade) and RDP's parser reads the TLS handshake itself, so those keep their name.
    pub fn becomes_tls(self) -> bool {
        !matches!(self, Kind::Imap | Kind::Rdp)
    }

    fn is_line_based(self) -> bool {
        matches!(self, Kind::Smtp | Kind::Imap | Kind::Pop3 | Kind::Ftp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep watching (more bytes may be needed).
    Continue,
    /// TLS starts at the head of the direction's remaining bytes.
    Tls,
    /// No upgrade can follow (refused, budget spent, unexpected framing): stop watching.
    GiveUp,
}

#[derive(Debug)]
pub struct Watch {
    kind: Kind,
    /// Still looking (FTP goes on scanning lines for data connections after it stops).
    watching: bool,
    /// The client asked for the upgrade; the server's answer is awaited.
    asked: bool,
    /// The server agreed: both sides speak TLS next.
    granted: bool,
    tag: [u8; MAX_TAG],
    tag_len: usize,
    /// Cleartext bytes consumed per direction (0 = to server).
    seen: [usize; 2],
    /// PostgreSQL: the client's first (startup-phase) message has been judged.
    pg_first_done: bool,
}

impl Watch {
    pub fn new(kind: Kind) -> Watch {
        Watch { kind, watching: true, asked: false, granted: false, tag: [0; MAX_TAG], tag_len: 0, seen: [0, 0], pg_first_done: false }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn granted(&self) -> bool {
        self.granted
    }

    /// Consume complete cleartext messages from the head of `buf` (one direction's unparsed
    /// bytes). Returns the bytes consumed and what happens next. `on_line` sees every complete
    /// line of a line-based protocol (without its line end), watching or not.
    pub fn feed(&mut self, buf: &[u8], to_server: bool, on_line: &mut dyn FnMut(&[u8])) -> (usize, Step) {
        let dir = if to_server { 0 } else { 1 };
        let lines = self.kind.is_line_based();
        let mut used = 0;
        // GiveUp once watching stops in this call; line protocols still frame the rest of the
        // buffer (FTP's data-connection announcements must not wait for the next segment).
        let mut outcome = Step::Continue;
        // Bounded by the buffer: every turn consumes at least one byte or returns.
        loop {
            let rest = &buf[used..];
            if rest.is_empty() {
                return (used, outcome);
            }
            if self.watching {
                // TLS at a message boundary: a ClientHello from the client (agreed or not), a
                // ServerHello from the server once agreed.
                if to_server || self.granted {
                    match tls::starts_hello_record(rest, to_server) {
                        Some(true) => return (used, Step::Tls),
                        None if rest[0] == 0x16 => return (used, outcome),
                        _ => {}
                    }
                }
                // Agreed, and the client speaks something else; or the budget is spent.
                if (to_server && self.granted) || self.seen[dir] >= MAX_WATCH_BYTES {
                    self.watching = false;
                    outcome = Step::GiveUp;
                }
            }
            if !self.watching && !lines {
                return (used, Step::GiveUp);
            }
            let framed = if lines {
                self.next_line(rest, to_server, on_line)
            } else {
                match self.kind {
                    Kind::Pgsql => self.pgsql(rest, to_server),
                    Kind::Ldap => self.ldap(rest, to_server),
                    _ => self.rdp(rest, to_server),
                }
            };
            let (n, step) = match framed {
                Some(x) => x,
                None => return (used, outcome),
            };
            used += n;
            self.seen[dir] = self.seen[dir].saturating_add(n);
            if step == Step::GiveUp {
                self.watching = false;
                outcome = Step::GiveUp;
            }
        }
    }

    /// One line: Some((bytes, step)), None while the line is incomplete.
    fn next_line(&mut self, rest: &[u8], to_server: bool, on_line: &mut dyn FnMut(&[u8])) -> Option<(usize, Step)> {
        let nl = match rest.iter().take(MAX_LINE + 1).position(|&c| c == b'\n') {
            Some(p) => p,
            // An overlong line: dropped, the scan resumes at the next line end.
            None if rest.len() > MAX_LINE => return Some((rest.len(), Step::Continue)),
            None => return None,
        };
        let line = &rest[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        on_line(line);
        let step = if self.watching { self.on_line(line, to_server) } else { Step::Continue };
        Some((nl + 1, step))
    }

    fn on_line(&mut self, line: &[u8], to_server: bool) -> Step {
        if to_server {
            let asks = match self.kind {
                Kind::Smtp => trim(line).eq_ignore_ascii_case(b"STARTTLS"),
                Kind::Pop3 => trim(line).eq_ignore_ascii_case(b"STLS"),
                Kind::Ftp => {
                    let l = trim(line);
                    l.len() >= 8 && l[..5].eq_ignore_ascii_case(b"AUTH ") && (l[5..8].eq_ignore_ascii_case(b"TLS") || l[5..8].eq_ignore_ascii_case(b"SSL"))
                }
                Kind::Imap => match line.iter().position(|&c| c == b' ') {
                    Some(sp) if sp > 0 && sp <= MAX_TAG && trim(&line[sp + 1..]).eq_ignore_ascii_case(b"STARTTLS") => {
                        self.tag[..sp].copy_from_slice(&line[..sp]);
                        self.tag_len = sp;
                        true
                    }
                    _ => false,
                },
                _ => false,
            };
            if asks {
                self.asked = true;
            }
            return Step::Continue;
        }
        if !self.asked {
            return Step::Continue;
        }
        let verdict = match self.kind {
            Kind::Smtp => reply_code_verdict(line, b"220"),
            Kind::Ftp => reply_code_verdict(line, b"234"),
            Kind::Pop3 => {
                if line.starts_with(b"+OK") {
                    Some(true)
                } else if line.starts_with(b"-ERR") {
                    Some(false)
                } else {
                    None
                }
            }
            Kind::Imap => {
                let tag = &self.tag[..self.tag_len];
                match line.strip_prefix(tag).and_then(|r| r.strip_prefix(b" ")) {
                    Some(r) => Some(r.len() >= 2 && r[..2].eq_ignore_ascii_case(b"OK")),
                    None => None,
                }
            }
            _ => None,
        };
        match verdict {
            Some(true) => self.granted = true,
            Some(false) => self.asked = false,
            None => {}
        }
        Step::Continue
    }

    /// PostgreSQL: only the startup phase matters: an SSLRequest first, answered by one byte.
    fn pgsql(&mut self, rest: &[u8], to_server: bool) -> Option<(usize, Step)> {
        if to_server {
            if self.pg_first_done {
                return Some((rest.len(), Step::GiveUp));
            }
            let (len, code) = (be32(rest, 0)?, be32(rest, 4)?);
            self.pg_first_done = true;
            if len == 8 && code == PGSQL_SSL_REQUEST {
                self.asked = true;
                return Some((8, Step::Continue));
            }
            return Some((rest.len(), Step::GiveUp));
        }
        if self.asked && !self.granted && rest[0] == b'S' {
            self.granted = true;
            return Some((1, Step::Continue));
        }
        // 'N' (refused), or anything but the answer: the session stays cleartext.
        Some((rest.len(), Step::GiveUp))
    }

    fn ldap(&mut self, rest: &[u8], to_server: bool) -> Option<(usize, Step)> {
        let n = match ldap::message_len(rest) {
            Ok(Some(n)) => n,
            Ok(None) => return None,
            Err(()) => return Some((rest.len(), Step::GiveUp)),
        };
        let msg = &rest[..n];
        if to_server {
            if ldap::is_start_tls_request(msg) {
                self.asked = true;
            }
        } else if self.asked {
            match ldap::extended_response_ok(msg) {
                Some(true) => self.granted = true,
                Some(false) => self.asked = false,
                None => {}
            }
        }
        Some((n, Step::Continue))
    }

    fn rdp(&mut self, rest: &[u8], to_server: bool) -> Option<(usize, Step)> {
        let n = match rdp::tpkt_len(rest) {
            Some(n) => n,
            None if rest.len() < 4 => return None,
            None => return Some((rest.len(), Step::GiveUp)),
        };
        if rest.len() < n {
            return None;
        }
        if !to_server {
            match rdp::confirm_selects_tls(&rest[..n]) {
                Some(true) => self.granted = true,
                // Standard RDP security: the session is RDP's own encryption, never TLS.
                Some(false) => return Some((n, Step::GiveUp)),
                None => {}
            }
        }
        Some((n, Step::Continue))
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(0, |p| p + 1);
    &b[..end]
}

/// A reply line to the upgrade command: Some(true) for the positive code, Some(false) for a
/// 4xx / 5xx, None for other lines (continuations, answers to pipelined commands before it).
fn reply_code_verdict(line: &[u8], ok: &[u8]) -> Option<bool> {
    if line.starts_with(ok) {
        Some(true)
    } else if matches!(line.first(), Some(b'4') | Some(b'5')) && line.len() >= 3 && line[..3].iter().all(u8::is_ascii_digit) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ndpi smtp-starttls.pcap, first connection: the first 16 bytes of its ClientHello record.
    const CLIENT_HELLO_HEAD: &[u8] = b"\x16\x03\x01\x00\x6b\x01\x00\x00\x67\x03\x01\x52\xbb\x75\xe4\x4e";
    const SERVER_HELLO_HEAD: &[u8] = b"\x16\x03\x01\x00\x35\x02\x00\x00\x31\x03\x01\x52\xbb\x75\xe4\x01";

    fn feed(w: &mut Watch, b: &[u8], ts: bool) -> (usize, Step) {
        w.feed(b, ts, &mut |_| {})
    }

    #[test]
    fn smtp_starttls_then_client_hello() {
        let mut w = Watch::new(Kind::Smtp);
        assert_eq!(feed(&mut w, b"220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n", false), (51, Step::Continue));
        assert_eq!(feed(&mut w, b"EHLO xxxxxxxxxxxxx.xxx.com\r\n", true), (28, Step::Continue));
        let caps = b"250-mx.google.com at your service, [10.000.000.01]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
        assert_eq!(feed(&mut w, caps, false), (caps.len(), Step::Continue));
        assert!(!w.granted(), "a 250 line naming STARTTLS is not an agreement");
        assert_eq!(feed(&mut w, b"STARTTLS\r\n", true), (10, Step::Continue));
        assert_eq!(feed(&mut w, b"220 2.0.0 Ready to start TLS\r\n", false), (30, Step::Continue));
        assert!(w.granted());
        assert_eq!(feed(&mut w, CLIENT_HELLO_HEAD, true), (0, Step::Tls));
        assert_eq!(feed(&mut w, SERVER_HELLO_HEAD, false), (0, Step::Tls));
        // Part of a record header: wait.
        assert_eq!(feed(&mut w, &CLIENT_HELLO_HEAD[..3], true), (0, Step::Continue));
    }

    #[test]
    fn refusals_and_imposters() {
        let mut w = Watch::new(Kind::Smtp);
        feed(&mut w, b"STARTTLS\r\n", true);
        feed(&mut w, b"454 4.7.0 TLS not available\r\n", false);
        assert!(!w.granted());
        // A server that starts TLS on its own is not followed; a client that does is.
        assert_eq!(feed(&mut w, SERVER_HELLO_HEAD, false).1, Step::Continue);
        assert_eq!(feed(&mut w, CLIENT_HELLO_HEAD, true), (0, Step::Tls));
        // Agreed but the client sends a command: no TLS follows.
        let mut p = Watch::new(Kind::Pop3);
        feed(&mut p, b"STLS\r\n", true);
        feed(&mut p, b"+OK Begin TLS negotiation\r\n", false);
        assert_eq!(feed(&mut p, b"QUIT\r\n", true), (6, Step::GiveUp));
    }

    #[test]
    fn imap_tag_and_ftp_auth() {
        let mut w = Watch::new(Kind::Imap);
        feed(&mut w, b"a002 STARTTLS\r\n", true);
        feed(&mut w, b"* OK still here\r\nzz9 OK other\r\n", false);
        assert!(!w.granted(), "untagged or foreign-tag answers do not count");
        feed(&mut w, b"a002 OK Begin TLS negotiation now\r\n", false);
        assert!(w.granted());
        let mut lines = Vec::new();
        let mut f = Watch::new(Kind::Ftp);
        let (_, s) = f.feed(b"AUTH TLS\r\nPASV\r\n", true, &mut |l| lines.push(l.to_vec()));
        assert_eq!(s, Step::Continue);
        assert_eq!(lines, vec![b"AUTH TLS".to_vec(), b"PASV".to_vec()]);
        feed(&mut f, b"234 Proceed with negotiation.\r\n", false);
        assert!(f.granted());
    }

    #[test]
    fn pgsql_ssl_request() {
        // suricata-verify pgsql-upgrade-tls.pcap: SSLRequest, answered 'S'.
        let mut w = Watch::new(Kind::Pgsql);
        assert_eq!(feed(&mut w, b"\x00\x00\x00\x08\x04\xd2\x16\x2f", true), (8, Step::Continue));
        assert_eq!(feed(&mut w, b"S", false), (1, Step::Continue));
        assert!(w.granted());
        assert_eq!(feed(&mut w, CLIENT_HELLO_HEAD, true), (0, Step::Tls));
        let mut n = Watch::new(Kind::Pgsql);
        feed(&mut n, b"\x00\x00\x00\x08\x04\xd2\x16\x2f", true);
        assert_eq!(feed(&mut n, b"N", false), (1, Step::GiveUp));
        let mut plain = Watch::new(Kind::Pgsql);
        assert_eq!(feed(&mut plain, b"\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0", true).1, Step::GiveUp);
    }

    #[test]
    fn ldap_and_rdp() {
        let mut w = Watch::new(Kind::Ldap);
        assert_eq!(feed(&mut w, b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037", true), (31, Step::Continue));
        assert_eq!(feed(&mut w, b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00", false), (14, Step::Continue));
        assert!(w.granted());
        let mut r = Watch::new(Kind::Rdp);
        feed(&mut r, b"\x03\x00\x00\x2f\x2a\xe0\x00\x00\x00\x00\x00Cookie: mstshash=AWAKECODI\r\n\x01\x00\x08\x00\x03\x00\x00\x00", true);
        assert_eq!(feed(&mut r, b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x01\x08\x00\x02\x00\x00\x00", false), (19, Step::Continue));
        assert!(r.granted());
        let mut std_security = Watch::new(Kind::Rdp);
        assert_eq!(feed(&mut std_security, b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x01\x08\x00\x00\x00\x00\x00", false), (19, Step::GiveUp));
    }

    #[test]
    fn watching_is_bounded() {
        let mut w = Watch::new(Kind::Smtp);
        let line = b"250 ok\r\n";
        let mut total = 0;
        let mut steps = 0;
        loop {
            let (n, s) = feed(&mut w, line, false);
            total += n;
            steps += 1;
            if s == Step::GiveUp {
                break;
            }
            assert!(steps < MAX_WATCH_BYTES, "never gives up");
        }
        assert!(total >= MAX_WATCH_BYTES && total <= MAX_WATCH_BYTES + 2 * line.len(), "{}", total);
        // FTP stops watching but still frames every line it was given (a 227 reply in the
        // segment that spends the budget still announces its data connection).
        let mut f = Watch::new(Kind::Ftp);
        f.seen[1] = MAX_WATCH_BYTES;
        let mut seen_lines = 0;
        let (n, s) = f.feed(b"200 ok\r\n227 Entering Passive Mode (192,0,2,9,195,80).\r\n", false, &mut |_| seen_lines += 1);
        assert_eq!((n, s, seen_lines), (55, Step::GiveUp, 2));
        assert_eq!(feed(&mut f, b"226 done\r\n", false), (10, Step::Continue));
        // An endless line is dropped, not held.
        let mut l = Watch::new(Kind::Imap);
        let long = vec![b'a'; MAX_LINE + 10];
        assert_eq!(feed(&mut l, &long, true), (long.len(), Step::Continue));
        assert_eq!(feed(&mut l, &long[..100], true), (0, Step::Continue));
    }
}
