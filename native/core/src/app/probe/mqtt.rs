//! MQTT: a CONNECT packet (type 1) whose variable header names the protocol `MQTT` or `MQIsdp`.

use super::{any_prefix, Probe};

pub fn probe(b: &[u8]) -> Probe {
    match b.first() {
        None => return Probe::Maybe,
        Some(&0x10) => {}
        Some(_) => return Probe::No,
    }
    // Remaining length: 1..4 bytes of varint.
    let mut i = 1;
    loop {
        match b.get(i) {
            None => return Probe::Maybe,
            Some(&c) => {
                i += 1;
                if c & 0x80 == 0 {
                    break;
                }
                if i > 4 {
                    return Probe::No;
                }
            }
        }
    }
    any_prefix(&b[i..], &[b"\x00\x04MQTT", b"\x00\x06MQIsdp"], false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect() {
        assert_eq!(probe(b"\x10\x1a\x00\x04MQTT\x04\x02\x00\x3c"), Probe::Yes);
        assert_eq!(probe(b"\x10\x1a\x00"), Probe::Maybe);
        assert_eq!(probe(b"\x10\x1a\x00\x04HTTP"), Probe::No);
        assert_eq!(probe(b"\x20\x02"), Probe::No);
    }
}
