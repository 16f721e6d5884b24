//! SSH identification string (RFC 4253 4.2): `SSH-protoversion-softwareversion SP comments CR LF`.
//!
//! Field mapping, checked against the corpus expectations:
//! - `proto_version` = Suricata EVE `ssh.client.proto_version` / `ssh.server.proto_version`
//!   (suricata-verify `bug-4903-*`: `1.99` and `2.0`; `bug-5633-gre-02`: `2.0` / `1.99`).
//! - `software_version` = EVE `ssh.*.software_version`: everything after the second `-` up to
//!   the first space, dashes included (`Cisco_server-1.24`, `OpenSSH_3.6.1p1`).
//! - `raw` = Zeek `ssh.client` / `ssh.server`: the whole line without CR LF, comments included
//!   (`SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5`, `SSH-1.99-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2`).
//! - `protocol_major()` = Zeek `ssh.version` (2 for `1.99`, as in `ssh_version_199.pcap`).
//!
//! Lines before the identification string are skipped (RFC 4253 allows them from servers;
//! Zeek `server-pre-banner-data.pcap`), as long as they are text: at most 512 of them and
//! 16 KiB in all (the Zeek pcap has ~2 KiB of ASCII art first). A line may end in LF alone (OpenSSH accepts that). The identification line is
//! at most 255 bytes by the RFC; we accept up to 512.

/// Longest identification line accepted (bytes, CR LF included).
pub const MAX_LINE: usize = 512;
/// Most lines skipped before the identification string.
pub const MAX_PRE_LINES: usize = 512;
/// Most bytes skipped before the identification string.
pub const MAX_PRE_BYTES: usize = 16384;
const MAX_FIELD: usize = 255;

