//! ERSPAN headers carried in GRE: type II (GRE protocol 0x88be with a sequence number; type I
//! has the same protocol, no sequence number and no header) and type III (0x22eb).

use super::{be16, header, DecodeError};

/// Length of the ERSPAN type II header.
pub const TYPE2_HEADER_LEN: usize = 8;
/// Length of the ERSPAN type III header (without the optional platform-specific subheader).
pub const TYPE3_HEADER_LEN: usize = 12;
/// Length of the type III platform-specific subheader present when the O bit is set.
pub const TYPE3_PLATFORM_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const VER_VLAN: Range<usize> = 0..2;
    pub const COS_EN_T_SESSION: Range<usize> = 2..4;
    /// Type III only: P, FT (5), HW id (6), D, Gra (2), O.
    pub const FLAGS3: Range<usize> = 10..12;
}

/// ERSPAN type II header: version (1), VLAN, CoS/En/T, session id, index.
#[derive(Debug, Clone, Copy)]
pub struct ErspanType2<'a> {
    hdr: &'a [u8; TYPE2_HEADER_LEN],
}

impl<'a> ErspanType2<'a> {
    pub const HEADER_LEN: usize = TYPE2_HEADER_LEN;

    /// `Truncated` if fewer than 8 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(ErspanType2 { hdr: header(buf)? })
    }

    /// 1 for type II.
    #[inline]
    pub fn version(&self) -> u8 {
        (be16(self.hdr, field::VER_VLAN) >> 12) as u8
    }

    /// The original frame's VLAN.
    #[inline]
    pub fn vlan(&self) -> u16 {
        be16(self.hdr, field::VER_VLAN) & 0x0fff
    }

    #[inline]
    pub fn session_id(&self) -> u16 {
        be16(self.hdr, field::COS_EN_T_SESSION) & 0x03ff
    }
}

/// ERSPAN type III header.
#[derive(Debug, Clone, Copy)]
pub struct ErspanType3<'a> {
    hdr: &'a [u8; TYPE3_HEADER_LEN],
    len: usize,
}

impl<'a> ErspanType3<'a> {
    /// `Truncated` if fewer than 12 bytes, or 20 when the platform subheader is announced.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; TYPE3_HEADER_LEN] = header(buf)?;
        let mut e = ErspanType3 { hdr, len: TYPE3_HEADER_LEN };
        if e.platform_subheader() {
            e.len += TYPE3_PLATFORM_LEN;
        }
        if buf.len() < e.len {
            return Err(DecodeError::Truncated);
        }
        Ok(e)
    }

    /// 2 for type III.
    #[inline]
    pub fn version(&self) -> u8 {
        (be16(self.hdr, field::VER_VLAN) >> 12) as u8
    }

    #[inline]
    pub fn vlan(&self) -> u16 {
        be16(self.hdr, field::VER_VLAN) & 0x0fff
    }

    #[inline]
    pub fn session_id(&self) -> u16 {
        be16(self.hdr, field::COS_EN_T_SESSION) & 0x03ff
    }

    /// Frame type: 0 = Ethernet, 2 = IP.
    #[inline]
    pub fn frame_type(&self) -> u8 {
        ((be16(self.hdr, field::FLAGS3) >> 10) & 0x1f) as u8
    }

    #[inline]
    pub fn platform_subheader(&self) -> bool {
        be16(self.hdr, field::FLAGS3) & 1 != 0
    }

    /// Header length (12 or 20).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type2() {
        let e = ErspanType2::new_checked(&[0x10, 0x64, 0x00, 0x2a, 0, 0, 0, 0]).unwrap();
        assert_eq!((e.version(), e.vlan(), e.session_id()), (1, 100, 42));
        assert_eq!(ErspanType2::new_checked(&[0x10; 7]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn type3() {
        let mut b = [0u8; 20];
        b[0] = 0x20;
        b[1] = 0x05;
        b[3] = 7;
        let e = ErspanType3::new_checked(&b[..12]).unwrap();
        assert_eq!((e.version(), e.vlan(), e.session_id(), e.frame_type(), e.header_len()), (2, 5, 7, 0, 12));
        b[10] = 2 << 2;
        b[11] = 1;
        let e = ErspanType3::new_checked(&b).unwrap();
        assert_eq!((e.frame_type(), e.header_len()), (2, 20));
        assert_eq!(ErspanType3::new_checked(&b[..19]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(ErspanType3::new_checked(&b[..11]).unwrap_err(), DecodeError::Truncated);
    }
}
