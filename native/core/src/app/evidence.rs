//! Evidence records: one per app-layer transaction or fact (a TLS hello pair, an HTTP
//! request/response, a DNS message, SSH banners, a QUIC Initial, an upload's file type), with
//! a JSON body in Suricata 8's EVE field names for that event type. `batch.rs` encodes them as
//! record kind 3; `agent/native/layout.ts` decodes them into `EvidenceEvent`.
//!
//! Endpoints follow Suricata's choice per event type (`src/output-json-*.c`, `src/output.c`):
//! tls, http, ssh, smb, ftp, smtp and fileinfo log in flow direction (LOG_DIR_FLOW: src =
//! client); dns logs a request client -> server and a response server -> client (UDP:
//! LOG_DIR_PACKET; TCP: LOG_DIR_FLOW_TOSERVER / TOCLIENT by message type); quic logs in packet
//! direction (LOG_DIR_PACKET: the client Initial that carried the ClientHello, so src =
//! client).

use super::dns::{rdata_text, Answer, AnswerData, DnsMessage};
use super::http::{HttpRequest, HttpResponse};
use super::json::Json;
use super::ssh::SshBanner;
use super::tls::{version_name, ClientHello, ServerHello};
use super::x509::CertSummary;
use super::{ja3, ja4};
use crate::community_id::CommunityIdCache;
use crate::flow::Flow;

/// Event types (record byte 34), mirrored in `agent/native/layout.ts` `EVIDENCE_KINDS`.
pub const EV_TLS: u8 = 1;
pub const EV_HTTP: u8 = 2;
pub const EV_DNS: u8 = 3;
pub const EV_SSH: u8 = 4;
pub const EV_QUIC: u8 = 5;
pub const EV_FILEINFO: u8 = 6;
pub const EV_SMB: u8 = 7;
pub const EV_FTP: u8 = 8;
pub const EV_SMTP: u8 = 9;

pub const EVENT_NAMES: [&str; 10] = ["", "tls", "http", "dns", "ssh", "quic", "fileinfo", "smb", "ftp", "smtp"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// Packet time of the packet that completed the evidence (or of the flow's end).
    pub ts_ns: u64,
    pub flow_id: u64,
    pub community_id: [u8; 20],
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
    pub ip_version: u8,
    pub proto: u8,
    pub event: u8,
    pub app_proto: u8,
    /// UTF-8 JSON object, at most `json::MAX_BODY` bytes.
    pub body: String,
    /// Early copy of a transaction still in progress (HTTP request headers without the
    /// response yet, a ClientHello without the ServerHello yet): session evidence only, never
    /// an EVE event; the complete record follows as usual (batch.rs flag bit 0).
    pub partial: bool,
}

impl EvidenceRecord {
    /// A record for flow `f`; `from_server` puts the server first (src = server).
    pub fn new(f: &Flow, cid: &mut CommunityIdCache, ts_ns: u64, event: u8, from_server: bool, body: String) -> EvidenceRecord {
        let (c, _) = f.client();
        let (s, _) = f.server();
        let (src, dst, sp, dp) = if from_server { (s, c, f.rec_dport, f.rec_sport) } else { (c, s, f.rec_sport, f.rec_dport) };
        EvidenceRecord {
            ts_ns,
            flow_id: f.flow_id(),
            community_id: f.community_id_cached(cid),
            src,
            dst,
            src_port: sp,
            dst_port: dp,
            ip_version: f.key.ip_version,
            proto: f.key.proto,
            event,
            app_proto: f.app_proto,
            body,
            partial: false,
        }
    }
}

/// A ClientHello's JA3 (string, MD5 hash) and JA4, computed once for the partial and the
/// complete `tls` record of the same hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFingerprints {
    pub ja3_string: String,
    pub ja3_hash: String,
    pub ja4: String,
}

impl ClientFingerprints {
    pub fn of(c: &ClientHello) -> ClientFingerprints {
        let (ja3_string, ja3_hash) = ja3::ja3(c);
        ClientFingerprints { ja3_string, ja3_hash, ja4: ja4::ja4(c, false) }
    }
}

