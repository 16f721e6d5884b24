//! BitTorrent DHT (BEP 5) over UDP: a bencoded dictionary with a `y` key of `q`, `r` or `e`.

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    if b.first() != Some(&b'd') || b.len() < 8 {
        return Probe::No;
    }
    let head = &b[..b.len().min(512)];
    let has = |pat: &[u8]| head.windows(pat.len()).any(|w| w == pat);
    if (has(b"1:y1:q") || has(b"1:y1:r") || has(b"1:y1:e")) && has(b"1:t") {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dht_query() {
        assert_eq!(probe(b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"), Probe::Yes);
        assert_eq!(probe(b"d1:ad2:ide"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1"), Probe::No);
    }
}
