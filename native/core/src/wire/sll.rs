//! Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL, 16 bytes) and SLL2
//! (LINKTYPE_LINUX_SLL2, 20 bytes). Both carry the payload protocol as an EtherType.

use super::{be16, be32, byte, header, DecodeError};

/// ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType.
pub const ARPHRD_NETLINK: u16 = 824;

/// Length of an SLL (v1) header.
pub const SLL_HEADER_LEN: usize = 16;
/// Length of an SLL2 header.
pub const SLL2_HEADER_LEN: usize = 20;

mod field {
    use core::ops::Range;
    pub const PACKET_TYPE: Range<usize> = 0..2;
    pub const HATYPE: Range<usize> = 2..4;
    pub const HALEN: Range<usize> = 4..6;
    pub const PROTOCOL: Range<usize> = 14..16;
}

/// SLL v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
#[derive(Debug, Clone, Copy)]
pub struct SllHeader<'a> {
    hdr: &'a [u8; SLL_HEADER_LEN],
}

impl<'a> SllHeader<'a> {
    pub const HEADER_LEN: usize = SLL_HEADER_LEN;

    /// `Truncated` if fewer than 16 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(SllHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn packet_type(&self) -> u16 {
        be16(self.hdr, field::PACKET_TYPE)
    }

    #[inline]
    pub fn hatype(&self) -> u16 {
        be16(self.hdr, field::HATYPE)
    }

    #[inline]
    pub fn halen(&self) -> u16 {
        be16(self.hdr, field::HALEN)
    }

    /// Payload protocol (an EtherType for every ARPHRD type but netlink).
    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.hdr, field::PROTOCOL)
    }
}

mod field2 {
    use core::ops::Range;
    pub const PROTOCOL: Range<usize> = 0..2;
    pub const IFINDEX: Range<usize> = 4..8;
    pub const HATYPE: Range<usize> = 8..10;
    pub const PACKET_TYPE: usize = 10;
    pub const HALEN: usize = 11;
}

/// SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, address.
#[derive(Debug, Clone, Copy)]
pub struct Sll2Header<'a> {
    hdr: &'a [u8; SLL2_HEADER_LEN],
}

impl<'a> Sll2Header<'a> {
    pub const HEADER_LEN: usize = SLL2_HEADER_LEN;

    /// `Truncated` if fewer than 20 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(Sll2Header { hdr: header(buf)? })
    }

    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.hdr, field2::PROTOCOL)
    }

    #[inline]
    pub fn ifindex(&self) -> u32 {
        be32(self.hdr, field2::IFINDEX)
    }

    #[inline]
    pub fn hatype(&self) -> u16 {
        be16(self.hdr, field2::HATYPE)
    }

    #[inline]
    pub fn packet_type(&self) -> u8 {
        byte(self.hdr, field2::PACKET_TYPE)
    }

    #[inline]
    pub fn halen(&self) -> u8 {
        byte(self.hdr, field2::HALEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_fields() {
        let h = [0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd];
        let s = SllHeader::new_checked(&h).unwrap();
        assert_eq!(s.packet_type(), 4);
        assert_eq!(s.hatype(), 1);
        assert_eq!(s.halen(), 6);
        assert_eq!(s.protocol(), 0x86dd);
        assert_eq!(SllHeader::new_checked(&h[..15]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn sll2_fields() {
        let h = [0x08, 0x00, 0, 0, 0, 0, 0, 3, 0x03, 0x38, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0];
        let s = Sll2Header::new_checked(&h).unwrap();
        assert_eq!(s.protocol(), 0x0800);
        assert_eq!(s.ifindex(), 3);
        assert_eq!(s.hatype(), ARPHRD_NETLINK);
        assert_eq!(s.packet_type(), 4);
        assert_eq!(s.halen(), 6);
        assert_eq!(Sll2Header::new_checked(&h[..19]).unwrap_err(), DecodeError::Truncated);
    }
}
