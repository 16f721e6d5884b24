//! HTTP/1.x requests and responses from one direction's in-order byte stream.
//!
//! `parse_requests` / `parse_responses` read as many complete message heads as the stream holds
//! (several per connection), skipping bodies by Content-Length or chunked framing. A message
//! whose head is complete is returned even when its body is not: it then carries
//! `body_pending`, the whole stream counts as consumed, and the caller feeds later bytes to
//! [`skip_body`] until it reports `done`, then calls `parse_*` again on what follows. A
//! truncated head consumes nothing (call again with more bytes). A head longer than
//! [`MAX_HEAD`] or a start line that is not HTTP stops parsing with nothing consumed at that
//! point: the caller should give the direction up once more than `MAX_HEAD` bytes sit
//! unconsumed.
//!
//! Request lines (Zeek `HTTP_RequestLine`, libhtp-rs): once a stream is HTTP, any token is a
//! method (`CCM_POST`); a line without a version is HTTP/0.9 only when nothing but a little
//! whitespace follows it, else headers follow (`GET /HTTP/1.1` + `Host:` logs its host); and a
//! head the connection's end cut short is still a request ([`parse_unfinished_request`]).
//!
//! Field mapping (checked against the corpus expectations):
//! - `uri` = Suricata `http.url` / Zeek `http.uri`: the request-target exactly as sent, not
//!   normalised (`/cgi-bin/cart32.exe`; for CONNECT the authority form
//!   `secure-assets.rubiconproject.com:443` in suricata-verify `bug-2512`, Zeek
//!   `http-connect-with-header` `secure.newegg.com:443`). Absolute URIs (`http://h/p`) are kept
//!   whole as well; no corpus fact covers them. At most 4 KiB kept (`truncated` set).
//! - `host` = Suricata `http.hostname`: the Host header without its port, lowercased, trailing
//!   dot removed, IPv6 brackets kept (suricata-verify `http-ipv6`: `[::1]`); as libhtp does, the
//!   authority of an absolute URI wins over the Host header. The port goes to `port`.
//! - `host_header` = Zeek `http.host`: the Host header value as sent, port kept
//!   (`localhost:8080`, `172.24.133.205:8000` in the Zeek expectations).
//! - `user_agent` = Suricata `http.http_user_agent` / Zeek `http.user_agent`; `method` =
//!   `http.http_method`; `content_type` = `http.http_content_type`; `version` = `http.protocol`
//!   (`HTTP/1.1`); response `status` = `http.status` / Zeek `http.status_code`.
//!
//! Bounds: at most 64 headers interpreted per message, header values kept to 2 KiB, the URI to
//! 4 KiB, the head (start line + headers) to 64 KiB, 256 messages per call.

/// Most headers interpreted per message (later ones are skipped; `truncated` is set).
pub const MAX_HEADERS: usize = 64;
/// Longest header value kept, in bytes.
pub const MAX_HEADER_VALUE: usize = 2048;
/// Longest URI kept, in bytes.
pub const MAX_URI: usize = 4096;
/// Longest message head (start line and headers) searched for its end.
pub const MAX_HEAD: usize = 64 * 1024;
/// Upper bound on the messages returned by one call, whatever `max` says.
pub const MAX_MESSAGES: usize = 256;

const METHODS: [&[u8]; 22] = [
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"MKCALENDAR",
    b"CHECKOUT",
    b"MERGE",
    b"NOTIFY",
];

/// Whether a client stream starts like an HTTP request: a known method token followed by a
/// space. None while the bytes are a strict prefix of such a start.
pub fn looks_like_http_request(first: &[u8]) -> Option<bool> {
    let mut maybe = false;
    for m in METHODS.iter() {
        let n = m.len();
        if first.len() > n {
            if first.starts_with(m) && first[n] == b' ' {
                return Some(true);
            }
        } else if m.starts_with(first) {
            maybe = true;
        }
    }
    if maybe {
        None
    } else {
        Some(false)
    }
}

/// Longest method token accepted by [`looks_like_request_line`].
pub const MAX_METHOD: usize = 32;

/// Whether a client stream, already known to be HTTP, starts with a request line: a method
/// token (RFC 7230 tchar, at most [`MAX_METHOD`] bytes) followed by a space or tab. Any token
/// is a method here, as in Zeek's `HTTP_RequestLine` (`get_HTTP_token`) and libhtp (unknown
/// methods are parsed and logged): Zeek's `http-methods` test logs `CCM_POST / HTTP/1.1` with
/// its host and uri. Detection keeps the known-method list of [`looks_like_http_request`].
/// None while the bytes are a strict prefix of such a start.
pub fn looks_like_request_line(first: &[u8]) -> Option<bool> {
    for (i, &c) in first.iter().enumerate() {
        if (c == b' ' || c == b'\t') && i > 0 {
            return Some(true);
        }
        if !is_tchar(c) || i >= MAX_METHOD {
            return Some(false);
        }
    }
    None
}

/// Whether a server stream starts like an HTTP/1.x status line: `HTTP/d.d SP`.
/// None while the bytes are a strict prefix of such a start.
pub fn looks_like_http_response(first: &[u8]) -> Option<bool> {
    let pat: [fn(u8) -> bool; 9] = [
        |c| c == b'H',
        |c| c == b'T',
        |c| c == b'T',
        |c| c == b'P',
        |c| c == b'/',
        |c| c.is_ascii_digit(),
        |c| c == b'.',
        |c| c.is_ascii_digit(),
        |c| c == b' ',
    ];
    for (i, p) in pat.iter().enumerate() {
        match first.get(i) {
            None => return None,
            Some(&c) if !p(c) => return Some(false),
            Some(_) => {}
        }
    }
    Some(true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Ext,
    Data,
    DataEnd,
    TrailerStart,
    TrailerLine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Length(u64),
    Chunked { phase: Chunk, size: u64, digits: u8 },
    UntilClose,
}

/// Where a message body stands: what remains to be skipped. Held by the caller between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyState {
    kind: Kind,
    seen_data: bool,
}

impl BodyState {
    pub fn content_length(n: u64) -> BodyState {
        BodyState {
            kind: Kind::Length(n),
            seen_data: false,
        }
    }
    pub fn chunked() -> BodyState {
        BodyState {
            kind: Kind::Chunked {
                phase: Chunk::Size,
                size: 0,
                digits: 0,
            },
            seen_data: false,
        }
    }
    pub fn until_close() -> BodyState {
        BodyState {
            kind: Kind::UntilClose,
            seen_data: false,
        }
    }
    /// The body runs to the end of the connection (or the connection became a tunnel).
    pub fn is_until_close(&self) -> bool {
        self.kind == Kind::UntilClose
    }
}

