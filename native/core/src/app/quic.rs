//! QUIC Initial packets (RFC 9000 section 17.2.2, RFC 9001 section 5): recognising a client's
//! first flight and decrypting it to recover the TLS handshake bytes (the ClientHello) it
//! carries, so that SNI, ALPN and JA3/JA4 can be read from QUIC connections as from TLS over TCP.
//!
//! Initial packets are encrypted, but with keys derived from the client's Destination
//! Connection ID and a salt published in the specification (RFC 9001 section 5.2): any
//! on-path observer can remove this protection, which is what this module does. The crypto
//! primitives used ([`crate::crypto::aes`], [`crate::crypto::gcm`], [`crate::crypto::hkdf`])
//! are for that public-key visibility work only; they are not hardened for protecting secrets.
//!
//! Versions: QUIC v1 (`0x00000001`) and QUIC v2 (`0x6b3343cf`, RFC 9369: another salt,
//! `quicv2` key labels and renumbered long-header packet types), and the pre-RFC versions still
//! seen in traffic, which share v1's wire format and differ only in their initial salt: IETF
//! drafts 23-34 (`0xff000017`..`0xff000022`; salts of draft-ietf-quic-tls-23, -29 and -33),
//! Facebook mvfst (`0xfaceb002`, `0xfaceb00e`, the draft-23 salt) and Google's IETF-header
//! versions Q050, T050 and T051 (their own salts, Google frame numbering; T05x carries TLS,
//! Q050 a gQUIC CHLO, see [`HandshakeKind`]). Salts as published in the drafts and used by
//! Wireshark's and nDPI's QUIC dissectors, each proven by a corpus capture.
//!
//! The handshake bytes returned are the CRYPTO stream: TLS handshake messages *without* the
//! TLS record layer (QUIC carries no records). A ClientHello therefore starts directly with
//! the handshake header `01 <uint24 length>`, not with `16 03 01 <length>`.
//!
//! Everything here is a pure function of the datagram, bounded (the CRYPTO stream is capped at
//! [`MAX_CRYPTO_BYTES`]) and never panics on any input.

use crate::crypto::aes::Aes128;
use crate::crypto::gcm::{Aes128Gcm, TAG_LEN};
use crate::crypto::hkdf::{hkdf_expand_label, hkdf_extract};
use std::fmt;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC draft-29, still seen from older clients.
pub const VERSION_DRAFT_29: u32 = 0xff00_001d;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;
/// Google QUIC Q050: IETF long header and Initial protection, gQUIC CHLO inside.
pub const VERSION_Q050: u32 = 0x5130_3530;
/// Google QUIC T050: IETF long header and Initial protection, TLS 1.3 inside.
pub const VERSION_T050: u32 = 0x5430_3530;
/// Google QUIC T051.
pub const VERSION_T051: u32 = 0x5430_3531;
/// Facebook mvfst, draft-27 based.
pub const VERSION_MVFST_27: u32 = 0xface_b002;
/// Facebook mvfst experimental (draft-27 based).
pub const VERSION_MVFST_EXP: u32 = 0xface_b00e;

/// The most CRYPTO stream bytes kept per packet (or per [`CryptoStream`]); later bytes are
/// dropped and flagged. A ClientHello, even with post-quantum key shares, fits comfortably.
pub const MAX_CRYPTO_BYTES: usize = 16 * 1024;

/// The longest connection ID QUIC v1/v2 allow (RFC 9000 section 17.2).
pub const MAX_CID_LEN: usize = 20;

/// The most disjoint byte ranges a [`CryptoStream`] tracks before it drops further data.
const MAX_RANGES: usize = 64;

/// The header protection sample length (RFC 9001 section 5.4.2).
const SAMPLE_LEN: usize = 16;

/// The largest value a QUIC variable-length integer can hold.
const MAX_VARINT: u64 = (1 << 62) - 1;

/// Why a datagram could not be read as a client Initial packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuicError {
    /// The datagram ends before the structure it announces.
    Truncated,
    /// The first packet has a short header (or the datagram is empty).
    NotLongHeader,
    /// The fixed bit (0x40) of the first byte is clear.
    FixedBitClear,
    /// Version negotiation (version 0) or a version whose Initial keys are unknown.
    UnsupportedVersion(u32),
    /// A connection ID longer than 20 bytes.
    ConnectionIdTooLong,
    /// No Initial packet in the datagram (e.g. only Handshake, Retry or short-header packets).
    NoInitialPacket,
    /// The Length field is too small to hold a packet number, sample and tag.
    InvalidLength,
    /// AEAD authentication failed: not a client Initial for this DCID, or corrupted.
    DecryptFailed,
    /// A frame is truncated or malformed.
    MalformedFrame,
    /// A frame type not allowed in Initial packets (RFC 9000 section 12.4).
    UnexpectedFrame(u64),
}

impl fmt::Display for QuicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuicError::Truncated => f.write_str("QUIC packet truncated"),
            QuicError::NotLongHeader => f.write_str("not a QUIC long-header packet"),
            QuicError::FixedBitClear => f.write_str("QUIC fixed bit clear"),
            QuicError::UnsupportedVersion(v) => write!(f, "unsupported QUIC version {:#010x}", v),
            QuicError::ConnectionIdTooLong => {
                f.write_str("QUIC connection ID longer than 20 bytes")
            }
            QuicError::NoInitialPacket => f.write_str("no QUIC Initial packet in datagram"),
            QuicError::InvalidLength => f.write_str("QUIC packet length field too small"),
            QuicError::DecryptFailed => f.write_str("QUIC Initial packet failed authentication"),
            QuicError::MalformedFrame => f.write_str("malformed QUIC frame"),
            QuicError::UnexpectedFrame(t) => {
                write!(f, "QUIC frame type {:#x} not allowed in Initial", t)
            }
        }
    }
}

impl std::error::Error for QuicError {}

/// What the CRYPTO stream of a version's Initial packets carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeKind {
    /// TLS 1.3 handshake messages (a ClientHello from the client).
    Tls,
    /// A Google QUIC crypto handshake message (`CHLO` tag-value map), see [`crate::app::gquic`].
    GoogleChlo,
}

/// How a version numbers the frames of an Initial packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameSet {
    /// RFC 9000 section 19 (and the drafts from 23 on): CRYPTO is 0x06.
    Ietf,
    /// Google QUIC Q050/T05x: PADDING 0x00, PING 0x07, CRYPTO 0x08 (offset and length as
    /// IETF variable-length integers).
    Google,
}

/// Per-version constants for Initial packet protection.
struct VersionParams {
    salt: [u8; 20],
    frames: FrameSet,
    handshake: HandshakeKind,
    key_label: &'static [u8],
    iv_label: &'static [u8],
    hp_label: &'static [u8],
    /// The long-header type bits (`(first >> 4) & 3`) of an Initial packet.
    initial_type: u8,
    /// The type bits of a Retry packet (which has no Length field).
    retry_type: u8,
}

const V1_PARAMS: VersionParams = VersionParams {
    salt: [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c,
        0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ],
    frames: FrameSet::Ietf,
    handshake: HandshakeKind::Tls,
    key_label: b"quic key",
    iv_label: b"quic iv",
    hp_label: b"quic hp",
    initial_type: 0,
    retry_type: 3,
};

const DRAFT_29_PARAMS: VersionParams = VersionParams {
    salt: [
        0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11,
        0xe0, 0x43, 0x90, 0xa8, 0x99,
    ],
    frames: FrameSet::Ietf,
    handshake: HandshakeKind::Tls,
    key_label: b"quic key",
    iv_label: b"quic iv",
    hp_label: b"quic hp",
    initial_type: 0,
    retry_type: 3,
};

const V2_PARAMS: VersionParams = VersionParams {
    salt: [
        0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d,
        0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
    ],
    frames: FrameSet::Ietf,
    handshake: HandshakeKind::Tls,
    key_label: b"quicv2 key",
    iv_label: b"quicv2 iv",
    hp_label: b"quicv2 hp",
    initial_type: 1,
    retry_type: 0,
};

/// draft-ietf-quic-tls-23 to -28 (and mvfst, which is draft-27 based).
const DRAFT_23_PARAMS: VersionParams = VersionParams {
    salt: [
        0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63,
        0x65, 0xbe, 0xf9, 0xf5, 0x02,
    ],
    frames: FrameSet::Ietf,
    handshake: HandshakeKind::Tls,
    ..V1_LABELS
};

const Q050_PARAMS: VersionParams = VersionParams {
    salt: [
        0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7,
        0xf0, 0xd3, 0xb5, 0x6b, 0x45,
    ],
    frames: FrameSet::Google,
    handshake: HandshakeKind::GoogleChlo,
    ..V1_LABELS
};

const T050_PARAMS: VersionParams = VersionParams {
    salt: [
        0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36,
        0x7c, 0x60, 0x48, 0x83, 0x10,
    ],
    frames: FrameSet::Google,
    handshake: HandshakeKind::Tls,
    ..V1_LABELS
};

const T051_PARAMS: VersionParams = VersionParams {
    salt: [
        0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8,
        0xcc, 0xda, 0x6e, 0x03, 0x3d,
    ],
    frames: FrameSet::Google,
    handshake: HandshakeKind::Tls,
    ..V1_LABELS
};

/// The v1 key labels and packet type numbers, shared by every version but v2.
const V1_LABELS: VersionParams = VersionParams {
    salt: [0; 20],
    frames: FrameSet::Ietf,
    handshake: HandshakeKind::Tls,
    key_label: b"quic key",
    iv_label: b"quic iv",
    hp_label: b"quic hp",
    initial_type: 0,
    retry_type: 3,
};

