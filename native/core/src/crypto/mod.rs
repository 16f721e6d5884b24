//! Small, dependency-free hashing and encoding helpers.
//!
//! - [`sha1`]: SHA-1 (FIPS 180-4), used by Community ID v1.
//! - [`md5`]: MD5 (RFC 1321), used by JA3.
//! - [`to_hex`] / [`base64_encode`]: rendering of digests.
//!
//! Neither hash is used for security here: they are fingerprinting functions fixed by the
//! specifications we follow. Both hashers keep all state in fixed-size arrays (no allocation)
//! and cannot panic on any input.

pub mod aes;
pub mod gcm;
pub mod hkdf;
pub mod md5;
pub mod sha1;
pub mod sha256;

/// Lowercase hexadecimal digits.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The standard base64 alphabet (RFC 4648 section 4).
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Hex text to bytes, whitespace ignored: the test vectors (RFC appendices, bytes lifted from
/// the corpus captures). Panics on bad hex, so tests only.
#[cfg(test)]
pub(crate) fn from_hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

/// Renders bytes as lowercase hexadecimal, two digits per byte.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        out.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
        out.push(char::from(HEX_DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Encodes bytes as base64 with the standard alphabet and `=` padding (RFC 4648 section 4).
pub fn base64_encode(bytes: &[u8]) -> String {
    let groups = bytes.len().saturating_add(2) / 3;
    let mut out = String::with_capacity(groups.saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied();
        let b2 = chunk.get(2).copied();
        let n =
            (u32::from(b0) << 16) | (u32::from(b1.unwrap_or(0)) << 8) | u32::from(b2.unwrap_or(0));
        out.push(base64_char(n >> 18));
        out.push(base64_char(n >> 12));
        out.push(if b1.is_some() {
            base64_char(n >> 6)
        } else {
            '='
        });
        out.push(if b2.is_some() { base64_char(n) } else { '=' });
    }
    out
}

/// The base64 character for the low six bits of `sextet`.
fn base64_char(sextet: u32) -> char {
    // The mask keeps the index below 64.
    char::from(BASE64_ALPHABET[(sextet & 0x3f) as usize])
}

/// The shared 64-byte block buffer of the Merkle-Damgard hashes (SHA-1 and MD5): it collects
/// input into whole blocks, counts the message length and applies the common padding.
#[derive(Clone, Debug)]
pub(crate) struct BlockBuffer {
    block: [u8; 64],
    /// Bytes held in `block`; always below 64 between calls.
    filled: usize,
    /// Message length in bytes so far (modulo 2^64; the padding uses it modulo 2^61).
    total: u64,
}

impl BlockBuffer {
    pub(crate) const fn new() -> Self {
        BlockBuffer {
            block: [0; 64],
            filled: 0,
            total: 0,
        }
    }

    /// Appends `data`, calling `compress` for every completed 64-byte block.
    pub(crate) fn update<F: FnMut(&[u8; 64])>(&mut self, data: &[u8], mut compress: F) {
        self.total = self.total.wrapping_add(data.len() as u64);
        let mut data = data;
        if self.filled > 0 {
            let free = &mut self.block[self.filled.min(64)..];
            let take = free.len().min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = free.get_mut(..take) {
                dst.copy_from_slice(head);
            }
            self.filled += take;
            data = rest;
            if self.filled < 64 {
                return;
            }
            compress(&self.block);
            self.filled = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for chunk in &mut blocks {
            if let Ok(block) = <&[u8; 64]>::try_from(chunk) {
                compress(block);
            }
        }
        let rest = blocks.remainder();
        if let Some(dst) = self.block.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
            self.filled = rest.len();
        }
    }

    /// Pads the message (0x80, zeros, 64-bit bit length) and compresses the last block(s).
    /// `big_endian_length` selects the byte order of the length field (SHA-1: big, MD5: little).
    pub(crate) fn finish<F: FnMut(&[u8; 64])>(&mut self, big_endian_length: bool, mut compress: F) {
        let bit_len = self.total.wrapping_mul(8);
        let length = if big_endian_length {
            bit_len.to_be_bytes()
        } else {
            bit_len.to_le_bytes()
        };
        let mut padding = [0u8; 64];
        padding[0] = 0x80;
        // Room for the 8-byte length: pad to 56 mod 64.
        let pad_len = if self.filled < 56 {
            56 - self.filled
        } else {
            120 - self.filled
        };
        self.update(padding.get(..pad_len).unwrap_or(&padding), &mut compress);
        self.update(&length, &mut compress);
    }
}

/// Test helpers shared by the hash implementations.
#[cfg(test)]
pub(crate) mod test_support {
    /// Streaming a message in any chunking (and any two-way split with an empty update between)
    /// gives the one-shot digest. `streamed` hashes the given parts in order.
    pub(crate) fn assert_chunked_updates_match(one_shot: impl Fn(&[u8]) -> Vec<u8>, streamed: impl Fn(&[&[u8]]) -> Vec<u8>) {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0usize, 1, 55, 56, 63, 64, 65, 127, 128, 129, 500, 1000].iter().copied() {
            let message = &data[..len];
            let expected = one_shot(message);
            for chunk_size in [1usize, 2, 3, 7, 55, 56, 63, 64, 65, 100, 1000].iter().copied() {
                let parts: Vec<&[u8]> = message.chunks(chunk_size).collect();
                assert_eq!(streamed(&parts), expected, "len {} chunk {}", len, chunk_size);
            }
            for split in 0..=len {
                let parts: [&[u8]; 3] = [&message[..split], &[], &message[split..]];
                assert_eq!(streamed(&parts), expected, "len {} split {}", len, split);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_renders_lowercase_pairs() {
        assert_eq!(to_hex(&[]), "");
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
    }

    #[test]
    fn base64_rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases.iter() {
            assert_eq!(base64_encode(input), *expected);
        }
    }

    #[test]
    fn base64_full_alphabet_and_high_bytes() {
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(base64_encode(&[0x00, 0x10, 0x83]), "ABCD");
        assert_eq!(base64_encode(&[0xff]), "/w==");
        assert_eq!(base64_encode(&[0xff, 0xff]), "//8=");
        // 20-byte digest -> 28 characters, one '=' of padding.
        assert_eq!(base64_encode(&[0u8; 20]).len(), 28);
        assert!(base64_encode(&[0u8; 20]).ends_with("A="));
    }
}
