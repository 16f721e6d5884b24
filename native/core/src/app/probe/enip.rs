//! EtherNet/IP encapsulation (TCP and UDP): a 24-byte header with a known command, a length
//! that fits, and zero options.

use super::{le16, le32, Probe};

const COMMANDS: [u16; 8] = [0x0000, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070];

pub fn probe(b: &[u8], udp: bool) -> Probe {
    if b.len() < 24 {
        let cmd_ok = le16(b, 0).map_or(true, |c| COMMANDS.contains(&c));
        return if udp || !cmd_ok { Probe::No } else { Probe::Maybe };
    }
    let cmd = le16(b, 0).unwrap_or(0xffff);
    let len = le16(b, 2).unwrap_or(0) as usize;
    let options = le32(b, 20).unwrap_or(1);
    if !COMMANDS.contains(&cmd) || options != 0 {
        return Probe::No;
    }
    let fits = !udp || 24 + len == b.len();
    if fits && (cmd != 0 || len == 0) {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_identity() {
        let mut h = [0u8; 24];
        h[0] = 0x63;
        assert_eq!(probe(&h, true), Probe::Yes);
        h[20] = 1;
        assert_eq!(probe(&h, true), Probe::No);
        assert_eq!(probe(&h[..10], false), Probe::Maybe);
    }
}
