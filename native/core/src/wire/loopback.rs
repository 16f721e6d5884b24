//! BSD loopback headers: LINKTYPE_NULL (a host-endian u32 address family, written by whatever
//! machine captured) and LINKTYPE_LOOP (the same in network byte order).

use super::{header, DecodeError};

/// Length of the NULL/LOOP header.
pub const HEADER_LEN: usize = 4;

/// Address-family values that announce IPv4 / IPv6 on the various BSDs, Linux, Solaris, Windows.
pub mod family {
    pub const INET: u32 = 2;
    pub const INET6_LINUX: u32 = 10;
    pub const INET6_WINSOCK: u32 = 23;
    pub const INET6_BSD: u32 = 24;
    pub const INET6_SOLARIS: u32 = 26;
    pub const INET6_FREEBSD: u32 = 28;
    pub const INET6_DARWIN: u32 = 30;
}

/// What an address family announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Ipv4,
    Ipv6,
    Other,
}

/// Classify an address family value.
#[inline]
pub fn classify(af: u32) -> Family {
    match af {
        family::INET => Family::Ipv4,
        family::INET6_LINUX
        | family::INET6_WINSOCK
        | family::INET6_BSD
        | family::INET6_SOLARIS
        | family::INET6_FREEBSD
        | family::INET6_DARWIN => Family::Ipv6,
        _ => Family::Other,
    }
}

/// The 4-byte loopback header.
#[derive(Debug, Clone, Copy)]
pub struct LoopbackHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> LoopbackHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(LoopbackHeader { hdr: header(buf)? })
    }

    /// LINKTYPE_NULL family. The header is in the capturing host's byte order, which the file
    /// does not say; families are small numbers, so the reading whose upper half is zero wins.
    #[inline]
    pub fn family_host_order(&self) -> u32 {
        let le = u32::from_le_bytes(*self.hdr);
        if le <= 0xffff {
            le
        } else {
            u32::from_be_bytes(*self.hdr)
        }
    }

    /// LINKTYPE_LOOP family (network byte order).
    #[inline]
    pub fn family_network_order(&self) -> u32 {
        u32::from_be_bytes(*self.hdr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_both_byte_orders() {
        let le = LoopbackHeader::new_checked(&[2, 0, 0, 0]).unwrap();
        assert_eq!(le.family_host_order(), 2);
        let be = LoopbackHeader::new_checked(&[0, 0, 0, 30]).unwrap();
        assert_eq!(be.family_host_order(), 30);
        assert_eq!(be.family_network_order(), 30);
        assert_eq!(classify(2), Family::Ipv4);
        for v6 in [10, 23, 24, 26, 28, 30] {
            assert_eq!(classify(v6), Family::Ipv6);
        }
        assert_eq!(classify(7), Family::Other);
        assert_eq!(LoopbackHeader::new_checked(&[2, 0, 0]).unwrap_err(), DecodeError::Truncated);
    }
}
