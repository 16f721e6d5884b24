//! Seeded hashing for flow keys and shard selection.
//!
//! Not cryptographic: a fast 64-bit multiply-xorshift mix (the finaliser of SplitMix64 /
//! MurmurHash3's fmix64 family) over the key words. The seed keeps an attacker who knows the
//! code from predicting bucket collisions on a given sensor (Suricata's `hash_rand` idea).

#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    x
}

/// Hash a sequence of u64 words with a seed.
#[inline]
pub fn hash_words(seed: u64, words: &[u64]) -> u64 {
    let mut h = mix64(seed ^ 0x9e37_79b9_7f4a_7c15);
    for &w in words {
        h = mix64(h ^ w).wrapping_add(0x9e37_79b9_7f4a_7c15);
    }
    h
}

#[inline]
pub fn addr_words(a: &[u8; 16]) -> (u64, u64) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&a[..8]);
    hi.copy_from_slice(&a[8..]);
    (u64::from_be_bytes(lo), u64::from_be_bytes(hi))
}

/// Symmetric hash of an address pair and protocol (and VLANs): the shard a packet goes to.
///
/// Ports are left out on purpose: non-first IP fragments carry no ports, and they must reach the
/// worker that owns their flow. Every packet between two hosts for one protocol lands on the same
/// worker, so one flow always lives in one worker.
pub fn shard_hash(seed: u64, a: &[u8; 16], b: &[u8; 16], proto: u8, vlan: [u16; 2]) -> u64 {
    let (a0, a1) = addr_words(a);
    let (b0, b1) = addr_words(b);
    let (lo, hi) = if (a0, a1) <= (b0, b1) { ((a0, a1), (b0, b1)) } else { ((b0, b1), (a0, a1)) };
    let tail = (proto as u64) | ((vlan[0] as u64) << 16) | ((vlan[1] as u64) << 32);
    hash_words(seed, &[lo.0, lo.1, hi.0, hi.1, tail])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_hash_is_symmetric_and_seeded() {
        let a = [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let b = [8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(shard_hash(1, &a, &b, 6, [0, 0]), shard_hash(1, &b, &a, 6, [0, 0]));
        assert_ne!(shard_hash(1, &a, &b, 6, [0, 0]), shard_hash(2, &a, &b, 6, [0, 0]));
        assert_ne!(shard_hash(1, &a, &b, 6, [0, 0]), shard_hash(1, &a, &b, 17, [0, 0]));
        assert_ne!(shard_hash(1, &a, &b, 6, [0, 0]), shard_hash(1, &a, &b, 6, [5, 0]));
    }

    #[test]
    fn mix_spreads_low_bits() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..1024u64 {
            seen.insert(mix64(i) & 1023);
        }
        assert!(seen.len() > 600, "poor spread: {}", seen.len());
    }
}
