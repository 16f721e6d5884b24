//! RFB (VNC): the `RFB xxx.yyy\n` ProtocolVersion both sides send first.

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    let pat: [fn(u8) -> bool; 12] = [
        |c| c == b'R',
        |c| c == b'F',
        |c| c == b'B',
        |c| c == b' ',
        |c| c.is_ascii_digit(),
        |c| c.is_ascii_digit(),
        |c| c.is_ascii_digit(),
        |c| c == b'.',
        |c| c.is_ascii_digit(),
        |c| c.is_ascii_digit(),
        |c| c.is_ascii_digit(),
        |c| c == b'\n',
    ];
    for (i, p) in pat.iter().enumerate() {
        match b.get(i) {
            None => return Probe::Maybe,
            Some(&c) if !p(c) => return Probe::No,
            Some(_) => {}
        }
    }
    Probe::Yes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version() {
        assert_eq!(probe(b"RFB 003.008\n"), Probe::Yes);
        assert_eq!(probe(b"RFB 00"), Probe::Maybe);
        assert_eq!(probe(b"RFB 3.8\n"), Probe::No);
    }
}
