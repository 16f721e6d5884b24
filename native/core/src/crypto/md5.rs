//! MD5 (RFC 1321), streaming and one-shot.
//!
//! Used for JA3 fingerprints, which fix the hash; not for anything security-related.

use super::BlockBuffer;

/// Length of an MD5 digest in bytes.
pub const DIGEST_LEN: usize = 16;

const INITIAL_STATE: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Per-step left-rotation amounts (RFC 1321 section 3.4).
#[rustfmt::skip]
const SHIFTS: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

/// Per-step constants: floor(abs(sin(i + 1)) * 2^32) (RFC 1321 section 3.4).
#[rustfmt::skip]
const K: [u32; 64] = [
    0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee,
    0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
    0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be,
    0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
    0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa,
    0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
    0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed,
    0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
    0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c,
    0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
    0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05,
    0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
    0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039,
    0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
    0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1,
    0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
];

/// Streaming MD5 hasher: `new`, any number of `update`s, then `finalize`.
#[derive(Clone, Debug)]
pub struct Md5 {
    state: [u32; 4],
    buffer: BlockBuffer,
}

impl Default for Md5 {
    fn default() -> Self {
        Md5::new()
    }
}

impl Md5 {
    /// A hasher for the empty message.
    pub const fn new() -> Self {
        Md5 {
            state: INITIAL_STATE,
            buffer: BlockBuffer::new(),
        }
    }

    /// Appends `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        let state = &mut self.state;
        self.buffer.update(data, |block| compress(state, block));
    }

    /// Pads the message and returns its digest.
    pub fn finalize(mut self) -> [u8; DIGEST_LEN] {
        let state = &mut self.state;
        self.buffer.finish(false, |block| compress(state, block));
        let mut out = [0u8; DIGEST_LEN];
        for (dst, word) in out.chunks_exact_mut(4).zip(self.state.iter()) {
            dst.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

/// MD5 digest of `data` in one call.
pub fn md5(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Md5::new();
    hasher.update(data);
    hasher.finalize()
}

/// The MD5 compression function over one 64-byte block.
fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (dst, word) in m.iter_mut().zip(block.chunks_exact(4)) {
        *dst = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }

    let [mut a, mut b, mut c, mut d] = *state;
    for i in 0..64 {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let f = f.wrapping_add(a).wrapping_add(K[i]).wrapping_add(m[g]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(f.rotate_left(SHIFTS[i]));
    }

    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    fn hex_md5(data: &[u8]) -> String {
        to_hex(&md5(data))
    }

    #[test]
    fn rfc1321_appendix_a5_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "d41d8cd98f00b204e9800998ecf8427e"),
            (b"a", "0cc175b9c0f1b6a831c399e269772661"),
            (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
            (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                b"abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, expected) in cases.iter() {
            assert_eq!(hex_md5(input), *expected);
        }
        assert_eq!(
            to_hex(&Md5::default().finalize()),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn padding_boundaries() {
        // Reference values from Python's hashlib: lengths around the 55/56/64-byte edges.
        let cases: [(usize, &str); 10] = [
            (55, "ef1772b6dff9a122358552954ad0df65"),
            (56, "3b0c8ac703f828b04c6c197006d17218"),
            (57, "652b906d60af96844ebd21b674f35e93"),
            (63, "b06521f39153d618550606be297466d5"),
            (64, "014842d480b571495a4a0363793f7367"),
            (65, "c743a45e0d2e6a95cb859adae0248435"),
            (119, "8a7bd0732ed6a28ce75f6dabc90e1613"),
            (120, "5f61c0ccad4cac44c75ff505e1f1e537"),
            (121, "f6acfca2d47c87f2b14ca038234d3614"),
            (128, "e510683b3f5ffe4093d021808bc6ff70"),
        ];
        for (len, expected) in cases.iter() {
            assert_eq!(hex_md5(&vec![b'a'; *len]), *expected, "length {}", len);
        }
    }

    #[test]
    fn chunked_updates_match_one_shot() {
        super::super::test_support::assert_chunked_updates_match(|m| md5(m).to_vec(), |parts| {
            let mut hasher = Md5::new();
            for p in parts {
                hasher.update(p);
            }
            hasher.finalize().to_vec()
        });
    }

    #[test]
    fn rfc1321_vector_fed_byte_by_byte() {
        let mut hasher = Md5::new();
        for b in b"message digest".iter() {
            hasher.update(&[*b]);
        }
        assert_eq!(
            to_hex(&hasher.finalize()),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
    }
}