/// `tls` body: sni, version, ja3/ja3s {hash, string}, ja4, client/server ALPNs, and the first
/// certificate's subject, issuerdn, serial, notbefore, notafter (TLS <= 1.2). `fp` carries `ch`'s
/// fingerprints when already computed (it must be `ClientFingerprints::of` the same `ch`; None
/// computes them).
pub fn tls_body_with(ch: Option<&ClientHello>, fp: Option<&ClientFingerprints>, sh: Option<&ServerHello>, cert: Option<&CertSummary>) -> String {
    let mut j = Json::new();
    if let Some(c) = cert {
        j.str(Some("subject"), &c.subject);
        j.str(Some("issuerdn"), &c.issuer);
        j.str(Some("serial"), &c.serial);
    }
    if let Some(sni) = ch.and_then(|c| c.sni.as_deref()) {
        j.str(Some("sni"), sni);
    }
    let version = match (sh, ch) {
        (Some(s), _) => s.version(),
        (None, Some(c)) => c.legacy_version,
        (None, None) => 0,
    };
    j.str(Some("version"), &version_name(version));
    if let Some(c) = cert {
        j.opt_str("notbefore", c.not_before.as_deref());
        j.opt_str("notafter", c.not_after.as_deref());
    }
    let computed;
    let fp = match (ch, fp) {
        (Some(_), Some(fp)) => Some(fp),
        (Some(c), None) => {
            computed = ClientFingerprints::of(c);
            Some(&computed)
        }
        (None, _) => None,
    };
    if let Some(fp) = fp {
        j.obj(Some("ja3"));
        j.str(Some("hash"), &fp.ja3_hash);
        j.str(Some("string"), &fp.ja3_string);
        j.end_obj();
    }
    if let Some(s) = sh {
        let (st, h) = ja3::ja3s(s);
        j.obj(Some("ja3s"));
        j.str(Some("hash"), &h);
        j.str(Some("string"), &st);
        j.end_obj();
    }
    if let (Some(c), Some(fp)) = (ch, fp) {
        j.str(Some("ja4"), &fp.ja4);
        if !c.alpn.is_empty() {
            j.arr(Some("client_alpns"));
            for a in c.alpn.iter() {
                if !j.has_room() {
                    break;
                }
                j.str(None, a);
            }
            j.end_arr();
        }
    }
    if let Some(a) = sh.and_then(|s| s.alpn.as_deref()) {
        j.arr(Some("server_alpns"));
        j.str(None, a);
        j.end_arr();
    }
    j.finish()
}

/// `http` body for one request (and its response when seen).
pub fn http_body(req: Option<&HttpRequest>, resp: Option<&HttpResponse>) -> String {
    let mut j = Json::new();
    if let Some(r) = req {
        j.opt_str("hostname", r.host.as_deref());
        if let Some(p) = r.port {
            j.uint(Some("http_port"), p as u64);
        }
        j.str(Some("url"), &r.uri);
        j.opt_str("http_user_agent", r.user_agent.as_deref());
    }
    if let Some(ct) = resp.and_then(|r| r.content_type.as_deref()) {
        j.str(Some("http_content_type"), ct);
    }
    if let Some(r) = req {
        j.str(Some("http_method"), &r.method);
        if !r.version.is_empty() {
            j.str(Some("protocol"), &r.version);
        }
        if let Some(ct) = r.content_type.as_deref() {
            j.str(Some("http_request_content_type"), ct);
        }
        if let Some(n) = r.content_length {
            j.uint(Some("request_content_length"), n);
        }
    } else if let Some(r) = resp {
        j.str(Some("protocol"), &r.version);
    }
    if let Some(r) = resp {
        j.uint(Some("status"), r.status as u64);
        if let Some(n) = r.content_length {
            j.uint(Some("length"), n);
        }
    }
    j.finish()
}

