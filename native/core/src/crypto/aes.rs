//! AES-128 (FIPS-197): key expansion and single-block encryption only.
//!
//! This is all QUIC Initial packet protection needs: AES-GCM runs the cipher in counter mode and
//! header protection encrypts one sample block (RFC 9001 section 5.4.3), so block decryption is
//! never used. The keys involved are public by design (RFC 9001 section 5.2).
//!
//! This is a plain table-driven implementation for visibility work: it is not constant-time
//! (the S-box lookups leak through caches) and must not be used to protect secrets. All state is
//! fixed-size and it cannot panic.

/// AES block length in bytes.
pub const BLOCK_LEN: usize = 16;

/// AES-128 key length in bytes.
pub const KEY_LEN: usize = 16;

/// Number of rounds for a 128-bit key.
const ROUNDS: usize = 10;

/// The AES S-box, computed at compile time from its definition (multiplicative inverse in
/// GF(2^8), modulo x^8 + x^4 + x^3 + x + 1, followed by the affine transform) rather than typed in.
const SBOX: [u8; 256] = build_sbox();

/// Multiplication by x in GF(2^8).
const fn xtime(a: u8) -> u8 {
    (a << 1) ^ (if a & 0x80 != 0 { 0x1b } else { 0 })
}

const fn build_sbox() -> [u8; 256] {
    // Inverses from exp/log tables of the generator 3 (x + 1): about 500 steps in all. Raising
    // each x to the 254th power instead needs ~500k steps, past the compile-time evaluation
    // limit of older compilers (the wasm build uses Debian's rustc 1.63).
    let mut exp = [0u8; 256];
    let mut log = [0u8; 256];
    let mut v = 1u8;
    let mut i = 0usize;
    while i < 255 {
        exp[i] = v;
        log[v as usize] = i as u8;
        v ^= xtime(v); // v * 3
        i += 1;
    }
    let mut sbox = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        // x^-1 = g^(255 - log x); 0 maps to 0.
        let b = if x == 0 { 0 } else { exp[(255 - log[x] as usize) % 255] };
        sbox[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    sbox
}

/// An expanded AES-128 key, ready to encrypt blocks.
#[derive(Clone, Debug)]
pub struct Aes128 {
    /// The 11 round keys, each 16 bytes in the cipher's byte order.
    round_keys: [[u8; BLOCK_LEN]; ROUNDS + 1],
}

impl Aes128 {
    /// Expands `key` (FIPS-197 section 5.2).
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        let mut words = [[0u8; 4]; 4 * (ROUNDS + 1)];
        for (word, chunk) in words.iter_mut().zip(key.chunks_exact(4)) {
            word.copy_from_slice(chunk);
        }
        let mut rcon = 1u8;
        for i in 4..words.len() {
            let mut temp = words[i - 1];
            if i % 4 == 0 {
                temp = [
                    SBOX[usize::from(temp[1])] ^ rcon,
                    SBOX[usize::from(temp[2])],
                    SBOX[usize::from(temp[3])],
                    SBOX[usize::from(temp[0])],
                ];
                rcon = xtime(rcon);
            }
            for (t, p) in temp.iter_mut().zip(words[i - 4].iter()) {
                *t ^= p;
            }
            words[i] = temp;
        }
        let mut round_keys = [[0u8; BLOCK_LEN]; ROUNDS + 1];
        for (round_key, group) in round_keys.iter_mut().zip(words.chunks_exact(4)) {
            for (dst, word) in round_key.chunks_exact_mut(4).zip(group.iter()) {
                dst.copy_from_slice(word);
            }
        }
        Aes128 { round_keys }
    }

    /// Encrypts one block in place (FIPS-197 section 5.1).
    pub fn encrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        add_round_key(block, &self.round_keys[0]);
        for round_key in self.round_keys[1..ROUNDS].iter() {
            sub_bytes(block);
            shift_rows(block);
            mix_columns(block);
            add_round_key(block, round_key);
        }
        sub_bytes(block);
        shift_rows(block);
        add_round_key(block, &self.round_keys[ROUNDS]);
    }

    /// Returns the encryption of `block`.
    pub fn encrypt(&self, block: &[u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
        let mut out = *block;
        self.encrypt_block(&mut out);
        out
    }

    /// The expanded key schedule as FIPS-197 words `w[0..44]` (for tests and diagnostics).
    pub fn key_schedule_words(&self) -> [u32; 4 * (ROUNDS + 1)] {
        let mut out = [0u32; 4 * (ROUNDS + 1)];
        let words = self.round_keys.iter().flat_map(|rk| rk.chunks_exact(4));
        for (dst, w) in out.iter_mut().zip(words) {
            *dst = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
        }
        out
    }
}

