//! Cheap content probes for app_proto detection, one file per protocol. Each answers from a
//! direction's first bytes (a TCP stream prefix, or one UDP payload) whether it starts like its
//! protocol: [`Probe::Yes`], [`Probe::No`], or [`Probe::Maybe`] while the bytes are a plausible
//! but too short start. They look at a bounded prefix only and never panic. The probes for TLS,
//! HTTP, DNS, SSH and QUIC live with their parsers (`looks_like_*`); `detect.rs` orders them.

pub mod bittorrent;
pub mod dcerpc;
pub mod dhcp;
pub mod dnp3;
pub mod enip;
pub mod ftp;
pub mod http2;
pub mod ike;
pub mod imap;
pub mod ldap;
pub mod mqtt;
pub mod nfs;
pub mod ntp;
pub mod pgsql;
pub mod pop3;
pub mod rdp;
pub mod rfb;
pub mod sip;
pub mod smb;
pub mod smtp;
pub mod snmp;
pub mod telnet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Yes,
    No,
    /// Too few bytes to tell yet.
    Maybe,
}

impl Probe {
    /// The parsers' `Option<bool>` convention (None = need more bytes).
    pub fn from_opt(o: Option<bool>) -> Probe {
        match o {
            Some(true) => Probe::Yes,
            Some(false) => Probe::No,
            None => Probe::Maybe,
        }
    }
}

/// Does `b` start with `pat` (ASCII case-insensitive when `ci`)? Maybe while `b` is a strict
/// prefix of it.
pub fn prefix(b: &[u8], pat: &[u8], ci: bool) -> Probe {
    let n = b.len().min(pat.len());
    let same = if ci { b[..n].eq_ignore_ascii_case(&pat[..n]) } else { b[..n] == pat[..n] };
    if !same {
        Probe::No
    } else if n < pat.len() {
        Probe::Maybe
    } else {
        Probe::Yes
    }
}

/// The first Yes of several patterns; Maybe if none matched but one still could.
pub fn any_prefix(b: &[u8], pats: &[&[u8]], ci: bool) -> Probe {
    let mut maybe = false;
    for p in pats {
        match prefix(b, p, ci) {
            Probe::Yes => return Probe::Yes,
            Probe::Maybe => maybe = true,
            Probe::No => {}
        }
    }
    if maybe {
        Probe::Maybe
    } else {
        Probe::No
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Is there a line end within the first `max` bytes?
pub(crate) fn has_line_end(b: &[u8], max: usize) -> bool {
    b.iter().take(max).any(|&c| c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_rules() {
        assert_eq!(prefix(b"EHLO x", b"ehlo", true), Probe::Yes);
        assert_eq!(prefix(b"EH", b"EHLO", false), Probe::Maybe);
        assert_eq!(prefix(b"", b"EHLO", false), Probe::Maybe);
        assert_eq!(prefix(b"EHLX", b"EHLO", false), Probe::No);
        assert_eq!(any_prefix(b"HE", &[b"EHLO", b"HELO"], false), Probe::Maybe);
        assert_eq!(any_prefix(b"XX", &[b"EHLO", b"HELO"], false), Probe::No);
    }
}