/// Result of skipping body bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Bytes of the input that belonged to the body (framing included).
    pub used: usize,
    /// The body ended inside the input; what follows `used` is the next message.
    pub done: bool,
    /// Offset in the input of the body's first data byte, when it appeared in this input.
    pub first_data: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// Chunked framing that does not parse (bad size line, size overflow, missing CRLF).
    BadChunk,
}

fn hex(c: u8) -> Option<u64> {
    (c as char).to_digit(16).map(u64::from)
}

/// Skips body bytes according to `state`; see [`Skipped`].
pub fn skip_body(state: &mut BodyState, bytes: &[u8]) -> Result<Skipped, HttpError> {
    let mut first_data = None;
    let mut i = 0usize;
    loop {
        match state.kind {
            Kind::UntilClose => {
                if !state.seen_data && !bytes.is_empty() {
                    state.seen_data = true;
                    first_data = Some(0);
                }
                return Ok(Skipped {
                    used: bytes.len(),
                    done: false,
                    first_data,
                });
            }
            Kind::Length(rem) => {
                let avail = (bytes.len() - i) as u64;
                let take = rem.min(avail);
                if take > 0 && !state.seen_data {
                    state.seen_data = true;
                    first_data = Some(i);
                }
                i += take as usize;
                state.kind = Kind::Length(rem - take);
                return Ok(Skipped {
                    used: i,
                    done: rem == take,
                    first_data,
                });
            }
            Kind::Chunked {
                phase,
                size,
                digits,
            } => {
                if phase == Chunk::Data {
                    let avail = (bytes.len() - i) as u64;
                    let take = size.min(avail);
                    if take > 0 && !state.seen_data {
                        state.seen_data = true;
                        first_data = Some(i);
                    }
                    i += take as usize;
                    let left = size - take;
                    state.kind = if left == 0 {
                        Kind::Chunked {
                            phase: Chunk::DataEnd,
                            size: 0,
                            digits: 0,
                        }
                    } else {
                        Kind::Chunked {
                            phase: Chunk::Data,
                            size: left,
                            digits: 0,
                        }
                    };
                    if left > 0 {
                        return Ok(Skipped {
                            used: i,
                            done: false,
                            first_data,
                        });
                    }
                    continue;
                }
                let c = match bytes.get(i) {
                    Some(&c) => c,
                    None => {
                        return Ok(Skipped {
                            used: i,
                            done: false,
                            first_data,
                        })
                    }
                };
                i += 1;
                let end_of_size_line = |size: u64, digits: u8| -> Result<Kind, HttpError> {
                    if digits == 0 {
                        Err(HttpError::BadChunk)
                    } else if size == 0 {
                        Ok(Kind::Chunked {
                            phase: Chunk::TrailerStart,
                            size: 0,
                            digits: 0,
                        })
                    } else {
                        Ok(Kind::Chunked {
                            phase: Chunk::Data,
                            size,
                            digits: 0,
                        })
                    }
                };
                state.kind = match phase {
                    Chunk::Size => match c {
                        b'\n' => end_of_size_line(size, digits)?,
                        b'\r' => Kind::Chunked {
                            phase: Chunk::Size,
                            size,
                            digits,
                        },
                        b';' | b' ' | b'\t' => Kind::Chunked {
                            phase: Chunk::Ext,
                            size,
                            digits,
                        },
                        _ => {
                            let d = hex(c).ok_or(HttpError::BadChunk)?;
                            // 16 hex digits at most: sizes above 2^64-1 are refused.
                            if digits >= 16 {
                                return Err(HttpError::BadChunk);
                            }
                            Kind::Chunked {
                                phase: Chunk::Size,
                                size: (size << 4) | d,
                                digits: digits + 1,
                            }
                        }
                    },
                    Chunk::Ext => match c {
                        b'\n' => end_of_size_line(size, digits)?,
                        _ => Kind::Chunked {
                            phase: Chunk::Ext,
                            size,
                            digits,
                        },
                    },
                    Chunk::DataEnd => match c {
                        b'\r' => Kind::Chunked {
                            phase: Chunk::DataEnd,
                            size: 0,
                            digits: 0,
                        },
                        b'\n' => Kind::Chunked {
                            phase: Chunk::Size,
                            size: 0,
                            digits: 0,
                        },
                        _ => return Err(HttpError::BadChunk),
                    },
                    Chunk::TrailerStart => match c {
                        b'\n' => {
                            state.kind = Kind::Length(0);
                            return Ok(Skipped {
                                used: i,
                                done: true,
                                first_data,
                            });
                        }
                        b'\r' => Kind::Chunked {
                            phase: Chunk::TrailerStart,
                            size: 0,
                            digits: 0,
                        },
                        _ => Kind::Chunked {
                            phase: Chunk::TrailerLine,
                            size: 0,
                            digits: 0,
                        },
                    },
                    Chunk::TrailerLine => match c {
                        b'\n' => Kind::Chunked {
                            phase: Chunk::TrailerStart,
                            size: 0,
                            digits: 0,
                        },
                        _ => Kind::Chunked {
                            phase: Chunk::TrailerLine,
                            size: 0,
                            digits: 0,
                        },
                    },
                    Chunk::Data => Kind::Chunked {
                        phase: Chunk::Data,
                        size,
                        digits,
                    },
                };
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    pub method: String,
    pub uri: String,
    /// `HTTP/1.1`, `HTTP/1.0`; empty for an HTTP/0.9 request line (no version, no headers).
    pub version: String,
    /// Suricata `http.hostname` (see module docs).
    pub host: Option<String>,
    /// Port from the Host header (or absolute URI authority), when present and valid.
    pub port: Option<u16>,
    /// Zeek `http.host`: Host header as sent.
    pub host_header: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub chunked: bool,
    /// Header lines seen (all of them, not only the 64 interpreted).
    pub header_count: usize,
    /// A kept field was cut at its cap, or headers past the 64th were skipped.
    pub truncated: bool,
    /// Offset in the given stream of the body's first data byte, when it is inside the stream
    /// (pass `&stream[off..]` to `magic::file_type`).
    pub body_offset: Option<usize>,
    /// The body continues past the given stream: feed later bytes to [`skip_body`].
    pub body_pending: Option<BodyState>,
    /// The body framing broke (bad chunk): the stream is out of sync after this message.
    pub body_error: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub version: String,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub chunked: bool,
    pub header_count: usize,
    pub truncated: bool,
    pub body_offset: Option<usize>,
    pub body_pending: Option<BodyState>,
    pub body_error: bool,
}

struct Head<'a> {
    start_line: &'a [u8],
    headers: Vec<(&'a [u8], &'a [u8])>,
    count: usize,
    end: usize,
}

enum HeadResult<'a> {
    NeedMore,
    Stop,
    Ok(Head<'a>),
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = b.split_first() {
        if c == b' ' || c == b'\t' {
            b = rest;
        } else {
            break;
        }
    }
    while let Some((&c, rest)) = b.split_last() {
        if c == b' ' || c == b'\t' || c == b'\r' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Most whitespace bytes after a version-less request line that still leave it an HTTP/0.9
/// request (libhtp-rs `HTTP09_MAX_JUNK_LEN`).
const HTTP09_MAX_JUNK: usize = 16;

/// Whether the bytes after a version-less request line make it an HTTP/0.9 request: nothing
/// but at most [`HTTP09_MAX_JUNK`] whitespace bytes follow. Anything else means the client
/// just left the protocol out and headers follow (libhtp-rs `request_protocol`, "Request line:
/// missing protocol"; suricata-verify `http-not09` logs the user agent of `GET /` followed by
/// headers; Zeek parses headers after any request line: `GET /HTTP/1.1` + `Host:` in
/// `http-methods` logs host `www.google.com`).
fn is_09_request(after_line: &[u8]) -> bool {
    let spaces = after_line
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c))
        .count();
    spaces == after_line.len() && spaces <= HTTP09_MAX_JUNK
}

/// Reads a message head at `start`; with `head09`, a request line without a version (HTTP/0.9)
/// is a whole head when [`is_09_request`] says so. With `at_eof` the stream ends where it
/// ends (the connection closed): a last line without LF is a line, and the head ends there.
fn read_head(stream: &[u8], start: usize, head09: bool, at_eof: bool) -> HeadResult<'_> {
    let avail = match stream.get(start..) {
        Some(a) => a,
        None => return HeadResult::NeedMore,
    };
    let window = &avail[..avail.len().min(MAX_HEAD)];
    let mut pos = 0usize;
    let mut start_line: Option<&[u8]> = None;
    let mut headers: Vec<(&[u8], &[u8])> = Vec::new();
    let mut count = 0usize;
    loop {
        let lf = match window[pos..].iter().position(|&c| c == b'\n') {
            Some(i) => pos + i,
            None if at_eof && pos < window.len() => window.len(),
            None if at_eof => {
                return match start_line {
                    Some(sl) => HeadResult::Ok(Head {
                        start_line: sl,
                        headers,
                        count,
                        end: start + pos,
                    }),
                    None => HeadResult::NeedMore,
                };
            }
            None => {
                return if avail.len() >= MAX_HEAD {
                    HeadResult::Stop
                } else {
                    HeadResult::NeedMore
                };
            }
        };
        let mut line = &window[pos..lf];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        pos = (lf + 1).min(window.len());
        match start_line {
            None => {
                start_line = Some(line);
                if head09 && is_09(line) && is_09_request(&window[pos..]) {
                    return HeadResult::Ok(Head {
                        start_line: line,
                        headers,
                        count,
                        end: start + pos,
                    });
                }
            }
            Some(_) if line.is_empty() => {
                let sl = start_line.unwrap_or(&[]);
                return HeadResult::Ok(Head {
                    start_line: sl,
                    headers,
                    count,
                    end: start + pos,
                });
            }
            Some(_) => {
                count += 1;
                if headers.len() < MAX_HEADERS {
                    if let Some(colon) = line.iter().position(|&c| c == b':') {
                        let name = trim(&line[..colon]);
                        if !name.is_empty() && name.iter().all(|&c| is_tchar(c)) {
                            headers.push((name, trim(&line[colon + 1..])));
                        }
                    }
                }
            }
        }
    }
}

/// A request line without an `HTTP/` version (HTTP/0.9 simple request).
fn is_09(line: &[u8]) -> bool {
    match line.iter().rposition(|&c| c == b' ' || c == b'\t') {
        Some(sp) => !line[sp + 1..].starts_with(b"HTTP/"),
        None => true,
    }
}

fn text(b: &[u8], cap: usize, truncated: &mut bool) -> String {
    if b.len() > cap {
        *truncated = true;
    }
    String::from_utf8_lossy(&b[..b.len().min(cap)]).into_owned()
}

struct Common {
    content_type: Option<String>,
    content_length: Option<u64>,
    chunked: bool,
    host: Option<String>,
    user_agent: Option<String>,
    truncated: bool,
}

fn common(head: &Head) -> Common {
    let mut c = Common {
        content_type: None,
        content_length: None,
        chunked: false,
        host: None,
        user_agent: None,
        truncated: head.count > MAX_HEADERS,
    };
    for &(name, value) in &head.headers {
        let mut t = false;
        if name.eq_ignore_ascii_case(b"content-type") && c.content_type.is_none() {
            // The media type without parameters, as Suricata prints `http_content_type` (cut
            // at the first `;`: `text/html; charset=UTF-8` -> `text/html`, lua-memleak).
            let media = match value.iter().position(|&b| b == b';') {
                Some(i) => &value[..i],
                None => value,
            };
            c.content_type = Some(text(media, MAX_HEADER_VALUE, &mut t));
        } else if name.eq_ignore_ascii_case(b"content-length") && c.content_length.is_none() {
            c.content_length = std::str::from_utf8(value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok());
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let v = String::from_utf8_lossy(&value[..value.len().min(MAX_HEADER_VALUE)])
                .to_ascii_lowercase();
            c.chunked = v
                .split(',')
                .next_back()
                .map(|x| x.trim() == "chunked")
                .unwrap_or(false);
        } else if name.eq_ignore_ascii_case(b"host") && c.host.is_none() {
            c.host = Some(text(value, MAX_HEADER_VALUE, &mut t));
        } else if name.eq_ignore_ascii_case(b"user-agent") && c.user_agent.is_none() {
            c.user_agent = Some(text(value, MAX_HEADER_VALUE, &mut t));
        }
        c.truncated |= t;
    }
    c
}

/// Splits `host[:port]` / `[v6][:port]`: lowercased host without trailing dot, and the port.
pub fn split_host_port(v: &str) -> (String, Option<u16>) {
    let v = v.trim();
    let (host, port) = if v.starts_with('[') {
        match v.find(']') {
            Some(e) => (&v[..=e], v[e + 1..].strip_prefix(':')),
            None => (v, None),
        }
    } else if v.matches(':').count() == 1 {
        let c = v.find(':').unwrap_or(v.len());
        (&v[..c], v.get(c + 1..))
    } else {
        (v, None)
    };
    let mut h = host.to_ascii_lowercase();
    if h.ends_with('.') {
        h.pop();
    }
    (h, port.and_then(|p| p.parse::<u16>().ok()))
}

/// Authority of an absolute URI (`http://user@host:port/...`), without userinfo.
fn uri_authority(uri: &str) -> Option<&str> {
    let lower_starts = |p: &str| {
        uri.as_bytes()
            .get(..p.len())
            .map(|b| b.eq_ignore_ascii_case(p.as_bytes()))
            .unwrap_or(false)
    };
    let rest = if lower_starts("http://") {
        uri.get(7..)?
    } else if lower_starts("https://") {
        uri.get(8..)?
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = match auth.rfind('@') {
        Some(a) => &auth[a + 1..],
        None => auth,
    };
    if auth.is_empty() {
        None
    } else {
        Some(auth)
    }
}

/// Skips a body starting at `at`; returns (new position, pending, error, first data offset).
fn run_body(
    stream: &[u8],
    at: usize,
    mut st: BodyState,
) -> (usize, Option<BodyState>, bool, Option<usize>) {
    let rest = stream.get(at..).unwrap_or(&[]);
    match skip_body(&mut st, rest) {
        Ok(s) => {
            let fd = s.first_data.map(|f| at + f);
            if s.done {
                (at + s.used, None, false, fd)
            } else {
                (at + s.used, Some(st), false, fd)
            }
        }
        Err(_) => (at, None, true, None),
    }
}

/// The first byte at or after `pos` that is not CR or LF: empty lines between messages are
/// tolerated (RFC 7230 3.5).
fn skip_blank_lines(stream: &[u8], pos: usize) -> usize {
    let mut p = pos;
    while matches!(stream.get(p), Some(b'\r') | Some(b'\n')) {
        p += 1;
    }
    p
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The request a head describes (method, uri, version, the headers we keep); None when the
/// start line has no method token followed by whitespace.
fn request_from_head(head: &Head) -> Option<HttpRequest> {
    let line = head.start_line;
    let sp = line.iter().position(|&c| is_ws(c))?;
    let c = common(head);
    let mut r = HttpRequest {
        method: String::from_utf8_lossy(&line[..sp]).into_owned(),
        header_count: head.count,
        truncated: c.truncated,
        content_type: c.content_type,
        user_agent: c.user_agent,
        content_length: c.content_length,
        chunked: c.chunked,
        ..HttpRequest::default()
    };
    let rest = trim(&line[sp + 1..]);
    let (uri, version) = if is_09(line) {
        (rest, &b""[..])
    } else {
        // `OPTIONS HTTP/1.1`: no uri at all (Zeek `missing_HTTP_uri`, uri "").
        match rest.iter().rposition(|&c| is_ws(c)) {
            Some(v) => (trim(&rest[..v]), &rest[v + 1..]),
            None => (&b""[..], rest),
        }
    };
    r.uri = text(uri, MAX_URI, &mut r.truncated);
    r.version = text(version, 16, &mut r.truncated);
    if let Some(h) = c.host {
        let (host, port) = split_host_port(&h);
        r.host = Some(host);
        r.port = port;
        r.host_header = Some(h);
    }
    let authority = uri_authority(&r.uri).map(|a| a.to_string()).or_else(|| {
        if r.method == "CONNECT" && r.host.is_none() {
            Some(r.uri.clone())
        } else {
            None
        }
    });
    if let Some(a) = authority {
        let (host, port) = split_host_port(&a);
        r.host = Some(host);
        r.port = port.or(r.port);
    }
    Some(r)
}

/// The request a client left unfinished when its connection ended: the unconsumed client
/// bytes (no body pending) start with a request line, but the head has no blank line, or the
/// request line itself no LF. The end of the stream ends the last line and the head, as
/// libhtp does when the stream closes (suricata-verify `bug-3844`: `GET /` then FIN logs url
/// `/`); the header lines already complete are kept (a head cut by a lost segment still
/// names its Host). None when the bytes do not start with a request line.
pub fn parse_unfinished_request(stream: &[u8]) -> Option<HttpRequest> {
    let p = skip_blank_lines(stream, 0);
    if p >= stream.len() || looks_like_request_line(&stream[p..]) != Some(true) {
        return None;
    }
    match read_head(stream, p, true, true) {
        HeadResult::Ok(h) => request_from_head(&h),
        _ => None,
    }
}

/// Parses up to `max` (and at most [`MAX_MESSAGES`]) requests from a client-direction stream.
/// Returns them and the bytes consumed (see the module docs for incomplete input).
pub fn parse_requests(stream: &[u8], max: usize) -> (Vec<HttpRequest>, usize) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let max = max.min(MAX_MESSAGES);
    while out.len() < max {
        let p = skip_blank_lines(stream, pos);
        if p >= stream.len() {
            pos = p;
            break;
        }
        if looks_like_request_line(&stream[p..]) != Some(true) {
            break;
        }
        let head = match read_head(stream, p, true, false) {
            HeadResult::Ok(h) => h,
            _ => break,
        };
        let mut r = match request_from_head(&head) {
            Some(r) => r,
            None => break,
        };
        pos = head.end;
        let body = if r.chunked {
            Some(BodyState::chunked())
        } else {
            match r.content_length {
                Some(n) if n > 0 => Some(BodyState::content_length(n)),
                _ => None,
            }
        };
        if let Some(st) = body {
            let (np, pending, err, fd) = run_body(stream, pos, st);
            r.body_offset = fd;
            r.body_pending = pending;
            r.body_error = err;
            pos = np;
        }
        let stop = r.body_pending.is_some() || r.body_error;
        out.push(r);
        if stop {
            break;
        }
    }
    (out, pos)
}

/// Parses up to `max` responses from a server-direction stream. A response without
/// Content-Length or chunked framing (other than 1xx/204/304) runs until the connection
/// closes. Responses to HEAD requests carry no body: use [`parse_responses_for`] when the
/// request methods are known.
pub fn parse_responses(stream: &[u8], max: usize) -> (Vec<HttpResponse>, usize) {
    parse_responses_for(stream, max, &[])
}

/// Like [`parse_responses`], with the methods of the requests being answered, in order
/// (`methods[i]` for the i-th final response in this stream): a HEAD answer has no body, a 2xx
/// answer to CONNECT turns the connection into a tunnel (`body_pending` until close).
pub fn parse_responses_for(
    stream: &[u8],
    max: usize,
    methods: &[&str],
) -> (Vec<HttpResponse>, usize) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut finals = 0usize;
    let max = max.min(MAX_MESSAGES);
    while out.len() < max {
        let p = skip_blank_lines(stream, pos);
        if p >= stream.len() {
            pos = p;
            break;
        }
        if looks_like_http_response(&stream[p..]) != Some(true) {
            break;
        }
        let head = match read_head(stream, p, false, false) {
            HeadResult::Ok(h) => h,
            _ => break,
        };
        let line = head.start_line;
        let status = line
            .get(9..12)
            .filter(|d| d.iter().all(|c| c.is_ascii_digit()))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|s| s.parse::<u16>().ok());
        let status = match status {
            Some(s) if matches!(line.get(12), None | Some(b' ')) => s,
            _ => break,
        };
        let c = common(&head);
        let mut r = HttpResponse {
            status,
            version: String::from_utf8_lossy(&line[..8]).into_owned(),
            content_type: c.content_type,
            content_length: c.content_length,
            chunked: c.chunked,
            header_count: head.count,
            truncated: c.truncated,
            ..HttpResponse::default()
        };
        pos = head.end;
        let interim = (100..200).contains(&status) && status != 101;
        let method = if interim {
            None
        } else {
            methods.get(finals).copied()
        };
        if !interim {
            finals += 1;
        }
        let body = if interim || status == 204 || status == 304 || method == Some("HEAD") {
            None
        } else if status == 101 || (method == Some("CONNECT") && (200..300).contains(&status)) {
            Some(BodyState::until_close())
        } else if r.chunked {
            Some(BodyState::chunked())
        } else {
            match r.content_length {
                Some(0) => None,
                Some(n) => Some(BodyState::content_length(n)),
                None => Some(BodyState::until_close()),
            }
        };
        if let Some(st) = body {
            let (np, pending, err, fd) = run_body(stream, pos, st);
            r.body_offset = fd;
            r.body_pending = pending;
            r.body_error = err;
            pos = np;
        }
        let stop = r.body_pending.is_some() || r.body_error;
        out.push(r);
        if stop {
            break;
        }
    }
    (out, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(looks_like_http_request(b"GET / HTTP/1.1\r\n"), Some(true));
        assert_eq!(looks_like_http_request(b"PROPFIND /x"), Some(true));
        assert_eq!(looks_like_http_request(b"GE"), None);
        assert_eq!(looks_like_http_request(b"GET"), None);
        assert_eq!(looks_like_http_request(b""), None);
        assert_eq!(looks_like_http_request(b"GETX /"), Some(false));
        assert_eq!(looks_like_http_request(b"SSH-2.0"), Some(false));
        assert_eq!(looks_like_http_request(b"\x16\x03\x01"), Some(false));
        assert_eq!(looks_like_http_response(b"HTTP/1.1 200 OK"), Some(true));
        assert_eq!(looks_like_http_response(b"HTTP/1."), None);
        assert_eq!(looks_like_http_response(b"HTTP/2 200"), Some(false));
        assert_eq!(looks_like_http_response(b"SSH-"), Some(false));
    }

    #[test]
    fn pipelined_requests_with_bodies() {
        let s = b"GET /a?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: curl/8\r\n\r\n\
POST /up HTTP/1.1\r\nhost: [::1]:443\r\ncontent-type: application/zip\r\nCONTENT-LENGTH: 4\r\n\r\nPK\x03\x04\
PUT /c HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n\
\r\nGET http://user@Other.Host./p HTTP/1.1\r\nHost: ignored\r\n\r\nGET /incomplete HTTP/1.1\r\nHo";
        let (reqs, used) = parse_requests(s, 10);
        assert_eq!(reqs.len(), 4);
        assert_eq!(&s[used..], b"GET /incomplete HTTP/1.1\r\nHo");
        let a = &reqs[0];
        assert_eq!(
            (a.method.as_str(), a.uri.as_str(), a.version.as_str()),
            ("GET", "/a?x=1", "HTTP/1.1")
        );
        assert_eq!(a.host.as_deref(), Some("example.com"));
        assert_eq!(a.port, Some(8080));
        assert_eq!(a.host_header.as_deref(), Some("Example.COM:8080"));
        assert_eq!(a.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(a.body_offset, None);
        let b = &reqs[1];
        assert_eq!(b.host.as_deref(), Some("[::1]"));
        assert_eq!(b.port, Some(443));
        assert_eq!(b.content_length, Some(4));
        assert_eq!(b.content_type.as_deref(), Some("application/zip"));
        let off = b.body_offset.unwrap();
        assert_eq!(crate::app::magic::file_type(&s[off..]), Some("zip"));
        let c = &reqs[2];
        assert!(c.chunked);
        assert_eq!(
            &s[c.body_offset.unwrap()..c.body_offset.unwrap() + 3],
            b"abc"
        );
        let d = &reqs[3];
        assert_eq!(d.uri, "http://user@Other.Host./p");
        assert_eq!(d.host.as_deref(), Some("other.host"));
        assert_eq!(d.host_header.as_deref(), Some("ignored"));
        // Limit honoured.
        let (one, used1) = parse_requests(s, 1);
        assert_eq!(one.len(), 1);
        assert!(s[used1..].starts_with(b"POST"));
    }

    #[test]
    fn body_pending_and_resume() {
        let s = b"POST /u HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345";
        let (reqs, used) = parse_requests(s, 8);
        assert_eq!(used, s.len());
        let mut st = reqs[0].body_pending.unwrap();
        assert_eq!(reqs[0].body_offset, Some(s.len() - 5));
        let more = b"67890GET / HTTP/1.1\r\n\r\n";
        let k = skip_body(&mut st, more).unwrap();
        assert_eq!(
            k,
            Skipped {
                used: 5,
                done: true,
                first_data: None
            }
        );
        let (r2, u2) = parse_requests(&more[k.used..], 8);
        assert_eq!(r2.len(), 1);
        assert_eq!(u2, more.len() - 5);
        // Chunked split across calls, byte by byte.
        let body = b"4\r\nwxyz\r\n10\r\n0123456789abcdef\r\n0\r\n\r\nNEXT";
        let mut st = BodyState::chunked();
        let mut total = 0;
        for (i, b) in body.iter().enumerate() {
            let k = skip_body(&mut st, std::slice::from_ref(b)).unwrap();
            total += k.used;
            if k.done {
                assert_eq!(i, body.len() - 5);
                break;
            }
        }
        assert_eq!(total, body.len() - 4);
        // Until close.
        let mut st = BodyState::until_close();
        assert!(st.is_until_close());
        assert_eq!(
            skip_body(&mut st, b"abc").unwrap(),
            Skipped {
                used: 3,
                done: false,
                first_data: Some(0)
            }
        );
    }

    #[test]
    fn chunk_errors() {
        for bad in [
            &b"zz\r\n"[..],
            b"\r\n",
            b"3\r\nabcX",
            b"11111111111111111\r\n",
        ] {
            let mut st = BodyState::chunked();
            assert_eq!(
                skip_body(&mut st, bad),
                Err(HttpError::BadChunk),
                "{:?}",
                bad
            );
        }
        let s =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nQQ\r\nGET / HTTP/1.1\r\n\r\n";
        let (reqs, used) = parse_requests(s, 8);
        assert_eq!(reqs.len(), 1);
        assert!(reqs[0].body_error);
        assert_eq!(&s[used..used + 2], b"QQ");
    }

    #[test]
    fn incomplete_and_garbage() {
        assert_eq!(
            parse_requests(b"GET / HTTP/1.1\r\nHost: a\r\n", 8),
            (vec![], 0)
        );
        assert_eq!(parse_requests(b"", 8), (vec![], 0));
        assert_eq!(parse_requests(b"\x16\x03\x01\x00", 8), (vec![], 0));
        let (r, u) = parse_requests(b"\r\n\r\n", 8);
        assert!(r.is_empty());
        assert_eq!(u, 4);
        // Head over MAX_HEAD without end: nothing consumed.
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        while big.len() <= MAX_HEAD {
            big.extend_from_slice(b"X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n");
        }
        assert_eq!(parse_requests(&big, 8).1, 0);
        // HTTP/0.9: the line alone, or followed by at most 16 whitespace bytes.
        let (r, u) = parse_requests(b"GET /old\r\n", 8);
        assert_eq!(
            (r.len(), r[0].uri.as_str(), r[0].version.as_str(), u),
            (1, "/old", "", 10)
        );
        let (r, u) = parse_requests(b"GET /old\r\n\r\n", 8);
        assert_eq!((r.len(), u), (1, 12));
        let junk = format!("GET /old\r\n{}", " ".repeat(HTTP09_MAX_JUNK + 1));
        assert_eq!(parse_requests(junk.as_bytes(), 8), (vec![], 0));
        // Anything else after it: the protocol was left out and header lines follow (libhtp-rs
        // "missing protocol"), so the next line is a (malformed, ignored) header.
        let (r, u) = parse_requests(b"GET /old\r\nGET /new HTTP/1.0\r\n\r\n", 8);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].uri.as_str(), r[0].version.as_str(), r[0].header_count),
            ("/old", "", 1)
        );
        assert_eq!(u, 31);
        // max = 0.
        assert_eq!(parse_requests(b"GET / HTTP/1.1\r\n\r\n", 0), (vec![], 0));
    }

    #[test]
    fn caps() {
        let mut s = b"GET /".to_vec();
        s.extend(vec![b'a'; MAX_URI + 100]);
        s.extend_from_slice(b" HTTP/1.1\r\n");
        for i in 0..100 {
            s.extend_from_slice(format!("X-{}: v\r\n", i).as_bytes());
        }
        s.extend_from_slice(b"User-Agent: ");
        s.extend(vec![b'u'; 5000]);
        s.extend_from_slice(b"\r\n\r\n");
        let (r, u) = parse_requests(&s, 8);
        assert_eq!(u, s.len());
        assert_eq!(r[0].uri.len(), MAX_URI);
        assert!(r[0].truncated);
        assert_eq!(r[0].header_count, 101);
        // The UA is header 101: past the 64 interpreted.
        assert_eq!(r[0].user_agent, None);
        let s2 = format!("GET / HTTP/1.1\r\nUser-Agent: {}\r\n\r\n", "u".repeat(5000));
        let (r, _) = parse_requests(s2.as_bytes(), 8);
        assert_eq!(r[0].user_agent.as_ref().unwrap().len(), MAX_HEADER_VALUE);
        assert!(r[0].truncated);
        let many = b"GET / HTTP/1.1\r\n\r\n".repeat(300);
        assert_eq!(parse_requests(&many, usize::MAX).0.len(), MAX_MESSAGES);
    }

    #[test]
    fn request_line_forms_of_zeek_http_methods() {
        // Request heads lifted from zeek/pcaps/http__methods.pcap (one per connection, LF line
        // ends), with the method/host/uri Zeek's http.log prints for them.
        let host = |x: &str| format!("{}\nHost: www.google.com\n\n", x).into_bytes();
        let one = |x: &str| {
            let b = host(x);
            let (r, used) = parse_requests(&b, 8);
            assert!(r.len() <= 1, "{:?}", r);
            assert!(r.is_empty() || used == b.len());
            r.into_iter().next()
        };
        // (request line, method, uri, version) for the lines Zeek logs.
        for (line, method, uri, version) in [
            ("OPTIONS * HTTP/1.1", "OPTIONS", "*", "HTTP/1.1"),
            ("OPTIONS HTTP/1.1", "OPTIONS", "", "HTTP/1.1"),
            ("GET / HTTP/1.", "GET", "/", "HTTP/1."),
            ("GET /HTTP/1.1", "GET", "/HTTP/1.1", ""),
            ("CCM_POST / HTTP/1.", "CCM_POST", "/", "HTTP/1."),
            ("CCM_POST /HTTP/1.1", "CCM_POST", "/HTTP/1.1", ""),
            ("CCM_POST / HTTP/1.1", "CCM_POST", "/", "HTTP/1.1"),
            ("CONNECT /HTTP/1.1", "CONNECT", "/HTTP/1.1", ""),
            ("TRACE /HTTP/1.1", "TRACE", "/HTTP/1.1", ""),
            ("HEAD /HTTP/1.1", "HEAD", "/HTTP/1.1", ""),
        ] {
            let r = one(line).unwrap_or_else(|| panic!("{}", line));
            assert_eq!(
                (r.method.as_str(), r.uri.as_str(), r.version.as_str()),
                (method, uri, version),
                "{}",
                line
            );
            // The Host header after a version-less line is read (Zeek logs www.google.com;
            // CONNECT's authority must not come from the uri then).
            assert_eq!(r.host_header.as_deref(), Some("www.google.com"), "{}", line);
            assert_eq!(r.host.as_deref(), Some("www.google.com"), "{}", line);
        }
        // Lines Zeek rejects (bad_HTTP_request: no token + whitespace at the start) log no
        // method, host or uri.
        for line in [
            &b"OPTIONSHTTP/1.1"[..],
            b"OPTIONS",
            b"GET/ HTTP/1.1",
            b"GET/HTTP/1.1",
            b"\xc3\x83\xc3\x82\xc3\x83 / HTTP/1.",
            b"\xc3\x83\xc3\x82\xc3\x83/ HTTP/1.1",
        ] {
            let mut b = line.to_vec();
            b.extend_from_slice(b"\nHost: www.google.com\n\n");
            assert_eq!(parse_requests(&b, 8).0, vec![], "{:?}", line);
            assert_eq!(looks_like_request_line(&b), Some(false), "{:?}", line);
        }
        // Detection still wants a known method; a stream already HTTP takes any token.
        assert_eq!(
            looks_like_http_request(b"CCM_POST / HTTP/1.1\n"),
            Some(false)
        );
        assert_eq!(
            looks_like_request_line(b"CCM_POST / HTTP/1.1\n"),
            Some(true)
        );
        assert_eq!(looks_like_request_line(b"CCM_PO"), None);
        assert_eq!(looks_like_request_line(b"GET\t/"), Some(true));
        assert_eq!(looks_like_request_line(b" GET /"), Some(false));
        assert_eq!(
            looks_like_request_line(&[b'A'; MAX_METHOD + 1]),
            Some(false)
        );
        if let Some(all) = corpus_all_requests("zeek/pcaps/http__methods.pcap") {
            // 49 connections; Zeek logs a method for 26 of them (the other 23 request lines
            // are bad_HTTP_request), and so do we.
            assert_eq!(all.len(), 26, "{:?}", all);
            assert!(all
                .iter()
                .all(|r| r.host_header.as_deref() == Some("www.google.com")));
            assert_eq!(all.iter().filter(|r| r.uri == "/HTTP/1.1").count(), 8);
            assert_eq!(all.iter().filter(|r| r.method == "CCM_POST").count(), 3);
        }
    }

    #[test]
    fn missing_protocol_then_headers() {
        // suricata-verify http-not09.pcap, frame 5: the whole client stream. Suricata logs
        // http_user_agent `myscript` (libhtp-rs: REQUEST_LINE_MISSING_PROTOCOL, headers read).
        let s = b"GET /\nFakeHeader\nHost: localhost\nUser-Agent: myscript\n\n";
        let (r, used) = parse_requests(s, 8);
        assert_eq!(used, s.len());
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].uri.as_str(), r[0].version.as_str()), ("/", ""));
        assert_eq!(r[0].user_agent.as_deref(), Some("myscript"));
        assert_eq!(r[0].host.as_deref(), Some("localhost"));
        assert_eq!(r[0].header_count, 3);
    }

    #[test]
    fn unfinished_request_at_end_of_stream() {
        // suricata-verify bug-3844.pcap / bug-4702-01.pcap: the client sends `GET /` (no LF)
        // and the connection closes; Suricata logs url `/`.
        assert_eq!(parse_requests(b"GET /", 8), (vec![], 0));
        let r = parse_unfinished_request(b"GET /").unwrap();
        assert_eq!(
            (r.method.as_str(), r.uri.as_str(), r.version.as_str()),
            ("GET", "/", "")
        );
        // ndpi fuzz-2006-09-29-28586.pcap, frame 63 (172.20.3.5:2604): a head cut by a lost
        // segment (start; the rest of the 1460 bytes is one unterminated header line). Its
        // Host line is complete: nDPI reports 172.20.3.13, libhtp parsed it line by line.
        let mut s = b"GET /servlets/mms?message-id=189001 HTTP/1.1\r\nHost: 172.20.3.13\r\nOpt: \"http://www.w3.org/1999/06/2%s\x00CPPex~hange\"; ns=56\r\nAccept: application/vnd.wap.mms-message\r\nCache-Contr\xf0l: no-cache\r\nAccept-Language: en\r\nUser-Agent: SonyEricssonT68/R201A\r\nAcceAt-Charset: *\r\nu6-Profile-Diff-1: <?xml ve\x07si\x0en=\"1.0".to_vec();
        s.extend(vec![0xaa; 600]);
        assert_eq!(parse_requests(&s, 8), (vec![], 0));
        let r = parse_unfinished_request(&s).unwrap();
        assert_eq!(r.host.as_deref(), Some("172.20.3.13"));
        assert_eq!(r.uri, "/servlets/mms?message-id=189001");
        assert_eq!(r.user_agent.as_deref(), Some("SonyEricssonT68/R201A"));
        // Request line ended, no header yet; blank lines before it; not a request at all.
        assert_eq!(
            parse_unfinished_request(b"\r\nPUT /x HTTP/1.1\r\n")
                .unwrap()
                .uri,
            "/x"
        );
        assert_eq!(parse_unfinished_request(b""), None);
        assert_eq!(parse_unfinished_request(b"\r\n"), None);
        assert_eq!(parse_unfinished_request(b"GET"), None);
        assert_eq!(parse_unfinished_request(b"\x16\x03\x01\x00"), None);
        if let Some(s) = corpus_stream("suricata-verify/pcaps/bug-3844.pcap", 8080, true) {
            assert_eq!(s, b"GET /");
            assert_eq!(parse_unfinished_request(&s).unwrap().uri, "/");
        }
    }

    #[test]
    fn content_type_without_parameters() {
        // Suricata's http_content_type is the media type cut at `;` (lua-memleak.pcap).
        let s = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 0\r\n\r\n";
        let (r, _) = parse_responses_for(s, 10, &["GET"]);
        assert_eq!(r[0].content_type.as_deref(), Some("text/html"));
    }

    #[test]
    fn host_forms() {
        assert_eq!(split_host_port("a.B.c"), ("a.b.c".to_string(), None));
        assert_eq!(split_host_port("a:99999"), ("a".to_string(), None));
        assert_eq!(split_host_port("[::1]"), ("[::1]".to_string(), None));
        assert_eq!(split_host_port("[::1]:8"), ("[::1]".to_string(), Some(8)));
        assert_eq!(split_host_port("::1"), ("::1".to_string(), None));
        assert_eq!(split_host_port("[::1"), ("[::1".to_string(), None));
        let (r, _) = parse_requests(b"CONNECT secure.newegg.com:443 HTTP/1.1\r\n\r\n", 8);
        assert_eq!(r[0].uri, "secure.newegg.com:443");
        assert_eq!(r[0].host.as_deref(), Some("secure.newegg.com"));
        assert_eq!(r[0].port, Some(443));
    }

    #[test]
    fn responses() {
        let s = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi\
HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.0 404 Not Found\r\n\r\nrest of body";
        let (r, used) = parse_responses_for(s, 10, &["GET", "GET", "GET", "HEAD", "GET"]);
        let st: Vec<u16> = r.iter().map(|x| x.status).collect();
        assert_eq!(st, vec![100, 200, 304, 200, 200, 404]);
        assert_eq!(r[1].content_type.as_deref(), Some("text/html"));
        assert_eq!(r[1].version, "HTTP/1.1");
        assert!(r[3].chunked);
        assert_eq!(r[4].body_pending, None);
        assert!(r[5].body_pending.unwrap().is_until_close());
        assert_eq!(used, s.len());
        // Without methods, the HEAD answer's "body" would swallow the next response.
        let (r, _) = parse_responses(s, 10);
        assert_eq!(r.len(), 5);
        // Tunnel after CONNECT.
        let t = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
        let (r, used) = parse_responses_for(t, 4, &["CONNECT"]);
        assert!(r[0].body_pending.unwrap().is_until_close());
        assert_eq!(used, t.len());
        // Bad status lines.
        assert_eq!(parse_responses(b"HTTP/1.1 2x0 OK\r\n\r\n", 4), (vec![], 0));
        assert_eq!(parse_responses(b"HTTP/1.1 2000 OK\r\n\r\n", 4), (vec![], 0));
        assert_eq!(parse_responses(b"HTTP/1.1 200", 4), (vec![], 0));
        let (r, _) = parse_responses(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 4);
        assert_eq!(r[0].status, 200);
    }

    fn corpus_stream(file: &str, port: u16, client: bool) -> Option<Vec<u8>> {
        let pk = crate::app::dns::tests::corpus_payloads(file)?;
        let mut out = Vec::new();
        for (proto, sp, dp, p) in pk {
            if proto == 6 && ((client && dp == port) || (!client && sp == port)) {
                out.extend_from_slice(&p);
            }
        }
        Some(out)
    }

    #[test]
    fn corpus_requests() {
        // suricata-verify bug-814: hostname www.net1.bg, url /cgi-bin/cart32.exe, UA Nikto,
        // protocol HTTP/1.1.
        if let Some(s) = corpus_stream("suricata-verify/pcaps/bug-814.pcap", 80, true) {
            let (r, _) = parse_requests(&s, 64);
            let hit = r
                .iter()
                .find(|x| x.uri == "/cgi-bin/cart32.exe")
                .expect("request");
            assert_eq!(hit.host.as_deref(), Some("www.net1.bg"));
            assert_eq!(hit.version, "HTTP/1.1");
            assert_eq!(
                hit.user_agent.as_deref(),
                Some("Mozilla/4.75 (Nikto/2.1.4) (Evasions:None) (Test:000003)")
            );
        }
        // Zeek wikipedia.pcap: several GETs on one connection, host bits.wikimedia.org,
        // uri /skins-1.5/monobook/main.css; responses 304.
        if let Some(pk) = crate::app::dns::tests::corpus_payloads("zeek/pcaps/wikipedia.pcap") {
            let mut by_port: Vec<(u16, Vec<u8>)> = Vec::new();
            for (proto, sp, dp, p) in pk {
                if proto != 6 || dp != 80 {
                    continue;
                }
                match by_port.iter_mut().find(|x| x.0 == sp) {
                    Some(x) => x.1.extend_from_slice(&p),
                    None => by_port.push((sp, p)),
                }
            }
            let mut all = Vec::new();
            for (_, s) in &by_port {
                all.extend(parse_requests(s, 64).0);
            }
            assert!(all.iter().any(|x| x.uri == "/skins-1.5/monobook/main.css"
                && x.host.as_deref() == Some("bits.wikimedia.org")));
            assert!(all.len() > 5);
        }
    }

    /// Requests from every TCP flow direction of a pcap that starts like HTTP.
    fn corpus_all_requests(file: &str) -> Option<Vec<HttpRequest>> {
        let pk = crate::app::dns::tests::corpus_payloads(file)?;
        let mut dirs: Vec<((u16, u16), Vec<u8>)> = Vec::new();
        for (proto, sp, dp, p) in pk {
            if proto != 6 || p.is_empty() {
                continue;
            }
            match dirs.iter_mut().find(|x| x.0 == (sp, dp)) {
                Some(x) => x.1.extend_from_slice(&p),
                None => dirs.push(((sp, dp), p)),
            }
        }
        let mut all = Vec::new();
        for (_, s) in &dirs {
            if looks_like_request_line(s) == Some(true) {
                all.extend(parse_requests(s, 64).0);
            }
        }
        Some(all)
    }

    #[test]
    fn corpus_host_and_connect() {
        // suricata-verify http-ipv6: http.hostname `[::1]` (brackets kept, port dropped).
        if let Some(all) = corpus_all_requests("suricata-verify/pcaps/http-ipv6.pcap") {
            assert!(
                all.iter().any(|r| r.host.as_deref() == Some("[::1]")),
                "{:?}",
                all
            );
        }
        // suricata-verify bug-2512: http.url `secure-assets.rubiconproject.com:443` (CONNECT).
        if let Some(all) = corpus_all_requests("suricata-verify/pcaps/bug-2512.pcap") {
            assert!(
                all.iter()
                    .any(|r| r.uri == "secure-assets.rubiconproject.com:443"),
                "{:?}",
                all
            );
        }
        // Zeek http-connect-with-header: host and uri `secure.newegg.com:443`.
        if let Some(all) = corpus_all_requests("zeek/pcaps/http__connect-with-header.pcap") {
            assert!(
                all.iter().any(|r| r.uri == "secure.newegg.com:443"
                    && r.host_header.as_deref() == Some("secure.newegg.com:443")),
                "{:?}",
                all
            );
        }
    }

    #[test]
    fn corpus_response_status() {
        // suricata-verify bug-4810: http.status 200, url /.
        if let Some(s) = corpus_stream("suricata-verify/pcaps/bug-4810.pcap", 80, false) {
            let (r, _) = parse_responses(&s, 8);
            assert!(r.iter().any(|x| x.status == 200), "{:?}", r);
        }
    }

    #[test]
    fn mutation_no_panic() {
        let seeds: [&[u8]; 3] = [
            b"POST /x HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a\r\nx\r\n0\r\nT: 1\r\n\r\nHTTP/1.1 204 No\r\n\r\n",
        ];
        let mut r = crate::app::dns::tests::XorShift(0x0BAD_5EED_0BAD_5EED);
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].to_vec();
            for _ in 0..1 + r.next() % 5 {
                if b.is_empty() {
                    break;
                }
                let k = (r.next() as usize) % b.len();
                match r.next() % 4 {
                    0 => b[k] = r.next() as u8,
                    1 => b.truncate(k),
                    2 => b.insert(k, b"\r\n:; 0F"[(r.next() % 7) as usize]),
                    _ => b[k] = b'\n',
                }
            }
            let (q, u) = parse_requests(&b, 16);
            assert!(u <= b.len() && q.len() <= 16);
            let (p, u) = parse_responses_for(&b, 16, &["HEAD", "CONNECT"]);
            assert!(u <= b.len() && p.len() <= 16);
            let _ = looks_like_http_request(&b);
            let _ = looks_like_request_line(&b);
            if let Some(q) = parse_unfinished_request(&b) {
                assert!(q.uri.len() <= MAX_URI);
            }
            let _ = looks_like_http_response(&b);
            let mut st = BodyState::chunked();
            let _ = skip_body(&mut st, &b);
        }
    }
}
