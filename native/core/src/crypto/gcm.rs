//! AES-128-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag: open (verify, then
//! decrypt) in place, plus the matching seal used by tests and fixture builders.
//!
//! The sensor uses this to read QUIC Initial packets, whose keys are public by design
//! (RFC 9001 section 5.2). GHASH is a plain bit-by-bit portable multiplication and AES is
//! table-driven: neither is constant-time, so this must not be used to protect secrets. All
//! state is fixed-size, nothing allocates, and no input can make it panic.

use super::aes::{Aes128, BLOCK_LEN, KEY_LEN};
use std::fmt;

/// Nonce length in bytes (the only length supported: 96 bits).
pub const NONCE_LEN: usize = 12;

/// Authentication tag length in bytes.
pub const TAG_LEN: usize = 16;

/// Why a GCM operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcmError {
    /// The input is shorter than a tag.
    TooShort,
    /// The tag does not match: the ciphertext, AAD, key or nonce is wrong.
    BadTag,
}

impl fmt::Display for GcmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GcmError::TooShort => "GCM input shorter than the tag",
            GcmError::BadTag => "GCM authentication tag mismatch",
        })
    }
}

impl std::error::Error for GcmError {}

/// The reduction constant of GCM's field: x^128 + x^7 + x^2 + x + 1 in the reflected bit order.
const R: u128 = 0xe1 << 120;

/// An AES-128-GCM key: the expanded cipher and the GHASH subkey `H = E(K, 0^128)`.
#[derive(Clone, Debug)]
pub struct Aes128Gcm {
    cipher: Aes128,
    h: u128,
}

impl Aes128Gcm {
    /// Prepares `key`.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        let cipher = Aes128::new(key);
        let h = u128::from_be_bytes(cipher.encrypt(&[0u8; BLOCK_LEN]));
        Aes128Gcm { cipher, h }
    }

    /// Verifies and decrypts `buf` = ciphertext || 16-byte tag in place. On success the
    /// plaintext is in `buf[..n]` and `n` (= `buf.len() - 16`) is returned; on failure `buf`
    /// is left unchanged (the tag is checked before anything is decrypted).
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, GcmError> {
        let text_len = match buf.len().checked_sub(TAG_LEN) {
            Some(n) => n,
            None => return Err(GcmError::TooShort),
        };
        let (ciphertext, tag) = buf.split_at_mut(text_len);
        let expected = self.tag(nonce, aad, ciphertext);
        // Not constant-time on purpose: see the module documentation.
        let mut diff = 0u8;
        for (a, b) in expected.iter().zip(tag.iter()) {
            diff |= a ^ b;
        }
        if diff != 0 {
            return Err(GcmError::BadTag);
        }
        self.ctr(nonce, ciphertext);
        Ok(text_len)
    }

    /// Encrypts `buf` in place and returns the tag to append.
    pub fn seal_in_place_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> [u8; TAG_LEN] {
        self.ctr(nonce, buf);
        self.tag(nonce, aad, buf)
    }

    /// The pre-counter block J0 = nonce || 0^31 || 1.
    fn j0(nonce: &[u8; NONCE_LEN]) -> [u8; BLOCK_LEN] {
        let mut j0 = [0u8; BLOCK_LEN];
        j0[..NONCE_LEN].copy_from_slice(nonce);
        j0[BLOCK_LEN - 1] = 1;
        j0
    }

    /// GCTR with counters starting at inc32(J0): encryption and decryption alike.
    fn ctr(&self, nonce: &[u8; NONCE_LEN], data: &mut [u8]) {
        let mut counter = Self::j0(nonce);
        for chunk in data.chunks_mut(BLOCK_LEN) {
            let c = u32::from_be_bytes([counter[12], counter[13], counter[14], counter[15]])
                .wrapping_add(1);
            counter[12..].copy_from_slice(&c.to_be_bytes());
            let keystream = self.cipher.encrypt(&counter);
            for (d, k) in chunk.iter_mut().zip(keystream.iter()) {
                *d ^= k;
            }
        }
    }

    /// The tag E(K, J0) xor GHASH(H, A, C).
    fn tag(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], ciphertext: &[u8]) -> [u8; TAG_LEN] {
        let mut y = 0u128;
        y = self.ghash_padded(y, aad);
        y = self.ghash_padded(y, ciphertext);
        let lengths = (u128::from((aad.len() as u64).wrapping_mul(8)) << 64)
            | u128::from((ciphertext.len() as u64).wrapping_mul(8));
        y = gf_mul(y ^ lengths, self.h);
        let mask = u128::from_be_bytes(self.cipher.encrypt(&Self::j0(nonce)));
        (y ^ mask).to_be_bytes()
    }

    /// Absorbs `data` zero-padded to whole blocks into the GHASH accumulator `y`.
    fn ghash_padded(&self, mut y: u128, data: &[u8]) -> u128 {
        for chunk in data.chunks(BLOCK_LEN) {
            let mut block = [0u8; BLOCK_LEN];
            if let Some(dst) = block.get_mut(..chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            y = gf_mul(y ^ u128::from_be_bytes(block), self.h);
        }
        y
    }
}

