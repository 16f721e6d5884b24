//! Google QUIC (gQUIC) client hellos: the `CHLO` crypto handshake message of the versions before
//! Google moved to TLS, from which the server name (tag `SNI`) and user agent (tag `UAID`) are
//! read, as Suricata's and nDPI's QUIC parsers do.
//!
//! Q043 and older send the CHLO in cleartext after a "public header" (flags, 8-byte connection
//! ID, version, packet number) and a 12-byte message authentication hash; Q046 uses a long
//! header in the IETF invariant layout with the same cleartext body. Q050 protects its Initial
//! as IETF QUIC does (see [`crate::app::quic`]), and its CRYPTO stream is a CHLO read here by
//! [`parse_chlo`].
//!
//! In the cleartext body the CHLO travels on stream 1 in a gQUIC STREAM frame (type `1fdooo ss`:
//! FIN, data-length present, offset length, stream ID length). Integers are little-endian before
//! Q039 and big-endian from Q039 on; the CHLO's own fields are always little-endian.
//!
//! Everything is a pure function of the datagram, allocates at most the two strings returned
//! (each capped at [`MAX_TAG_VALUE`]) and never panics on any input.

use std::fmt;

/// The most CHLO tags walked; real CHLOs carry about 30.
pub const MAX_TAGS: usize = 128;

/// The longest SNI or user agent kept (longer values are cut and flagged).
pub const MAX_TAG_VALUE: usize = 512;

/// The 12-byte message authentication hash of unencrypted gQUIC packets.
const AUTH_HASH_LEN: usize = 12;

/// The crypto handshake stream.
const CRYPTO_STREAM_ID: u64 = 1;

/// Why a datagram is not a readable gQUIC CHLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GquicError {
    /// The datagram ends before the structure it announces.
    Truncated,
    /// Not a client packet with a version of the cleartext gQUIC family (Q024..Q046).
    NotCleartextGquic,
    /// The first frame is not a STREAM frame on the crypto stream.
    NoCryptoStreamFrame,
    /// The crypto stream data does not start with a CHLO message.
    NotChlo,
}

impl fmt::Display for GquicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GquicError::Truncated => "gQUIC packet truncated",
            GquicError::NotCleartextGquic => "not a cleartext gQUIC client packet",
            GquicError::NoCryptoStreamFrame => "no gQUIC crypto stream frame",
            GquicError::NotChlo => "gQUIC crypto data is not a CHLO",
        })
    }
}

impl std::error::Error for GquicError {}

/// The fields of a CHLO this sensor reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chlo {
    /// The `SNI` tag's value.
    pub sni: Option<String>,
    /// The `UAID` tag's value (the client's user agent).
    pub user_agent: Option<String>,
    /// Whether a value was cut at [`MAX_TAG_VALUE`] or tags beyond [`MAX_TAGS`] were skipped.
    pub truncated: bool,
}

/// A cleartext gQUIC client packet's version and CHLO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHelloPacket {
    /// The version, e.g. `0x51303436` ("Q046").
    pub version: u32,
    /// The CHLO found in its crypto stream frame.
    pub chlo: Chlo,
}