/// Outcome of parsing a stream prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse<T> {
    Done(T),
    /// A plausible start, but the line is not complete yet.
    NeedMore,
    /// Not SSH.
    NotSsh,
    /// `SSH-` seen but the line is malformed or over our limits.
    Invalid(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshBanner {
    pub proto_version: String,
    pub software_version: String,
    /// Text after the first space, if any (empty when absent).
    pub comments: String,
    /// The whole identification line without the line ending.
    pub raw: String,
    /// Stream offset just past the identification line's LF.
    pub end: usize,
}

impl SshBanner {
    /// 2 for `2.0` and `1.99` (RFC 4253 5.1 compatibility), 1 for other `1.x`, else None.
    pub fn protocol_major(&self) -> Option<u8> {
        match self.proto_version.as_str() {
            "1.99" => Some(2),
            v if v.starts_with("2.") => Some(2),
            v if v.starts_with("1.") => Some(1),
            _ => None,
        }
    }
}

/// `Some(true)` when the bytes start with `SSH-`, `None` when they are a strict prefix of it
/// (need more), `Some(false)` otherwise. Used for app_proto detection on the first bytes of
/// either direction.
pub fn looks_like_ssh(first: &[u8]) -> Option<bool> {
    const TAG: &[u8] = b"SSH-";
    if first.len() < TAG.len() {
        if TAG.starts_with(first) {
            None
        } else {
            Some(false)
        }
    } else {
        Some(first.starts_with(TAG))
    }
}

fn text(b: &[u8]) -> String {
    let b = &b[..b.len().min(MAX_FIELD)];
    String::from_utf8_lossy(b).into_owned()
}

fn is_texty(c: u8) -> bool {
    c == b'\t' || c == b'\r' || (0x20..0x7F).contains(&c) || c >= 0x80
}

/// Finds and parses the identification string at the start of a direction's stream.
pub fn parse_banner(first: &[u8]) -> Parse<SshBanner> {
    let mut pos = 0usize;
    let mut skipped = 0usize;
    loop {
        let rest = match first.get(pos..) {
            Some(r) => r,
            None => return Parse::NeedMore,
        };
        match looks_like_ssh(rest) {
            None => return Parse::NeedMore,
            Some(true) => return parse_line(rest, pos),
            Some(false) => {}
        }
        // A pre-banner line: must be text, ends with LF.
        if skipped >= MAX_PRE_LINES || pos >= MAX_PRE_BYTES {
            return Parse::NotSsh;
        }
        let window = &rest[..rest.len().min(MAX_PRE_BYTES - pos)];
        let lf = window.iter().position(|&c| c == b'\n');
        let line = &window[..lf.unwrap_or(window.len())];
        if !line.iter().all(|&c| is_texty(c)) {
            return Parse::NotSsh;
        }
        match lf {
            Some(i) => {
                pos += i + 1;
                skipped += 1;
            }
            None if window.len() < rest.len() || pos + window.len() >= MAX_PRE_BYTES => {
                return Parse::NotSsh
            }
            None => return Parse::NeedMore,
        }
    }
}

/// Control bytes (other than tab) before the first space: proto and software version must be
/// clean text. Comments may carry anything (Cisco pads them with NULs: suricata-verify
/// `bug-4903-*`, which Suricata still logs).
fn head_has_control(line: &[u8]) -> bool {
    let sp = line.iter().position(|&c| c == b' ').unwrap_or(line.len());
    line[..sp]
        .iter()
        .any(|&c| c < 0x20 && c != b'\t' && c != b'\r' || c == 0x7F)
}

fn parse_line(rest: &[u8], base: usize) -> Parse<SshBanner> {
    let window = &rest[..rest.len().min(MAX_LINE)];
    let lf = match window.iter().position(|&c| c == b'\n') {
        Some(i) => i,
        None if rest.len() >= MAX_LINE => return Parse::Invalid("identification line too long"),
        None => {
            return if head_has_control(window) {
                Parse::Invalid("control byte in identification line")
            } else {
                Parse::NeedMore
            }
        }
    };
    let mut line = &window[..lf];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    if head_has_control(line) {
        return Parse::Invalid("control byte in identification line");
    }
    let body = line.get(4..).unwrap_or(&[]);
    let dash = match body.iter().position(|&c| c == b'-') {
        Some(d) => d,
        None => return Parse::Invalid("no software version"),
    };
    let proto = &body[..dash];
    if proto.is_empty() || proto.contains(&b' ') {
        return Parse::Invalid("bad protoversion");
    }
    let after = &body[dash + 1..];
    let sp = after.iter().position(|&c| c == b' ').unwrap_or(after.len());
    let software = &after[..sp];
    if software.is_empty() {
        return Parse::Invalid("empty software version");
    }
    let mut comments = after.get(sp + 1..).unwrap_or(&[]);
    while let Some((&0, init)) = comments.split_last() {
        comments = init;
    }
    Parse::Done(SshBanner {
        proto_version: text(proto),
        software_version: text(software),
        comments: text(comments),
        raw: String::from_utf8_lossy(line).into_owned(),
        end: base + lf + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(b: &[u8]) -> SshBanner {
        match parse_banner(b) {
            Parse::Done(x) => x,
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn basic_banners() {
        let b = done(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n\x00\x00");
        assert_eq!(b.proto_version, "2.0");
        assert_eq!(b.software_version, "OpenSSH_9.2p1");
        assert_eq!(b.comments, "Debian-2+deb12u5");
        assert_eq!(b.raw, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5");
        assert_eq!(b.end, 40);
        assert_eq!(b.protocol_major(), Some(2));
        let b = done(b"SSH-1.99-Cisco_server-1.24\n");
        assert_eq!(b.proto_version, "1.99");
        assert_eq!(b.software_version, "Cisco_server-1.24");
        assert_eq!(b.comments, "");
        assert_eq!(b.protocol_major(), Some(2));
        let b = done(b"SSH-1.5-x\r\n");
        assert_eq!(b.protocol_major(), Some(1));
        let b = done(b"SSH-3-x\r\n");
        assert_eq!(b.protocol_major(), None);
    }

    #[test]
    fn pre_banner_lines() {
        let b = done(b"Welcome\r\nplease behave\r\nSSH-2.0-OpenSSH_5.3\r\n");
        assert_eq!(b.software_version, "OpenSSH_5.3");
        assert_eq!(b.end, 45);
        assert_eq!(parse_banner(b"Welcome\r\nSSH-2.0-Open"), Parse::NeedMore);
        assert_eq!(parse_banner(b"Welcome"), Parse::NeedMore);
        assert_eq!(parse_banner(b"Welcome\r\nSS"), Parse::NeedMore);
        let many = b"x\n".repeat(MAX_PRE_LINES + 1);
        assert_eq!(parse_banner(&many), Parse::NotSsh);
        let long = vec![b'a'; MAX_PRE_BYTES + 10];
        assert_eq!(parse_banner(&long), Parse::NotSsh);
    }

    #[test]
    fn detection() {
        assert_eq!(looks_like_ssh(b""), None);
        assert_eq!(looks_like_ssh(b"SS"), None);
        assert_eq!(looks_like_ssh(b"SSH-"), Some(true));
        assert_eq!(looks_like_ssh(b"GET "), Some(false));
        assert_eq!(looks_like_ssh(b"X"), Some(false));
        assert_eq!(parse_banner(b""), Parse::NeedMore);
        assert_eq!(parse_banner(b"\x16\x03\x01\x02\x00"), Parse::NotSsh);
    }

    #[test]
    fn error_paths() {
        assert_eq!(
            parse_banner(b"SSH-2.0\r\n"),
            Parse::Invalid("no software version")
        );
        assert_eq!(
            parse_banner(b"SSH--x\r\n"),
            Parse::Invalid("bad protoversion")
        );
        assert_eq!(
            parse_banner(b"SSH-2 0-x\r\n"),
            Parse::Invalid("bad protoversion")
        );
        assert_eq!(
            parse_banner(b"SSH-2.0- c\r\n"),
            Parse::Invalid("empty software version")
        );
        assert_eq!(
            parse_banner(b"SSH-2.0-a\x01\r\n"),
            Parse::Invalid("control byte in identification line")
        );
        assert_eq!(
            parse_banner(b"SSH-2.0-a\x01"),
            Parse::Invalid("control byte in identification line")
        );
        // NUL padding in comments is kept out of `comments` but accepted.
        let b = done(b"SSH-2.0-Cisco-1.25 \x00\x00\x00\n");
        assert_eq!(b.software_version, "Cisco-1.25");
        assert_eq!(b.comments, "");
        assert_eq!(
            parse_banner(b"SSH-2.0-Cisco-1.25 \x00\x00"),
            Parse::NeedMore
        );
        let mut long = b"SSH-2.0-".to_vec();
        long.extend(vec![b'a'; MAX_LINE]);
        assert_eq!(
            parse_banner(&long),
            Parse::Invalid("identification line too long")
        );
        assert_eq!(parse_banner(b"SSH-2.0-Open"), Parse::NeedMore);
    }

    #[test]
    fn corpus_banners() {
        // Suricata bug-4903-03: client 2.0 / Cisco_client-1.25, server 1.99 / Cisco_server-1.24.
        // Zeek pre-banner: server `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5` after other lines.
        let cases: [(&str, &[&str]); 2] = [
            (
                "suricata-verify/pcaps/bug-4903__bug-4903-03.pcap",
                &["Cisco_client-1.25", "Cisco_server-1.24"],
            ),
            (
                "zeek/pcaps/ssh__server-pre-banner-data.pcap",
                &[
                    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5",
                    "SSH-2.0-OpenSSH_9.7",
                ],
            ),
        ];
        for (file, wants) in cases.iter() {
            let pk = match crate::app::dns::tests::corpus_payloads(file) {
                Some(p) => p,
                None => continue,
            };
            // Concatenate each direction's payloads (in capture order) by source port.
            let mut dirs: Vec<(u16, Vec<u8>)> = Vec::new();
            for (proto, sp, _, p) in pk {
                if proto != 6 || p.is_empty() {
                    continue;
                }
                match dirs.iter_mut().find(|d| d.0 == sp) {
                    Some(d) => d.1.extend_from_slice(&p),
                    None => dirs.push((sp, p)),
                }
            }
            let mut got = Vec::new();
            for (_, s) in &dirs {
                if let Parse::Done(b) = parse_banner(s) {
                    got.push(b.software_version.clone());
                    got.push(b.raw.clone());
                }
            }
            for w in wants.iter() {
                assert!(
                    got.iter().any(|g| g == w),
                    "{}: {} not in {:?}",
                    file,
                    w,
                    got
                );
            }
        }
    }

    #[test]
    fn mutation_no_panic() {
        let seeds: [&[u8]; 3] = [
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n",
            b"hello\r\nSSH-1.99-Cisco-1.25\n",
            b"SSH-2.0-x\r\n\x00\x00\x01\x14",
        ];
        let mut r = crate::app::dns::tests::XorShift(0x1234_5678_9ABC_DEF1);
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].to_vec();
            for _ in 0..1 + r.next() % 4 {
                if b.is_empty() {
                    break;
                }
                let k = (r.next() as usize) % b.len();
                match r.next() % 3 {
                    0 => b[k] = r.next() as u8,
                    1 => b.truncate(k),
                    _ => b.insert(k, r.next() as u8),
                }
            }
            let _ = parse_banner(&b);
            let _ = looks_like_ssh(&b);
        }
    }
}
