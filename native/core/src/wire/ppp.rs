//! PPP (LINKTYPE_PPP), PPPoE session headers and Cisco HDLC (LINKTYPE_C_HDLC).

use super::{be16, byte, header, DecodeError};

/// PPP protocol numbers we follow.
pub mod protocol {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
}

/// The optional HDLC-like address/control bytes before the PPP protocol (RFC 1662).
pub const ADDRESS_CONTROL: [u8; 2] = [0xff, 0x03];

/// The PPP header: optional `ff 03`, then a 2-byte protocol, or a 1-byte one when protocol-field
/// compression is on (a compressed protocol is odd, a full one has an even first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PppHeader {
    protocol: u16,
    len: u8,
}

impl PppHeader {
    /// `Truncated` if the protocol field is not all there.
    #[inline]
    pub fn new_checked(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut at = 0usize;
        if buf.get(..2) == Some(&ADDRESS_CONTROL[..]) {
            at = 2;
        }
        let first = match buf.get(at) {
            Some(&b) => b,
            None => return Err(DecodeError::Truncated),
        };
        if first & 1 == 1 {
            return Ok(PppHeader { protocol: first as u16, len: at as u8 + 1 });
        }
        match buf.get(at + 1) {
            Some(&second) => Ok(PppHeader { protocol: u16::from_be_bytes([first, second]), len: at as u8 + 2 }),
            None => Err(DecodeError::Truncated),
        }
    }

    #[inline]
    pub fn protocol(&self) -> u16 {
        self.protocol
    }

    /// Bytes before the PPP payload (1 to 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len as usize
    }
}

/// Length of a PPPoE header (before the PPP protocol).
pub const PPPOE_HEADER_LEN: usize = 6;

mod pppoe_field {
    use core::ops::Range;
    pub const VER_TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const SESSION_ID: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
}

/// PPPoE header (RFC 2516). In a session frame (EtherType 0x8864) a PPP protocol follows.
#[derive(Debug, Clone, Copy)]
pub struct PppoeHeader<'a> {
    hdr: &'a [u8; PPPOE_HEADER_LEN],
}

impl<'a> PppoeHeader<'a> {
    pub const HEADER_LEN: usize = PPPOE_HEADER_LEN;

    /// `Truncated` if fewer than 6 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(PppoeHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn version(&self) -> u8 {
        byte(self.hdr, pppoe_field::VER_TYPE) >> 4
    }

    #[inline]
    pub fn pppoe_type(&self) -> u8 {
        byte(self.hdr, pppoe_field::VER_TYPE) & 0x0f
    }

    #[inline]
    pub fn code(&self) -> u8 {
        byte(self.hdr, pppoe_field::CODE)
    }

    #[inline]
    pub fn session_id(&self) -> u16 {
        be16(self.hdr, pppoe_field::SESSION_ID)
    }

    /// Length of the PPPoE payload (PPP protocol included).
    #[inline]
    pub fn length(&self) -> u16 {
        be16(self.hdr, pppoe_field::LENGTH)
    }
}

/// Length of a Cisco HDLC header.
pub const CHDLC_HEADER_LEN: usize = 4;

mod chdlc_field {
    use core::ops::Range;
    pub const ADDRESS: usize = 0;
    pub const CONTROL: usize = 1;
    pub const PROTOCOL: Range<usize> = 2..4;
}

/// Cisco HDLC: address (0x0f unicast / 0x8f broadcast), control, EtherType.
#[derive(Debug, Clone, Copy)]
pub struct CiscoHdlcHeader<'a> {
    hdr: &'a [u8; CHDLC_HEADER_LEN],
}

impl<'a> CiscoHdlcHeader<'a> {
    pub const HEADER_LEN: usize = CHDLC_HEADER_LEN;

    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(CiscoHdlcHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn address(&self) -> u8 {
        byte(self.hdr, chdlc_field::ADDRESS)
    }

    #[inline]
    pub fn control(&self) -> u8 {
        byte(self.hdr, chdlc_field::CONTROL)
    }

    /// Payload protocol as an EtherType.
    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.hdr, chdlc_field::PROTOCOL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppp_forms() {
        let h = PppHeader::new_checked(&[0xff, 0x03, 0x00, 0x21, 0x45]).unwrap();
        assert_eq!((h.protocol(), h.header_len()), (protocol::IPV4, 4));
        let h = PppHeader::new_checked(&[0x00, 0x57, 0x60]).unwrap();
        assert_eq!((h.protocol(), h.header_len()), (protocol::IPV6, 2));
        // Protocol-field compression: one odd byte.
        let h = PppHeader::new_checked(&[0x21, 0x45]).unwrap();
        assert_eq!((h.protocol(), h.header_len()), (protocol::IPV4, 1));
        let h = PppHeader::new_checked(&[0xff, 0x03, 0x57]).unwrap();
        assert_eq!((h.protocol(), h.header_len()), (protocol::IPV6, 3));
        // LCP is not IP but decodes.
        let h = PppHeader::new_checked(&[0xc0, 0x21]).unwrap();
        assert_eq!(h.protocol(), 0xc021);
    }

    #[test]
    fn ppp_truncated() {
        for b in [&[][..], &[0xff, 0x03][..], &[0x00][..], &[0xff, 0x03, 0x00][..]] {
            assert_eq!(PppHeader::new_checked(b).unwrap_err(), DecodeError::Truncated);
        }
    }

    #[test]
    fn pppoe_fields() {
        let h = PppoeHeader::new_checked(&[0x11, 0x00, 0x12, 0x34, 0x00, 0x2a]).unwrap();
        assert_eq!((h.version(), h.pppoe_type(), h.code()), (1, 1, 0));
        assert_eq!(h.session_id(), 0x1234);
        assert_eq!(h.length(), 42);
        assert_eq!(PppoeHeader::new_checked(&[0x11; 5]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn chdlc_fields() {
        let h = CiscoHdlcHeader::new_checked(&[0x0f, 0x00, 0x08, 0x00]).unwrap();
        assert_eq!((h.address(), h.control(), h.protocol()), (0x0f, 0, 0x0800));
        assert_eq!(CiscoHdlcHeader::new_checked(&[0x0f, 0, 8]).unwrap_err(), DecodeError::Truncated);
    }
}