fn version_params(version: u32) -> Option<&'static VersionParams> {
    match version {
        // draft-33 and -34 already use v1's salt.
        VERSION_1 | 0xff00_0021 | 0xff00_0022 => Some(&V1_PARAMS),
        0xff00_001d..=0xff00_0020 => Some(&DRAFT_29_PARAMS),
        0xff00_0017..=0xff00_001c | VERSION_MVFST_27 | VERSION_MVFST_EXP => Some(&DRAFT_23_PARAMS),
        VERSION_2 => Some(&V2_PARAMS),
        VERSION_Q050 => Some(&Q050_PARAMS),
        VERSION_T050 => Some(&T050_PARAMS),
        VERSION_T051 => Some(&T051_PARAMS),
        _ => None,
    }
}

/// What the client's Initial CRYPTO stream carries in `version`, if its Initials can be read.
pub fn handshake_kind(version: u32) -> Option<HandshakeKind> {
    version_params(version).map(|p| p.handshake)
}

/// Whether `version` is reserved to force version negotiation (`0x?a?a?a?a`, RFC 9000 section
/// 15): a client may open with it, expecting a Version Negotiation reply, then a real Initial.
pub fn is_forcing_negotiation_version(version: u32) -> bool {
    version & 0x0f0f_0f0f == 0x0a0a_0a0a
}

/// Whether Initial packets of `version` can be decrypted here.
pub fn is_supported_version(version: u32) -> bool {
    version_params(version).is_some()
}

/// Which endpoint's Initial keys to derive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Keys protecting packets the client sends (`"client in"`).
    Client,
    /// Keys protecting packets the server sends (`"server in"`).
    Server,
}

/// Initial packet protection keys of one side (RFC 9001 section 5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialKeys {
    /// The side's initial secret (`client_initial_secret` / `server_initial_secret`).
    pub secret: [u8; 32],
    /// The AEAD_AES_128_GCM key.
    pub key: [u8; 16],
    /// The AEAD IV, XORed with the packet number to form the nonce.
    pub iv: [u8; 12],
    /// The header protection key (AES-128-ECB).
    pub hp: [u8; 16],
}

/// Derives one side's Initial keys from the client's first Destination Connection ID.
pub fn initial_keys(version: u32, dcid: &[u8], side: Side) -> Result<InitialKeys, QuicError> {
    let params = version_params(version).ok_or(QuicError::UnsupportedVersion(version))?;
    let initial_secret = hkdf_extract(&params.salt, dcid);
    let label: &[u8] = match side {
        Side::Client => b"client in",
        Side::Server => b"server in",
    };
    let mut keys = InitialKeys {
        secret: [0; 32],
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    // The labels and lengths are fixed and within HKDF's limits, so these cannot fail; the
    // error is still mapped rather than unwrapped.
    let derived = hkdf_expand_label(&initial_secret, label, &[], &mut keys.secret)
        .and_then(|_| hkdf_expand_label(&keys.secret, params.key_label, &[], &mut keys.key))
        .and_then(|_| hkdf_expand_label(&keys.secret, params.iv_label, &[], &mut keys.iv))
        .and_then(|_| hkdf_expand_label(&keys.secret, params.hp_label, &[], &mut keys.hp));
    match derived {
        Ok(()) => Ok(keys),
        Err(_) => Err(QuicError::UnsupportedVersion(version)),
    }
}

/// The client's Initial keys for `dcid` (the Destination Connection ID of its first Initial).
pub fn client_initial_keys(version: u32, dcid: &[u8]) -> Result<InitialKeys, QuicError> {
    initial_keys(version, dcid, Side::Client)
}

/// Reads a QUIC variable-length integer (RFC 9000 section 16) at `*pos`, advancing it.
pub fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *buf.get(*pos)?;
    let len = 1usize << (first >> 6);
    let bytes = buf.get(*pos..pos.checked_add(len)?)?;
    let mut value = u64::from(first & 0x3f);
    for &b in bytes.iter().skip(1) {
        value = (value << 8) | u64::from(b);
    }
    *pos += len;
    Some(value)
}

/// Recovers a full packet number from its truncated `bits`-bit encoding (RFC 9000 appendix
/// A.3). `largest` is the largest packet number processed so far in this number space, `None`
/// before the first packet (then the truncated value is the packet number).
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, bits: u32) -> u64 {
    if bits == 0 || bits >= 62 {
        return truncated;
    }
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | (truncated & mask);
    if candidate.saturating_add(hwin) <= expected && candidate < (1u64 << 62).saturating_sub(win) {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// The CRYPTO stream of one packet number space, reassembled from (offset, data) pieces in any
/// order, bounded to [`MAX_CRYPTO_BYTES`]. An engine can keep one per flow and feed it the
/// CRYPTO data of successive client Initial packets when a ClientHello spans several.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CryptoStream {
    /// Stream bytes by offset; positions not covered by `ranges` are zero.
    data: Vec<u8>,
    /// Disjoint, sorted, non-adjacent `[start, end)` ranges received.
    ranges: Vec<(usize, usize)>,
    /// Whether some data was dropped (beyond the size cap or the range cap).
    dropped: bool,
}

impl CryptoStream {
    /// An empty stream.
    pub fn new() -> Self {
        CryptoStream::default()
    }

    /// Records `data` at stream offset `offset`. Bytes at or beyond [`MAX_CRYPTO_BYTES`] are
    /// dropped (and [`CryptoStream::dropped`] set). Overlapping retransmissions overwrite.
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let start = match usize::try_from(offset) {
            Ok(s) if s < MAX_CRYPTO_BYTES => s,
            _ => {
                self.dropped = true;
                return;
            }
        };
        let wanted_end = start.saturating_add(data.len());
        let end = wanted_end.min(MAX_CRYPTO_BYTES);
        if end < wanted_end {
            self.dropped = true;
        }
        // Find the merged range first so the range cap can refuse the insert cleanly.
        let mut merged = Vec::with_capacity(self.ranges.len() + 1);
        let mut new_start = start;
        let mut new_end = end;
        let mut placed = false;
        for &(s, e) in self.ranges.iter() {
            if e < new_start {
                merged.push((s, e));
            } else if s > new_end {
                if !placed {
                    merged.push((new_start, new_end));
                    placed = true;
                }
                merged.push((s, e));
            } else {
                new_start = new_start.min(s);
                new_end = new_end.max(e);
            }
        }
        if !placed {
            merged.push((new_start, new_end));
        }
        if merged.len() > MAX_RANGES {
            self.dropped = true;
            return;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        if let (Some(dst), Some(src)) = (self.data.get_mut(start..end), data.get(..end - start)) {
            dst.copy_from_slice(src);
        }
        self.ranges = merged;
    }

    /// The bytes received contiguously from offset 0 (the part a parser can use).
    pub fn contiguous(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.data.get(..end).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Whether bytes were received beyond a gap (data missing before them).
    pub fn has_gaps(&self) -> bool {
        match self.ranges.first() {
            Some(&(0, _)) => self.ranges.len() > 1,
            Some(_) => true,
            None => false,
        }
    }

    /// Records every range of `other` (the CRYPTO data of one more Initial packet of the same
    /// connection), so a ClientHello spread over several Initials is reassembled.
    pub fn merge(&mut self, other: &CryptoStream) {
        for &(s, e) in other.ranges.iter() {
            if let Some(d) = other.data.get(s..e) {
                self.insert(s as u64, d);
            }
        }
        if other.dropped {
            self.dropped = true;
        }
    }

    /// Whether any data was dropped because of the size or fragmentation caps.
    pub fn dropped(&self) -> bool {
        self.dropped
    }

    /// Whether nothing has been received.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the first handshake message (4-byte header plus its uint24 length) is complete
    /// in [`CryptoStream::contiguous`].
    pub fn first_message_complete(&self) -> bool {
        let bytes = self.contiguous();
        match bytes.get(..4) {
            Some(h) => {
                let len = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
                bytes.len() >= 4 + len
            }
            None => false,
        }
    }
}

/// A decrypted client Initial packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialPacket {
    /// The QUIC version.
    pub version: u32,
    /// Destination Connection ID (the one the keys were derived from).
    pub dcid: Vec<u8>,
    /// Source Connection ID.
    pub scid: Vec<u8>,
    /// Length of the address-validation token (non-zero after a Retry or with a NEW_TOKEN).
    pub token_len: usize,
    /// The packet number (decoded with no prior packet, RFC 9000 appendix A.3).
    pub packet_number: u64,
    /// Where the packet starts in the datagram (non-zero when packets are coalesced).
    pub offset: usize,
    /// The packet's length in the datagram, header to tag.
    pub len: usize,
    /// The CRYPTO stream data this packet carries, reassembled by offset.
    pub crypto: CryptoStream,
    /// Whether the packet carried an ACK frame.
    pub has_ack: bool,
    /// Whether the packet carried a CONNECTION_CLOSE frame.
    pub has_connection_close: bool,
    /// What the CRYPTO stream carries (a TLS ClientHello, or a Google CHLO for Q050).
    pub handshake: HandshakeKind,
}

impl InitialPacket {
    /// The TLS handshake bytes contiguous from CRYPTO offset 0: handshake messages without a
    /// TLS record header (for a client, a ClientHello starting `01 <uint24 length>`). Empty if
    /// this packet does not carry offset 0 (a later packet of a multi-packet ClientHello).
    pub fn handshake_bytes(&self) -> &[u8] {
        self.crypto.contiguous()
    }
}

/// The fields of one long-header packet up to its packet number.
struct LongHeader<'a> {
    version: u32,
    is_initial: bool,
    dcid: &'a [u8],
    scid: &'a [u8],
    token_len: usize,
    /// Offset of the (protected) packet number in the datagram.
    pn_offset: usize,
    /// Offset just past the packet (pn_offset + Length).
    end: usize,
}

