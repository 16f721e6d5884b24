//! Minimal, bounded DER walk of an X.509 certificate: subject, issuer, validity and serial,
//! rendered the way Suricata's EVE `tls` record prints them (`tls.subject`, `tls.issuerdn`,
//! `tls.notbefore`, `tls.notafter`, `tls.serial`).
//!
//! Names print as `C=US, O=Let's Encrypt, CN=R3` (RDNs in certificate order, `", "` between
//! them, `" + "` inside a multi-valued RDN, unknown attribute types as dotted OIDs). Times print
//! as `YYYY-MM-DDTHH:MM:SS`. Nothing here allocates more than a small multiple of the input and
//! nothing can panic on hostile bytes.

/// What we keep of one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name, e.g. `C=US, ST=California, O=GitHub, Inc., CN=www.github.com`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number as Suricata prints it: uppercase hex bytes joined with `:`.
    pub serial: String,
    /// `notBefore` as `YYYY-MM-DDTHH:MM:SS` (None when absent or malformed).
    pub not_before: Option<String>,
    /// `notAfter` as `YYYY-MM-DDTHH:MM:SS`.
    pub not_after: Option<String>,
}

/// Longest rendered name we keep (bytes); longer names are cut at a char boundary.
const MAX_NAME_LEN: usize = 1024;
/// Most attributes rendered from one name.
const MAX_ATTRS: usize = 32;

/// One DER TLV: tag byte, content, and the bytes after it.
fn tlv(buf: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *buf.first()?;
    // Multi-byte tags (low bits all set) do not occur in the structures we walk.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let l0 = *buf.get(1)?;
    let (len, hdr) = if l0 < 0x80 {
        (usize::from(l0), 2usize)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len: usize = 0;
        for i in 0..n {
            let b = *buf.get(2 + i)?;
            len = len.checked_mul(256)?.checked_add(usize::from(b))?;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    let content = buf.get(hdr..end)?;
    let rest = buf.get(end..)?;
    Some((tag, content, rest))
}

/// Expect a TLV with `tag`; return its content and the rest.
fn expect(buf: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, c, r) = tlv(buf)?;
    if t == tag {
        Some((c, r))
    } else {
        None
    }
}

/// Parse one DER certificate. None when the outer structure is not a certificate.
pub fn parse_certificate(der: &[u8]) -> Option<CertSummary> {
    let (cert, _) = expect(der, 0x30)?;
    let (tbs, _) = expect(cert, 0x30)?;
    let mut rest = tbs;
    // Optional [0] EXPLICIT version.
    if let Some((0xa0, _, r)) = tlv(rest) {
        rest = r;
    }
    let (serial, r) = expect(rest, 0x02)?;
    let (_sig_alg, r) = expect(r, 0x30)?;
    let (issuer, r) = expect(r, 0x30)?;
    let (validity, r) = expect(r, 0x30)?;
    let (subject, _) = expect(r, 0x30)?;
    let mut out = CertSummary {
        subject: render_name(subject),
        issuer: render_name(issuer),
        serial: render_serial(serial),
        not_before: None,
        not_after: None,
    };
    if let Some((t, c, r)) = tlv(validity) {
        out.not_before = render_time(t, c);
        if let Some((t2, c2, _)) = tlv(r) {
            out.not_after = render_time(t2, c2);
        }
    }
    Some(out)
}

fn render_serial(serial: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in serial.iter().take(64).enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{:02X}", b));
    }
    s
}

/// Dotted form of an OID body.
fn oid_dotted(oid: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid.iter().take(64) {
        acc = acc.saturating_mul(128).saturating_add(u64::from(b & 0x7f));
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let (a, b2) = if acc < 40 {
                    (0, acc)
                } else if acc < 80 {
                    (1, acc - 40)
                } else {
                    (2, acc - 80)
                };
                parts.push(a);
                parts.push(b2);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
    }
    let strs: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    strs.join(".")
}

/// Short attribute names as Suricata (x509-parser's abbreviations) prints them.
fn attr_name(oid: &[u8]) -> String {
    let name = match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "street",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x55, 0x04, 0x04] => "surname",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x55, 0x04, 0x0c] => "title",
        [0x55, 0x04, 0x2a] => "givenName",
        [0x55, 0x04, 0x11] => "postalCode",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "Email",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        _ => return oid_dotted(oid),
    };
    name.to_string()
}

