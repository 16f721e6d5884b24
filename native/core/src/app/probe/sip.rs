//! SIP (UDP or TCP): a status line `SIP/2.0 ddd` or a request line `METHOD sip:...`.

use super::{prefix, Probe};

const METHODS: [&[u8]; 14] = [
    b"INVITE", b"REGISTER", b"OPTIONS", b"ACK", b"BYE", b"CANCEL", b"SUBSCRIBE", b"NOTIFY", b"MESSAGE", b"INFO", b"PRACK", b"UPDATE", b"REFER", b"PUBLISH",
];

pub fn probe(b: &[u8]) -> Probe {
    let mut maybe = false;
    match prefix(b, b"SIP/2.0 ", false) {
        Probe::Yes => return Probe::Yes,
        Probe::Maybe => maybe = true,
        Probe::No => {}
    }
    for m in METHODS.iter() {
        let mut line = m.to_vec();
        line.extend_from_slice(b" sip");
        match prefix(b, &line, true) {
            Probe::Yes => return Probe::Yes,
            Probe::Maybe => maybe = true,
            Probe::No => {}
        }
    }
    if maybe {
        Probe::Maybe
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_status() {
        assert_eq!(probe(b"INVITE sip:bob@example.com SIP/2.0\r\n"), Probe::Yes);
        assert_eq!(probe(b"SIP/2.0 200 OK\r\n"), Probe::Yes);
        assert_eq!(probe(b"OPTIONS / HTTP/1.1\r\n"), Probe::No, "HTTP OPTIONS is not SIP");
        assert_eq!(probe(b"INV"), Probe::Maybe);
    }
}
