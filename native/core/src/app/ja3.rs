//! JA3 / JA3S TLS fingerprints (salesforce/ja3), as Suricata computes them: decimal values
//! joined with `-`, fields joined with `,`, GREASE values (RFC 8701) removed everywhere, and
//! the MD5 of the string in lowercase hex.

use super::tls::{is_grease, ClientHello, ServerHello};
use crate::crypto::{md5::md5, to_hex};

fn join<T: Copy + Into<u32>>(vals: &[T], skip_grease: bool) -> String {
    let mut out = String::new();
    for &v in vals {
        let n: u32 = v.into();
        if skip_grease && n <= 0xffff && is_grease(n as u16) {
            continue;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&n.to_string());
    }
    out
}

/// The JA3 string: `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`.
pub fn ja3_string(ch: &ClientHello) -> String {
    format!(
        "{},{},{},{},{}",
        ch.legacy_version,
        join(&ch.cipher_suites, true),
        join(&ch.extensions, true),
        join(&ch.groups, true),
        join(&ch.ec_point_formats, false)
    )
}

/// The JA3S string: `SSLVersion,Cipher,Extensions`.
pub fn ja3s_string(sh: &ServerHello) -> String {
    format!(
        "{},{},{}",
        sh.legacy_version,
        sh.cipher,
        join(&sh.extensions, true)
    )
}

/// Lowercase hex MD5 of a JA3 or JA3S string.
pub fn ja3_hash(s: &str) -> String {
    to_hex(&md5(s.as_bytes()))
}

/// JA3 string and hash of a ClientHello.
pub fn ja3(ch: &ClientHello) -> (String, String) {
    let s = ja3_string(ch);
    let h = ja3_hash(&s);
    (s, h)
}

