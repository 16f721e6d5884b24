//! PostgreSQL: a startup-phase request (StartupMessage v3, SSLRequest, GSSENCRequest,
//! CancelRequest) to the server; an authentication request or error to the client.

use super::{be32, Probe};

const V3: u32 = 196608;
const SSL_REQUEST: u32 = 80877103;
const GSSENC_REQUEST: u32 = 80877104;
const CANCEL_REQUEST: u32 = 80877102;

pub fn probe(b: &[u8], to_server: bool) -> Probe {
    if to_server {
        let (len, code) = match (be32(b, 0), be32(b, 4)) {
            (Some(l), Some(c)) => (l, c),
            _ => return Probe::Maybe,
        };
        let ok = match code {
            V3 => (8..=10_000).contains(&len),
            SSL_REQUEST | GSSENC_REQUEST => len == 8,
            CANCEL_REQUEST => len == 16,
            _ => false,
        };
        return if ok { Probe::Yes } else { Probe::No };
    }
    match b.first() {
        None => Probe::Maybe,
        Some(b'R') => match (be32(b, 1), be32(b, 5)) {
            (Some(len), Some(auth)) if (8..=1024).contains(&len) && matches!(auth, 0 | 2 | 3 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12) => Probe::Yes,
            (Some(_), Some(_)) => Probe::No,
            _ => Probe::Maybe,
        },
        Some(b'E') => match be32(b, 1) {
            Some(len) if (8..=4096).contains(&len) => match b.get(5) {
                Some(b'S') | Some(b'V') | Some(b'C') | Some(b'M') => Probe::Yes,
                None => Probe::Maybe,
                _ => Probe::No,
            },
            Some(_) => Probe::No,
            None => Probe::Maybe,
        },
        Some(_) => Probe::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_and_ssl() {
        let mut s = 41u32.to_be_bytes().to_vec();
        s.extend_from_slice(&V3.to_be_bytes());
        s.extend_from_slice(b"user\0postgres\0");
        assert_eq!(probe(&s, true), Probe::Yes);
        let mut ssl = 8u32.to_be_bytes().to_vec();
        ssl.extend_from_slice(&SSL_REQUEST.to_be_bytes());
        assert_eq!(probe(&ssl, true), Probe::Yes);
        assert_eq!(probe(&ssl[..5], true), Probe::Maybe);
        assert_eq!(probe(b"GET / HT", true), Probe::No);
        assert_eq!(probe(b"R\x00\x00\x00\x0c\x00\x00\x00\x05salt", false), Probe::Yes);
    }
}
