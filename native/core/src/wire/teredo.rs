//! Teredo (RFC 4380): IPv6 in UDP, optionally preceded by an origin indication. There is no
//! header to check, so (like Suricata) a payload is taken as Teredo only if an IPv6 header with
//! a non-empty payload fills the UDP payload exactly.

use super::{be16, byte, ip_proto};

/// The Teredo UDP port.
pub const PORT: u16 = 3544;
/// Length of the origin indication (0x0000, port, address).
pub const ORIGIN_INDICATION_LEN: usize = 8;

const IPV6_HEADER_LEN: usize = super::ipv6::HEADER_LEN;

/// Where the IPv6 packet starts inside a UDP payload, if this looks like Teredo. `payload` is
/// the UDP payload as captured, `stated_len` the UDP length field minus 8.
#[inline]
pub fn ipv6_offset(payload: &[u8], stated_len: usize) -> Option<usize> {
    let mut at = 0usize;
    if byte(payload, 0) == 0 {
        match payload.get(1) {
            // Origin indication: skip it.
            Some(0) => at = ORIGIN_INDICATION_LEN,
            // Authentication (qualification/negotiation, not a tunnelled packet), or anything
            // else with a zero first byte (not IPv6).
            _ => return None,
        }
    }
    let ip = payload.get(at..at + IPV6_HEADER_LEN)?;
    if byte(ip, 0) >> 4 != 6 {
        return None;
    }
    let plen = be16(ip, 4..6) as usize;
    if plen == 0 || byte(ip, 6) == ip_proto::NO_NEXT_HEADER {
        return None;
    }
    if at + IPV6_HEADER_LEN + plen != stated_len {
        return None;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(plen: u16, nh: u8) -> Vec<u8> {
        let mut b = vec![0x60, 0, 0, 0];
        b.extend_from_slice(&plen.to_be_bytes());
        b.push(nh);
        b.push(64);
        b.extend_from_slice(&[0u8; 32]);
        b.extend(std::iter::repeat(0xab).take(plen as usize));
        b
    }

    #[test]
    fn plain_and_origin_indication() {
        let p = v6(8, 17);
        assert_eq!(ipv6_offset(&p, p.len()), Some(0));
        assert_eq!(ipv6_offset(&p, p.len() + 1), None, "must fill the UDP payload");
        let mut o = vec![0, 0, 0x12, 0x34, 1, 2, 3, 4];
        o.extend_from_slice(&p);
        assert_eq!(ipv6_offset(&o, o.len()), Some(8));
    }

    #[test]
    fn not_teredo() {
        let p = v6(0, 17);
        assert_eq!(ipv6_offset(&p, p.len()), None, "empty payload");
        let p = v6(8, 59);
        assert_eq!(ipv6_offset(&p, p.len()), None, "no next header");
        let mut p = v6(8, 17);
        p[0] = 0x45;
        assert_eq!(ipv6_offset(&p, p.len()), None);
        let mut a = vec![0, 1, 0, 0];
        a.extend_from_slice(&v6(8, 17));
        assert_eq!(ipv6_offset(&a, a.len()), None, "authentication");
        assert_eq!(ipv6_offset(&[0x60; 39], 39), None);
        assert_eq!(ipv6_offset(&[], 0), None);
    }
}
