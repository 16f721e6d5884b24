//! TLS handshake parsing from the first bytes of a TCP direction's stream.
//!
//! The caller concatenates the in-order payloads of one direction and calls one of the
//! `parse_*` functions on the whole prefix; a handshake message split over several records
//! and over several segments is reassembled here. The answer is [`Parse::NeedMore`] until
//! enough bytes are present. Every list kept is capped, the reassembly buffer is capped, and
//! no input can make these functions panic.

use super::x509::{self, CertSummary};

/// Outcome of parsing a stream prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse<T> {
    /// The message was found and parsed.
    Done(T),
    /// The prefix is a plausible start but incomplete: at least this many stream bytes in
    /// total are needed (a lower bound when the exact figure is not yet known).
    NeedMore(usize),
    /// The stream does not start with a TLS handshake record.
    NotTls,
    /// TLS framing, but malformed (or over our limits).
    Invalid(&'static str),
}

/// What we keep of a ClientHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (client_version) of the hello.
    pub legacy_version: u16,
    /// The supported_versions extension's list, in order (GREASE included).
    pub versions: Vec<u16>,
    /// Cipher suites in order (GREASE included), at most [`MAX_CIPHERS`].
    pub cipher_suites: Vec<u16>,
    /// Extension types in order (GREASE included), at most [`MAX_EXTENSIONS`].
    pub extensions: Vec<u16>,
    /// server_name host_name (at most [`MAX_SNI`] bytes, lossy UTF-8).
    pub sni: Option<String>,
    /// ALPN protocol names in order (lossy UTF-8), at most [`MAX_ALPN`].
    pub alpn: Vec<String>,
    /// Raw bytes of the first ALPN protocol name (JA4 needs the bytes, not the text).
    pub alpn_first_raw: Option<Vec<u8>>,
    /// supported_groups (elliptic curves), in order (GREASE included).
    pub groups: Vec<u16>,
    /// ec_point_formats, in order.
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms, in order (GREASE included).
    pub sig_algs: Vec<u16>,
}

/// What we keep of a ServerHello.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: u16,
    /// The supported_versions extension's selected version (TLS 1.3).
    pub selected_version: Option<u16>,
    pub cipher: u16,
    /// Extension types in order, at most [`MAX_EXTENSIONS`].
    pub extensions: Vec<u16>,
    /// ALPN protocol chosen by the server.
    pub alpn: Option<String>,
}

impl ServerHello {
    /// The negotiated version: supported_versions when present, else legacy_version. A bare
    /// 0x0304 in legacy_version comes from a TLS 1.3 draft before 16 (final TLS 1.3 puts
    /// 0x0303 there): reported as 0x7f00, which [`version_name`] calls `TLS 1.3 draft-<16`
    /// as Suricata does.
    pub fn version(&self) -> u16 {
        match self.selected_version {
            Some(v) => v,
            None if self.legacy_version == 0x0304 => 0x7f00,
            None => self.legacy_version,
        }
    }
}

pub const MAX_CIPHERS: usize = 128;
pub const MAX_EXTENSIONS: usize = 64;
pub const MAX_ALPN: usize = 32;
pub const MAX_SNI: usize = 255;
/// Cap for the smaller lists (versions, groups, point formats, signature algorithms).
pub const MAX_SMALL_LIST: usize = 64;
/// Most certificates kept from one Certificate message.
pub const MAX_CERTS: usize = 16;
/// Largest handshake message we reassemble (ClientHello / ServerHello).
const MAX_HELLO: usize = 64 * 1024;
/// Largest Certificate message we reassemble.
const MAX_CERT_MSG: usize = 256 * 1024;
/// Largest TLS record length we accept (2^14 plus the allowed expansion).
const MAX_RECORD: usize = 16384 + 2048;

/// Handshake message types.
const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;
const HS_CERTIFICATE: u8 = 11;
const HS_SERVER_KEY_EXCHANGE: u8 = 12;
const HS_CERTIFICATE_REQUEST: u8 = 13;
const HS_SERVER_HELLO_DONE: u8 = 14;
const HS_FINISHED: u8 = 20;

/// True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ..., 0xfafa).
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Cheap app_proto check on the first bytes of a direction: None when too few bytes to tell.
/// Accepts a TLS handshake record (0x16, version 3.0..3.4, sane length) and an SSLv2-format
/// ClientHello (as sent by old clients offering SSLv3/TLS).
pub fn looks_like_tls(first: &[u8]) -> Option<bool> {
    let b0 = *first.first()?;
    if b0 == 0x16 {
        let major = *first.get(1)?;
        if major != 3 {
            return Some(false);
        }
        let minor = *first.get(2)?;
        if minor > 4 {
            return Some(false);
        }
        let len = usize::from(u16::from_be_bytes([*first.get(3)?, *first.get(4)?]));
        if !(4..=MAX_RECORD).contains(&len) {
            return Some(false);
        }
        return match first.get(5) {
            None => Some(true),
            Some(&t) => Some(t == HS_CLIENT_HELLO || t == HS_SERVER_HELLO),
        };
    }
    if b0 & 0x80 != 0 {
        // SSLv2 record header (2 bytes), CLIENT-HELLO (1), version (2).
        let len = (usize::from(b0 & 0x7f) << 8) | usize::from(*first.get(1)?);
        if *first.get(2)? != 1 || len < 9 {
            return Some(false);
        }
        let v = u16::from_be_bytes([*first.get(3)?, *first.get(4)?]);
        return Some(v == 0x0002 || (0x0300..=0x0303).contains(&v));
    }
    Some(false)
}