/// JA3S string and hash of a ServerHello.
pub fn ja3s(sh: &ServerHello) -> (String, String) {
    let s = ja3s_string(sh);
    let h = ja3_hash(&s);
    (s, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ja3_spec_vectors() {
        // /work/shared/corpus/ja3-spec/expectations.jsonl (salesforce/ja3 README).
        assert_eq!(
            ja3_hash("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"),
            "ada70206e40642a3e4461f35503241d5"
        );
        assert_eq!(
            ja3_hash("769,4-5-10-9-100-98-3-6-19-18-99,,,"),
            "de350869b8c85de67a350c8d186f11e6"
        );
    }

    /// The value of `"key": "..."` in one JSON line (the corpus writes plain strings, no escapes).
    fn json_str<'a>(line: &'a str, key: &str) -> Option<&'a str> {
        let at = line.find(&format!("\"{}\": \"", key))? + key.len() + 5;
        let end = line[at..].find('"')?;
        Some(&line[at..at + end])
    }

    #[test]
    fn ja3_spec_vectors_from_the_corpus() {
        // Every string -> MD5 vector of the shared corpus (CI has ../shared beside the checkout);
        // the two above are its copy for a checkout without it.
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/ja3-spec/expectations.jsonl");
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                println!("ja3-spec vectors: corpus not found ({}): {}; skipped", file, e);
                return;
            }
        };
        let (mut ok, mut total) = (0, 0);
        for line in text.lines().filter(|l| l.contains("\"input_ja3_string\"")) {
            let input = json_str(line, "input_ja3_string").expect("input_ja3_string");
            let expected = json_str(line, "expected").expect("expected");
            total += 1;
            if ja3_hash(input) == expected {
                ok += 1;
            } else {
                println!("ja3-spec vector mismatch: {} -> {} (expected {})", input, ja3_hash(input), expected);
            }
        }
        println!("ja3-spec vectors: {}/{} = 100 % required", ok, total);
        assert!(total > 0, "no vectors in {}", file);
        assert_eq!(ok, total);
    }

    #[test]
    fn suricata_verify_string_hash_pairs() {
        // tls/tls13-draft19, tls13-draft22, tls13-draft28 and tls/tls-ja3s expectations.
        let pairs = [
            (
                "771,4866-255,0-11-10-35-13-22-23-43-45-40,29-23-25-24,0-1-2",
                "0e870cb29dd59424064948532781a7f6",
            ),
            ("771,4865-4867,0-43-13-10-40,23,", "786468211b4d23f9b725987b0de9d090"),
            (
                "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45,23,0",
                "43202faa1c8c1760d6f7f4bd9adde4ab",
            ),
            ("771,49199,65281-0-11-16-23", "5d79edf64e03689ff559a54e9d9487bc"),
        ];
        for (s, h) in pairs {
            assert_eq!(ja3_hash(s), h, "{}", s);
        }
    }

    #[test]
    fn grease_removed_everywhere() {
        let ch = ClientHello {
            legacy_version: 771,
            cipher_suites: vec![0x0a0a, 4865, 0xfafa, 4866],
            extensions: vec![0x1a1a, 0, 10, 0x2a2a, 11],
            groups: vec![0x3a3a, 29, 23],
            ec_point_formats: vec![0],
            ..ClientHello::default()
        };
        assert_eq!(ja3_string(&ch), "771,4865-4866,0-10-11,29-23,0");
        let sh = ServerHello {
            legacy_version: 771,
            cipher: 49199,
            extensions: vec![65281, 0x4a4a, 0, 11, 16, 23],
            ..ServerHello::default()
        };
        let (s, h) = ja3s(&sh);
        assert_eq!(s, "771,49199,65281-0-11-16-23");
        assert_eq!(h, "5d79edf64e03689ff559a54e9d9487bc");
        let empty = ClientHello {
            legacy_version: 769,
            ..ClientHello::default()
        };
        assert_eq!(ja3_string(&empty), "769,,,,");
    }
    /// suricata-verify `tls.ja3.string` / `tls.ja3.hash` / `tls.ja3s.*` facts, computed from
    /// the ClientHellos/ServerHellos of the corpus pcaps (every expected pair must be among the
    /// pcap's connections).
    #[test]
    fn corpus_suricata_ja3_facts() {
        use crate::app::tls::{parse_client_hello, parse_server_hello, tests::corpus_tcp, Parse};
        let facts: &[(&str, &str, &str)] = &[
            ("tls-duplicate-hello.pcap", "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45,23,0", ""),
            ("tls__tls13-draft14.pcap", "772,49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-51-57-47-53-10,0-23-65281-10-11-35-13172-16-5-65282-40-13,23-24-25-256-257-258-259-260,0", "65825469c473e48f3ee2571129256ab0"),
            ("tls__tls13-draft18.pcap", "771,4865-4866-4867-49195-49199-158-49196-49200-159-52393-52392-52244-52243-49161-49187-49171-49191-51-103-49162-49188-49172-49192-57-107-156-157-47-60-53-61-10,65281-23-35-13-11-40-45-43-10,29-23-24,0", "23d254f72096d25c350e4a4a792f4948"),
            ("tls__tls13-draft19.pcap", "771,4866-255,0-11-10-35-13-22-23-43-45-40,29-23-25-24,0-1-2", "0e870cb29dd59424064948532781a7f6"),
            ("tls__tls13-draft19.pcap", "771,4866-255,0-11-10-35-13-22-23-43-45-40-42-41,29-23-25-24,0-1-2", "30e5035b2d6787e7b319f75c36c438fe"),
            ("tls__tls13-draft19.pcap", "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-4866-4867-4865-61-60-53-47-255,0-11-10-35-13-22-23-43-45-40-42-41,29-23-25-24,0-1-2", "e6ae7b5efb58894bd43d6fa73420d267"),
            ("tls__tls13-draft22.pcap", "771,4865-4867,0-43-13-10-40,23,", "786468211b4d23f9b725987b0de9d090"),
            ("tls__tls13-draft23.pcap", "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49161-49187-49171-49191-49162-49188-49172-49192-156-157-47-60-53-61-10,65281-23-35-13-11-51-45-43-10,29-23-24,0", "0558cf38ebac58d332d7f39308fcd006"),
            ("tls__tls13-draft28.pcap", "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45-41,23,0", "d00857e0c8e7a7f35e446508c6233460"),
            ("tls__tls13-draft28.pcap", "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45,23,0", "43202faa1c8c1760d6f7f4bd9adde4ab"),
        ];
        let mut checked = 0;
        for (file, string, hash) in facts {
            let conns = match corpus_tcp(&format!("suricata-verify/pcaps/{}", file)) {
                Some(c) => c,
                None => continue,
            };
            let got: Vec<(String, String)> = conns
                .iter()
                .filter_map(|c| match parse_client_hello(&c.client) {
                    Parse::Done(ch) => Some(ja3(&ch)),
                    _ => None,
                })
                .collect();
            let hit = got.iter().find(|(s, _)| s == string);
            let (_, h) = hit.unwrap_or_else(|| panic!("{}: {} not in {:?}", file, string, got));
            if !hash.is_empty() {
                assert_eq!(h, hash, "{}", file);
            }
            checked += 1;
        }
        // tls/tls-ja3s on bug-5464-verdict-04.pcap.
        if let Some(conns) = corpus_tcp("suricata-verify/pcaps/bug-5464-verdict-04.pcap") {
            let got: Vec<(String, String)> = conns
                .iter()
                .filter_map(|c| match parse_server_hello(&c.server) {
                    Parse::Done(sh) => Some(ja3s(&sh)),
                    _ => None,
                })
                .collect();
            assert!(got.contains(&(
                "771,49199,65281-0-11-16-23".to_string(),
                "5d79edf64e03689ff559a54e9d9487bc".to_string()
            )));
            checked += 1;
        }
        eprintln!("checked {} ja3/ja3s facts", checked);
    }
}
