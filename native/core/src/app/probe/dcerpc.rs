//! DCE/RPC connection-oriented PDUs (TCP): version 5.0, a known packet type, a data
//! representation with only the defined bits, and a fragment length of at least a header.

use super::{be16, le16, Probe};

pub fn probe(b: &[u8]) -> Probe {
    if b.len() < 10 {
        let ok = b.first().map_or(true, |&v| v == 5) && b.get(1).map_or(true, |&v| v == 0);
        return if ok { Probe::Maybe } else { Probe::No };
    }
    if b[0] != 5 || b[1] != 0 || b[2] > 20 || b[4] & 0xee != 0 {
        return Probe::No;
    }
    let frag = if b[4] & 0x10 != 0 { le16(b, 8) } else { be16(b, 8) };
    match frag {
        Some(n) if n >= 16 => Probe::Yes,
        _ => Probe::No,
    }
}

/// DCE/RPC connectionless PDUs (UDP): version 4, a known packet type, an 80-byte header whose
/// body length (byte order from the data representation) accounts for the datagram.
pub fn probe_udp(b: &[u8]) -> Probe {
    if b.len() < 80 || b[0] != 4 || b[1] > 10 || b[4] & 0xee != 0 {
        return Probe::No;
    }
    let len = if b[4] & 0x10 != 0 { le16(b, 74) } else { be16(b, 74) };
    match len {
        Some(n) if 80 + n as usize <= b.len() => Probe::Yes,
        _ => Probe::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_pdu() {
        let bind = [5u8, 0, 11, 3, 0x10, 0, 0, 0, 0x48, 0, 0, 0];
        assert_eq!(probe(&bind), Probe::Yes);
        assert_eq!(probe(&bind[..3]), Probe::Maybe);
        assert_eq!(probe(&[5u8, 1, 11, 3, 0x10, 0, 0, 0, 0x48, 0]), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.0"), Probe::No);
        let mut cl = vec![0u8; 90];
        cl[0] = 4;
        cl[4] = 0x10;
        cl[74] = 10;
        assert_eq!(probe_udp(&cl), Probe::Yes);
        cl[74] = 11;
        assert_eq!(probe_udp(&cl), Probe::No);
    }
}
