//! HMAC-SHA256 (RFC 2104 / FIPS 198-1), HKDF-SHA256 (RFC 5869) and the TLS 1.3
//! `HKDF-Expand-Label` (RFC 8446 section 7.1) as QUIC uses it to derive Initial packet keys.
//!
//! These exist so the sensor can read QUIC Initial packets, whose keys are derived from public
//! values by design (RFC 9001 section 5.2). They are not hardened (not constant-time, no
//! zeroising of key material) and must not be used to protect secrets. All state is fixed-size
//! and no input can make them panic; over-long requests return an error.

use super::sha256::{Sha256, BLOCK_LEN, DIGEST_LEN};
use std::fmt;

/// The largest output HKDF-Expand can produce: 255 blocks of the hash length (RFC 5869 2.3).
pub const MAX_EXPAND_LEN: usize = 255 * DIGEST_LEN;

/// The largest `label` accepted by [`hkdf_expand_label`]: the full label `"tls13 " + label`
/// must fit its one-byte length prefix (RFC 8446 section 7.1 bounds it to 255 bytes).
pub const MAX_LABEL_LEN: usize = 255 - TLS13_PREFIX.len();

/// The largest context accepted by [`hkdf_expand_label`] (one-byte length prefix).
pub const MAX_CONTEXT_LEN: usize = 255;

const TLS13_PREFIX: &[u8] = b"tls13 ";

/// Why an HKDF request could not be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HkdfError {
    /// The requested output is longer than [`MAX_EXPAND_LEN`] (or, for Expand-Label, 65535).
    OutputTooLong,
    /// The label is longer than [`MAX_LABEL_LEN`].
    LabelTooLong,
    /// The context is longer than [`MAX_CONTEXT_LEN`].
    ContextTooLong,
}

impl fmt::Display for HkdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HkdfError::OutputTooLong => "HKDF output too long",
            HkdfError::LabelTooLong => "HKDF label too long",
            HkdfError::ContextTooLong => "HKDF context too long",
        })
    }
}

impl std::error::Error for HkdfError {}

/// Streaming HMAC-SHA256: `new(key)`, any number of `update`s, then `finalize`.
#[derive(Clone, Debug)]
pub struct HmacSha256 {
    inner: Sha256,
    /// The key padded to one block and XORed with the outer pad (0x5c).
    outer_key: [u8; BLOCK_LEN],
}

impl HmacSha256 {
    /// An HMAC keyed with `key` (keys longer than a block are hashed first, RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK_LEN];
        if key.len() > BLOCK_LEN {
            block[..DIGEST_LEN].copy_from_slice(&super::sha256::sha256(key));
        } else if let Some(dst) = block.get_mut(..key.len()) {
            dst.copy_from_slice(key);
        }
        let mut inner_key = [0u8; BLOCK_LEN];
        let mut outer_key = [0u8; BLOCK_LEN];
        for ((i, o), k) in inner_key
            .iter_mut()
            .zip(outer_key.iter_mut())
            .zip(block.iter())
        {
            *i = k ^ 0x36;
            *o = k ^ 0x5c;
        }
        let mut inner = Sha256::new();
        inner.update(&inner_key);
        HmacSha256 { inner, outer_key }
    }

    /// Appends `data` to the authenticated message.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// Returns the MAC of the message.
    pub fn finalize(self) -> [u8; DIGEST_LEN] {
        let inner_digest = self.inner.finalize();
        let mut outer = Sha256::new();
        outer.update(&self.outer_key);
        outer.update(&inner_digest);
        outer.finalize()
    }
}

/// HMAC-SHA256 of `data` under `key` in one call.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut mac = HmacSha256::new(key);
    mac.update(data);
    mac.finalize()
}

/// HKDF-Extract (RFC 5869 section 2.2): the pseudorandom key `HMAC(salt, ikm)`. An empty salt
/// is the same as a block of zeros, as the RFC specifies.
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> [u8; DIGEST_LEN] {
    hmac_sha256(salt, ikm)
}

/// HKDF-Expand (RFC 5869 section 2.3): fills `out` with output keying material from `prk` and
/// `info`. Fails (leaving `out` untouched) when `out` is longer than [`MAX_EXPAND_LEN`].
pub fn hkdf_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), HkdfError> {
    hkdf_expand_parts(prk, &[info], out)
}

