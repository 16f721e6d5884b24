//! SMTP client commands (to the server). The `220` greeting is shared with FTP: `ftp.rs`'s
//! `banner` tells them apart.

use super::{any_prefix, Probe};

pub fn probe_client(b: &[u8]) -> Probe {
    any_prefix(b, &[b"EHLO", b"HELO"], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo() {
        assert_eq!(probe_client(b"ehlo mail.example.com\r\n"), Probe::Yes);
        assert_eq!(probe_client(b"EH"), Probe::Maybe);
        assert_eq!(probe_client(b"USER x"), Probe::No);
    }
}