/// The number in a gQUIC version tag `Qddd`, if `version` is one.
fn q_number(version: u32) -> Option<u32> {
    let b = version.to_be_bytes();
    if b[0] != b'Q' || !b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b[1..].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn u32_be(buf: &[u8], pos: usize) -> Option<u32> {
    let b = buf.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Where the frames of a cleartext client packet start, and its version.
fn frames_start(d: &[u8]) -> Result<(usize, u32), GquicError> {
    let flags = *d.first().ok_or(GquicError::Truncated)?;
    if flags & 0x80 != 0 {
        // Q046: long header `11 00 00 pp`, version, CID lengths byte 0x50 (DCID 8, no SCID),
        // DCID, packet number (length from the low bits).
        let version = u32_be(d, 1).ok_or(GquicError::Truncated)?;
        if q_number(version) != Some(46) || flags & 0xf0 != 0xc0 {
            return Err(GquicError::NotCleartextGquic);
        }
        if *d.get(5).ok_or(GquicError::Truncated)? != 0x50 {
            return Err(GquicError::NotCleartextGquic);
        }
        let pn_len = usize::from(flags & 0x03) + 1;
        return Ok((6 + 8 + pn_len + AUTH_HASH_LEN, version));
    }
    // Public header (Q043 and older): flags with the version bit (0x01) and an 8-byte
    // connection ID (0x08) set, reset bit (0x02) clear; then the packet number, whose length
    // the bits 0x30 give (1, 2, 4 or 6 bytes).
    if flags & 0x0b != 0x09 || flags & 0x40 != 0 {
        return Err(GquicError::NotCleartextGquic);
    }
    let version = u32_be(d, 9).ok_or(GquicError::Truncated)?;
    let n = match q_number(version) {
        Some(n) if (24..=43).contains(&n) => n,
        _ => return Err(GquicError::NotCleartextGquic),
    };
    let pn_len = [1usize, 2, 4, 6][usize::from((flags >> 4) & 0x03)];
    let mut start = 1 + 8 + 4 + pn_len + AUTH_HASH_LEN;
    if n < 34 {
        // The private flags byte (entropy, FEC) was removed in Q034.
        start += 1;
    }
    Ok((start, version))
}

/// Reads `len` bytes as an unsigned integer, little- or big-endian.
fn read_uint(d: &[u8], pos: usize, len: usize, big_endian: bool) -> Option<u64> {
    let b = d.get(pos..pos.checked_add(len)?)?;
    let fold = |n: u64, x: &u8| (n << 8) | u64::from(*x);
    Some(if big_endian { b.iter().fold(0, fold) } else { b.iter().rev().fold(0, fold) })
}

/// Reads a cleartext gQUIC client packet (Q024..Q046) and the CHLO of its first crypto stream
/// frame. Leading PADDING is skipped; nothing else may come before the STREAM frame.
pub fn parse_client_packet(udp_payload: &[u8]) -> Result<ClientHelloPacket, GquicError> {
    let (mut pos, version) = frames_start(udp_payload)?;
    let big_endian = q_number(version).map_or(true, |n| n >= 39);
    while udp_payload.get(pos) == Some(&0) {
        pos += 1;
    }
    let frame_type = *udp_payload.get(pos).ok_or(GquicError::Truncated)?;
    // STREAM frame with the data-length bit: 1 f d ooo ss.
    if frame_type & 0xa0 != 0xa0 {
        return Err(GquicError::NoCryptoStreamFrame);
    }
    pos += 1;
    let id_len = usize::from(frame_type & 0x03) + 1;
    let offset_len = match usize::from((frame_type >> 2) & 0x07) {
        0 => 0,
        n => n + 1,
    };
    let stream_id = read_uint(udp_payload, pos, id_len, big_endian).ok_or(GquicError::Truncated)?;
    if stream_id != CRYPTO_STREAM_ID {
        return Err(GquicError::NoCryptoStreamFrame);
    }
    // The offset is skipped: a CHLO resent after a REJ starts at a non-zero stream offset.
    pos += id_len + offset_len;
    let data_len = read_uint(udp_payload, pos, 2, big_endian).ok_or(GquicError::Truncated)?;
    pos += 2;
    let end = pos.saturating_add(data_len as usize).min(udp_payload.len());
    let data = udp_payload.get(pos..end).ok_or(GquicError::Truncated)?;
    let chlo = parse_chlo(data)?;
    Ok(ClientHelloPacket { version, chlo })
}

/// Whether a UDP payload looks like a cleartext gQUIC client packet carrying a CHLO.
pub fn looks_like_gquic_chlo(udp_payload: &[u8]) -> bool {
    parse_client_packet(udp_payload).is_ok()
}

fn tag_value(bytes: &[u8], truncated: &mut bool) -> String {
    let kept = bytes.get(..MAX_TAG_VALUE).unwrap_or(bytes);
    if kept.len() < bytes.len() {
        *truncated = true;
    }
    String::from_utf8_lossy(kept).into_owned()
}

/// Parses a CHLO handshake message (`CHLO`, u16 tag count, u16 padding, then per tag its name
/// and the u32 end offset of its value, then the values; all little-endian) and returns its
/// `SNI` and `UAID` values. The message may be cut short (it can span several packets): tags
/// whose values lie beyond the data are skipped.
pub fn parse_chlo(data: &[u8]) -> Result<Chlo, GquicError> {
    if data.get(..4) != Some(&b"CHLO"[..]) {
        return Err(GquicError::NotChlo);
    }
    let count = read_uint(data, 4, 2, false).ok_or(GquicError::Truncated)? as usize;
    let mut chlo = Chlo::default();
    let walked = count.min(MAX_TAGS);
    if walked < count {
        chlo.truncated = true;
    }
    let values_start = 8 + 8 * count;
    let mut prev_end = 0usize;
    for i in 0..walked {
        let entry = 8 + 8 * i;
        let tag = match data.get(entry..entry + 4) {
            Some(t) => t,
            None => break,
        };
        let end = match read_uint(data, entry + 4, 4, false) {
            Some(e) => e as usize,
            None => break,
        };
        // End offsets must not decrease (each value follows the previous one).
        if end < prev_end {
            break;
        }
        let value = values_start
            .checked_add(prev_end)
            .and_then(|s| Some(s..values_start.checked_add(end)?))
            .and_then(|r| data.get(r));
        prev_end = end;
        let value = match value {
            Some(v) => v,
            None => continue,
        };
        match tag {
            b"SNI\0" => chlo.sni = Some(tag_value(value, &mut chlo.truncated)),
            b"UAID" => chlo.user_agent = Some(tag_value(value, &mut chlo.truncated)),
            _ => {}
        }
    }
    Ok(chlo)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::crypto::from_hex as unhex;

    /// Builds a CHLO with the given tags (in order) and values.
    fn chlo(tags: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut out = b"CHLO".to_vec();
        out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        let mut end = 0u32;
        for (t, v) in tags {
            end += v.len() as u32;
            out.extend_from_slice(&t[..]);
            out.extend_from_slice(&end.to_le_bytes());
        }
        for (_, v) in tags {
            out.extend_from_slice(v);
        }
        out
    }

    /// The first 561 bytes of frame 1 of the nDPI corpus capture youtube_quic.pcap (Q035, client
    /// to port 443), up to the end of the SNI value: public header (flags 0x0d, CID, "Q035",
    /// packet number 1), hash, STREAM frame `a0 01 0004` (stream 1, little-endian length
    /// 0x400), then the CHLO (29 tags: PAD, SNI, STK, ...).
    const Q035_FRAME1_HEAD: &str = concat!(
        "0d9370e15e7c446d085130333501c4c7f61ab7c2b6949c7fc5f0a001000443484c4f1d0000005041440006010000534e",
        "49002301000053544b005d010000564552006101000043435300710100004e4f4e43910100004d535043950100004145",
        "41449901000055414944c801000053434944d801000054434944dc01000050444d44e001000053524246e4010000534d",
        "484ce80100004943534cec0100004354494df40100004e4f4e501402000050554253340200004d494453380200005343",
        "4c533c0200004b45585340020000584c4354480200004353435448020000434f50544802000043435254600200004952",
        "5454640200004345545608030000434643570c03000053464357100300002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d",
        "2d2d2d2d706167656164322e676f6f676c6573796e6469636174696f6e2e636f6d",
    );

    #[test]
    fn q035_corpus_chlo() {
        let mut d = unhex(Q035_FRAME1_HEAD);
        let p = parse_client_packet(&d).unwrap();
        assert_eq!(p.version, 0x5130_3335);
        assert_eq!(p.chlo.sni.as_deref(), Some("pagead2.googlesyndication.com"));
        // The UAID value lies beyond these bytes: skipped, not misread.
        assert_eq!(p.chlo.user_agent, None);
        // One byte less and the SNI value is incomplete.
        assert_eq!(parse_client_packet(&d[..d.len() - 1]).unwrap().chlo.sni, None);
        // A header with the reset bit is not a client CHLO.
        d[0] |= 0x02;
        assert_eq!(parse_client_packet(&d), Err(GquicError::NotCleartextGquic));
    }

    #[test]
    fn chlo_tags_in_order() {
        let c = chlo(&[(b"PAD\0", &[0x2d; 5]), (b"SNI\0", b"www.example.com"), (b"UAID", b"Chrome/80"), (b"VER\0", b"Q046")]);
        let got = parse_chlo(&c).unwrap();
        assert_eq!(got.sni.as_deref(), Some("www.example.com"));
        assert_eq!(got.user_agent.as_deref(), Some("Chrome/80"));
        assert!(!got.truncated);
        // Cut in the middle of the SNI value: no SNI, but no error either.
        let cut = &c[..c.len() - 4 - 9 - 8];
        assert_eq!(parse_chlo(cut).unwrap().sni, None);
        assert_eq!(parse_chlo(b"SHLO\0\0\0\0"), Err(GquicError::NotChlo));
        assert_eq!(parse_chlo(b"CHL"), Err(GquicError::NotChlo));
    }

    #[test]
    fn decreasing_offsets_stop_the_walk() {
        let mut c = chlo(&[(b"PAD\0", &[0; 8]), (b"SNI\0", b"a.example")]);
        // SNI's end offset below PAD's.
        c[20..24].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(parse_chlo(&c).unwrap().sni, None);
    }

    #[test]
    fn long_values_are_cut_and_flagged() {
        let long = vec![b'a'; MAX_TAG_VALUE + 10];
        let got = parse_chlo(&chlo(&[(b"SNI\0", &long)])).unwrap();
        assert_eq!(got.sni.map(|s| s.len()), Some(MAX_TAG_VALUE));
        assert!(got.truncated);
    }

    /// Q046 long header as in the nDPI capture quic_q46.pcap frame 1: `c3`, "Q046", `50`, DCID,
    /// 4-byte packet number, hash, STREAM frame `a4 01 0400 0400` (2-byte offset, big-endian).
    #[test]
    fn q046_long_header() {
        let mut d = unhex("c351303436 50 eacfe6e706df272d 00000004 60da58929f6839d0860efc58 a4 01 0400 0400");
        let body = chlo(&[(b"SNI\0", b"play.google.com")]);
        d.extend_from_slice(&body);
        let p = parse_client_packet(&d).unwrap();
        assert_eq!(p.version, 0x5130_3436);
        assert_eq!(p.chlo.sni.as_deref(), Some("play.google.com"));
        // Another stream than 1 is not the handshake.
        d[31] = 3;
        assert_eq!(parse_client_packet(&d), Err(GquicError::NoCryptoStreamFrame));
        // IETF versions are not gQUIC.
        let mut v1 = d.clone();
        v1[1..5].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(parse_client_packet(&v1), Err(GquicError::NotCleartextGquic));
    }

    #[test]
    fn old_versions_little_endian_and_private_flags() {
        // Q030: public header, 1-byte packet number, hash, private flags, STREAM frame with
        // a little-endian length.
        let body = chlo(&[(b"SNI\0", b"old.example")]);
        let mut d = vec![0x0d];
        d.extend_from_slice(&[7; 8]);
        d.extend_from_slice(b"Q030");
        d.push(1);
        d.extend_from_slice(&[0; AUTH_HASH_LEN]);
        d.push(0); // private flags
        d.extend_from_slice(&[0xa0, 0x01]);
        d.extend_from_slice(&(body.len() as u16).to_le_bytes());
        d.extend_from_slice(&body);
        assert_eq!(parse_client_packet(&d).unwrap().chlo.sni.as_deref(), Some("old.example"));
        assert!(looks_like_gquic_chlo(&d));
    }

    #[test]
    fn truncations_and_mutations_never_panic() {
        let mut d = unhex("c351303436 50 eacfe6e706df272d 00000004 60da58929f6839d0860efc58 a4 01 0400 0400");
        d.extend_from_slice(&chlo(&[(b"PAD\0", &[0; 20]), (b"SNI\0", b"x.example"), (b"UAID", b"ua")]));
        for n in 0..d.len() {
            let _ = parse_client_packet(&d[..n]);
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut m = d.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed as usize) % m.len();
                m[i] = (seed >> 32) as u8;
            }
            let _ = parse_client_packet(&m);
        }
    }
}
