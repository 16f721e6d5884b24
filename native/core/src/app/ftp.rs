//! FTP control-channel transactions, logged as Suricata's `ftp` EVE event: each client command
//! (`command`, `command_data`) with the server's reply lines (`reply`, `completion_code`) up to
//! its final (non-1xx) reply. Detection and the data-connection announcements (PORT, PASV,
//! EPRT, EPSV) live in `probe/ftp.rs`; this file only pairs lines, which `upgrade::Watch`
//! frames for both.
//!
//! Bounded: at most `MAX_PENDING` commands wait for replies (the oldest is logged without a
//! reply beyond that), each keeps at most `MAX_REPLY_LINES` reply lines of at most `MAX_TEXT`
//! bytes. The argument of PASS is never logged (Zeek's default, `<hidden>`).

use std::collections::VecDeque;

/// Commands waiting for their final reply (pipelined clients send several).
pub const MAX_PENDING: usize = 16;
/// Reply lines kept per command (a multi-line reply counts each line).
pub const MAX_REPLY_LINES: usize = 4;
/// Bytes kept of an argument or a reply line (so a flow's pending state stays under ~20 KiB).
pub const MAX_TEXT: usize = 256;
/// Longest command token taken as a command (RFC 959 commands are 3-4 letters; extensions longer).
const MAX_COMMAND: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FtpCommand {
    /// Upper-cased command token (`STOR`).
    pub command: String,
    /// Its argument (`secrets.zip`), `<hidden>` for PASS; empty when none.
    pub data: String,
    /// Reply lines as sent (without line end).
    pub replies: Vec<String>,
    /// The 3-digit code of each reply line that ends a reply (preliminary 1xx ones too).
    pub codes: Vec<String>,
    /// A final reply arrived (false: logged at eviction or at the end of the connection).
    pub reply_received: bool,
}

#[derive(Debug, Default)]
pub struct Control {
    pending: VecDeque<FtpCommand>,
    /// Inside a multi-line reply started by `NNN-`: its code.
    multi: Option<[u8; 3]>,
    /// Commands logged without a reply because `MAX_PENDING` were waiting.
    pub evicted: u64,
}

/// At most `MAX_TEXT` bytes of `b` as text (invalid UTF-8 replaced, which can grow it: cut again
/// at a character boundary).
fn text(b: &[u8]) -> String {
    super::json::cut(&String::from_utf8_lossy(&b[..b.len().min(MAX_TEXT)]), MAX_TEXT).to_string()
}

fn reply_code(line: &[u8]) -> Option<[u8; 3]> {
    match line {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => Some([*a, *b, *c]),
        _ => None,
    }
}

impl Control {
    /// A complete client line. Returns a command pushed out of a full queue (log it as is).
    pub fn client_line(&mut self, line: &[u8]) -> Option<FtpCommand> {
        let line = trim(line);
        let (token, rest) = match line.iter().position(|&c| c == b' ') {
            Some(i) => (&line[..i], trim(&line[i + 1..])),
            None => (line, &line[line.len()..]),
        };
        if token.is_empty() || token.len() > MAX_COMMAND || !token.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let command = String::from_utf8_lossy(token).to_ascii_uppercase();
        let data = if command == "PASS" && !rest.is_empty() { "<hidden>".to_string() } else { text(rest) };
        let evicted = if self.pending.len() >= MAX_PENDING {
            self.evicted += 1;
            self.pending.pop_front()
        } else {
            None
        };
        self.pending.push_back(FtpCommand { command, data, ..FtpCommand::default() });
        evicted
    }

    /// A complete server line. Returns the command its final reply completed.
    pub fn server_line(&mut self, line: &[u8]) -> Option<FtpCommand> {
        // Only trailing space is trimmed: RFC 959 pads a continuation line that would start with
        // a number, so a leading space says "not a reply code".
        let line = trim_end(line);
        let code = reply_code(line);
        let ends_reply = match (self.multi, code) {
            // Inside a multi-line reply only `NNN ` (same code, then a space or the end) ends it.
            (Some(m), Some(c)) => c == m && line.get(3).map_or(true, |&b| b == b' '),
            (Some(_), None) => false,
            (None, Some(c)) => {
                if line.get(3) == Some(&b'-') {
                    self.multi = Some(c);
                    false
                } else {
                    true
                }
            }
            // Not a reply line: nothing to pair (a banner continuation, noise).
            (None, None) => return None,
        };
        // A greeting or an unsolicited reply has no command to attach to.
        let head = self.pending.front_mut()?;
        if head.replies.len() < MAX_REPLY_LINES {
            head.replies.push(text(trim(line)));
        }
        if !ends_reply {
            return None;
        }
        self.multi = None;
        let c = code.unwrap_or(*b"000");
        head.codes.push(String::from_utf8_lossy(&c).into_owned());
        if c[0] == b'1' {
            // Preliminary (150 Opening data connection): the command goes on.
            return None;
        }
        let mut done = self.pending.pop_front()?;
        done.reply_received = true;
        Some(done)
    }