fn add_round_key(state: &mut [u8; BLOCK_LEN], round_key: &[u8; BLOCK_LEN]) {
    for (s, k) in state.iter_mut().zip(round_key.iter()) {
        *s ^= k;
    }
}

fn sub_bytes(state: &mut [u8; BLOCK_LEN]) {
    for s in state.iter_mut() {
        *s = SBOX[usize::from(*s)];
    }
}

/// The state is column-major: byte `r + 4c` is row `r` of column `c`. Row `r` rotates left by `r`.
fn shift_rows(state: &mut [u8; BLOCK_LEN]) {
    let old = *state;
    for c in 0..4 {
        for r in 1..4 {
            state[r + 4 * c] = old[r + 4 * ((c + r) % 4)];
        }
    }
}

fn mix_columns(state: &mut [u8; BLOCK_LEN]) {
    for column in state.chunks_exact_mut(4) {
        let [a0, a1, a2, a3] = [column[0], column[1], column[2], column[3]];
        let all = a0 ^ a1 ^ a2 ^ a3;
        column[0] = a0 ^ all ^ xtime(a0 ^ a1);
        column[1] = a1 ^ all ^ xtime(a1 ^ a2);
        column[2] = a2 ^ all ^ xtime(a2 ^ a3);
        column[3] = a3 ^ all ^ xtime(a3 ^ a0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    fn block(hex: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, dst) in out.iter_mut().enumerate() {
            *dst = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn sbox_known_entries() {
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x01], 0x7c);
        assert_eq!(SBOX[0x53], 0xed); // FIPS-197 section 5.1.1 example
        assert_eq!(SBOX[0xff], 0x16);
        assert_eq!(SBOX[0x10], 0xca);
        // A permutation.
        let mut seen = [false; 256];
        for &s in SBOX.iter() {
            seen[usize::from(s)] = true;
        }
        assert!(seen.iter().all(|&b| b));
    }

    #[test]
    fn fips197_appendix_a1_key_expansion() {
        let aes = Aes128::new(&block("2b7e151628aed2a6abf7158809cf4f3c"));
        let w = aes.key_schedule_words();
        assert_eq!(
            &w[..4],
            &[0x2b7e_1516, 0x28ae_d2a6, 0xabf7_1588, 0x09cf_4f3c]
        );
        assert_eq!(
            &w[4..8],
            &[0xa0fa_fe17, 0x8854_2cb1, 0x23a3_3939, 0x2a6c_7605]
        );
        assert_eq!(
            &w[8..12],
            &[0xf2c2_95f2, 0x7a96_b943, 0x5935_807a, 0x7359_f67f]
        );
        assert_eq!(
            &w[40..44],
            &[0xd014_f9a8, 0xc9ee_2589, 0xe13f_0cc8, 0xb663_0ca6]
        );
    }

    #[test]
    fn fips197_appendix_b_cipher_example() {
        let aes = Aes128::new(&block("2b7e151628aed2a6abf7158809cf4f3c"));
        let out = aes.encrypt(&block("3243f6a8885a308d313198a2e0370734"));
        assert_eq!(to_hex(&out), "3925841d02dc09fbdc118597196a0b32");
    }

    #[test]
    fn fips197_appendix_c1_aes128() {
        let aes = Aes128::new(&block("000102030405060708090a0b0c0d0e0f"));
        let mut b = block("00112233445566778899aabbccddeeff");
        aes.encrypt_block(&mut b);
        assert_eq!(to_hex(&b), "69c4e0d86a7b0430d8cdb78070b4c55a");
    }

    #[test]
    fn rfc9001_header_protection_mask() {
        // RFC 9001 appendix A.2: the client hp key applied to the packet's sample.
        let aes = Aes128::new(&block("9f50449e04a0e810283a1e9933adedd2"));
        let mask = aes.encrypt(&block("d1b1c98dd7689fb8ec11d242b123dc9b"));
        assert_eq!(to_hex(&mask[..5]), "437b9aec36");
    }
}