/// Parses the long header of the packet starting at `start` (RFC 9000 section 17.2).
fn parse_long_header(buf: &[u8], start: usize) -> Result<LongHeader<'_>, QuicError> {
    let first = *buf.get(start).ok_or(QuicError::Truncated)?;
    if first & 0x80 == 0 {
        return Err(QuicError::NotLongHeader);
    }
    let version_bytes = buf.get(start + 1..start + 5).ok_or(QuicError::Truncated)?;
    let version = u32::from_be_bytes([
        version_bytes[0],
        version_bytes[1],
        version_bytes[2],
        version_bytes[3],
    ]);
    let params = version_params(version).ok_or(QuicError::UnsupportedVersion(version))?;
    if first & 0x40 == 0 {
        return Err(QuicError::FixedBitClear);
    }
    let mut pos = start + 5;
    let dcid = read_cid(buf, &mut pos)?;
    let scid = read_cid(buf, &mut pos)?;
    let packet_type = (first >> 4) & 0x03;
    if packet_type == params.retry_type {
        // Retry packets have no Length field and are never coalesced with a following packet.
        return Err(QuicError::NoInitialPacket);
    }
    let is_initial = packet_type == params.initial_type;
    let mut token_len = 0usize;
    if is_initial {
        let len = read_varint(buf, &mut pos).ok_or(QuicError::Truncated)?;
        token_len = usize::try_from(len).map_err(|_| QuicError::Truncated)?;
        pos = pos
            .checked_add(token_len)
            .filter(|&p| p <= buf.len())
            .ok_or(QuicError::Truncated)?;
    }
    let length = read_varint(buf, &mut pos).ok_or(QuicError::Truncated)?;
    let length = usize::try_from(length).map_err(|_| QuicError::Truncated)?;
    let end = pos
        .checked_add(length)
        .filter(|&e| e <= buf.len())
        .ok_or(QuicError::Truncated)?;
    Ok(LongHeader {
        version,
        is_initial,
        dcid,
        scid,
        token_len,
        pn_offset: pos,
        end,
    })
}

fn read_cid<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], QuicError> {
    let len = usize::from(*buf.get(*pos).ok_or(QuicError::Truncated)?);
    if len > MAX_CID_LEN {
        return Err(QuicError::ConnectionIdTooLong);
    }
    let cid = buf
        .get(*pos + 1..*pos + 1 + len)
        .ok_or(QuicError::Truncated)?;
    *pos += 1 + len;
    Ok(cid)
}

/// Finds the first Initial packet among the coalesced long-header packets of a datagram.
fn find_initial(udp_payload: &[u8]) -> Result<(usize, LongHeader<'_>), QuicError> {
    let mut start = 0usize;
    loop {
        let header = match parse_long_header(udp_payload, start) {
            Ok(h) => h,
            // A later packet that is not a readable long header ends the search.
            Err(e) if start == 0 => return Err(e),
            Err(_) => return Err(QuicError::NoInitialPacket),
        };
        if header.is_initial {
            return Ok((start, header));
        }
        if header.end <= start || header.end >= udp_payload.len() {
            return Err(QuicError::NoInitialPacket);
        }
        start = header.end;
    }
}

/// Cheap structural check that a UDP payload starts with (or coalesces, after other long-header
/// packets) a QUIC Initial packet of a supported version: long header, fixed bit, Initial type,
/// connection IDs of at most 20 bytes, and a Length that fits the datagram and can hold a
/// packet number, the header-protection sample and the AEAD tag. No decryption is attempted.
/// (Clients pad Initial datagrams to 1200 bytes; that is not required here.)
pub fn looks_like_quic_initial(udp_payload: &[u8]) -> bool {
    match find_initial(udp_payload) {
        Ok((_, header)) => header.end - header.pn_offset >= 4 + SAMPLE_LEN,
        Err(_) => false,
    }
}

/// Cheap structural check that a UDP payload starts a client's QUIC connection even though it
/// is not (yet) a readable Initial: a 0-RTT packet of a supported version (sent ahead of, or
/// reordered before, the Initial that carries the ClientHello), or a long-header packet with a
/// version reserved to force version negotiation (the real Initial follows the server's
/// Version Negotiation). Either way the next client datagrams are worth decrypting.
pub fn looks_like_quic_client_start(udp_payload: &[u8]) -> bool {
    let first = match udp_payload.first() {
        Some(&b) => b,
        None => return false,
    };
    if first & 0xc0 != 0xc0 {
        return false;
    }
    let version = match udp_payload.get(1..5) {
        Some(v) => u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
        None => return false,
    };
    let mut pos = 5usize;
    let cids_ok = read_cid(udp_payload, &mut pos).is_ok() && read_cid(udp_payload, &mut pos).is_ok();
    if !cids_ok {
        return false;
    }
    if is_forcing_negotiation_version(version) {
        // Clients pad datagrams carrying Initials to 1200 bytes (RFC 9000 section 14.1).
        return udp_payload.len() >= 1200;
    }
    match parse_long_header(udp_payload, 0) {
        // 0-RTT is the type after Initial in v1 numbering (1) and the one before it in v2 (2).
        Ok(h) => {
            let zero_rtt = if h.version == VERSION_2 { 2 } else { 1 };
            !h.is_initial && (first >> 4) & 0x03 == zero_rtt && h.end - h.pn_offset >= 4 + SAMPLE_LEN
        }
        Err(_) => false,
    }
}

/// Decrypts the first client Initial packet of a datagram (RFC 9001 section 5): derives the
/// client Initial keys from its DCID, removes header protection, decodes the packet number,
/// authenticates and decrypts the payload, and collects its CRYPTO frames.
///
/// Long-header packets before the Initial (none are expected from a client) are skipped;
/// packets after it are ignored. PADDING, PING, ACK and CONNECTION_CLOSE frames are accepted
/// and skipped; other frame types are errors, as RFC 9000 section 12.4 forbids them here.
pub fn decrypt_client_initial(udp_payload: &[u8]) -> Result<InitialPacket, QuicError> {
    let (start, header) = find_initial(udp_payload)?;
    let keys = client_initial_keys(header.version, header.dcid)?;
    open_initial(udp_payload, start, &header, &keys)
}

/// Like [`decrypt_client_initial`], for a later client Initial of a connection whose first
/// Initial had Destination Connection ID `first_dcid`. Initial keys stay those of the first
/// DCID even when the client has switched to the server's chosen connection ID (RFC 9001
/// section 5.2: a ClientHello split over Initials with different DCIDs), except after a Retry,
/// when they derive from the new DCID. So the packet's own DCID is tried first, then
/// `first_dcid`: at most two key derivations, the second only when the first fails.
pub fn decrypt_client_initial_after(
    udp_payload: &[u8],
    first_dcid: &[u8],
) -> Result<InitialPacket, QuicError> {
    let (start, header) = find_initial(udp_payload)?;
    let keys = client_initial_keys(header.version, header.dcid)?;
    match open_initial(udp_payload, start, &header, &keys) {
        Err(QuicError::DecryptFailed) if !first_dcid.is_empty() && first_dcid != header.dcid => {
            let keys = client_initial_keys(header.version, first_dcid)?;
            open_initial(udp_payload, start, &header, &keys)
        }
        other => other,
    }
}

/// Decrypts the first server Initial packet of a datagram. Server Initial keys derive from the
/// Destination Connection ID of the *client's* first Initial, which the caller must supply.
pub fn decrypt_server_initial(
    udp_payload: &[u8],
    client_original_dcid: &[u8],
) -> Result<InitialPacket, QuicError> {
    let (start, header) = find_initial(udp_payload)?;
    let keys = initial_keys(header.version, client_original_dcid, Side::Server)?;
    open_initial(udp_payload, start, &header, &keys)
}

/// Removes header and packet protection from the Initial at `start` and parses its frames.
fn open_initial(
    udp_payload: &[u8],
    start: usize,
    header: &LongHeader<'_>,
    keys: &InitialKeys,
) -> Result<InitialPacket, QuicError> {
    // The sample starts 4 bytes after the packet number offset (RFC 9001 section 5.4.2); the
    // shortest packet number plus the tag must also fit.
    let sample_start = header.pn_offset + 4;
    if header.end < sample_start + SAMPLE_LEN || header.end - header.pn_offset < 1 + TAG_LEN {
        return Err(QuicError::InvalidLength);
    }
    let mut sample = [0u8; SAMPLE_LEN];
    sample.copy_from_slice(
        udp_payload
            .get(sample_start..sample_start + SAMPLE_LEN)
            .ok_or(QuicError::Truncated)?,
    );
    let mask = Aes128::new(&keys.hp).encrypt(&sample);

    let mut packet = udp_payload
        .get(start..header.end)
        .ok_or(QuicError::Truncated)?
        .to_vec();
    let pn_offset = header.pn_offset - start;
    let first = packet.first_mut().ok_or(QuicError::Truncated)?;
    *first ^= mask[0] & 0x0f;
    let pn_len = usize::from(*first & 0x03) + 1;
    let mut truncated_pn = 0u64;
    for (i, m) in mask[1..=pn_len].iter().enumerate() {
        let byte = packet.get_mut(pn_offset + i).ok_or(QuicError::Truncated)?;
        *byte ^= m;
        truncated_pn = (truncated_pn << 8) | u64::from(*byte);
    }
    let packet_number = decode_packet_number(None, truncated_pn, 8 * pn_len as u32);

    let mut nonce = keys.iv;
    for (n, p) in nonce[4..]
        .iter_mut()
        .zip(packet_number.to_be_bytes().iter())
    {
        *n ^= p;
    }
    let header_len = pn_offset + pn_len;
    if packet.len() < header_len + TAG_LEN {
        return Err(QuicError::InvalidLength);
    }
    let (aad, payload) = packet.split_at_mut(header_len);
    let plain_len = Aes128Gcm::new(&keys.key)
        .open_in_place(&nonce, aad, payload)
        .map_err(|_| QuicError::DecryptFailed)?;

    let mut out = InitialPacket {
        version: header.version,
        dcid: header.dcid.to_vec(),
        scid: header.scid.to_vec(),
        token_len: header.token_len,
        packet_number,
        offset: start,
        len: header.end - start,
        crypto: CryptoStream::new(),
        has_ack: false,
        has_connection_close: false,
        handshake: HandshakeKind::Tls,
    };
    let plain = payload.get(..plain_len).unwrap_or(&[]);
    match version_params(header.version) {
        Some(p) if p.frames == FrameSet::Google => {
            out.handshake = p.handshake;
            parse_google_frames(plain, &mut out)?;
        }
        _ => parse_frames(plain, &mut out)?,
    }
    Ok(out)
}

