//! NTP over UDP: a 48-byte header (plus extensions) with version 3 or 4, a client/server or
//! symmetric mode that fits the direction, and a stratum of at most 16.

use super::Probe;

pub fn probe(b: &[u8], to_server: bool, server_port: u16) -> Probe {
    if b.len() < 48 || (server_port != 123 && b.len() != 48) || (b.len() - 48) % 4 != 0 {
        return Probe::No;
    }
    let version = (b[0] >> 3) & 7;
    let mode = b[0] & 7;
    let mode_ok = match mode {
        1 | 2 => true,
        3 => to_server,
        4 => !to_server,
        _ => false,
    };
    if (3..=4).contains(&version) && mode_ok && b[1] <= 16 {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request() {
        let mut m = [0u8; 48];
        m[0] = 0x23; // v4, client
        assert_eq!(probe(&m, true, 123), Probe::Yes);
        assert_eq!(probe(&m, false, 123), Probe::No);
        m[0] = 0x24;
        assert_eq!(probe(&m, false, 123), Probe::Yes);
        assert_eq!(probe(&m[..40], false, 123), Probe::No);
    }
}