/// Multiplication in GF(2^128) with GCM's bit order (SP 800-38D algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    let mut z = 0u128;
    let mut v = y;
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
    }
    z
}

/// One-shot AES-128-GCM open: verifies and decrypts `ciphertext_and_tag` into a new vector.
pub fn aes128_gcm_open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, GcmError> {
    let mut buf = ciphertext_and_tag.to_vec();
    let n = Aes128Gcm::new(key).open_in_place(nonce, aad, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    use crate::crypto::from_hex as unhex;

    fn arr<const N: usize>(s: &str) -> [u8; N] {
        let v = unhex(s);
        let mut out = [0u8; N];
        out.copy_from_slice(&v);
        out
    }

    struct Case {
        key: &'static str,
        iv: &'static str,
        plaintext: &'static str,
        aad: &'static str,
        ciphertext: &'static str,
        tag: &'static str,
    }

    const P3: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                      1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const C3: &str = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                      21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
    const P4: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                      1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const C4: &str = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                      21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";

    /// Test cases 1-4 of "The Galois/Counter Mode of Operation (GCM)" (McGrew & Viega), the
    /// AES-128 vectors NIST publishes with the GCM specification.
    const CASES: [Case; 4] = [
        Case {
            key: "00000000000000000000000000000000",
            iv: "000000000000000000000000",
            plaintext: "",
            aad: "",
            ciphertext: "",
            tag: "58e2fccefa7e3061367f1d57a4e7455a",
        },
        Case {
            key: "00000000000000000000000000000000",
            iv: "000000000000000000000000",
            plaintext: "00000000000000000000000000000000",
            aad: "",
            ciphertext: "0388dace60b6a392f328c2b971b2fe78",
            tag: "ab6e47d42cec13bdf53a67b21257bddf",
        },
        Case {
            key: "feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            plaintext: P3,
            aad: "",
            ciphertext: C3,
            tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
        },
        Case {
            key: "feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            plaintext: P4,
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ciphertext: C4,
            tag: "5bc94fbc3221a5db94fae95ae7121a47",
        },
    ];

    #[test]
    fn gcm_spec_test_cases_1_to_4_open() {
        for (i, case) in CASES.iter().enumerate() {
            let key: [u8; 16] = arr(case.key);
            let nonce: [u8; 12] = arr(case.iv);
            let mut sealed = unhex(case.ciphertext);
            sealed.extend_from_slice(&unhex(case.tag));
            let opened = aes128_gcm_open(&key, &nonce, &unhex(case.aad), &sealed)
                .unwrap_or_else(|e| panic!("case {}: {:?}", i + 1, e));
            assert_eq!(
                to_hex(&opened),
                to_hex(&unhex(case.plaintext)),
                "case {}",
                i + 1
            );
        }
    }

    #[test]
    fn gcm_spec_test_cases_1_to_4_seal() {
        for (i, case) in CASES.iter().enumerate() {
            let gcm = Aes128Gcm::new(&arr(case.key));
            let mut buf = unhex(case.plaintext);
            let tag = gcm.seal_in_place_detached(&arr(case.iv), &unhex(case.aad), &mut buf);
            assert_eq!(
                to_hex(&buf),
                to_hex(&unhex(case.ciphertext)),
                "case {}",
                i + 1
            );
            assert_eq!(to_hex(&tag), case.tag.to_string(), "case {}", i + 1);
        }
    }

    #[test]
    fn wrong_tag_ciphertext_aad_or_nonce_is_rejected() {
        let case = &CASES[3];
        let key: [u8; 16] = arr(case.key);
        let nonce: [u8; 12] = arr(case.iv);
        let aad = unhex(case.aad);
        let mut sealed = unhex(case.ciphertext);
        sealed.extend_from_slice(&unhex(case.tag));
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                aes128_gcm_open(&key, &nonce, &aad, &bad),
                Err(GcmError::BadTag),
                "byte {}",
                i
            );
        }
        let mut bad_aad = aad.clone();
        bad_aad[0] ^= 0x80;
        assert_eq!(
            aes128_gcm_open(&key, &nonce, &bad_aad, &sealed),
            Err(GcmError::BadTag)
        );
        assert_eq!(
            aes128_gcm_open(&key, &nonce, &aad[1..], &sealed),
            Err(GcmError::BadTag)
        );
        let mut bad_nonce = nonce;
        bad_nonce[11] ^= 1;
        assert_eq!(
            aes128_gcm_open(&key, &bad_nonce, &aad, &sealed),
            Err(GcmError::BadTag)
        );
        let mut bad_key = key;
        bad_key[0] ^= 1;
        assert_eq!(
            aes128_gcm_open(&bad_key, &nonce, &aad, &sealed),
            Err(GcmError::BadTag)
        );
        // A failed open leaves the buffer untouched.
        let gcm = Aes128Gcm::new(&key);
        let mut buf = sealed.clone();
        let last = buf.len() - 1;
        buf[last] ^= 0xff;
        let before = buf.clone();
        assert_eq!(
            gcm.open_in_place(&nonce, &aad, &mut buf),
            Err(GcmError::BadTag)
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn short_inputs_are_rejected() {
        let key = [0u8; 16];
        let nonce = [0u8; 12];
        for len in 0..TAG_LEN {
            assert_eq!(
                aes128_gcm_open(&key, &nonce, &[], &vec![0u8; len]),
                Err(GcmError::TooShort)
            );
        }
        assert_eq!(
            aes128_gcm_open(&key, &nonce, &[], &[0u8; 16]),
            Err(GcmError::BadTag)
        );
        assert!(!GcmError::BadTag.to_string().is_empty());
    }

    #[test]
    fn seal_open_round_trip_all_lengths() {
        let gcm = Aes128Gcm::new(&[0x42; 16]);
        let nonce = [7u8; 12];
        for len in 0..70usize {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 + 5) as u8).collect();
            let aad: Vec<u8> = (0..(len % 23)).map(|i| i as u8).collect();
            let mut buf = plain.clone();
            let tag = gcm.seal_in_place_detached(&nonce, &aad, &mut buf);
            buf.extend_from_slice(&tag);
            let n = gcm.open_in_place(&nonce, &aad, &mut buf).unwrap();
            assert_eq!(&buf[..n], &plain[..]);
        }
    }

    #[test]
    fn gf_mul_identity_and_commutativity() {
        // The multiplicative identity in GCM's reflected order is the block 0x80 00 .. 00.
        let one = 1u128 << 127;
        let a = 0x66e9_4bd4_ef8a_2c3b_884c_fa59_ca34_2b2eu128;
        let b = 0x0388_dace_60b6_a392_f328_c2b9_71b2_fe78u128;
        assert_eq!(gf_mul(a, one), a);
        assert_eq!(gf_mul(one, b), b);
        assert_eq!(gf_mul(a, b), gf_mul(b, a));
        assert_eq!(gf_mul(a, 0), 0);
    }
}