/// Walks the frames of a decrypted Google QUIC (Q050/T05x) Initial payload: PADDING (0x00),
/// PING (0x07) and CRYPTO (0x08: offset and length as variable-length integers, as Wireshark's
/// gQUIC dissector reads them). The client's first Initial carries nothing else; any other frame
/// (an ACK of a later Initial uses gQUIC's own ACK layout) ends the walk as an error.
fn parse_google_frames(plain: &[u8], packet: &mut InitialPacket) -> Result<(), QuicError> {
    let mut pos = 0usize;
    let bad = QuicError::MalformedFrame;
    while let Some(&frame_type) = plain.get(pos) {
        pos += 1;
        match frame_type {
            0x00 => {
                while plain.get(pos) == Some(&0) {
                    pos += 1;
                }
            }
            0x07 => {}
            0x08 => {
                let offset = read_varint(plain, &mut pos).ok_or(bad)?;
                let len = read_varint(plain, &mut pos).ok_or(bad)?;
                let len = usize::try_from(len).map_err(|_| bad)?;
                let end = pos.checked_add(len).ok_or(bad)?;
                let data = plain.get(pos..end).ok_or(bad)?;
                packet.crypto.insert(offset, data);
                pos = end;
            }
            other => return Err(QuicError::UnexpectedFrame(u64::from(other))),
        }
    }
    Ok(())
}