/// HKDF-Expand with `info` given as consecutive parts (avoids building it in a buffer).
fn hkdf_expand_parts(prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), HkdfError> {
    if out.len() > MAX_EXPAND_LEN {
        return Err(HkdfError::OutputTooLong);
    }
    let keyed = HmacSha256::new(prk);
    let mut previous = [0u8; DIGEST_LEN];
    let mut counter: u8 = 1;
    for (index, chunk) in out.chunks_mut(DIGEST_LEN).enumerate() {
        let mut mac = keyed.clone();
        if index > 0 {
            mac.update(&previous);
        }
        for part in info {
            mac.update(part);
        }
        mac.update(&[counter]);
        previous = mac.finalize();
        if let Some(src) = previous.get(..chunk.len()) {
            chunk.copy_from_slice(src);
        }
        counter = counter.wrapping_add(1);
    }
    Ok(())
}

/// TLS 1.3 `HKDF-Expand-Label(secret, label, context, out.len())` (RFC 8446 section 7.1) with
/// SHA-256: HKDF-Expand with the info
/// `uint16 length || opaque label<7..255> = "tls13 " + label || opaque context<0..255>`.
/// `label` is given without the `"tls13 "` prefix (e.g. `b"client in"`, `b"quic key"`).
pub fn hkdf_expand_label(
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), HkdfError> {
    if out.len() > MAX_EXPAND_LEN || out.len() > usize::from(u16::MAX) {
        return Err(HkdfError::OutputTooLong);
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(HkdfError::LabelTooLong);
    }
    if context.len() > MAX_CONTEXT_LEN {
        return Err(HkdfError::ContextTooLong);
    }
    // The checks above keep these conversions lossless.
    let length = (out.len() as u16).to_be_bytes();
    let label_len = [(TLS13_PREFIX.len() + label.len()) as u8];
    let context_len = [context.len() as u8];
    hkdf_expand_parts(
        secret,
        &[
            &length,
            &label_len,
            TLS13_PREFIX,
            label,
            &context_len,
            context,
        ],
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    use crate::crypto::from_hex as unhex;

    #[test]
    fn rfc4231_hmac_sha256() {
        let long_key = vec![0xaau8; 131];
        let key4: Vec<u8> = (1..=25u8).collect();
        let cases: [(&[u8], &[u8], &str); 6] = [
            // Test case 1
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            // Test case 2
            (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            // Test case 3
            (&[0xaa; 20], &[0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            // Test case 4
            (&key4, &[0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            // Test case 6: key longer than a block.
            (&long_key, b"Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            // Test case 7: key and data longer than a block.
            (&long_key, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ];
        for (i, (key, data, expected)) in cases.iter().enumerate() {
            assert_eq!(to_hex(&hmac_sha256(key, data)), *expected, "case {}", i);
            // Streaming in two parts gives the same MAC.
            let mut mac = HmacSha256::new(key);
            let (a, b) = data.split_at(data.len() / 2);
            mac.update(a);
            mac.update(b);
            assert_eq!(to_hex(&mac.finalize()), *expected, "streamed case {}", i);
        }
    }

    #[test]
    fn hmac_key_of_exactly_one_block_is_used_directly() {
        // A 64-byte key is not hashed; a 65-byte one is. Reference values from Python's hmac.
        assert_eq!(
            to_hex(&hmac_sha256(&[0x11; 64], b"msg")),
            "244f19005b7d43287f3e16fa754519f8946763151f07f467c434e2db19208acf"
        );
        assert_eq!(
            to_hex(&hmac_sha256(&[0x11; 65], b"msg")),
            "7952a607c0d7bf348eaa57e5baf1b0384514f243ed704eec5eb6110549946b8b"
        );
    }

    #[test]
    fn rfc5869_case1_basic() {
        let ikm = [0x0bu8; 22];
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = hkdf_extract(&salt, &ikm);
        assert_eq!(
            to_hex(&prk),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
        );
        let mut okm = [0u8; 42];
        hkdf_expand(&prk, &info, &mut okm).unwrap();
        assert_eq!(
            to_hex(&okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn rfc5869_case2_long_inputs() {
        let ikm: Vec<u8> = (0x00..=0x4fu8).collect();
        let salt: Vec<u8> = (0x60..=0xafu8).collect();
        let info: Vec<u8> = (0xb0..=0xffu8).collect();
        let prk = hkdf_extract(&salt, &ikm);
        assert_eq!(
            to_hex(&prk),
            "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"
        );
        let mut okm = [0u8; 82];
        hkdf_expand(&prk, &info, &mut okm).unwrap();
        assert_eq!(
            to_hex(&okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
             59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
             cc30c58179ec3e87c14c01d5c1f3434f1d87"
        );
    }

    #[test]
    fn rfc5869_case3_empty_salt_and_info() {
        let ikm = [0x0bu8; 22];
        let prk = hkdf_extract(&[], &ikm);
        assert_eq!(
            to_hex(&prk),
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"
        );
        let mut okm = [0u8; 42];
        hkdf_expand(&prk, &[], &mut okm).unwrap();
        assert_eq!(
            to_hex(&okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn expand_bounds() {
        let prk = [7u8; 32];
        let mut max = vec![0u8; MAX_EXPAND_LEN];
        assert_eq!(hkdf_expand(&prk, b"x", &mut max), Ok(()));
        let mut too_long = vec![0u8; MAX_EXPAND_LEN + 1];
        assert_eq!(
            hkdf_expand(&prk, b"x", &mut too_long),
            Err(HkdfError::OutputTooLong)
        );
        assert!(too_long.iter().all(|&b| b == 0));
        // A prefix of a longer expansion equals the shorter expansion.
        let mut short = [0u8; 40];
        hkdf_expand(&prk, b"x", &mut short).unwrap();
        assert_eq!(&short[..], &max[..40]);
        let mut empty: [u8; 0] = [];
        assert_eq!(hkdf_expand(&prk, b"x", &mut empty), Ok(()));
    }

    #[test]
    fn expand_label_rfc9001_a1_initial_secrets() {
        // RFC 9001 appendix A.1: initial secret from the DCID 0x8394c8f03e515708.
        let salt = unhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
        let initial = hkdf_extract(&salt, &unhex("8394c8f03e515708"));
        assert_eq!(
            to_hex(&initial),
            "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"
        );
        let mut client = [0u8; 32];
        hkdf_expand_label(&initial, b"client in", &[], &mut client).unwrap();
        assert_eq!(
            to_hex(&client),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
        );
        let mut server = [0u8; 32];
        hkdf_expand_label(&initial, b"server in", &[], &mut server).unwrap();
        assert_eq!(
            to_hex(&server),
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
        );
        let mut key = [0u8; 16];
        let mut iv = [0u8; 12];
        let mut hp = [0u8; 16];
        hkdf_expand_label(&client, b"quic key", &[], &mut key).unwrap();
        hkdf_expand_label(&client, b"quic iv", &[], &mut iv).unwrap();
        hkdf_expand_label(&client, b"quic hp", &[], &mut hp).unwrap();
        assert_eq!(to_hex(&key), "1f369613dd76d5467730efcbe3b1a22d");
        assert_eq!(to_hex(&iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(to_hex(&hp), "9f50449e04a0e810283a1e9933adedd2");
    }

    #[test]
    fn expand_label_bounds() {
        let secret = [1u8; 32];
        let mut out = [0u8; 16];
        let label = vec![b'a'; MAX_LABEL_LEN];
        assert_eq!(hkdf_expand_label(&secret, &label, &[], &mut out), Ok(()));
        let label = vec![b'a'; MAX_LABEL_LEN + 1];
        assert_eq!(
            hkdf_expand_label(&secret, &label, &[], &mut out),
            Err(HkdfError::LabelTooLong)
        );
        let context = vec![0u8; 256];
        assert_eq!(
            hkdf_expand_label(&secret, b"x", &context, &mut out),
            Err(HkdfError::ContextTooLong)
        );
        let mut long = vec![0u8; MAX_EXPAND_LEN + 1];
        assert_eq!(
            hkdf_expand_label(&secret, b"x", &[], &mut long),
            Err(HkdfError::OutputTooLong)
        );
        // A context changes the output.
        let mut with_context = [0u8; 16];
        hkdf_expand_label(&secret, b"x", b"ctx", &mut with_context).unwrap();
        let mut without = [0u8; 16];
        hkdf_expand_label(&secret, b"x", &[], &mut without).unwrap();
        assert_ne!(with_context, without);
        assert!(!HkdfError::OutputTooLong.to_string().is_empty());
    }
}