/// Does `b` start with a TLS handshake record (0x16, version 3.0..3.4, sane length) carrying a
/// ClientHello (`to_server`) or a ServerHello? None while fewer than 6 bytes. Stricter than
/// `looks_like_tls`: it decides that a stream already speaking another protocol switched to
/// TLS (STARTTLS and kin), so only the handshake's first message is taken.
pub fn starts_hello_record(b: &[u8], to_server: bool) -> Option<bool> {
    let head = b.get(..6)?;
    let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
    let want = if to_server { HS_CLIENT_HELLO } else { HS_SERVER_HELLO };
    Some(head[0] == 0x16 && head[1] == 3 && head[2] <= 4 && (4..=MAX_RECORD).contains(&len) && head[5] == want)
}

/// Suricata's TLS pattern for a client's first bytes (`app-layer-ssl.c`: `16 03 00..03` at
/// offset 0, no length check): what its detection matches after a protocol change (a CONNECT
/// tunnel), where the stream is expected to carry TLS.
pub fn suricata_client_pattern(b: &[u8]) -> Option<bool> {
    let head = b.get(..3)?;
    Some(head[0] == 0x16 && head[1] == 3 && head[2] <= 3)
}

/// Suricata's EVE name for a TLS version (`tls.version`).
pub fn version_name(v: u16) -> String {
    let s = match v {
        0 => "UNDETERMINED",
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x7f10..=0x7f1c => {
            return format!("TLS 1.3 draft-{}", v & 0xff);
        }
        0x7f00..=0x7f0f => "TLS 1.3 draft-<16",
        0xfb14 => "TLS 1.3 draft-20-fb",
        0xfb15 => "TLS 1.3 draft-21-fb",
        0xfb16 => "TLS 1.3 draft-22-fb",
        0xfb17 => "TLS 1.3 draft-23-fb",
        0xfb1a => "TLS 1.3 draft-26-fb",
        _ => return format!("0x{:04x}", v),
    };
    s.to_string()
}