/// Walks the frames of a decrypted Initial payload, collecting CRYPTO data into `packet`.
fn parse_frames(plain: &[u8], packet: &mut InitialPacket) -> Result<(), QuicError> {
    let mut pos = 0usize;
    let bad = QuicError::MalformedFrame;
    while pos < plain.len() {
        let frame_type = read_varint(plain, &mut pos).ok_or(bad)?;
        match frame_type {
            0x00 => {
                // PADDING: skip the run of zero bytes at once.
                while plain.get(pos) == Some(&0) {
                    pos += 1;
                }
            }
            0x01 => {} // PING
            0x02 | 0x03 => {
                // ACK: largest, delay, range count, first range, ranges, optional ECN counts.
                read_varint(plain, &mut pos).ok_or(bad)?;
                read_varint(plain, &mut pos).ok_or(bad)?;
                let ranges = read_varint(plain, &mut pos).ok_or(bad)?;
                read_varint(plain, &mut pos).ok_or(bad)?;
                // Each range is at least two bytes, so the loop ends within the payload.
                let mut remaining = ranges;
                while remaining > 0 {
                    read_varint(plain, &mut pos).ok_or(bad)?;
                    read_varint(plain, &mut pos).ok_or(bad)?;
                    remaining -= 1;
                }
                if frame_type == 0x03 {
                    for _ in 0..3 {
                        read_varint(plain, &mut pos).ok_or(bad)?;
                    }
                }
                packet.has_ack = true;
            }
            0x06 => {
                let offset = read_varint(plain, &mut pos).ok_or(bad)?;
                let len = read_varint(plain, &mut pos).ok_or(bad)?;
                if offset.checked_add(len).map_or(true, |end| end > MAX_VARINT) {
                    return Err(bad);
                }
                let len = usize::try_from(len).map_err(|_| bad)?;
                let end = pos.checked_add(len).ok_or(bad)?;
                let data = plain.get(pos..end).ok_or(bad)?;
                packet.crypto.insert(offset, data);
                pos = end;
            }
            0x1c | 0x1d => {
                // CONNECTION_CLOSE: error code, (frame type), reason phrase.
                read_varint(plain, &mut pos).ok_or(bad)?;
                if frame_type == 0x1c {
                    read_varint(plain, &mut pos).ok_or(bad)?;
                }
                let reason_len = read_varint(plain, &mut pos).ok_or(bad)?;
                let reason_len = usize::try_from(reason_len).map_err(|_| bad)?;
                pos = pos
                    .checked_add(reason_len)
                    .filter(|&p| p <= plain.len())
                    .ok_or(bad)?;
                packet.has_connection_close = true;
            }
            other => return Err(QuicError::UnexpectedFrame(other)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::to_hex;

    use crate::crypto::from_hex as unhex;

    const RFC_DCID: &str = "8394c8f03e515708";

    /// RFC 9001 appendix A.2: the client Initial, 1200 bytes as sent.
    const RFC9001_A2_PROTECTED: &str = concat!(
        "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11",
        "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399",
        "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c",
        "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212",
        "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5",
        "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208",
        "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec",
        "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3",
        "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db",
        "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c",
        "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8",
        "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556",
        "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74",
        "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a",
        "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00",
        "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632",
        "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964",
        "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd",
        "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff",
        "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198",
        "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd",
        "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73",
        "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f",
        "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e",
        "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade",
        "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047",
        "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2",
        "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4",
        "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0",
        "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e",
        "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0",
        "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400",
        "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab",
        "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9",
        "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4",
        "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064",
        "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241",
        "e221af44860018ab0856972e194cd934",
    );

    /// RFC 9369 appendix A.2: the same client Initial protected for QUIC v2.
    const RFC9369_A2_PROTECTED: &str = concat!(
        "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485",
        "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04",
        "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d",
        "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a",
        "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500",
        "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68",
        "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33",
        "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3",
        "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd",
        "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520",
        "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045",
        "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f",
        "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12",
        "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5",
        "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4",
        "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b",
        "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7",
        "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9",
        "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91",
        "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd",
        "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db",
        "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18",
        "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15",
        "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc",
        "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61",
        "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710",
        "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b",
        "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e",
        "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce",
        "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1",
        "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1",
        "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd",
        "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3",
        "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89",
        "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53",
        "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19",
        "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b",
        "a18b2faa745b6fe189cf772a9f84cbfc",
    );

    /// RFC 9001 appendix A.2: the unprotected payload's frames (one CRYPTO frame carrying the
    /// ClientHello); the packet then has 917 bytes of PADDING.
    const RFC9001_A2_FRAMES: &str = concat!(
        "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868",
        "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578",
        "616d706c652e636f6dff01000100000a00080006001d00170018001000070005",
        "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba",
        "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400",
        "0d0010000e0403050306030203080408050806002d00020101001c0002400100",
        "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000",
        "75300901100f088394c8f03e51570806048000ffff",
    );

    /// RFC 9001 appendix A.3: the server Initial (ACK + CRYPTO with the ServerHello).
    const RFC9001_A3_PROTECTED: &str = concat!(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a",
        "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3",
        "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84",
        "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4",
        "2158407dd074ee",
    );
    const RFC9001_A3_FRAMES: &str = concat!(
        "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739",
        "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94",
        "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00",
        "020304",
    );

    fn rfc_client_hello() -> Vec<u8> {
        // The CRYPTO frame's data: everything after `06 00 40f1`.
        unhex(RFC9001_A2_FRAMES)[4..].to_vec()
    }

    fn rfc_payload() -> Vec<u8> {
        let mut p = unhex(RFC9001_A2_FRAMES);
        p.resize(p.len() + 917, 0);
        p
    }

    /// Builds a protected client Initial (the inverse of `decrypt_client_initial`).
    fn protect(
        version: u32,
        dcid: &[u8],
        scid: &[u8],
        token: &[u8],
        pn: u32,
        pn_len: usize,
        payload: &[u8],
    ) -> Vec<u8> {
        protect_keyed(version, dcid, dcid, scid, token, pn, pn_len, payload)
    }

    /// Like `protect`, with keys derived from `key_dcid` rather than the header's DCID (a later
    /// Initial sent to the server's chosen connection ID).
    #[allow(clippy::too_many_arguments)]
    fn protect_keyed(
        version: u32,
        dcid: &[u8],
        key_dcid: &[u8],
        scid: &[u8],
        token: &[u8],
        pn: u32,
        pn_len: usize,
        payload: &[u8],
    ) -> Vec<u8> {
        let params = version_params(version).unwrap();
        let keys = client_initial_keys(version, key_dcid).unwrap();
        let mut packet = vec![0xc0 | (params.initial_type << 4) | (pn_len as u8 - 1)];
        packet.extend_from_slice(&version.to_be_bytes());
        packet.push(dcid.len() as u8);
        packet.extend_from_slice(dcid);
        packet.push(scid.len() as u8);
        packet.extend_from_slice(scid);
        assert!(token.len() < 64);
        packet.push(token.len() as u8);
        packet.extend_from_slice(token);
        let length = pn_len + payload.len() + TAG_LEN;
        packet.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
        let pn_offset = packet.len();
        packet.extend_from_slice(&pn.to_be_bytes()[4 - pn_len..]);
        let mut nonce = keys.iv;
        for (n, p) in nonce[4..]
            .iter_mut()
            .zip(u64::from(pn).to_be_bytes().iter())
        {
            *n ^= p;
        }
        let mut body = payload.to_vec();
        let tag = Aes128Gcm::new(&keys.key).seal_in_place_detached(&nonce, &packet, &mut body);
        packet.extend_from_slice(&body);
        packet.extend_from_slice(&tag);
        let mut sample = [0u8; 16];
        sample.copy_from_slice(&packet[pn_offset + 4..pn_offset + 20]);
        let mask = Aes128::new(&keys.hp).encrypt(&sample);
        packet[0] ^= mask[0] & 0x0f;
        for i in 0..pn_len {
            packet[pn_offset + i] ^= mask[1 + i];
        }
        packet
    }

    fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
        let mut f = vec![0x06];
        f.extend_from_slice(&(0x8000_0000u32 | offset as u32).to_be_bytes());
        f.extend_from_slice(&(0x4000u16 | data.len() as u16).to_be_bytes());
        f.extend_from_slice(data);
        f
    }

    fn padded(mut frames: Vec<u8>) -> Vec<u8> {
        frames.resize(1100, 0);
        frames
    }

    #[test]
    fn rfc9001_a1_client_and_server_keys() {
        let dcid = unhex(RFC_DCID);
        let client = client_initial_keys(VERSION_1, &dcid).unwrap();
        assert_eq!(
            to_hex(&client.secret),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
        );
        assert_eq!(to_hex(&client.key), "1f369613dd76d5467730efcbe3b1a22d");
        assert_eq!(to_hex(&client.iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(to_hex(&client.hp), "9f50449e04a0e810283a1e9933adedd2");
        let server = initial_keys(VERSION_1, &dcid, Side::Server).unwrap();
        assert_eq!(
            to_hex(&server.secret),
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
        );
        assert_eq!(to_hex(&server.key), "cf3a5331653c364c88f0f379b6067e37");
        assert_eq!(to_hex(&server.iv), "0ac1493ca1905853b0bba03e");
        assert_eq!(to_hex(&server.hp), "c206b8d9b9f0f37644430b490eeaa314");
        assert_eq!(
            client_initial_keys(0x1234_5678, &dcid),
            Err(QuicError::UnsupportedVersion(0x1234_5678))
        );
    }

    #[test]
    fn rfc9001_a2_client_initial_decrypts() {
        let datagram = unhex(RFC9001_A2_PROTECTED);
        assert_eq!(datagram.len(), 1200);
        assert!(looks_like_quic_initial(&datagram));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!(packet.version, VERSION_1);
        assert_eq!(to_hex(&packet.dcid), RFC_DCID);
        assert!(packet.scid.is_empty());
        assert_eq!(packet.token_len, 0);
        assert_eq!(packet.packet_number, 2);
        assert_eq!((packet.offset, packet.len), (0, 1200));
        assert!(!packet.has_ack && !packet.has_connection_close);
        let hello = packet.handshake_bytes();
        assert_eq!(to_hex(hello), to_hex(&rfc_client_hello()));
        assert!(hello.starts_with(&unhex("010000ed0303ebf8fa56f12939b9584a")));
        assert_eq!(hello.len(), 0xf1);
        assert!(packet.crypto.first_message_complete());
        assert!(!packet.crypto.has_gaps() && !packet.crypto.dropped());
    }

    #[test]
    fn rfc9001_a2_protection_round_trips() {
        // Protecting the RFC's unprotected packet reproduces the RFC's protected bytes.
        let dcid = unhex(RFC_DCID);
        let built = protect(VERSION_1, &dcid, &[], &[], 2, 4, &rfc_payload());
        assert_eq!(to_hex(&built), RFC9001_A2_PROTECTED);
    }

    #[test]
    fn rfc9369_a2_v2_client_initial_decrypts() {
        let datagram = unhex(RFC9369_A2_PROTECTED);
        assert_eq!(datagram.len(), 1200);
        assert!(looks_like_quic_initial(&datagram));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!(packet.version, VERSION_2);
        assert_eq!(packet.packet_number, 2);
        assert_eq!(packet.handshake_bytes(), &rfc_client_hello()[..]);
        let built = protect(VERSION_2, &unhex(RFC_DCID), &[], &[], 2, 4, &rfc_payload());
        assert_eq!(to_hex(&built), RFC9369_A2_PROTECTED);
    }

    #[test]
    fn rfc9001_a3_server_initial_decrypts_with_two_byte_packet_number() {
        let datagram = unhex(RFC9001_A3_PROTECTED);
        let dcid = unhex(RFC_DCID);
        let packet = decrypt_server_initial(&datagram, &dcid).unwrap();
        assert_eq!(packet.packet_number, 1);
        assert!(packet.dcid.is_empty());
        assert_eq!(to_hex(&packet.scid), "f067a5502a4262b5");
        assert!(packet.has_ack);
        assert_eq!(packet.handshake_bytes(), &unhex(RFC9001_A3_FRAMES)[9..]);
        assert!(packet
            .handshake_bytes()
            .starts_with(&[0x02, 0x00, 0x00, 0x56]));
        // The server's packet does not open with client keys.
        assert_eq!(
            decrypt_client_initial(&datagram),
            Err(QuicError::DecryptFailed)
        );
    }

    #[test]
    fn draft29_round_trip() {
        let dcid = [0x11u8; 8];
        let frames = padded(crypto_frame(0, &rfc_client_hello()));
        let datagram = protect(VERSION_DRAFT_29, &dcid, &[1, 2, 3], b"tok", 0, 1, &frames);
        assert!(looks_like_quic_initial(&datagram));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!(packet.version, VERSION_DRAFT_29);
        assert_eq!(packet.scid, vec![1, 2, 3]);
        assert_eq!(packet.token_len, 3);
        assert_eq!(packet.packet_number, 0);
        assert_eq!(packet.handshake_bytes(), &rfc_client_hello()[..]);
    }

    /// nDPI corpus quic-24.pcap frame 1: a draft-24 (0xff000018) client Initial, protected with
    /// the draft-23 salt; its ClientHello names "localhost".
    const DRAFT24_QUIC24_FRAME1: &str = concat!(
        "c3ff00001812299ab249a7f58d467d685ca920894cebcf1a11f5c352569b8ef8f7d84c478f6f0afcbcd60044b7de3339",
        "6d1f8cb6953504b51acf020a65f8b6514b23ba9c90b7087473069319236c737ce23af32f9791de37b767a85ceba56579",
        "c52cda19708228f7dd1f7bcff23dc9e992c8cc49594194777a6268e76f31fa381920739d6929f1dc3597c45db387e613",
        "205e13ee25fa42e7d58daa9b64672a2df536879521bc3578170c97dee8650cdc8a7991d8b609bdf0b42aab8fd1453d4a",
        "4f218a5b0b0b9982a24f64598467dd9e3edc69b000cec5fb2e4da9f5c87224d0980b6aef2df89424f032c727278cd497",
        "d8b8fa02a6bc9dfa364605ddc1f09a420c5a6fe4c607a6ef6fdbfe12c528c6e48987eaff44dffa60a78ec78df0f9ab05",
        "2d5f2ebb8cbb7b3e36513be1f1685607d82edac16f4596401f6817acf663bda3142a3bd4ced49f6686c378f8ffddb187",
        "ecf6ab9ef69d225440614f50dbe0eeaea4e29c6a462e3d4974a2d0a3178cc7978648fb5bbaa3728ab29aa5dc9727c64a",
        "0958dd2fd9b6077f1695a9c3f48d321a95ada0bbec3a2f1ff31fdf8478c99e9fc94ab7ae600057ec8bc4f4e1f5eca6bf",
        "0d85d23f7868acb81addc99e6b05cf09cc9f495ce9d2fcb7648695365bbcb6f91b1552707df9fd1c814ae8728d5a30a9",
        "445f9a86e59d39311e21967b8bb251f2fc396d81726ae7f18a56629fc33a44868931e32b41ce2fbdf51f6c38ec66ebb2",
        "7cc6c3f82b64623b77383c05c77fbd7670a796cddb72737f2cafdf56882ed56e9d0b657c3a0ce49100e9fa096069914a",
        "df1d72f56f6d02701f706f3a6d4a9a0155da735e84fa36e3b77c54571137c12170aa969747cee367ba6e548edafbe44a",
        "e31fc23d4edc071e07c5a922a4c457016efe6739b95329638bc4759dd30981ee7dd54ca4cd1fdad6b205c1c50569fc32",
        "cc5c2eb556a400afe233862104c4e91599874f2bf8e2b66dfd2cef456dc284eeb5a37f08d557822b483c6455ce8ae216",
        "fe910b9b846bdf1061efa88396f585e98702d3e8bdd9f7f59f63033e5c14069d893c112117d29192896e396d2f106663",
        "80e4cd17458ed2848f8e9e9c4663eeed0140095c54500186279da94a399a7ba14ee224cd14062dadcbfe1d78d92d8e7a",
        "69ef660903b22cbd66d3a0903c615088738faf6089aa1e1ac095eb85469f2100aee6e80f8b7b21032492c7148da688b5",
        "5c5ca85c79807de841b8a00c0c4062fcadbeb0ee2f177829f5aa61e60c95184b34a5cd2b9c82a274d95adf11c4025473",
        "84955def9d14b1cc7dbad4d91613482471586d79d6a25e2d2c6fa3659962e25d7cb617f16016ad5157d06e935d0ff943",
        "f9e63366d3a9ed8b56d59285f9139a0eb5b11237c2755b5c8cad7c5328e0cf94de66e1bba45279b77ab25dbfa7ff9333",
        "08037d5cf24fa5089876fa8f7ef314c1ecca58f141957737280afc4eb0475dbcf1c23ebc2ae813f243c5e877f56649ef",
        "7df54c6e05a92844429f334291d5431f3d2ab1f753c4dd44f201cb767cd34dbe306076c3adad90cb50337864d9e55b82",
        "a86542c4cc8c4ae729bf54946363511f0ee710a566da9bf06433dc09e11a77790809b742e1700c554c7431ffeb2653b5",
        "1b7f038595054ed9223885d8f82db89f954ced5c5943e773bb6606d5138e475746c0b9b8b11ee64c9207eab95d730a46",
        "00e035f678a1265ef023bb15dd081a21756da832fd8ff607ed0e38c4e0ed2cae9d7e72d9f65959a7c56ba26b70423d92",
        "b40143a1",
    );

    /// nDPI corpus quic_t51.pcap frame 1: Google T051, own salt, CRYPTO frame type 0x08.
    const T051_FRAME1: &str = concat!(
        "c15430353108ff9415b5b005860d0000453495cd6c78ab2880cd312769b2e008aaa61f91ff63764e5a29bfa2f509327b",
        "e26808a2975e4ccb1b7589a66473fcd0e5e2cf3a2d6ba6051d567d55e01c119a3ca6012089865483bd1b35e774db6b81",
        "6369f80080496a84da65ce1d94afc1e13894142f9689831dc5cbc7dd2d9596684af91736814407a8060b933aafcf933a",
        "3582e576294ac5c0b0fd3a09fb3bb97c74c06d08a9145a9b0fde462daee804253b8cf13fc23d9013533d5a4e76f92ae0",
        "6cd88a0879b43a2f3ffda0bef1047ca0f4155ac4338e47326a03160dac9c1e8f99da087662a1822687a914db2a82d3bc",
        "b9658d0e26a2b0734740308fac2b7910356f2cc2e4659413704f5bc48849b9c07808dafddba911023681e18e42a83004",
        "79aaf94ed089dc8bb40b66f3063a22e49f4b3e2c150506217f1b6a19d5fd3b79c034a8dd6cc56abd897be36306a36605",
        "9b6279d3ba0f3015cba8f256d9ada3fd796b74872a2c92d7cb5aee89eb7661fa1fe5c4da317429eb0c8eabcb3690b11e",
        "6f446a1b7f34cc702152fc137c288462fc1237cf8b3dbeddd472aedc946f6df338036bba0f7fdc71ce3407c8e9b7ab7c",
        "9954c26bdd8ceecf218157c31c2be889a4f1445d3b50b6564dbb911632d70371bf40bce5d1bd90400dcf46a30ed6be18",
        "2ccf4884bfbd4e3226f64b2493cd6716c6dca9e50f3c2225e52bda928a19d4d7b8be51c933bbdc3f01e44491daf8f323",
        "b649dfd43f4599c691a0ada0cb0153464da3d9129778d3463f77ce181311995b2d9ed30ef47942411d29a9690827e8f0",
        "faf0ea147315641c1ca37a71e6d24ab188a4d56e08eef0d5a249fcb589025ee5a40ea9b0f4abe792d39e354f9ea0b6e7",
        "6d08bf0099da097db6fe93a7bcc04352a700132c6184f503c5a7134eec82cb4d60f43eea349980873de4e4c0b6cd39ba",
        "ec820b63585e67602e62f4306103acb376c9b633cd6beb95d6955b422570e92da7bf12a0b6ae59f434ae5e1bec6d33a9",
        "e464aad5857479ec0c513ea707a7a349c1561aff97339d117f5d22b9280eea95f39f2636f6a30c39c75fc4531693c661",
        "1002e428b5deaa333e1631e03ea55886d8ddd0cc5adf10a2e291277dfd581789e3efc2981d9ad5db3c65ea285c955561",
        "e221d7345188faceb7bec15710e4c17a37cfb2bebe5664c3275fa8d64364f775d413f6d0f366b5f0d24f75743a91fdba",
        "42371ce11aa74ef026ad687fe9f986e3322b898ec0f73f2de1e3bd41fafd4cb3b793407924e5675954ea95b3afac9804",
        "cd5f791efd22a0ed31223e419f1adb2e79706cd7cf8d519371134087bd60537d89f2bafaac2c7109a4efe1153b29d890",
        "fb38a00b42ca2bbc7838fb3d9f629ad8a50fcb6e66acb43f864e488edcecaeaa90d8cccd7198716f4924342c442f3390",
        "50c6e99059f0dd71af10308956997247552a8e20c538bf3f25fb9ea61135a321d678e615c157760b0bf63c61b1d394f9",
        "2495a2c05c5650d3d1741a53bc34b4c3fa7835dfdcd863daa2b602bf5ac41406d826917817a237d07f167925cacf3842",
        "0c928ad3e703c2c523aac4912715387ed4beb980745de2662a1285b927cc115234ab5629310644fc6d8c0b8cc08a084d",
        "b04a14c0dc16612db9e3922edfe11e8287b8ec1fe4f2d09285e6af6681c243a18b9f360a11d72d306bd9a8c54e5ec3d0",
        "9d89686e655f842a07600a932fefab23e5765e02a6ce97440f2730c2c48b9155a8614e25180a0f30fde4c5ab1f0a7507",
        "53f57a82473b0b76ec9246bd729959777a42d03b48f009acf16d552249d8a4724385b8ab19245373aa096c940af0d6c5",
        "d26060fbb400cc5ec2836d1548f1f5a02ab5104a1dc211e54014c71240c850e3969bc03691e3efd9bc76053c55b820f3",
        "d83efcce1e75",
    );

    /// nDPI corpus quic_q50.pcap frame 1: Google Q050, own salt, a CHLO in its CRYPTO stream.
    const Q050_FRAME1: &str = concat!(
        "cb5130353008df4a089e4eff5e7a000045344a1f86ea325a43e59578aa9f561c1e93255c740837555b78c9702822fba4",
        "48495a77765d17b70fdda2bc4309ce11da696592f83654b5275e1032426448a2c7eca4ecfc9d60e50cbb4ddda8262bcc",
        "814e217818ecac4297f8a97ecee9821a3eebdebc7f3e2186a1eac30ae51856cf3fdc33f1ae9d39bcfa4be2833a626db4",
        "44bd782e4764725a59128b4fcc055f2aba7e6ce448ac4b0e6a408e15c9e644bc6968f7beb24b85c50edef8da3cea2fbe",
        "6575291c835120eaeb00a3ba327aa11e0d77e931f7d09472e55d6fbebc7d991be8ce4bf347846b9a6396158cbd307718",
        "bd1f68cec7a754c459ee661190f5a60883d7a67844138a2d066f8f6052529d5667a10627d87bc380a657f881b4b43b55",
        "6ac9efb885ad5327a164c380dc0bb3d8937e9d28f17c3115f50e5e19e87c64beed5c89c80974299930688541acd27c94",
        "8bf11fc438650913c44f2058c4fcad8339f008e4d19c657ac940cd60d5ba576b70a6f6db170d79179ed8db88bdf0de37",
        "82561825456a1e6570ae8b2c790bdd58bb4e2c45e900abf06022779c9a5254ec8161777ca2400ed3c55e55bc9da5e9f4",
        "89438448df37002c26e34d9a9e78cc22a6c912429b66bd44fdb58b504f5acabc9cdede12234adf015dcfec1ce887e78f",
        "4b49451b69846d1dd2b65e237a3540e5b6c135d4009765d50af95f90c72037ac0dce4694b6863f579c09a9ca967f3c54",
        "ffb0b1232baa8ecdade469008ab6d1e860f5bd2306f00e3d70174921ed185303842fde2f25967a9201712d2cdb92a21b",
        "fc919eba70a9dc898fb70e7596948a98ece0bbe6a2440c34d3bd9b71979d9a8c2fc8d98c67a67017d1b6fd3d41cd389a",
        "c54422bb0a61d0ca4336ad0a13c64bc7bdb9dbeac72589296ad8c778fa45bce6f75da51f3fb2aa306417cac5f30eeae0",
        "30dfa2509991076ee07d5ec171e2dc68abf826c38495aec3fee8e1b90d14e98172a363b899952cd3ac8c956dfa261f56",
        "91e8e080703a484e7c0ba68cd2d65502ae0fcd456695416ce76a76daa811ab9bdec7be1312ee7c85d902423af5a50f78",
        "5c5997aa093e0152b49d7b6a74ce096213de695d1e747b9cae7a61b6b0da950214c075fbce816a3ff033604a1e0b3b6a",
        "0e2fe46b0a1dc5ce0f9846fa34cdb993f09751e097e2e530bf9fa9e3a6cddced4cfb1be56f6ad14451bd519d79ece87e",
        "8de6cebbed2b4dd88aebbcb20c90cc7b6553bc6b178befc6da0376cc85b01b275cfc89c73d134d40a7c7842da382077a",
        "c2fe1def5a4f39a23e5cd7b597b24d3331f07db9190439426dc4a3fabaf25d118f408842b1c0d9885146ac6067cb21f9",
        "ede6bab0633f777ee05556beba42539e8bcdabff4b69f4ab581685d91acd60613e4dca653582344aae5e6fd0eb7c7a68",
        "cf81cf8cee30eaec1921e1d08e5c34d3e75a3186d4a4d62fcc1aeee096281b8f859df2e7689d915faad581f05022a9cf",
        "7bef21a3ea157c35099ec03a7b9253942e6e0d469a45cac2d3e262ff062f869afd2a2c5670836bfd0e8825ff11b9a34c",
        "58652861046649f2521abf5dd8ed5394eea62e98b43f263dadaa3ea2b6a6244655312f42bda17360c3387a438312d23d",
        "96f9bc19533052ec216eab9c64108d22502e7aebc303d9856b1f47dc36b41675c5f341db905d06d290aab5648b6c3140",
        "16d57d4880a9df3c074c9d88724532cdf2baa5a0faf2b2ca161514048ed6797e3eb3477826bd7484b1e1793868a179eb",
        "e71387b4179211a4050bdce51b0c08ba85f30ea029ab705b54aa1dbba1e83884ecb6669d9b7fcc21ceff2ae6aa23d363",
        "320685495984556387e166d0722f47b281db9e92567bc29e3f7a752d2a8639233ac97a336e9924d21311bc027f1a7cea",
        "f0ac4de87e94",
    );

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn corpus_draft24_initial_decrypts_with_draft23_salt() {
        let d = unhex(DRAFT24_QUIC24_FRAME1);
        assert!(looks_like_quic_initial(&d));
        let p = decrypt_client_initial(&d).unwrap();
        assert_eq!(p.version, 0xff00_0018);
        assert_eq!(p.handshake, HandshakeKind::Tls);
        assert!(p.crypto.first_message_complete());
        assert_eq!(p.handshake_bytes()[0], 1);
        assert!(contains(p.handshake_bytes(), b"localhost"));
    }

    #[test]
    fn corpus_t051_initial_decrypts_with_google_salt_and_frames() {
        let d = unhex(T051_FRAME1);
        let p = decrypt_client_initial(&d).unwrap();
        assert_eq!(p.version, VERSION_T051);
        assert_eq!(p.handshake, HandshakeKind::Tls);
        assert!(p.crypto.first_message_complete());
        assert!(contains(p.handshake_bytes(), b"www.google.com"));
        // The same bytes under T050's salt fail authentication.
        let mut t050 = d.clone();
        t050[1..5].copy_from_slice(&VERSION_T050.to_be_bytes());
        assert_eq!(decrypt_client_initial(&t050), Err(QuicError::DecryptFailed));
    }

    #[test]
    fn corpus_q050_initial_carries_a_chlo() {
        let d = unhex(Q050_FRAME1);
        let p = decrypt_client_initial(&d).unwrap();
        assert_eq!(p.version, VERSION_Q050);
        assert_eq!(p.handshake, HandshakeKind::GoogleChlo);
        let chlo = crate::app::gquic::parse_chlo(p.handshake_bytes()).unwrap();
        assert_eq!(chlo.sni.as_deref(), Some("www.googletagmanager.com"));
    }

    #[test]
    fn draft_and_vendor_versions_round_trip() {
        let hello = rfc_client_hello();
        for &v in &[0xff00_0017u32, 0xff00_001c, 0xff00_0020, 0xff00_0021, 0xff00_0022, VERSION_MVFST_27, VERSION_MVFST_EXP] {
            let datagram = protect(v, &[0x42; 8], &[], &[], 1, 2, &padded(crypto_frame(0, &hello)));
            let p = decrypt_client_initial(&datagram).unwrap();
            assert_eq!(p.version, v);
            assert_eq!(p.handshake_bytes(), &hello[..]);
        }
        // Salts differ by family: a draft-32 packet relabelled draft-33 no longer authenticates.
        let mut d = protect(0xff00_0020, &[0x42; 8], &[], &[], 1, 2, &padded(crypto_frame(0, &hello)));
        d[1..5].copy_from_slice(&0xff00_0021u32.to_be_bytes());
        assert_eq!(decrypt_client_initial(&d), Err(QuicError::DecryptFailed));
        // Unknown drafts stay unsupported.
        assert!(!is_supported_version(0xff00_0016));
        assert!(!is_supported_version(0xff00_0023));
    }

    #[test]
    fn later_initial_to_a_new_dcid_uses_the_first_dcid_keys() {
        let hello = rfc_client_hello();
        let (first, second) = hello.split_at(100);
        let a = protect(VERSION_1, &[0xaa; 8], &[], &[], 0, 1, &padded(crypto_frame(0, first)));
        let b = protect_keyed(VERSION_1, &[0xbb; 20], &[0xaa; 8], &[], &[], 1, 1, &padded(crypto_frame(100, second)));
        let pa = decrypt_client_initial(&a).unwrap();
        assert_eq!(decrypt_client_initial(&b), Err(QuicError::DecryptFailed));
        let pb = decrypt_client_initial_after(&b, &pa.dcid).unwrap();
        let mut stream = pa.crypto.clone();
        stream.merge(&pb.crypto);
        assert_eq!(stream.contiguous(), &hello[..]);
        // After a Retry the new DCID's own keys apply: tried first.
        let c = protect(VERSION_1, &[0xcc; 8], &[], &[], 0, 1, &padded(crypto_frame(0, &hello)));
        assert_eq!(decrypt_client_initial_after(&c, &pa.dcid).unwrap().handshake_bytes(), &hello[..]);
        // Neither key fits: still an authentication failure.
        let wrong = protect_keyed(VERSION_1, &[0xdd; 8], &[0xee; 8], &[], &[], 0, 1, &padded(crypto_frame(0, &hello)));
        assert_eq!(decrypt_client_initial_after(&wrong, &pa.dcid), Err(QuicError::DecryptFailed));
    }

    #[test]
    fn client_start_without_readable_initial() {
        let hello = rfc_client_hello();
        let initial = protect(VERSION_1, &[0x42; 8], &[], &[], 0, 1, &padded(crypto_frame(0, &hello)));
        // Relabel the Initial as 0-RTT (type 1 in v1): a client start, not an Initial.
        let mut zero_rtt = initial.clone();
        zero_rtt[0] = (zero_rtt[0] & 0xcf) | 0x10;
        // 0-RTT has no token field: drop the token length byte (0) after the CIDs.
        zero_rtt.remove(1 + 4 + 1 + 8 + 1);
        assert!(!looks_like_quic_initial(&zero_rtt));
        assert!(looks_like_quic_client_start(&zero_rtt));
        // v1 Handshake packets (type 2) are not a client start.
        let mut handshake = zero_rtt.clone();
        handshake[0] = (handshake[0] & 0xcf) | 0x20;
        assert!(!looks_like_quic_client_start(&handshake));
        // A version reserved to force negotiation, padded like an Initial.
        let mut forcing = initial.clone();
        forcing[1..5].copy_from_slice(&0xbaba_babau32.to_be_bytes());
        forcing.resize(1200, 0);
        assert!(is_forcing_negotiation_version(0xbaba_baba));
        assert!(looks_like_quic_client_start(&forcing));
        assert!(!looks_like_quic_client_start(&forcing[..1100]));
        assert_eq!(decrypt_client_initial(&forcing), Err(QuicError::UnsupportedVersion(0xbaba_baba)));
        // Short headers and unknown versions are not.
        assert!(!looks_like_quic_client_start(&initial[..0]));
        let mut unknown = zero_rtt.clone();
        unknown[1..5].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        assert!(!looks_like_quic_client_start(&unknown));
    }

    #[test]
    fn crypto_frames_out_of_order_and_overlapping() {
        let hello = rfc_client_hello();
        let mut frames = Vec::new();
        frames.push(0x01); // PING
        frames.extend(crypto_frame(150, &hello[150..]));
        frames.extend_from_slice(&[0, 0, 0]); // PADDING between frames
        frames.extend_from_slice(&[0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x01]); // ACK, 1 range
        frames.extend(crypto_frame(0, &hello[..100]));
        frames.extend(crypto_frame(80, &hello[80..160])); // overlaps both neighbours
        let datagram = protect(VERSION_1, &[9u8; 8], &[], &[], 7, 2, &padded(frames));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!(packet.packet_number, 7);
        assert!(packet.has_ack);
        assert_eq!(packet.handshake_bytes(), &hello[..]);
        assert!(!packet.crypto.has_gaps());
    }

    #[test]
    fn crypto_gap_leaves_only_the_contiguous_prefix() {
        let hello = rfc_client_hello();
        let frames = crypto_frame(100, &hello[100..]);
        let datagram = protect(VERSION_1, &[9u8; 8], &[], &[], 1, 1, &padded(frames));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert!(packet.handshake_bytes().is_empty());
        assert!(packet.crypto.has_gaps());
        assert!(!packet.crypto.first_message_complete());
        // A flow-level stream completes it from another packet's data.
        let mut stream = packet.crypto.clone();
        stream.insert(0, &hello[..100]);
        assert_eq!(stream.contiguous(), &hello[..]);
        assert!(stream.first_message_complete());
    }

    #[test]
    fn crypto_stream_merge_out_of_order_packets() {
        // Zeek quic-39264-rand: packet 1 carries offsets 1474 and 0, packet 2 offsets 424 and
        // 1898, packet 3 offset 1961; only the merge of all three is contiguous from 0.
        let hello: Vec<u8> = (0..2544u32).map(|i| (i % 251) as u8).collect();
        let mut p1 = CryptoStream::new();
        p1.insert(1474, &hello[1474..1898]);
        p1.insert(0, &hello[..424]);
        let mut p2 = CryptoStream::new();
        p2.insert(424, &hello[424..1474]);
        p2.insert(1898, &hello[1898..1961]);
        let mut p3 = CryptoStream::new();
        p3.insert(1961, &hello[1961..]);
        let mut flow = CryptoStream::new();
        flow.merge(&p1);
        assert_eq!(flow.contiguous().len(), 424);
        flow.merge(&p2);
        assert_eq!(flow.contiguous().len(), 1961);
        flow.merge(&p3);
        assert_eq!(flow.contiguous(), &hello[..]);
        assert!(!flow.has_gaps() && !flow.dropped());
    }

    #[test]
    fn crypto_stream_bounds() {
        let mut s = CryptoStream::new();
        assert!(s.is_empty() && s.contiguous().is_empty() && !s.has_gaps());
        s.insert(MAX_CRYPTO_BYTES as u64, &[1]);
        assert!(s.dropped() && s.is_empty());
        let mut s = CryptoStream::new();
        s.insert(u64::MAX, &[1, 2]);
        assert!(s.dropped() && s.is_empty());
        let mut s = CryptoStream::new();
        s.insert((MAX_CRYPTO_BYTES - 2) as u64, &[1, 2, 3, 4]);
        s.insert(0, &[]);
        assert!(s.dropped());
        assert!(s.has_gaps());
        s.insert(0, &vec![7u8; MAX_CRYPTO_BYTES - 2]);
        assert_eq!(s.contiguous().len(), MAX_CRYPTO_BYTES);
        assert_eq!(&s.contiguous()[MAX_CRYPTO_BYTES - 2..], &[1, 2]);
        // Too many fragments: later disjoint pieces are dropped, earlier ones kept.
        let mut s = CryptoStream::new();
        for i in 0..200u64 {
            s.insert(i * 10 + 5, &[1]);
        }
        assert!(s.dropped());
        assert_eq!(s.ranges.len(), MAX_RANGES);
        s.insert(0, &[2; 5]);
        assert_eq!(s.contiguous(), &[2, 2, 2, 2, 2, 1]);
    }

    #[test]
    fn coalesced_packets() {
        let hello = rfc_client_hello();
        let initial = protect(
            VERSION_1,
            &[5u8; 8],
            &[],
            &[],
            0,
            1,
            &padded(crypto_frame(0, &hello)),
        );
        // Initial followed by a Handshake packet and trailing padding: the Initial is read.
        let mut datagram = initial.clone();
        datagram.extend_from_slice(&[0xe0, 0, 0, 0, 1, 0, 0, 0x05, 1, 2, 3, 4, 5]);
        datagram.extend_from_slice(&[0u8; 30]);
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!((packet.offset, packet.len), (0, initial.len()));
        assert_eq!(packet.handshake_bytes(), &hello[..]);
        // A v1 Handshake packet (type 2) before the Initial is skipped.
        let mut datagram = vec![0xe0, 0, 0, 0, 1, 0, 0, 0x05, 1, 2, 3, 4, 5];
        datagram.extend_from_slice(&initial);
        assert!(looks_like_quic_initial(&datagram));
        let packet = decrypt_client_initial(&datagram).unwrap();
        assert_eq!((packet.offset, packet.len), (13, initial.len()));
        assert_eq!(packet.handshake_bytes(), &hello[..]);
        // Only a Handshake packet: no Initial.
        let handshake_only = [0xe0, 0, 0, 0, 1, 0, 0, 0x05, 1, 2, 3, 4, 5];
        assert_eq!(
            decrypt_client_initial(&handshake_only),
            Err(QuicError::NoInitialPacket)
        );
        assert!(!looks_like_quic_initial(&handshake_only));
    }

    #[test]
    fn header_errors() {
        let good = unhex(RFC9001_A2_PROTECTED);
        assert_eq!(decrypt_client_initial(&[]), Err(QuicError::Truncated));
        assert_eq!(
            decrypt_client_initial(&[0x40, 1, 2, 3]),
            Err(QuicError::NotLongHeader)
        );
        let mut v = good.clone();
        v[0] &= !0x40;
        assert_eq!(decrypt_client_initial(&v), Err(QuicError::FixedBitClear));
        let mut v = good.clone();
        v[1..5].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            decrypt_client_initial(&v),
            Err(QuicError::UnsupportedVersion(0))
        );
        assert!(!looks_like_quic_initial(&v));
        let mut v = good.clone();
        v[5] = 21;
        assert_eq!(
            decrypt_client_initial(&v),
            Err(QuicError::ConnectionIdTooLong)
        );
        let mut v = good.clone();
        v[0] = 0xf0; // Retry
        assert_eq!(decrypt_client_initial(&v), Err(QuicError::NoInitialPacket));
        assert_eq!(
            decrypt_client_initial(&good[..1199]),
            Err(QuicError::Truncated)
        );
        assert!(!looks_like_quic_initial(&good[..1199]));
        let mut v = good.clone();
        v[100] ^= 1;
        assert_eq!(decrypt_client_initial(&v), Err(QuicError::DecryptFailed));
        assert!(looks_like_quic_initial(&v));
        // Length too small for the sample.
        let tiny = [0xc0, 0, 0, 0, 1, 0, 0, 0, 0x05, 1, 2, 3, 4, 5];
        assert_eq!(decrypt_client_initial(&tiny), Err(QuicError::InvalidLength));
        assert!(!looks_like_quic_initial(&tiny));
        assert!(!QuicError::UnexpectedFrame(8).to_string().is_empty());
    }

    #[test]
    fn forbidden_and_malformed_frames() {
        let dcid = [3u8; 8];
        // STREAM frame (0x08) is not allowed in Initial packets.
        let frames = padded(vec![0x08, 0x00, 0x01, 0x02]);
        let datagram = protect(VERSION_1, &dcid, &[], &[], 0, 1, &frames);
        assert_eq!(
            decrypt_client_initial(&datagram),
            Err(QuicError::UnexpectedFrame(8))
        );
        // CRYPTO frame claiming more data than the payload holds.
        let mut frames = vec![0x06, 0x00, 0x80, 0x00, 0x10, 0x00];
        frames.resize(100, 0);
        let datagram = protect(VERSION_1, &dcid, &[], &[], 0, 1, &frames);
        assert_eq!(
            decrypt_client_initial(&datagram),
            Err(QuicError::MalformedFrame)
        );
        // CONNECTION_CLOSE is accepted.
        let mut frames = vec![0x1c, 0x0a, 0x00, 0x02, b'h', b'i'];
        frames.resize(100, 0);
        let datagram = protect(VERSION_1, &dcid, &[], &[], 0, 1, &frames);
        assert!(
            decrypt_client_initial(&datagram)
                .unwrap()
                .has_connection_close
        );
    }

    #[test]
    fn varints_and_packet_numbers() {
        // RFC 9000 appendix A.1 examples.
        let cases: [(&str, u64); 4] = [
            ("c2197c5eff14e88c", 151_288_809_941_952_652),
            ("9d7f3e7d", 494_878_333),
            ("7bbd", 15_293),
            ("25", 37),
        ];
        for (hex, value) in cases.iter() {
            let bytes = unhex(hex);
            let mut pos = 0;
            assert_eq!(read_varint(&bytes, &mut pos), Some(*value));
            assert_eq!(pos, bytes.len());
            // One byte short of the encoding is truncated.
            let mut pos = 0;
            assert_eq!(read_varint(&bytes[..bytes.len() - 1], &mut pos), None);
            assert_eq!(pos, 0);
        }
        let mut pos = usize::MAX;
        assert_eq!(read_varint(&[1], &mut pos), None);
        // RFC 9000 appendix A.3 example.
        assert_eq!(
            decode_packet_number(Some(0xa82f_30ea), 0x9b32, 16),
            0xa82f_9b32
        );
        assert_eq!(decode_packet_number(None, 2, 32), 2);
        assert_eq!(decode_packet_number(None, 0xff, 8), 0xff);
        // Out-of-range inputs saturate instead of overflowing.
        let _ = decode_packet_number(Some(u64::MAX), 5, 8);
        let _ = decode_packet_number(Some((1 << 62) - 1), 0, 32);
        assert_eq!(decode_packet_number(Some(1), 7, 0), 7);
    }

    /// xorshift64 for reproducible pseudo-random mutations.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn mutated_and_truncated_datagrams_never_panic() {
        let seeds = [
            unhex(RFC9001_A2_PROTECTED),
            unhex(RFC9369_A2_PROTECTED),
            unhex(RFC9001_A3_PROTECTED),
        ];
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut decrypted = 0;
        for round in 0..20_000 {
            let seed = &seeds[round % seeds.len()];
            let mut input = seed.clone();
            match rng.below(4) {
                0 => {
                    let cut = rng.below(input.len() + 1);
                    input.truncate(cut);
                }
                1 => {
                    for _ in 0..1 + rng.below(4) {
                        let i = rng.below(input.len());
                        input[i] ^= 1 << rng.below(8);
                    }
                }
                2 => {
                    // Mutate the header region, where lengths and CIDs live.
                    for _ in 0..1 + rng.below(3) {
                        let i = rng.below(24);
                        input[i] = rng.next() as u8;
                    }
                    let cut = rng.below(input.len() + 1);
                    input.truncate(cut);
                }
                _ => {
                    let len = rng.below(64);
                    input = (0..len).map(|_| rng.next() as u8).collect();
                    if let Some(b) = input.first_mut() {
                        *b |= 0xc0;
                    }
                    if input.len() >= 5 && rng.below(2) == 0 {
                        input[1..5].copy_from_slice(&VERSION_1.to_be_bytes());
                    }
                }
            }
            let _ = looks_like_quic_initial(&input);
            if decrypt_client_initial(&input).is_ok() {
                decrypted += 1;
            }
            let _ = decrypt_server_initial(&input, &[1, 2, 3]);
        }
        // Truncations past the packet's end still decrypt; most mutations must not.
        assert!(decrypted < 20_000);
    }

    #[test]
    fn mutated_frames_never_panic() {
        let mut base = unhex(RFC9001_A2_FRAMES);
        base.extend_from_slice(&unhex(RFC9001_A3_FRAMES));
        base.extend_from_slice(&[
            0x1c, 0x01, 0x02, 0x03, b'a', b'b', b'c', 0x03, 0x01, 0x02, 0x00, 0x01, 0x04, 0x05,
            0x06, 0x07,
        ]);
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let mut input = base.clone();
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(input.len());
                input[i] = rng.next() as u8;
            }
            let cut = rng.below(input.len() + 1);
            input.truncate(cut);
            let mut packet = InitialPacket {
                version: VERSION_1,
                dcid: Vec::new(),
                scid: Vec::new(),
                token_len: 0,
                packet_number: 0,
                offset: 0,
                len: 0,
                crypto: CryptoStream::new(),
                has_ack: false,
                has_connection_close: false,
                handshake: HandshakeKind::Tls,
            };
            let _ = parse_frames(&input, &mut packet);
            let _ = parse_google_frames(&input, &mut packet);
            assert!(packet.crypto.contiguous().len() <= MAX_CRYPTO_BYTES);
        }
    }
}
