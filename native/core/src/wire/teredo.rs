//! Teredo (RFC 4380): IPv6 in UDP, optionally preceded by an authentication header and/or an
//! origin indication. There is no header to check, so (like Suricata and Zeek) a payload is
//! taken as Teredo only if an IPv6 header with a non-empty payload fills the UDP payload
//! exactly. Bubbles (no next header) are not opened: neither tool makes a flow of them.
//!
//! On the Teredo port every payload is tried; on other ports [`looks_like_teredo`] first applies
//! Zeek's content test (Zeek finds Teredo by content on any UDP port).

use super::{be16, byte, ip_proto};

/// The Teredo UDP port.
pub const PORT: u16 = 3544;
/// Length of the origin indication (0x0000, port, address).
pub const ORIGIN_INDICATION_LEN: usize = 8;
/// Fixed part of the authentication header: indicator (0x0001), client id length, auth value
/// length, then (after id and value) an 8-byte nonce and a confirmation byte.
pub const AUTH_FIXED_LEN: usize = 13;

const IPV6_HEADER_LEN: usize = super::ipv6::HEADER_LEN;

/// The Teredo prefix 2001:0000::/32 (RFC 4380 section 2.6).
const TEREDO_PREFIX: [u8; 4] = [0x20, 0x01, 0x00, 0x00];

/// Length of the authentication header at the start of `payload`, if one is there and is
/// captured.
#[inline]
fn auth_len(payload: &[u8]) -> Option<usize> {
    let id = byte(payload, 2) as usize;
    let au = byte(payload, 3) as usize;
    let len = AUTH_FIXED_LEN + id + au;
    if payload.len() < len {
        return None;
    }
    Some(len)
}

/// Where the IPv6 packet starts inside a UDP payload, if this looks like Teredo. `payload` is
/// the UDP payload as captured, `stated_len` the UDP length field minus 8.
#[inline]
pub fn ipv6_offset(payload: &[u8], stated_len: usize) -> Option<usize> {
    let mut at = 0usize;
    // Authentication header (0x0001), then possibly an origin indication (0x0000).
    if byte(payload, 0) == 0 && byte(payload, 1) == 1 {
        at = auth_len(payload)?;
    }
    if byte(payload, at) == 0 {
        match payload.get(at + 1) {
            Some(0) => at += ORIGIN_INDICATION_LEN,
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

/// Zeek's test for Teredo on a port that is not [`PORT`]: an IPv6 header with a Teredo address
/// (2001:0::/32) as source or destination, or an origin indication (possibly after an
/// authentication header) followed by an IPv6 header, with room for a whole IPv6 header.
#[inline]
pub fn looks_like_teredo(payload: &[u8]) -> bool {
    let len = payload.len();
    if len < IPV6_HEADER_LEN {
        return false;
    }
    let (b0, b1) = (byte(payload, 0), byte(payload, 1));
    if b0 >> 4 == 6 {
        if payload.get(8..12) == Some(&TEREDO_PREFIX[..]) || payload.get(24..28) == Some(&TEREDO_PREFIX[..]) {
            return true;
        }
    } else if b0 != 0 || (b1 != 0 && b1 != 1) {
        return false;
    }
    let mut at = 0usize;
    let mut tag = b1 as u16;
    if tag == 1 {
        at = match auth_len(payload) {
            Some(n) => n,
            None => return false,
        };
        if len - at < IPV6_HEADER_LEN {
            return false;
        }
        tag = be16(payload, at..at + 2);
    }
    if tag != 0 {
        return false;
    }
    at += ORIGIN_INDICATION_LEN;
    len >= at + IPV6_HEADER_LEN && byte(payload, at) >> 4 == 6
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

    fn auth(id: u8, au: u8) -> Vec<u8> {
        let mut a = vec![0, 1, id, au];
        a.extend(std::iter::repeat(0x11).take(id as usize + au as usize + 9));
        a
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
    fn authentication() {
        let p = v6(8, 58);
        let a = [auth(0, 0), p.clone()].concat();
        assert_eq!(ipv6_offset(&a, a.len()), Some(13));
        let a = [auth(2, 3), vec![0, 0, 1, 2, 3, 4, 5, 6], p.clone()].concat();
        assert_eq!(ipv6_offset(&a, a.len()), Some(13 + 5 + 8));
        // Cut inside the authentication header, or an authentication header alone.
        assert_eq!(ipv6_offset(&a[..15], a.len()), None);
        let a = auth(4, 4);
        assert_eq!(ipv6_offset(&a, a.len()), None);
        // Origin indication then authentication is not allowed.
        let a = [vec![0, 0, 1, 2, 3, 4, 5, 6], auth(0, 0), p].concat();
        assert_eq!(ipv6_offset(&a, a.len()), None);
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
        let mut a = vec![0, 2, 0, 0];
        a.extend_from_slice(&v6(8, 17));
        assert_eq!(ipv6_offset(&a, a.len()), None, "unknown indicator");
        assert_eq!(ipv6_offset(&[0x60; 39], 39), None);
        assert_eq!(ipv6_offset(&[], 0), None);
        assert_eq!(ipv6_offset(&[0], 1), None);
    }

    #[test]
    fn content_test_for_other_ports() {
        let mut p = v6(8, 6);
        assert!(!looks_like_teredo(&p), "no Teredo address");
        p[8..12].copy_from_slice(&TEREDO_PREFIX);
        assert!(looks_like_teredo(&p), "Teredo source");
        let mut q = v6(0, 59);
        q[24..28].copy_from_slice(&TEREDO_PREFIX);
        assert!(looks_like_teredo(&q), "bubble to a Teredo address");
        assert!(!looks_like_teredo(&q[..39]));
        let o = [vec![0, 0, 1, 2, 3, 4, 5, 6], v6(8, 6)].concat();
        assert!(looks_like_teredo(&o));
        assert!(!looks_like_teredo(&o[..47]));
        let a = [auth(1, 1), vec![0, 0, 1, 2, 3, 4, 5, 6], v6(0, 59)].concat();
        assert!(looks_like_teredo(&a));
        let a = [auth(1, 1), v6(0, 59)].concat();
        assert!(!looks_like_teredo(&a), "authentication must be followed by an origin indication");
        assert!(!looks_like_teredo(&[0x45; 60]));
        assert!(!looks_like_teredo(&[
            0, 7, 0, 0, 0, 0, 0, 0, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ]));
        assert!(!looks_like_teredo(&[]));
    }
}
