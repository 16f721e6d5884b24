//! IMAP: the server greeting `* OK` / `* PREAUTH` (to the client), or a tagged CAPABILITY /
//! LOGIN / STARTTLS command (to the server).

use super::{any_prefix, Probe};

pub fn probe(b: &[u8], to_server: bool) -> Probe {
    if !to_server {
        return any_prefix(b, &[b"* OK", b"* PREAUTH", b"* BYE"], true);
    }
    // `<tag> <command>`: a short alphanumeric tag, then a known command.
    let sp = match b.iter().take(16).position(|&c| c == b' ') {
        Some(p) if p > 0 => p,
        _ => return if b.len() < 16 && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'.') { Probe::Maybe } else { Probe::No },
    };
    if !b[..sp].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'.') {
        return Probe::No;
    }
    any_prefix(&b[sp + 1..], &[b"CAPABILITY", b"LOGIN ", b"STARTTLS", b"AUTHENTICATE ", b"ID ("], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_and_command() {
        assert_eq!(probe(b"* OK [CAPABILITY IMAP4rev1] ready\r\n", false), Probe::Yes);
        assert_eq!(probe(b"a001 CAPABILITY\r\n", true), Probe::Yes);
        assert_eq!(probe(b"a001 CAP", true), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", true), Probe::No);
        assert_eq!(probe(b"+OK", false), Probe::No);
    }
}
