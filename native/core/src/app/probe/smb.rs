//! SMB over NetBIOS session service / direct TCP: a session message (type 0) whose payload
//! starts with the SMB1, SMB2 or SMB3-transform magic.

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    match b.first() {
        None => return Probe::Maybe,
        Some(0) => {}
        Some(_) => return Probe::No,
    }
    let magic = match b.get(4..8) {
        Some(m) => m,
        None => {
            let tail = b.get(4..).unwrap_or(&[]);
            let could = [b"\xffSMB", b"\xfeSMB", b"\xfdSMB"].iter().any(|m| m.starts_with(tail));
            return if could { Probe::Maybe } else { Probe::No };
        }
    };
    if magic == b"\xffSMB" || magic == b"\xfeSMB" || magic == b"\xfdSMB" {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// Whether the SMB header after the NetBIOS header is a reply (SMB2/3 flags bit 0
/// SERVER_TO_REDIR; SMB1 flags bit 0x80).
pub fn is_reply(b: &[u8]) -> bool {
    match b.get(4) {
        Some(0xfe) => b.get(4 + 16).map_or(false, |f| f & 1 != 0),
        Some(0xff) => b.get(4 + 9).map_or(false, |f| f & 0x80 != 0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smb2_negotiate() {
        assert_eq!(probe(b"\x00\x00\x00\x66\xfeSMB\x40\x00"), Probe::Yes);
        assert_eq!(probe(b"\x00\x00\x00\x66\xfeS"), Probe::Maybe);
        assert_eq!(probe(b"\x00\x00\x00\x66GET "), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01"), Probe::No);
    }
}
