//! IKE (v1 and v2) over UDP: the ISAKMP header's version and exchange type, and a length that
//! covers the header. On port 4500 a 4-byte zero non-ESP marker precedes it.

use super::{be32, Probe};

pub fn probe(b: &[u8]) -> Probe {
    let h = if b.len() >= 4 && b[..4] == [0, 0, 0, 0] { &b[4..] } else { b };
    if h.len() < 28 {
        return Probe::No;
    }
    let version = h[17];
    let exch = h[18];
    let len = be32(h, 24).unwrap_or(0) as usize;
    let v1 = version == 0x10 && (exch <= 6 || (32..=34).contains(&exch));
    let v2 = version == 0x20 && (34..=37).contains(&exch);
    if (v1 || v2) && len >= 28 && len <= h.len() && h[16] <= 53 {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ikev2_sa_init() {
        let mut h = vec![0u8; 40];
        h[0] = 0x11;
        h[16] = 33;
        h[17] = 0x20;
        h[18] = 34;
        h[24..28].copy_from_slice(&40u32.to_be_bytes());
        assert_eq!(probe(&h), Probe::Yes);
        h[17] = 0x30;
        assert_eq!(probe(&h), Probe::No);
    }
}
