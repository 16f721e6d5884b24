//! LDAP: an LDAPMessage (RFC 4511), BER `SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n]
//! ... }`, in either direction. Suricata registers its LDAP probe on ports 389 and 3268; ours is
//! bound the same way (`detect.rs`): a BER sequence is generic. StartTLS is the extended
//! operation 1.3.6.1.4.1.1466.20037 (RFC 4511 4.14); a success result to it means both sides
//! speak TLS next.

use super::Probe;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const ENUMERATED: u8 = 0x0a;
/// [APPLICATION 23] ExtendedRequest, [APPLICATION 24] ExtendedResponse (constructed).
const EXTENDED_REQUEST: u8 = 0x77;
const EXTENDED_RESPONSE: u8 = 0x78;
/// ExtendedRequest requestName [0] (primitive).
const REQUEST_NAME: u8 = 0x80;
const START_TLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";
/// Largest LDAP message framed while watching for StartTLS.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// A BER length at `b[at..]`: (length, bytes it took). None when short or unsupported.
fn ber_len(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *b.get(at)?;
    if first & 0x80 == 0 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 3 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*b.get(at + 1 + i)?);
    }
    Some((len, 1 + n))
}

/// The first LDAPMessage of `b`: Ok(Some(total length)) once complete, Ok(None) while more
/// bytes are needed, Err(()) when `b` does not start with one (or it is over `MAX_MESSAGE`).
pub fn message_len(b: &[u8]) -> Result<Option<usize>, ()> {
    match b.first() {
        None => return Ok(None),
        Some(&SEQUENCE) => {}
        Some(_) => return Err(()),
    }
    let (len, n) = match ber_len(b, 1) {
        Some(x) => x,
        None if b.len() < 5 => return Ok(None),
        None => return Err(()),
    };
    let total = 1 + n + len;
    if total > MAX_MESSAGE {
        return Err(());
    }
    Ok(if b.len() >= total { Some(total) } else { None })
}

/// The protocolOp tag and its contents of a complete message.
fn protocol_op(msg: &[u8]) -> Option<(u8, &[u8])> {
    let (_, n) = ber_len(msg, 1)?;
    let at = 1 + n;
    if *msg.get(at)? != INTEGER {
        return None;
    }
    let (id_len, idn) = ber_len(msg, at + 1)?;
    if !(1..=4).contains(&id_len) {
        return None;
    }
    let op_at = at + 1 + idn + id_len;
    let tag = *msg.get(op_at)?;
    let (op_len, opn) = ber_len(msg, op_at + 1)?;
    let body = msg.get(op_at + 1 + opn..op_at + 1 + opn + op_len)?;
    Some((tag, body))
}

pub fn probe(b: &[u8]) -> Probe {
    let msg = match message_len(b) {
        Err(()) => return Probe::No,
        Ok(None) => b,
        Ok(Some(n)) => &b[..n],
    };
    // A partial message still shows its messageID and protocolOp tag.
    let (_, n) = match ber_len(msg, 1) {
        Some(x) => x,
        None => return Probe::Maybe,
    };
    let at = 1 + n;
    let id_len = match (msg.get(at), msg.get(at + 1)) {
        (Some(&INTEGER), Some(&l)) if (1..=4).contains(&l) => usize::from(l),
        (None, _) | (Some(&INTEGER), None) => return Probe::Maybe,
        _ => return Probe::No,
    };
    match msg.get(at + 2 + id_len) {
        None => Probe::Maybe,
        // [APPLICATION 0..25]: bind, unbind, search, modify, add, delete, modDN, compare,
        // abandon, extended, intermediate.
        Some(&t) if t & 0xc0 == 0x40 && (t & 0x1f) <= 25 => Probe::Yes,
        Some(_) => Probe::No,
    }
}

/// Is this complete message a StartTLS extended request?
pub fn is_start_tls_request(msg: &[u8]) -> bool {
    match protocol_op(msg) {
        Some((EXTENDED_REQUEST, body)) => body.first() == Some(&REQUEST_NAME) && ber_len(body, 1).and_then(|(l, n)| body.get(1 + n..1 + n + l)) == Some(START_TLS_OID),
        _ => false,
    }
}

/// For a complete message: Some(success) when it is an extended response, else None.
pub fn extended_response_ok(msg: &[u8]) -> Option<bool> {
    match protocol_op(msg)? {
        (EXTENDED_RESPONSE, body) => Some(body.get(..3) == Some(&[ENUMERATED, 1, 0][..])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// suricata-verify ldap-starttls.pcap: the client's request and the server's answer.
    const REQUEST: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";
    const RESPONSE: &[u8] = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";

    #[test]
    fn start_tls_exchange() {
        assert_eq!(probe(REQUEST), Probe::Yes);
        assert_eq!(probe(RESPONSE), Probe::Yes);
        assert_eq!(message_len(REQUEST), Ok(Some(31)));
        assert_eq!(message_len(&REQUEST[..10]), Ok(None));
        assert!(is_start_tls_request(REQUEST));
        assert_eq!(extended_response_ok(RESPONSE), Some(true));
        let mut refused = RESPONSE.to_vec();
        refused[9] = 2; // protocolError
        assert_eq!(extended_response_ok(&refused), Some(false));
        assert_eq!(extended_response_ok(REQUEST), None);
        let mut other_oid = REQUEST.to_vec();
        other_oid[30] = b'8';
        assert!(!is_start_tls_request(&other_oid));
    }

    #[test]
    fn not_ldap() {
        assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Probe::No);
        // SNMP over TCP: a version INTEGER then an OCTET STRING community, no application tag.
        assert_eq!(probe(b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19"), Probe::No);
        assert_eq!(probe(b"\x30"), Probe::Maybe);
        assert_eq!(message_len(b"\x30\x84\x00\x00\x00\x10"), Err(()), "4-byte lengths refused");
    }
}
