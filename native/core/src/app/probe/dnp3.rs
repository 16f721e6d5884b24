//! DNP3 link layer: start bytes 0x05 0x64, a length of at least 5, and a valid header CRC
//! (CRC-16/DNP), as Suricata's probing parser checks. The DIR bit tells who sent the frame:
//! set = from the master (the client).

use super::{le16, Probe};

/// CRC-16/DNP (reflected polynomial 0xA6BC, final complement).
pub fn crc(data: &[u8]) -> u16 {
    let mut c: u16 = 0;
    for &b in data {
        c ^= b as u16;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xA6BC } else { c >> 1 };
        }
    }
    !c
}

/// Probe; on Yes also whether the frame was sent by the master (DIR bit).
pub fn probe(b: &[u8]) -> (Probe, bool) {
    let start_ok = b.first().map_or(true, |&v| v == 0x05) && b.get(1).map_or(true, |&v| v == 0x64);
    if !start_ok {
        return (Probe::No, false);
    }
    if b.len() < 10 {
        return (Probe::Maybe, false);
    }
    if b[2] < 5 || le16(b, 8) != Some(crc(&b[..8])) {
        return (Probe::No, false);
    }
    (Probe::Yes, b[3] & 0x80 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_crc() {
        // A link header from a real DNP3 request (master -> outstation).
        let mut h = [0x05u8, 0x64, 0x0b, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0, 0];
        let c = crc(&h[..8]);
        h[8..10].copy_from_slice(&c.to_le_bytes());
        assert_eq!(probe(&h), (Probe::Yes, true));
        h[3] = 0x44;
        assert_eq!(probe(&h).0, Probe::No, "CRC no longer matches");
        assert_eq!(probe(&h[..4]).0, Probe::Maybe);
        assert_eq!(probe(b"\x05\x65").0, Probe::No);
        // Known CRC-16/DNP check value for "123456789".
        assert_eq!(crc(b"123456789"), 0xEA82);
    }
}