/// `dns` body, Suricata 8 EVE DNS version 3.
pub fn dns_body(m: &DnsMessage) -> String {
    let mut j = Json::new();
    j.uint(Some("version"), 3);
    j.str(Some("type"), if m.is_response { "response" } else { "request" });
    j.uint(Some("id"), m.id as u64);
    let flags = ((m.is_response as u16) << 15) | ((m.opcode as u16 & 0xf) << 11) | ((m.aa as u16) << 10) | ((m.tc as u16) << 9) | ((m.rd as u16) << 8) | ((m.ra as u16) << 7) | (m.rcode as u16 & 0xf);
    j.str(Some("flags"), &format!("{:x}", flags));
    for (k, v) in [("qr", m.is_response), ("aa", m.aa), ("tc", m.tc), ("rd", m.rd), ("ra", m.ra)] {
        if v {
            j.boolean(k, true);
        }
    }
    j.uint(Some("opcode"), m.opcode as u64);
    if m.is_response {
        j.str(Some("rcode"), m.rcode_name);
    }
    if !m.queries.is_empty() {
        j.arr(Some("queries"));
        for q in m.queries.iter() {
            if !j.has_room() {
                break;
            }
            j.obj(None);
            j.str(Some("rrname"), &q.name);
            j.str(Some("rrtype"), q.rrtype_name);
            j.end_obj();
        }
        j.end_arr();
    }
    if !m.answers.is_empty() {
        // Suricata logs a TXT record's character-strings as one answer each.
        let mut rows: Vec<(&Answer, Option<String>)> = Vec::new();
        for a in m.answers.iter() {
            match &a.data {
                AnswerData::Txt(parts) if !parts.is_empty() => rows.extend(parts.iter().map(|p| (a, Some(p.clone())))),
                d => rows.push((a, rdata_text(d))),
            }
        }
        j.arr(Some("answers"));
        for (a, rdata) in rows.iter() {
            if !j.has_room() {
                break;
            }
            j.obj(None);
            j.str(Some("rrname"), &a.name);
            j.str(Some("rrtype"), a.rrtype_name);
            j.uint(Some("ttl"), a.ttl as u64);
            if let Some(t) = rdata {
                j.str(Some("rdata"), t);
            }
            j.end_obj();
        }
        j.end_arr();
        // `grouped`: rdata by record type, in answer order (Suricata's default "grouped" format).
        let mut types: Vec<&str> = Vec::new();
        for (a, r) in rows.iter() {
            if r.is_some() && !types.contains(&a.rrtype_name) {
                types.push(a.rrtype_name);
            }
        }
        if !types.is_empty() {
            j.obj(Some("grouped"));
            for t in types {
                j.arr(Some(t));
                for (a, r) in rows.iter() {
                    if a.rrtype_name != t {
                        continue;
                    }
                    if let Some(r) = r {
                        if !j.has_room() {
                            break;
                        }
                        j.str(None, r);
                    }
                }
                j.end_arr();
            }
            j.end_obj();
        }
    }
    if m.answers_truncated {
        j.truncated = true;
    }
    j.finish()
}

/// `ssh` body: client and server {proto_version, software_version}.
pub fn ssh_body(client: Option<&SshBanner>, server: Option<&SshBanner>) -> String {
    let mut j = Json::new();
    for (k, b) in [("client", client), ("server", server)] {
        if let Some(b) = b {
            j.obj(Some(k));
            j.str(Some("proto_version"), &b.proto_version);
            j.str(Some("software_version"), &b.software_version);
            j.end_obj();
        }
    }
    j.finish()
}

/// Suricata's `ftp` event: one command with its replies (`reply_received` "yes" / "no").
pub fn ftp_body(c: &super::ftp::FtpCommand) -> String {
    let mut j = Json::new();
    j.str(Some("command"), &c.command);
    if !c.data.is_empty() {
        j.str(Some("command_data"), &c.data);
    }
    if !c.replies.is_empty() {
        j.arr(Some("reply"));
        for r in &c.replies {
            j.str(None, r);
        }
        j.end_arr();
    }
    if !c.codes.is_empty() {
        j.arr(Some("completion_code"));
        for r in &c.codes {
            j.str(None, r);
        }
        j.end_arr();
    }
    j.str(Some("reply_received"), if c.reply_received { "yes" } else { "no" });
    j.finish()
}

/// QUIC version as Suricata prints it (`v2`, else lowercase hex without padding: `1`).
pub fn quic_version(v: u32) -> String {
    let b = v.to_be_bytes();
    if v == super::quic::VERSION_2 {
        "v2".to_string()
    } else if (b[0] == b'Q' || b[0] == b'T') && b[1..].iter().all(u8::is_ascii_digit) {
        // Google QUIC versions are ASCII tags ("Q046", "T051"), printed as such.
        String::from_utf8_lossy(&b).into_owned()
    } else {
        format!("{:x}", v)
    }
}

