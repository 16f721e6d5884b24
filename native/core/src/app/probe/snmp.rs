//! SNMP over UDP: a BER SEQUENCE whose first element is the version INTEGER (0, 1 or 3),
//! followed by a community OCTET STRING (v1/v2c) or the v3 header SEQUENCE.

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    if b.len() < 8 || b[0] != 0x30 {
        return Probe::No;
    }
    // Definite length, short or long form (1..2 bytes).
    let (len, at) = match b[1] {
        l if l < 0x80 => (l as usize, 2),
        0x81 => (b[2] as usize, 3),
        0x82 => (((b[2] as usize) << 8) | b[3] as usize, 4),
        _ => return Probe::No,
    };
    if at + len != b.len() {
        return Probe::No;
    }
    let v = match b.get(at..at + 3) {
        Some(v) => v,
        None => return Probe::No,
    };
    if v[0] != 0x02 || v[1] != 0x01 || !matches!(v[2], 0 | 1 | 3) {
        return Probe::No;
    }
    match b.get(at + 3) {
        // v1/v2c: community OCTET STRING, then a PDU (context tags 0xa0..0xa8).
        Some(0x04) if v[2] != 3 => {
            let clen = match b.get(at + 4) {
                Some(&l) if l < 0x80 => l as usize,
                _ => return Probe::No,
            };
            match b.get(at + 5 + clen) {
                Some(t) if (0xa0..=0xa8).contains(t) => Probe::Yes,
                _ => Probe::No,
            }
        }
        Some(0x30) if v[2] == 3 => Probe::Yes,
        _ => Probe::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2c_get() {
        let m = b"\x30\x0d\x02\x01\x01\x04\x06public\xa0\x00";
        assert_eq!(probe(m), Probe::Yes);
        assert_eq!(probe(&m[..10]), Probe::No, "length must match");
        assert_eq!(probe(b"\x30\x0d\x02\x01\x05\x04\x06public\xa0\x00"), Probe::No);
        assert_eq!(probe(b"\x30\x0d\x02\x01\x01\x04\x06public\x30\x00"), Probe::No, "no PDU");
    }
}