/// Result of walking handshake messages.
enum Walk {
    /// A wanted message: its type and body.
    Found(Vec<u8>),
    /// A stop message type or a non-handshake record came first.
    Stop,
    NeedMore(usize),
    NotTls,
    Invalid(&'static str),
}

/// Walk the record layer from the start of `stream`, reassembling handshake messages, and
/// return the first message whose type is in `wanted`. Messages of a type in `stop` (and any
/// non-handshake record after the first) end the walk with [`Walk::Stop`].
fn walk(stream: &[u8], wanted: &[u8], stop: &[u8], max_msg: usize) -> Walk {
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    loop {
        // Complete messages already reassembled.
        let mut hp = 0usize;
        while let Some(head) = hs.get(hp..hp.saturating_add(4)) {
            let t = head[0];
            let len =
                (usize::from(head[1]) << 16) | (usize::from(head[2]) << 8) | usize::from(head[3]);
            if len > max_msg {
                return Walk::Invalid("handshake message too large");
            }
            let end = hp + 4 + len;
            let body = match hs.get(hp + 4..end) {
                Some(b) => b,
                None => break,
            };
            if wanted.contains(&t) {
                return Walk::Found(body.to_vec());
            }
            if stop.contains(&t) {
                return Walk::Stop;
            }
            hp = end;
        }
        if hp > 0 {
            hs.drain(..hp);
        }
        // Next record.
        let hdr = match stream.get(pos..pos.saturating_add(5)) {
            Some(h) => h,
            None => {
                let have = stream.get(pos..).unwrap_or(&[]);
                if pos == 0 {
                    match looks_like_tls(have) {
                        Some(false) => return Walk::NotTls,
                        _ => return Walk::NeedMore(5),
                    }
                }
                if let Some(&ct) = have.first() {
                    if ct != 0x16 {
                        return Walk::Stop;
                    }
                }
                return Walk::NeedMore(pos + 5);
            }
        };
        let ct = hdr[0];
        let len = usize::from(u16::from_be_bytes([hdr[3], hdr[4]]));
        if pos == 0 && (ct != 0x16 || hdr[1] != 3 || hdr[2] > 4) {
            return Walk::NotTls;
        }
        if ct != 0x16 {
            return Walk::Stop;
        }
        if hdr[1] != 3 {
            return Walk::Invalid("bad record version");
        }
        if len > MAX_RECORD {
            return Walk::Invalid("record too long");
        }
        let end = pos + 5 + len;
        let body = match stream.get(pos + 5..end) {
            Some(b) => b,
            None => return Walk::NeedMore(end),
        };
        if hs.len() + body.len() > max_msg + 4 + MAX_RECORD {
            return Walk::Invalid("handshake message too large");
        }
        hs.extend_from_slice(body);
        pos = end;
    }
}

/// A bounds-checked big-endian reader.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn new(b: &'a [u8]) -> Self {
        Rd { b }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let h = self.b.get(..n)?;
        self.b = self.b.get(n..)?;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let h = self.take(2)?;
        Some(u16::from_be_bytes([h[0], h[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        let h = self.take(3)?;
        Some((usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
    fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }
    fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
}

fn u16_list(b: &[u8], cap: usize) -> Vec<u16> {
    b.chunks(2)
        .filter(|c| c.len() == 2)
        .take(cap)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

fn lossy_capped(b: &[u8], cap: usize) -> String {
    String::from_utf8_lossy(b.get(..cap).unwrap_or(b)).into_owned()
}

/// Parse the ClientHello at the start of a client stream.
/// An SSLv2-format CLIENT-HELLO (sent by old clients that also offer SSLv3/TLS) is accepted
/// too: its version and the cipher specs that are SSLv3/TLS suites (first byte 0) are kept; it
/// has no extensions.
pub fn parse_client_hello(stream: &[u8]) -> Parse<ClientHello> {
    if stream.first().map_or(false, |b| b & 0x80 != 0) {
        return sslv2_client_hello(stream);
    }
    match walk(stream, &[HS_CLIENT_HELLO], &[], MAX_HELLO) {
        Walk::Found(body) => match client_hello_body(&body) {
            Some(ch) => Parse::Done(ch),
            None => Parse::Invalid("malformed ClientHello"),
        },
        Walk::Stop => Parse::Invalid("no ClientHello"),
        Walk::NeedMore(n) => Parse::NeedMore(n),
        Walk::NotTls => Parse::NotTls,
        Walk::Invalid(e) => Parse::Invalid(e),
    }
}

fn sslv2_client_hello(stream: &[u8]) -> Parse<ClientHello> {
    match looks_like_tls(stream) {
        Some(true) => {}
        Some(false) => return Parse::NotTls,
        None => return Parse::NeedMore(5),
    }
    let len = match (stream.first(), stream.get(1)) {
        (Some(&a), Some(&b)) => (usize::from(a & 0x7f) << 8) | usize::from(b),
        _ => return Parse::NeedMore(5),
    };
    let msg = match stream.get(2..2 + len) {
        Some(m) => m,
        None => return Parse::NeedMore(2 + len),
    };
    let mut r = Rd::new(msg);
    let parsed = (|| {
        r.u8()?;
        let version = r.u16()?;
        let specs_len = usize::from(r.u16()?);
        r.u16()?; // session id length
        r.u16()?; // challenge length
        let specs = r.take(specs_len)?;
        let cipher_suites = specs
            .chunks(3)
            .filter(|c| c.len() == 3 && c[0] == 0)
            .take(MAX_CIPHERS)
            .map(|c| u16::from_be_bytes([c[1], c[2]]))
            .collect();
        Some(ClientHello {
            legacy_version: version,
            cipher_suites,
            ..ClientHello::default()
        })
    })();
    match parsed {
        Some(ch) => Parse::Done(ch),
        None => Parse::Invalid("malformed SSLv2 ClientHello"),
    }
}

/// Parse a ClientHello handshake body (without the 4-byte handshake header). Also used for
/// QUIC, whose CRYPTO frames carry the same message.
pub fn client_hello_body(body: &[u8]) -> Option<ClientHello> {
    let mut r = Rd::new(body);
    let mut ch = ClientHello {
        legacy_version: r.u16()?,
        ..ClientHello::default()
    };
    r.take(32)?;
    r.vec8()?; // session id
    ch.cipher_suites = u16_list(r.vec16()?, MAX_CIPHERS);
    r.vec8()?; // compression methods
    if r.is_empty() {
        return Some(ch);
    }
    let mut exts = Rd::new(r.vec16()?);
    while !exts.is_empty() {
        let t = exts.u16()?;
        let data = exts.vec16()?;
        if ch.extensions.len() < MAX_EXTENSIONS {
            ch.extensions.push(t);
        }
        let mut d = Rd::new(data);
        match t {
            0x0000 => {
                if let Some(list) = d.vec16() {
                    let mut l = Rd::new(list);
                    while let (Some(nt), Some(name)) = (l.u8(), l.vec16()) {
                        if nt == 0 && ch.sni.is_none() {
                            ch.sni = Some(lossy_capped(name, MAX_SNI));
                        }
                    }
                }
            }
            0x0010 => {
                if let Some(list) = d.vec16() {
                    let mut l = Rd::new(list);
                    while let Some(p) = l.vec8() {
                        if ch.alpn.len() >= MAX_ALPN {
                            break;
                        }
                        if ch.alpn_first_raw.is_none() {
                            ch.alpn_first_raw = Some(p.to_vec());
                        }
                        ch.alpn.push(String::from_utf8_lossy(p).into_owned());
                    }
                }
            }
            0x000a => {
                if let Some(l) = d.vec16() {
                    ch.groups = u16_list(l, MAX_SMALL_LIST);
                }
            }
            0x000b => {
                if let Some(l) = d.vec8() {
                    ch.ec_point_formats = l.iter().copied().take(MAX_SMALL_LIST).collect();
                }
            }
            0x000d => {
                if let Some(l) = d.vec16() {
                    ch.sig_algs = u16_list(l, MAX_SMALL_LIST);
                }
            }
            0x002b => {
                if let Some(l) = d.vec8() {
                    ch.versions = u16_list(l, MAX_SMALL_LIST);
                }
            }
            _ => {}
        }
    }
    Some(ch)
}

/// Parse the ServerHello at the start of a server stream.
pub fn parse_server_hello(stream: &[u8]) -> Parse<ServerHello> {
    match walk(stream, &[HS_SERVER_HELLO], &[], MAX_HELLO) {
        Walk::Found(body) => match server_hello_body(&body) {
            Some(sh) => Parse::Done(sh),
            None => Parse::Invalid("malformed ServerHello"),
        },
        Walk::Stop => Parse::Invalid("no ServerHello"),
        Walk::NeedMore(n) => Parse::NeedMore(n),
        Walk::NotTls => Parse::NotTls,
        Walk::Invalid(e) => Parse::Invalid(e),
    }
}

/// Parse a ServerHello handshake body.
pub fn server_hello_body(body: &[u8]) -> Option<ServerHello> {
    let mut r = Rd::new(body);
    let mut sh = ServerHello {
        legacy_version: r.u16()?,
        ..ServerHello::default()
    };
    r.take(32)?;
    // TLS 1.3 drafts before 22 put the draft version here (0x7fNN, or 0x0304 before draft 16)
    // and dropped the session id and compression method.
    let draft = (sh.legacy_version >> 8) == 0x7f || sh.legacy_version == 0x0304;
    if !draft {
        r.vec8()?;
    }
    sh.cipher = r.u16()?;
    if !draft {
        r.u8()?;
    }
    if r.is_empty() {
        return Some(sh);
    }
    let mut exts = Rd::new(r.vec16()?);
    while !exts.is_empty() {
        let t = exts.u16()?;
        let data = exts.vec16()?;
        if sh.extensions.len() < MAX_EXTENSIONS {
            sh.extensions.push(t);
        }
        let mut d = Rd::new(data);
        match t {
            0x002b => sh.selected_version = d.u16(),
            0x0010 => {
                if let Some(list) = d.vec16() {
                    if let Some(p) = Rd::new(list).vec8() {
                        sh.alpn = Some(lossy_capped(p, 255));
                    }
                }
            }
            _ => {}
        }
    }
    Some(sh)
}

/// Parse the server's Certificate message (TLS <= 1.2) from the start of a server stream.
/// `Done(vec![])` when the handshake shows there is none to see (TLS 1.3, where it is
/// encrypted; a resumed session; anonymous suites).
pub fn parse_certificates(stream: &[u8]) -> Parse<Vec<CertSummary>> {
    match walk(stream, &[HS_SERVER_HELLO], &[], MAX_HELLO) {
        Walk::Found(body) => match server_hello_body(&body) {
            Some(sh) => {
                let v = sh.version();
                if v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb {
                    return Parse::Done(Vec::new());
                }
            }
            None => return Parse::Invalid("malformed ServerHello"),
        },
        Walk::Stop => return Parse::Invalid("no ServerHello"),
        Walk::NeedMore(n) => return Parse::NeedMore(n),
        Walk::NotTls => return Parse::NotTls,
        Walk::Invalid(e) => return Parse::Invalid(e),
    }
    let stop = [
        HS_SERVER_KEY_EXCHANGE,
        HS_CERTIFICATE_REQUEST,
        HS_SERVER_HELLO_DONE,
        HS_FINISHED,
    ];
    match walk(stream, &[HS_CERTIFICATE], &stop, MAX_CERT_MSG) {
        Walk::Found(body) => {
            let mut r = Rd::new(&body);
            let list = match r.vec24() {
                Some(l) => l,
                None => return Parse::Invalid("malformed Certificate"),
            };
            let mut l = Rd::new(list);
            let mut out = Vec::new();
            while let Some(der) = l.vec24() {
                if out.len() >= MAX_CERTS {
                    break;
                }
                if let Some(c) = x509::parse_certificate(der) {
                    out.push(c);
                }
            }
            Parse::Done(out)
        }
        Walk::Stop => Parse::Done(Vec::new()),
        Walk::NeedMore(n) => Parse::NeedMore(n),
        Walk::NotTls => Parse::NotTls,
        Walk::Invalid(e) => Parse::Invalid(e),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn v16(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }

    fn ext(t: u16, data: &[u8]) -> Vec<u8> {
        let mut v = t.to_be_bytes().to_vec();
        v.extend(v16(data));
        v
    }

    fn u16s(l: &[u16]) -> Vec<u8> {
        l.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    /// A ClientHello handshake message (with its 4-byte header).
    pub(crate) fn client_hello_msg(
        ciphers: &[u16],
        sni: Option<&str>,
        alpn: &[&str],
        extra: &[(u16, Vec<u8>)],
    ) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend([7u8; 32]);
        b.push(0);
        b.extend(v16(&u16s(ciphers)));
        b.extend([1, 0]);
        let mut exts = Vec::new();
        exts.extend(ext(0x0a0a, &[]));
        if let Some(s) = sni {
            let mut e = vec![0u8];
            e.extend(v16(s.as_bytes()));
            exts.extend(ext(0, &v16(&e)));
        }
        if !alpn.is_empty() {
            let mut l = Vec::new();
            for a in alpn {
                l.push(a.len() as u8);
                l.extend(a.as_bytes());
            }
            exts.extend(ext(0x10, &v16(&l)));
        }
        for (t, d) in extra {
            exts.extend(ext(*t, d));
        }
        b.extend(v16(&exts));
        let mut m = vec![1, 0, (b.len() >> 8) as u8, b.len() as u8];
        m.extend(b);
        m
    }

    /// Wrap handshake bytes in records of at most `chunk` bytes each.
    pub(crate) fn records(hs: &[u8], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for c in hs.chunks(chunk) {
            out.extend([0x16, 3, 1, (c.len() >> 8) as u8, c.len() as u8]);
            out.extend(c);
        }
        out
    }

    fn sample() -> Vec<u8> {
        client_hello_msg(
            &[0x1a1a, 0x1301, 0xc02b],
            Some("example.com"),
            &["h2", "http/1.1"],
            &[
                (0x000a, v16(&u16s(&[0x2a2a, 0x001d, 0x0017]))),
                (0x000b, vec![1, 0]),
                (0x000d, v16(&u16s(&[0x0403, 0x0804]))),
                (0x002b, {
                    let l = u16s(&[0x3a3a, 0x0304, 0x0303]);
                    let mut v = vec![l.len() as u8];
                    v.extend(l);
                    v
                }),
            ],
        )
    }

    #[test]
    fn parses_client_hello_fields() {
        let s = records(&sample(), 16384);
        let ch = match parse_client_hello(&s) {
            Parse::Done(c) => c,
            other => panic!("{:?}", other),
        };
        assert_eq!(ch.legacy_version, 0x0303);
        assert_eq!(ch.cipher_suites, vec![0x1a1a, 0x1301, 0xc02b]);
        assert_eq!(ch.extensions, vec![0x0a0a, 0, 0x10, 0x0a, 0x0b, 0x0d, 0x2b]);
        assert_eq!(ch.sni.as_deref(), Some("example.com"));
        assert_eq!(ch.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        assert_eq!(ch.alpn_first_raw.as_deref(), Some(&b"h2"[..]));
        assert_eq!(ch.groups, vec![0x2a2a, 0x1d, 0x17]);
        assert_eq!(ch.ec_point_formats, vec![0]);
        assert_eq!(ch.sig_algs, vec![0x0403, 0x0804]);
        assert_eq!(ch.versions, vec![0x3a3a, 0x0304, 0x0303]);
    }

    #[test]
    fn split_across_records_and_buffers() {
        let hs = sample();
        let whole = records(&hs, 16384);
        let expect = match parse_client_hello(&whole) {
            Parse::Done(c) => c,
            other => panic!("{:?}", other),
        };
        for chunk in [1usize, 3, 7, 50] {
            let s = records(&hs, chunk);
            assert_eq!(parse_client_hello(&s), Parse::Done(expect.clone()));
            // Every strict prefix asks for more, with a need beyond what it has.
            for n in 0..s.len() {
                match parse_client_hello(&s[..n]) {
                    Parse::NeedMore(k) => assert!(k > n && k <= s.len(), "{} {}", n, k),
                    other => panic!("prefix {} of chunk {}: {:?}", n, chunk, other),
                }
            }
        }
    }

    #[test]
    fn not_tls_and_invalid() {
        assert_eq!(parse_client_hello(b"GET / HTTP/1.1\r\n"), Parse::NotTls);
        assert_eq!(parse_client_hello(b"\x17\x03\x03\x00\x10"), Parse::NotTls);
        assert_eq!(parse_client_hello(&[]), Parse::NeedMore(5));
        // Handshake record followed by alert before the hello completes.
        let mut s = records(&sample()[..10], 100);
        s.extend([0x15, 3, 3, 0, 2, 2, 40]);
        assert_eq!(parse_client_hello(&s), Parse::Invalid("no ClientHello"));
        assert_eq!(looks_like_tls(&[0x16, 3, 1, 0, 200, 1]), Some(true));
        assert_eq!(looks_like_tls(&[0x16, 3]), None);
        assert_eq!(looks_like_tls(&[0x16, 3, 1, 0xff, 0xff]), Some(false));
        assert_eq!(looks_like_tls(b"SSH-2.0"), Some(false));
        assert_eq!(looks_like_tls(&[0x80, 0x2e, 1, 3, 1]), Some(true));
        assert_eq!(looks_like_tls(&[]), None);
    }

    #[test]
    fn versions_named_like_suricata() {
        assert_eq!(version_name(0x0301), "TLSv1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x7f12), "TLS 1.3 draft-18");
        assert_eq!(version_name(0x7f0e), "TLS 1.3 draft-<16");
        assert_eq!(version_name(0), "UNDETERMINED");
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a));
    }

    fn server_flight(version_ext: Option<u16>, with_cert: bool) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend([1u8; 32]);
        b.push(0);
        b.extend([0xc0, 0x2f, 0]);
        let mut exts = ext(0xff01, &[0]);
        if let Some(v) = version_ext {
            exts.extend(ext(0x2b, &v.to_be_bytes()));
        }
        exts.extend(ext(0x10, &v16(&[2, b'h', b'2'])));
        b.extend(v16(&exts));
        let mut hs = vec![2, 0, 0, b.len() as u8];
        hs.extend(b);
        if with_cert {
            let mut subj = Vec::new();
            let mut atv = vec![0x06, 3, 0x55, 4, 3, 0x0c, 4];
            atv.extend(b"test");
            subj.push(0x31);
            subj.push(atv.len() as u8 + 2);
            subj.push(0x30);
            subj.push(atv.len() as u8);
            subj.extend(atv);
            let der = crate::app::x509::tests::make_cert(&subj, &subj);
            let mut list = vec![0, (der.len() >> 8) as u8, der.len() as u8];
            list.extend(&der);
            let mut body = vec![0, (list.len() >> 8) as u8, list.len() as u8];
            body.extend(list);
            hs.extend([11, 0, (body.len() >> 8) as u8, body.len() as u8]);
            hs.extend(body);
        }
        hs.extend([14, 0, 0, 0]);
        records(&hs, 40)
    }

    #[test]
    fn server_hello_and_certificates() {
        let s = server_flight(None, true);
        match parse_server_hello(&s) {
            Parse::Done(sh) => {
                assert_eq!(sh.cipher, 0xc02f);
                assert_eq!(sh.version(), 0x0303);
                assert_eq!(sh.extensions, vec![0xff01, 0x10]);
                assert_eq!(sh.alpn.as_deref(), Some("h2"));
            }
            other => panic!("{:?}", other),
        }
        match parse_certificates(&s) {
            Parse::Done(c) => {
                assert_eq!(c.len(), 1);
                assert_eq!(c[0].subject, "CN=test");
            }
            other => panic!("{:?}", other),
        }
        for n in 0..s.len() {
            assert!(matches!(parse_certificates(&s[..n]), Parse::NeedMore(_)));
        }
        let s = server_flight(None, false);
        assert_eq!(parse_certificates(&s), Parse::Done(vec![]));
        let s = server_flight(Some(0x0304), false);
        assert_eq!(parse_certificates(&s), Parse::Done(vec![]));
        if let Parse::Done(sh) = parse_server_hello(&s) {
            assert_eq!(version_name(sh.version()), "TLS 1.3");
        } else {
            panic!();
        }
    }

    /// One TCP connection from a corpus pcap: reassembled client and server byte streams
    /// (from the SYN when seen, else from the first data segment), in connection order.
    pub(crate) struct Conn {
        pub client: Vec<u8>,
        pub server: Vec<u8>,
        pub ports: (u16, u16),
    }

    pub(crate) fn corpus_tcp(rel: &str) -> Option<Vec<Conn>> {
        // (src, sport, dst, dport) -> (syn seq, segments)
        type Key = ([u8; 16], u16, [u8; 16], u16);
        let mut order: Vec<Key> = Vec::new();
        type Dir = (Option<u32>, Vec<(u32, Vec<u8>)>);
        let mut dirs: std::collections::HashMap<Key, Dir> = std::collections::HashMap::new();
        let found = crate::app::test_support::for_each_corpus_packet(rel, |m, frame| {
            if m.proto != 6 || !m.l4_ok {
                return;
            }
            let key = (m.src, m.src_port, m.dst, m.dst_port);
            let rev = (m.dst, m.dst_port, m.src, m.src_port);
            if !order.contains(&key) && !order.contains(&rev) {
                order.push(key);
            }
            let e = dirs.entry(key).or_insert((None, Vec::new()));
            if m.tcp_flags & 0x02 != 0 {
                e.0 = Some(m.tcp_seq);
            }
            let po = m.payload_off as usize;
            // Data on a SYN (TCP Fast Open) starts one past the SYN's sequence number.
            let seq = m.tcp_seq.wrapping_add(u32::from(m.tcp_flags & 0x02 != 0));
            if let Some(p) = frame.get(po..po + m.payload_len as usize) {
                if !p.is_empty() {
                    e.1.push((seq, p.to_vec()));
                }
            }
        });
        if !found {
            return None;
        }
        let assemble = |k: &Key| -> Vec<u8> {
            let (syn, segs) = match dirs.get(k) {
                Some(x) => x,
                None => return Vec::new(),
            };
            let mut next = match (syn, segs.first()) {
                (Some(s), _) => s.wrapping_add(1),
                (None, Some(f)) => f.0,
                _ => return Vec::new(),
            };
            let mut out = Vec::new();
            loop {
                let mut progressed = false;
                for (seq, p) in segs {
                    let off = next.wrapping_sub(*seq) as usize;
                    if off < p.len() {
                        out.extend_from_slice(&p[off..]);
                        next = next.wrapping_add((p.len() - off) as u32);
                        progressed = true;
                    }
                }
                if !progressed || out.len() > 1 << 20 {
                    break;
                }
            }
            out
        };
        Some(
            order
                .iter()
                .map(|k| Conn {
                    client: assemble(k),
                    server: assemble(&(k.2, k.3, k.0, k.1)),
                    ports: (k.1, k.3),
                })
                .collect(),
        )
    }

    #[test]
    #[ignore]
    fn dump_corpus() {
        for rel in std::env::var("TLS_PCAPS").unwrap_or_default().split(',') {
            let conns = match corpus_tcp(rel) {
                Some(c) => c,
                None => continue,
            };
            for c in &conns {
                println!(
                    "{} {:?} c={} s={}",
                    rel,
                    c.ports,
                    c.client.len(),
                    c.server.len()
                );
                if let Parse::Done(ch) = parse_client_hello(&c.client) {
                    println!("  ja3 {:?}", crate::app::ja3::ja3(&ch));
                    println!(
                        "  ja4 {} sni {:?} alpn {:?}",
                        crate::app::ja4::ja4(&ch, false),
                        ch.sni,
                        ch.alpn
                    );
                } else {
                    println!("  ch {:?}", parse_client_hello(&c.client));
                }
                if let Parse::Done(sh) = parse_server_hello(&c.server) {
                    println!(
                        "  ver {} ja3s {:?}",
                        version_name(sh.version()),
                        crate::app::ja3::ja3s(&sh)
                    );
                }
                println!("  certs {:?}", parse_certificates(&c.server));
                if std::env::var("TLS_HEX").is_ok() {
                    println!(
                        "  C {}",
                        crate::crypto::to_hex(&c.client[..c.client.len().min(80)])
                    );
                    println!(
                        "  S {}",
                        crate::crypto::to_hex(&c.server[..c.server.len().min(120)])
                    );
                }
            }
        }
    }

    /// The connection of a corpus pcap whose client port is `port` (0: the first one whose
    /// client stream is a TLS ClientHello).
    pub(crate) fn corpus_conn(rel: &str, port: u16) -> Option<Conn> {
        corpus_tcp(rel)?.into_iter().find(|c| {
            if port != 0 {
                c.ports.0 == port
            } else {
                matches!(parse_client_hello(&c.client), Parse::Done(_))
            }
        })
    }

    /// suricata-verify expectations (`tls.sni`, `tls.version`, `tls.subject`, `tls.issuerdn`,
    /// `tls.notbefore`, `tls.notafter`) checked on the corpus pcaps.
    #[test]
    fn corpus_suricata_tls_facts() {
        type Fact = (
            &'static str,
            u16,
            Option<&'static str>,
            Option<&'static str>,
            Option<(&'static str, &'static str, &'static str, &'static str)>,
        );
        let facts: &[Fact] = &[
            (
                "bug-2646-01.pcap",
                49584,
                Some("raw.githubusercontent.com"),
                Some("TLS 1.2"),
                Some((
                    "C=US, ST=California, L=San Francisco, O=GitHub, Inc., CN=www.github.com",
                    "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert SHA2 High Assurance Server CA",
                    "2017-03-23T00:00:00",
                    "2020-05-13T12:00:00",
                )),
            ),
            ("community-id-ipv4.pcap", 35958, Some("ipv4.google.com"), Some("TLS 1.3"), None),
            ("community-id-ipv6.pcap", 33892, Some("dns.google"), Some("TLS 1.3"), None),
            ("bug-4702-02.pcap", 0, Some("vlscppe.microsoft.com"), None, None),
            ("bug-5464-verdict-04.pcap", 0, Some("example.com"), None, None),
            ("bug-5758.pcap", 0, Some("ftp.nluug.nl"), None, None),
            ("tls__tls-client-hello-frag-01.pcap", 0, Some("www.google.com"), None, None),
            (
                "tls__tls-fin-close-data-01.pcap",
                0,
                Some("rr4---sn-5hne6nzy.googlevideo.com"),
                None,
                None,
            ),
            ("tcp-fastopen-11-reject-syn-data.pcap", 0, Some("icloud.com"), Some("TLS 1.3"), None),
            ("tls__tls13-draft14.pcap", 0, None, Some("TLS 1.3 draft-<16"), None),
            ("tls__tls13-draft18.pcap", 0, None, Some("TLS 1.3 draft-18"), None),
            ("tls__tls13-draft19.pcap", 0, Some("localhost"), Some("TLS 1.3 draft-19"), None),
            ("tls__tls13-draft22.pcap", 0, Some("localhost"), Some("TLS 1.3 draft-22"), None),
            ("tls__tls13-draft23.pcap", 0, None, Some("TLS 1.3 draft-23"), None),
            ("tls__tls13-draft28.pcap", 0, Some("localhost"), Some("TLS 1.3 draft-28"), None),
            (
                "ja4-tls.pcap",
                0,
                None,
                Some("TLS 1.2"),
                Some((
                    "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS",
                    "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS",
                    "2015-02-12T18:07:27",
                    "2025-02-09T18:07:27",
                )),
            ),
            (
                "tls__tls-glupteba.pcap",
                23481,
                None,
                Some("TLSv1"),
                Some((
                    "CN=xn--j1ahhq.xn--p1ai",
                    "C=US, O=Let's Encrypt, CN=R3",
                    "2022-12-01T06:47:31",
                    "2023-03-01T06:47:30",
                )),
            ),
            (
                "tls__tls-pre-1970.pcap",
                46135,
                Some("fkp.samsungcloudsolution.com"),
                Some("TLSv1"),
                Some((
                    "OU=vd, CN=fkp.samsungcloudsolution.com",
                    "C=KR, ST=Kyunggido, L=Suwon, O=Samsung Electronics, OU=SW2 SISC, CN=ROOT CA SISC FKP2_PLUS",
                    "1969-12-31T00:00:00",
                    "2038-12-31T00:10:03",
                )),
            ),
            (
                "sslv2-tls-upgrade-01.pcap",
                0,
                None,
                Some("TLSv1"),
                Some((
                    "C=US, ST=California, L=Sunnyvale, O=NetScreen Technologies, Inc., OU=Security Team, CN=sigdb.secteam.netscreen.com, Email=aturner@netscreen.com",
                    "C=US, ST=California, L=Sunnyvale, O=OneSecure, Inc., OU=Fulfillment, CN=jumper.sv-staging.onesecure.com, Email=fulfillment@onesecure.com",
                    "2003-03-29T00:57:44",
                    "2008-03-27T00:57:44",
                )),
            ),
            (
                "tls__tls-client-cert-01.pcap",
                0,
                Some("localhost"),
                Some("TLS 1.2"),
                Some((
                    "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleServer, CN=SampleServer",
                    "C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleCA, CN=SampleRoot",
                    "2018-04-14T20:55:27",
                    "2018-05-14T20:55:27",
                )),
            ),
        ];
        let mut checked = 0;
        for (file, port, sni, version, cert) in facts {
            let rel = format!("suricata-verify/pcaps/{}", file);
            let c = match corpus_conn(&rel, *port) {
                Some(c) => c,
                None => {
                    assert!(
                        !crate::app::test_support::corpus_dir()
                            .join(&rel)
                            .exists(),
                        "{}: no TLS connection found",
                        file
                    );
                    continue;
                }
            };
            let ch = match parse_client_hello(&c.client) {
                Parse::Done(ch) => ch,
                other => panic!("{}: {:?}", file, other),
            };
            if let Some(sni) = sni {
                assert_eq!(ch.sni.as_deref(), Some(*sni), "{}", file);
            }
            if let Some(v) = version {
                match parse_server_hello(&c.server) {
                    Parse::Done(sh) => assert_eq!(version_name(sh.version()), *v, "{}", file),
                    other => panic!("{}: {:?}", file, other),
                }
            }
            if let Some((subject, issuer, nb, na)) = cert {
                match parse_certificates(&c.server) {
                    Parse::Done(certs) => {
                        let leaf = certs.first().expect("a certificate");
                        assert_eq!(leaf.subject, *subject, "{}", file);
                        assert_eq!(leaf.issuer, *issuer, "{}", file);
                        assert_eq!(leaf.not_before.as_deref(), Some(*nb), "{}", file);
                        assert_eq!(leaf.not_after.as_deref(), Some(*na), "{}", file);
                    }
                    other => panic!("{}: {:?}", file, other),
                }
            }
            checked += 1;
        }
        eprintln!("checked {} corpus connections", checked);
    }

    #[test]
    fn corpus_client_alpns_and_incremental_feed() {
        // tls-alpn-client-log-01: client_alpns h2, http/1.1 (ja4-rules.pcap).
        let c = match corpus_conn("suricata-verify/pcaps/ja4-rules.pcap", 0) {
            Some(c) => c,
            None => return,
        };
        let ch = match parse_client_hello(&c.client) {
            Parse::Done(ch) => ch,
            other => panic!("{:?}", other),
        };
        assert_eq!(ch.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        // Fed byte by byte, every prefix before the end of the hello asks for more.
        let mut n = 0;
        loop {
            match parse_client_hello(&c.client[..n]) {
                Parse::NeedMore(k) => {
                    assert!(k > n && k <= c.client.len());
                    n = k;
                }
                Parse::Done(d) => {
                    assert_eq!(d, ch);
                    break;
                }
                other => panic!("{:?}", other),
            }
        }
    }

    /// Informational: compare with nDPI's JA3/JA3S/JA4 (TSV at $NDPI_FACTS: pcap, sport,
    /// dport, field, expected). nDPI's JA4 differs from Suricata's in places.
    #[test]
    #[ignore]
    fn ndpi_compare() {
        let path = match std::env::var("NDPI_FACTS") {
            Ok(p) => p,
            Err(_) => return,
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut cache: std::collections::HashMap<String, Vec<Conn>> = Default::default();
        let (mut ok, mut bad, mut missing) = (0, 0, 0);
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 5 {
                continue;
            }
            let conns = cache
                .entry(f[0].to_string())
                .or_insert_with(|| corpus_tcp(f[0]).unwrap_or_default());
            let sp: u16 = f[1].parse().unwrap_or(0);
            let dp: u16 = f[2].parse().unwrap_or(0);
            let c = conns
                .iter()
                .find(|c| c.ports == (sp, dp))
                .or_else(|| conns.iter().find(|c| c.ports == (dp, sp)));
            let c = match c {
                Some(c) => c,
                None => {
                    missing += 1;
                    continue;
                }
            };
            let got = match f[3] {
                "ndpi.ja3s_hash" => match parse_server_hello(&c.server) {
                    Parse::Done(sh) => crate::app::ja3::ja3s(&sh).1,
                    other => format!("{:?}", other),
                },
                field => match parse_client_hello(&c.client) {
                    Parse::Done(ch) => {
                        if field == "ndpi.ja4" {
                            crate::app::ja4::ja4(&ch, false)
                        } else {
                            crate::app::ja3::ja3(&ch).1
                        }
                    }
                    other => format!("{:?}", other),
                },
            };
            if got == f[4] {
                ok += 1;
            } else {
                bad += 1;
                println!(
                    "{} {}:{} {} want {} got {}",
                    f[0], f[1], f[2], f[3], f[4], got
                );
            }
        }
        println!("ndpi: ok {} differ {} missing {}", ok, bad, missing);
    }

    #[test]
    fn mutation_never_panics() {
        let bases = [
            records(&sample(), 60),
            server_flight(None, true),
            server_flight(Some(0x0304), false),
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..60_000u32 {
            let base = &bases[(i % 3) as usize];
            let mut m = base.clone();
            let flips = 1 + (next() % 6) as usize;
            for _ in 0..flips {
                let p = (next() as usize) % m.len();
                m[p] = next() as u8;
            }
            if i % 4 == 0 {
                let cut = (next() as usize) % (m.len() + 1);
                m.truncate(cut);
            }
            if let Parse::Done(ch) = parse_client_hello(&m) {
                let _ = crate::app::ja3::ja3(&ch);
                let _ = crate::app::ja4::ja4(&ch, i % 2 == 0);
            }
            if let Parse::Done(sh) = parse_server_hello(&m) {
                let _ = crate::app::ja3::ja3s(&sh);
                let _ = version_name(sh.version());
            }
            let _ = parse_certificates(&m);
            let _ = looks_like_tls(&m);
        }
    }
}
