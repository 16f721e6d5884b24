//! HTTP/2 with prior knowledge: the client connection preface.

use super::{prefix, Probe};

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub fn probe(b: &[u8]) -> Probe {
    prefix(b, PREFACE, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preface() {
        assert_eq!(probe(PREFACE), Probe::Yes);
        assert_eq!(probe(b"PRI * HT"), Probe::Maybe);
        assert_eq!(probe(b"POST / HTTP/1.1"), Probe::No);
    }
}
