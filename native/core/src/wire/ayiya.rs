//! AYIYA ("Anything In Anything", SixXS tunnels): an IPv4 or IPv6 packet in UDP behind a header
//! of 8 fixed bytes, an identity of `2^id_len` bytes and a signature of `4 * sig_len` bytes.

use super::{be32, byte, header, DecodeError};

/// The AYIYA UDP port.
pub const PORT: u16 = 5072;
/// Length of the fixed part of the header.
pub const FIXED_LEN: usize = 8;
/// Operation code of a forwarded packet (the only one that carries one).
pub const OP_FORWARD: u8 = 1;

mod field {
    use core::ops::Range;
    pub const ID_LEN_TYPE: usize = 0;
    pub const SIG_LEN_HASH: usize = 1;
    pub const AUTH_OPCODE: usize = 2;
    pub const NEXT_HEADER: usize = 3;
    pub const EPOCH: Range<usize> = 4..8;
}

/// The AYIYA header: identity length (4 bits, log2 of bytes) and type (4), signature length
/// (4, in 4-byte words) and hash method (4), authentication method (4) and operation code (4),
/// next header (an IP protocol number), epoch time (32); then identity and signature.
#[derive(Debug, Clone, Copy)]
pub struct AyiyaHeader<'a> {
    hdr: &'a [u8; FIXED_LEN],
}

impl<'a> AyiyaHeader<'a> {
    /// `Truncated` if the fixed part, the identity or the signature is not captured.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let h = AyiyaHeader { hdr: header(buf)? };
        if buf.len() < h.header_len() {
            return Err(DecodeError::Truncated);
        }
        Ok(h)
    }

    /// Identity length in bytes (`2^n`, at most 32768).
    #[inline]
    pub fn identity_len(&self) -> usize {
        1usize << (byte(self.hdr, field::ID_LEN_TYPE) >> 4)
    }

    #[inline]
    pub fn identity_type(&self) -> u8 {
        byte(self.hdr, field::ID_LEN_TYPE) & 0x0f
    }

    /// Signature length in bytes.
    #[inline]
    pub fn signature_len(&self) -> usize {
        (byte(self.hdr, field::SIG_LEN_HASH) >> 4) as usize * 4
    }

    #[inline]
    pub fn hash_method(&self) -> u8 {
        byte(self.hdr, field::SIG_LEN_HASH) & 0x0f
    }

    #[inline]
    pub fn auth_method(&self) -> u8 {
        byte(self.hdr, field::AUTH_OPCODE) >> 4
    }

    #[inline]
    pub fn opcode(&self) -> u8 {
        byte(self.hdr, field::AUTH_OPCODE) & 0x0f
    }

    /// IP protocol number of the payload (4 IPv4, 41 IPv6).
    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.hdr, field::NEXT_HEADER)
    }

    #[inline]
    pub fn epoch(&self) -> u32 {
        be32(self.hdr, field::EPOCH)
    }

    /// Fixed part, identity and signature.
    #[inline]
    pub fn header_len(&self) -> usize {
        FIXED_LEN + self.identity_len() + self.signature_len()
    }
}

/// Zeek's content test for AYIYA on any UDP port: a 20-byte SHA-1 signature (length 5, hash
/// method 2), shared-secret authentication (1) and the forward operation.
#[inline]
pub fn looks_like_ayiya(payload: &[u8]) -> bool {
    byte(payload, 1) == 0x52 && byte(payload, 2) == 0x11
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        // 16-byte identity (2^4), 20-byte signature, forward, IPv6.
        let mut b = vec![0x41, 0x52, 0x11, 41, 0, 0, 0, 9];
        b.extend_from_slice(&[0u8; 36]);
        let h = AyiyaHeader::new_checked(&b).unwrap();
        assert_eq!((h.identity_len(), h.identity_type(), h.signature_len(), h.hash_method()), (16, 1, 20, 2));
        assert_eq!((h.auth_method(), h.opcode(), h.next_header(), h.epoch()), (1, OP_FORWARD, 41, 9));
        assert_eq!(h.header_len(), 44);
        assert!(looks_like_ayiya(&b));
        assert_eq!(AyiyaHeader::new_checked(&b[..43]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(AyiyaHeader::new_checked(&b[..7]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn largest_identity() {
        let b = [0xf0, 0xf0, 0x11, 4, 0, 0, 0, 0];
        assert_eq!(AyiyaHeader::new_checked(&b).unwrap_err(), DecodeError::Truncated);
        let mut big = b.to_vec();
        big.resize(8 + 32768 + 60, 0);
        assert_eq!(AyiyaHeader::new_checked(&big).unwrap().header_len(), big.len());
        assert!(!looks_like_ayiya(&b) && !looks_like_ayiya(&[]));
    }
}
