//! POP3: the server's `+OK` greeting (to the client), or a POP3-only command (to the server;
//! `USER` is shared with FTP and left to the greeting).

use super::{any_prefix, Probe};

pub fn probe(b: &[u8], to_server: bool) -> Probe {
    if to_server {
        any_prefix(b, &[b"CAPA\r\n", b"STLS\r\n", b"APOP ", b"UIDL", b"RETR "], true)
    } else {
        any_prefix(b, &[b"+OK"], false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting() {
        assert_eq!(probe(b"+OK POP3 ready\r\n", false), Probe::Yes);
        assert_eq!(probe(b"+O", false), Probe::Maybe);
        assert_eq!(probe(b"220 x", false), Probe::No);
        assert_eq!(probe(b"CAPA\r\n", true), Probe::Yes);
    }
}
