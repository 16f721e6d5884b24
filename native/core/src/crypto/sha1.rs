//! SHA-1 (FIPS 180-4 section 6.1), streaming and one-shot.
//!
//! Used for Community ID v1, which fixes the hash; not for anything security-related.

use super::BlockBuffer;

/// Length of a SHA-1 digest in bytes.
pub const DIGEST_LEN: usize = 20;

const INITIAL_STATE: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// Streaming SHA-1 hasher: `new`, any number of `update`s, then `finalize`.
#[derive(Clone, Debug)]
pub struct Sha1 {
    state: [u32; 5],
    buffer: BlockBuffer,
}

impl Default for Sha1 {
    fn default() -> Self {
        Sha1::new()
    }
}

impl Sha1 {
    /// A hasher for the empty message.
    pub const fn new() -> Self {
        Sha1 {
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
        self.buffer.finish(true, |block| compress(state, block));
        let mut out = [0u8; DIGEST_LEN];
        for (dst, word) in out.chunks_exact_mut(4).zip(self.state.iter()) {
            dst.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// SHA-1 digest of `data` in one call.
pub fn sha1(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha1::new();
    hasher.update(data);
    hasher.finalize()
}

/// The SHA-1 compression function over one 64-byte block.
fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (dst, word) in w.iter_mut().zip(block.chunks_exact(4)) {
        *dst = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }

    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (i, &wi) in w.iter().enumerate() {
        let (f, k) = match i / 20 {
            0 => ((b & c) | (!b & d), 0x5a82_7999),
            1 => (b ^ c ^ d, 0x6ed9_eba1),
            2 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
            _ => (b ^ c ^ d, 0xca62_c1d6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }

    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
    state[4] = state[4].wrapping_add(e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    fn hex_sha1(data: &[u8]) -> String {
        to_hex(&sha1(data))
    }

    #[test]
    fn fips180_abc() {
        assert_eq!(hex_sha1(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn fips180_448_bit_message() {
        assert_eq!(
            hex_sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn fips180_896_bit_message() {
        assert_eq!(
            hex_sha1(
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq\
                  klmnopqrlmnopqrsmnopqrstnopqrstu"
            ),
            "a49b2446a02c645bf419f995b67091253a04a259"
        );
    }

    #[test]
    fn fips180_one_million_a() {
        let mut hasher = Sha1::new();
        let chunk = [b'a'; 1000];
        for _ in 0..1000 {
            hasher.update(&chunk);
        }
        assert_eq!(
            to_hex(&hasher.finalize()),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        assert_eq!(
            hex_sha1(&vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn empty_message() {
        assert_eq!(hex_sha1(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            to_hex(&Sha1::new().finalize()),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            to_hex(&Sha1::default().finalize()),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }

    #[test]
    fn padding_boundaries() {
        // Reference values from Python's hashlib: lengths around the 55/56/64-byte edges.
        let cases: [(usize, &str); 10] = [
            (55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
            (56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
            (57, "f08f24908d682555111be7ff6f004e78283d989a"),
            (63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"),
            (64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
            (65, "11655326c708d70319be2610e8a57d9a5b959d3b"),
            (119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"),
            (120, "f34c1488385346a55709ba056ddd08280dd4c6d6"),
            (121, "fa6b5a6f8ac27182f838fe7841ec6d2aef3ade29"),
            (128, "ad5b3fdbcb526778c2839d2f151ea753995e26a0"),
        ];
        for (len, expected) in cases.iter() {
            assert_eq!(hex_sha1(&vec![b'a'; *len]), *expected, "length {}", len);
        }
    }

    #[test]
    fn chunked_updates_match_one_shot() {
        super::super::test_support::assert_chunked_updates_match(|m| sha1(m).to_vec(), |parts| {
            let mut hasher = Sha1::new();
            for p in parts {
                hasher.update(p);
            }
            hasher.finalize().to_vec()
        });
    }

    #[test]
    fn clone_forks_the_state() {
        let mut a = Sha1::new();
        a.update(b"ab");
        let mut b = a.clone();
        a.update(b"c");
        b.update(b"c");
        assert_eq!(a.finalize(), b.finalize());
    }
}