    /// The connection ended: every command still waiting, in order.
    pub fn finish(&mut self) -> Vec<FtpCommand> {
        self.multi = None;
        self.pending.drain(..).collect()
    }
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn trim(b: &[u8]) -> &[u8] {
    let mut b = trim_end(b);
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zeek ftp__cwd-navigation.pcap and suricata-verify ftp captures: a login, a passive upload.
    #[test]
    fn pairs_commands_with_final_replies() {
        let mut c = Control::default();
        assert_eq!(c.server_line(b"220 ProFTPD Server ready."), None, "greeting: no command");
        assert_eq!(c.client_line(b"USER anonymous"), None);
        assert_eq!(c.server_line(b"331 Anonymous login ok, send your complete email address as your password"), Some(FtpCommand {
            command: "USER".into(),
            data: "anonymous".into(),
            replies: vec!["331 Anonymous login ok, send your complete email address as your password".into()],
            codes: vec!["331".into()],
            reply_received: true,
        }));
        c.client_line(b"PASS secret@example.org");
        let pass = c.server_line(b"230 Anonymous access granted").unwrap();
        assert_eq!((pass.command.as_str(), pass.data.as_str()), ("PASS", "<hidden>"));
        c.client_line(b"stor  secrets.zip ");
        assert_eq!(c.server_line(b"150 Opening BINARY mode data connection for secrets.zip"), None, "1xx is preliminary");
        let stor = c.server_line(b"226 Transfer complete").unwrap();
        assert_eq!((stor.command.as_str(), stor.data.as_str()), ("STOR", "secrets.zip"));
        assert_eq!(stor.codes, vec!["150".to_string(), "226".to_string()]);
        assert_eq!(stor.replies.len(), 2);
    }

    #[test]
    fn multi_line_replies_end_on_their_code_and_a_space() {
        let mut c = Control::default();
        c.client_line(b"FEAT");
        for l in [&b"211-Features:"[..], b" MDTM", b" 211 is not the end"] {
            assert_eq!(c.server_line(l), None, "{}", String::from_utf8_lossy(l));
        }
        let feat = c.server_line(b"211 End").unwrap();
        assert_eq!(feat.codes, vec!["211".to_string()]);
        assert_eq!(feat.replies, vec!["211-Features:".to_string(), "MDTM".into(), "211 is not the end".into(), "211 End".into()]);
        // Long values are cut.
        c.client_line(&[&b"STOR "[..], &[b'x'; 1000]].concat());
        assert_eq!(c.server_line(b"226 ok").unwrap().data.len(), MAX_TEXT);
    }

    #[test]
    fn bounded_queue_and_end_of_connection() {
        let mut c = Control::default();
        let mut evicted = Vec::new();
        for i in 0..MAX_PENDING + 3 {
            if let Some(e) = c.client_line(format!("NOOP {}", i).as_bytes()) {
                evicted.push(e);
            }
        }
        assert_eq!(evicted.len(), 3);
        assert_eq!(c.evicted, 3);
        assert!(evicted.iter().all(|e| !e.reply_received));
        assert_eq!(evicted[0].data, "0");
        let rest = c.finish();
        assert_eq!(rest.len(), MAX_PENDING);
        assert_eq!(rest[0].data, "3");
        // Not commands: empty, overlong or non-alphanumeric tokens.
        assert_eq!(c.client_line(b""), None);
        assert_eq!(c.client_line(b"\x16\x03\x01\x02\x00"), None);
        assert_eq!(c.client_line(&[b'A'; 40]), None);
        assert!(c.finish().is_empty());
        // Many reply lines: kept up to the bound.
        c.client_line(b"HELP");
        c.server_line(b"214-help");
        for _ in 0..50 {
            c.server_line(b" line");
        }
        assert_eq!(c.server_line(b"214 end").unwrap().replies.len(), MAX_REPLY_LINES);
    }
}
