//! Telnet: option negotiation first (IAC followed by WILL, WONT, DO or DONT).

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    match (b.first(), b.get(1)) {
        (None, _) => Probe::Maybe,
        (Some(0xff), None) => Probe::Maybe,
        (Some(0xff), Some(&c)) if (0xfb..=0xfe).contains(&c) => Probe::Yes,
        _ => Probe::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iac() {
        assert_eq!(probe(b"\xff\xfd\x18"), Probe::Yes);
        assert_eq!(probe(b"\xff"), Probe::Maybe);
        assert_eq!(probe(b"\xff\x01"), Probe::No);
        assert_eq!(probe(b"login:"), Probe::No);
    }
}