/// Render an attribute value (a DER string type) as text.
fn attr_value(tag: u8, v: &[u8]) -> String {
    match tag {
        // BMPString: UTF-16BE.
        0x1e => {
            let units: Vec<u16> = v
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // UniversalString: UTF-32BE.
        0x1c => v
            .chunks(4)
            .filter(|c| c.len() == 4)
            .map(|c| {
                char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{fffd}')
            })
            .collect(),
        // UTF8String, PrintableString, T61String, IA5String, VisibleString, NumericString and
        // anything else: bytes as (lossy) UTF-8.
        _ => String::from_utf8_lossy(v).into_owned(),
    }
}

/// Render a Name (the content of its SEQUENCE).
pub fn render_name(name: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = name;
    let mut attrs = 0usize;
    let mut first_rdn = true;
    while let Some((0x31, set, r)) = tlv(rest) {
        rest = r;
        let mut inner = set;
        let mut first_in_set = true;
        while let Some((0x30, atv, r2)) = tlv(inner) {
            inner = r2;
            attrs += 1;
            if attrs > MAX_ATTRS {
                return out;
            }
            let (oid, after) = match expect(atv, 0x06) {
                Some(x) => x,
                None => continue,
            };
            let (vt, vc, _) = match tlv(after) {
                Some(x) => x,
                None => continue,
            };
            if !first_rdn || !first_in_set {
                out.push_str(if first_in_set { ", " } else { " + " });
            }
            first_rdn = false;
            first_in_set = false;
            out.push_str(&attr_name(oid));
            out.push('=');
            out.push_str(&attr_value(vt, vc));
            if out.len() > MAX_NAME_LEN {
                let mut cut = MAX_NAME_LEN;
                while cut > 0 && !out.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.truncate(cut);
                return out;
            }
        }
    }
    out
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Render a UTCTime (tag 0x17) or GeneralizedTime (0x18) as `YYYY-MM-DDTHH:MM:SS`.
fn render_time(tag: u8, c: &[u8]) -> Option<String> {
    let (year, rest) = match tag {
        0x17 => {
            let yy = digits(c.get(0..2)?)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, c.get(2..)?)
        }
        0x18 => (digits(c.get(0..4)?)?, c.get(4..)?),
        _ => return None,
    };
    let mon = digits(rest.get(0..2)?)?;
    let day = digits(rest.get(2..4)?)?;
    let hour = digits(rest.get(4..6)?)?;
    let min = digits(rest.get(6..8)?)?;
    // Seconds are optional in BER UTCTime.
    let sec = rest.get(8..10).and_then(digits).unwrap_or(0);
    if !(1..=12).contains(&mon) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        year, mon, day, hour, min, sec
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        let n = content.len();
        if n < 128 {
            v.push(n as u8);
        } else if n < 256 {
            v.push(0x81);
            v.push(n as u8);
        } else {
            v.push(0x82);
            v.push((n >> 8) as u8);
            v.push(n as u8);
        }
        v.extend_from_slice(content);
        v
    }

    fn atv(oid: &[u8], tag: u8, val: &str) -> Vec<u8> {
        let mut c = der(0x06, oid);
        c.extend(der(tag, val.as_bytes()));
        der(0x31, &der(0x30, &c))
    }

    /// A synthetic certificate with the given name content for subject and issuer.
    pub(crate) fn make_cert(subject: &[u8], issuer: &[u8]) -> Vec<u8> {
        let mut tbs = der(0xa0, &der(0x02, &[2]));
        tbs.extend(der(0x02, &[0x01, 0xab]));
        tbs.extend(der(0x30, &der(0x06, &[0x2a, 0x86, 0x48])));
        tbs.extend(der(0x30, issuer));
        let mut val = der(0x17, b"171231235959Z");
        val.extend(der(0x18, b"20500101000000Z"));
        tbs.extend(der(0x30, &val));
        tbs.extend(der(0x30, subject));
        tbs.extend(der(0x30, &[]));
        let mut cert = der(0x30, &tbs);
        cert.extend(der(0x30, &der(0x06, &[0x2a])));
        cert.extend(der(0x03, &[0, 1, 2]));
        der(0x30, &cert)
    }

    #[test]
    fn renders_names_and_times() {
        let mut subj = atv(&[0x55, 4, 6], 0x13, "US");
        subj.extend(atv(&[0x55, 4, 10], 0x0c, "Let's Encrypt"));
        subj.extend(atv(&[0x55, 4, 3], 0x13, "R3"));
        subj.extend(atv(
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
            0x16,
            "a@b.c",
        ));
        subj.extend(atv(&[0x55, 4, 99], 0x0c, "x"));
        let iss = atv(&[0x55, 4, 3], 0x0c, "Root");
        let c = parse_certificate(&make_cert(&subj, &iss)).expect("parses");
        assert_eq!(
            c.subject,
            "C=US, O=Let's Encrypt, CN=R3, Email=a@b.c, 2.5.4.99=x"
        );
        assert_eq!(c.issuer, "CN=Root");
        assert_eq!(c.serial, "01:AB");
        assert_eq!(c.not_before.as_deref(), Some("2017-12-31T23:59:59"));
        assert_eq!(c.not_after.as_deref(), Some("2050-01-01T00:00:00"));
    }

    #[test]
    fn multi_valued_rdn_and_bmp() {
        let mut c = der(0x06, &[0x55, 4, 3]);
        c.extend(der(0x1e, &[0, b'h', 0, b'i']));
        let mut c2 = der(0x06, &[0x55, 4, 11]);
        c2.extend(der(0x13, b"u"));
        let mut set = der(0x30, &c);
        set.extend(der(0x30, &c2));
        let name = der(0x31, &set);
        assert_eq!(render_name(&name), "CN=hi + OU=u");
    }

    #[test]
    fn pre_1970_utc_time() {
        assert_eq!(
            render_time(0x17, b"691231000000Z").as_deref(),
            Some("1969-12-31T00:00:00")
        );
        assert_eq!(render_time(0x17, b"6912"), None);
        assert_eq!(render_time(0x05, b"691231000000Z"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let mut subj = atv(&[0x55, 4, 3], 0x13, "example.com");
        subj.extend(atv(&[0x55, 4, 6], 0x13, "US"));
        let base = make_cert(&subj, &subj);
        assert!(parse_certificate(&base).is_some());
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..20_000u32 {
            let mut m = base.clone();
            let flips = 1 + (next() % 4) as usize;
            for _ in 0..flips {
                let p = (next() as usize) % m.len();
                m[p] = next() as u8;
            }
            if i % 3 == 0 {
                let cut = (next() as usize) % (m.len() + 1);
                m.truncate(cut);
            }
            let _ = parse_certificate(&m);
            let _ = render_name(&m);
        }
        for n in 0..base.len() {
            let _ = parse_certificate(&base[..n]);
        }
    }
}
