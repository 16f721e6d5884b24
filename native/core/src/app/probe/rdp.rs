//! RDP: the client's X.224 Connection Request in a TPKT frame (`03 00 <len16>`, X.224 code
//! 0xE0), and the server's Connection Confirm (0xD0) whose RDP Negotiation Response names the
//! security protocol (MS-RDPBCGR 2.2.1.2.1): with SSL (1), CredSSP (2) or CredSSP-EX (8) the
//! rest of the connection is TLS. Suricata's probe (`rust/src/rdp/rdp.rs` `probe_rdp`) is bound
//! to port 3389; so is ours (`detect.rs`), the TPKT header being short and shared with ISO-TSAP.

use super::{be16, le32, Probe};

const TPKT_VERSION: u8 = 3;
const X224_CONNECTION_REQUEST: u8 = 0xe0;
const X224_CONNECTION_CONFIRM: u8 = 0xd0;
/// RDP_NEG_RSP type byte.
const NEG_RESPONSE: u8 = 0x02;
/// selectedProtocol values carried inside TLS: PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX.
const TLS_PROTOCOLS: u32 = 0x1 | 0x2 | 0x8;

/// A TPKT frame's total length (header included), if `b` starts like one.
pub fn tpkt_len(b: &[u8]) -> Option<usize> {
    if *b.first()? != TPKT_VERSION || *b.get(1)? != 0 {
        return None;
    }
    let len = usize::from(be16(b, 2)?);
    if len < 7 {
        return None;
    }
    Some(len)
}

/// Connection Request to the server, Connection Confirm to the client.
pub fn probe(b: &[u8], to_server: bool) -> Probe {
    if b.len() < 6 {
        return if b.first().map_or(true, |&c| c == TPKT_VERSION) { Probe::Maybe } else { Probe::No };
    }
    let len = match tpkt_len(b) {
        Some(l) => l,
        None => return Probe::No,
    };
    // X.224 length indicator covers the rest of the frame's header; then the TPDU code.
    let li = usize::from(b[4]);
    let code = b[5] & 0xf0;
    let want = if to_server { X224_CONNECTION_REQUEST } else { X224_CONNECTION_CONFIRM };
    if code == want && li + 5 <= len {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// For a complete Connection Confirm frame: Some(true) when the negotiated security protocol
/// runs inside TLS, Some(false) for standard RDP security or a negotiation failure, None when
/// `frame` is not a Connection Confirm.
pub fn confirm_selects_tls(frame: &[u8]) -> Option<bool> {
    let len = tpkt_len(frame)?;
    let frame = frame.get(..len)?;
    if *frame.get(5)? & 0xf0 != X224_CONNECTION_CONFIRM {
        return None;
    }
    // X.224 CC header is 7 bytes after the TPKT header (LI, code, dst-ref, src-ref, class); the
    // optional 8-byte negotiation structure follows.
    let neg = match frame.get(11..19) {
        Some(n) => n,
        None => return Some(false),
    };
    if neg[0] != NEG_RESPONSE {
        return Some(false);
    }
    Some(le32(neg, 4).map_or(false, |p| p & TLS_PROTOCOLS != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zeek rdp__rdp-to-ssl.pcap, first connection.
    const REQUEST: &[u8] = b"\x03\x00\x00\x2f\x2a\xe0\x00\x00\x00\x00\x00Cookie: mstshash=AWAKECODI\r\n\x01\x00\x08\x00\x03\x00\x00\x00";
    const CONFIRM_HYBRID: &[u8] = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x01\x08\x00\x02\x00\x00\x00";

    #[test]
    fn request_and_confirm() {
        assert_eq!(probe(REQUEST, true), Probe::Yes);
        assert_eq!(probe(REQUEST, false), Probe::No);
        assert_eq!(probe(CONFIRM_HYBRID, false), Probe::Yes);
        assert_eq!(probe(&REQUEST[..3], true), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", true), Probe::No);
        assert_eq!(tpkt_len(REQUEST), Some(47));
    }

    #[test]
    fn negotiated_protocol() {
        assert_eq!(confirm_selects_tls(CONFIRM_HYBRID), Some(true));
        let mut rdp_security = CONFIRM_HYBRID.to_vec();
        rdp_security[15] = 0;
        assert_eq!(confirm_selects_tls(&rdp_security), Some(false));
        // Negotiation failure (type 3) and a confirm without the structure.
        let mut failure = CONFIRM_HYBRID.to_vec();
        failure[11] = 3;
        assert_eq!(confirm_selects_tls(&failure), Some(false));
        assert_eq!(confirm_selects_tls(b"\x03\x00\x00\x0b\x06\xd0\x00\x00\x12\x34\x00"), Some(false));
        assert_eq!(confirm_selects_tls(REQUEST), None);
        assert_eq!(confirm_selects_tls(&CONFIRM_HYBRID[..12]), None, "truncated frame");
    }
}
