//! DHCP (BOOTP) over UDP: op 1/2, Ethernet hardware type and length, and the magic cookie.

use super::Probe;

pub fn probe(b: &[u8]) -> Probe {
    if b.len() < 240 {
        return Probe::No;
    }
    if (b[0] == 1 || b[0] == 2) && b[1] == 1 && b[2] == 6 && b[236..240] == [0x63, 0x82, 0x53, 0x63] {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie() {
        let mut m = vec![0u8; 300];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        m[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        assert_eq!(probe(&m), Probe::Yes);
        m[237] = 0;
        assert_eq!(probe(&m), Probe::No);
        assert_eq!(probe(&m[..100]), Probe::No);
    }
}