/// `quic` body of a Google QUIC CHLO: version, sni, ua (no JA3/JA4: not TLS).
pub fn quic_chlo_body(version: u32, chlo: &super::gquic::Chlo) -> String {
    let mut j = Json::new();
    j.str(Some("version"), &quic_version(version));
    if let Some(s) = chlo.sni.as_deref() {
        j.str(Some("sni"), s);
    }
    if let Some(ua) = chlo.user_agent.as_deref() {
        j.str(Some("ua"), ua);
    }
    j.finish()
}

/// `quic` body: version, sni, ja3 {hash, string}, ja4 (with the `q` prefix).
pub fn quic_body(version: u32, ch: Option<&ClientHello>) -> String {
    let mut j = Json::new();
    j.str(Some("version"), &quic_version(version));
    if let Some(c) = ch {
        if let Some(s) = c.sni.as_deref() {
            j.str(Some("sni"), s);
        }
        let (s, h) = ja3::ja3(c);
        j.obj(Some("ja3"));
        j.str(Some("hash"), &h);
        j.str(Some("string"), &s);
        j.end_obj();
        j.str(Some("ja4"), &ja4::ja4(c, true));
    }
    j.finish()
}

/// `fileinfo` body for a file type recognised from a stream's first bytes.
pub fn fileinfo_body(filetype: &str, to_server: bool, filename: Option<&str>, carrier: Option<&str>) -> String {
    let mut j = Json::new();
    if let Some(n) = filename {
        j.str(Some("filename"), n);
    }
    j.str(Some("filetype"), filetype);
    j.str(Some("magic"), filetype);
    j.str(Some("direction"), if to_server { "toserver" } else { "toclient" });
    if let Some(c) = carrier {
        j.str(Some("app_proto"), c);
    }
    j.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::dns::parse_message;

    #[test]
    fn dns_v3_shape() {
        let resp = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22";
        let m = parse_message(resp).unwrap();
        assert_eq!(
            dns_body(&m),
            r#"{"version":3,"type":"response","id":4660,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"example.com","rrtype":"A"}],"answers":[{"rrname":"example.com","rrtype":"A","ttl":3600,"rdata":"93.184.216.34"}],"grouped":{"A":["93.184.216.34"]}}"#
        );
    }

    #[test]
    fn tls_body_with_precomputed_fingerprints_equals_computed() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            versions: vec![0x0a0a, 0x0304, 0x0303],
            cipher_suites: vec![0x1a1a, 0x1301, 0xc02b],
            extensions: vec![0x0a0a, 0, 0x10, 0x0a, 0x0b, 0x0d, 0x2b],
            sni: Some("example.com".to_string()),
            alpn: vec!["h2".to_string(), "http/1.1".to_string()],
            alpn_first_raw: Some(b"h2".to_vec()),
            groups: vec![0x1d, 0x17],
            ec_point_formats: vec![0],
            sig_algs: vec![0x0403, 0x0804],
        };
        let fp = ClientFingerprints::of(&ch);
        assert_eq!(fp.ja4, ja4::ja4(&ch, false));
        assert_eq!((fp.ja3_string.clone(), fp.ja3_hash.clone()), ja3::ja3(&ch));
        let body = tls_body_with(Some(&ch), None, None, None);
        assert!(body.contains(&format!("\"ja4\":\"{}\"", fp.ja4)) && body.contains(&fp.ja3_hash), "{}", body);
        assert_eq!(tls_body_with(Some(&ch), Some(&fp), None, None), body);
        // Without a ClientHello, fingerprints are ignored (no ja3/ja4).
        assert_eq!(tls_body_with(None, Some(&fp), None, None), tls_body_with(None, None, None, None));
        assert!(!tls_body_with(None, None, None, None).contains("ja4"));
    }

    #[test]
    fn quic_versions() {
        assert_eq!(quic_version(1), "1");
        assert_eq!(quic_version(super::super::quic::VERSION_2), "v2");
        assert_eq!(quic_version(0xff00_001d), "ff00001d");
        assert_eq!(quic_version(0x5130_3436), "Q046");
        assert_eq!(quic_version(0x5430_3531), "T051");
        assert_eq!(quic_version(0xface_b002), "faceb002");
    }
}
