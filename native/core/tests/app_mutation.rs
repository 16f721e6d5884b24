//! Mutation test of the app-layer parsers (issue "Session evidence"): TLS (ClientHello,
//! ServerHello, Certificate), X.509, HTTP/1.x, DNS (UDP and TCP), SSH banners, upload file type
//! (magic), QUIC Initial (header path, and decrypted frames re-protected with valid keys so the
//! mutated plaintext reaches the frame parser and the CRYPTO reassembly), and the JA3/JA4
//! builders on mutated `ClientHello`/`ServerHello` values, and the in-band TLS upgrade watch
//! (SMTP/IMAP/POP3/FTP lines, PostgreSQL startup, LDAP BER, RDP TPKT) with its RDP and LDAP probes. Seeds are payloads of the shared
//! corpus captures (client and server byte streams and datagrams), plus a few built-in ones.
//! No input may panic; a few cheap invariants are checked too (consumed <= input, JA3/JA4
//! shapes, bounded outputs).
//!
//! Budget per parser and run: `EXFIL_APP_MUTATION_INPUTS` (default 50,000), or 1,000,000 with
//! `EXFIL_HEAVY=1`. The seed is `EXFIL_APP_MUTATION_SEED` when set, else taken from the clock so
//! successive CI runs cover different inputs (the suite's lifetime total grows by the budget per
//! run); it is printed so a run can be repeated. A panicking input is written to
//! `tests/regressions/app-<target>-<hash>.bin` and `replay_app_regressions` feeds every
//! `app-*.bin` there to its parser on every run.

mod harness;

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use harness::{fnv64, Rng};
use sensor_core::app::probe::{ldap, rdp};
use sensor_core::app::upgrade::{self, Step, Watch};
use sensor_core::app::{dns, ftp, gquic, http, ja3, ja4, magic, quic, ssh, tls, x509};
use sensor_core::capture::FileSource;
use sensor_core::crypto::aes::Aes128;
use sensor_core::crypto::gcm::Aes128Gcm;
use sensor_core::decode::{decode, PacketMeta};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");
const DEFAULT_INPUTS: usize = 50_000;
const HEAVY_INPUTS: usize = 1_000_000;
/// Per stream direction, the first bytes kept as a seed; seeds kept per kind.
const STREAM_BYTES: usize = 16 * 1024;
const SEEDS_PER_KIND: usize = 400;
const MAX_FLOWS: usize = 20_000;
const MAX_INPUT: usize = 64 * 1024;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse::<u64>(),
    };
    match parsed {
        Ok(n) => Some(n),
        Err(_) => panic!("{}={:?} is not a number", name, v),
    }
}

fn budget() -> usize {
    if let Some(n) = env_u64("EXFIL_APP_MUTATION_INPUTS") {
        return n as usize;
    }
    if std::env::var("EXFIL_HEAVY").map_or(false, |v| v == "1") {
        HEAVY_INPUTS
    } else {
        DEFAULT_INPUTS
    }
}

/// The run's seed: fixed by the environment, else from the clock (printed by each target).
fn run_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        env_u64("EXFIL_APP_MUTATION_SEED").unwrap_or_else(|| {
            let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            d.as_secs() ^ u64::from(d.subsec_nanos()) << 20
        })
    })
}

// ---- panics ---------------------------------------------------------------------------------

static QUIET: Once = Once::new();
static PANICS_PRINTED: AtomicUsize = AtomicUsize::new(0);
static FAILURES: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

fn quiet_panics() {
    QUIET.call_once(|| {
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if PANICS_PRINTED.fetch_add(1, Ordering::Relaxed) < 5 {
                prev(info);
            }
        }));
    });
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_string()
    }
}

fn save_regression(target: &str, data: &[u8]) -> String {
    static SAVED: AtomicUsize = AtomicUsize::new(0);
    let path = Path::new(REGRESSIONS).join(format!("app-{}-{:016x}.bin", target, fnv64(data)));
    if path.exists() {
        return path.display().to_string();
    }
    if SAVED.fetch_add(1, Ordering::Relaxed) >= 32 {
        return "(not saved: 32 files written already)".to_string();
    }
    let _ = std::fs::create_dir_all(REGRESSIONS);
    match std::fs::write(&path, data) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(could not write {}: {})", path.display(), e),
    }
}

/// Run `f`; a panic (or a broken invariant, which panics) is recorded with the input saved.
fn guarded<F: FnOnce()>(target: &str, data: &[u8], f: F) {
    if let Err(e) = panic::catch_unwind(AssertUnwindSafe(f)) {
        let msg = panic_message(&*e);
        let file = save_regression(target, data);
        if let Ok(mut v) = FAILURES.lock() {
            if v.len() < 10_000 {
                v.push((target.to_string(), file, msg));
            }
        }
    }
}

fn assert_no_failures(target: &str) {
    let mine: Vec<(String, String, String)> = FAILURES
        .lock()
        .map(|v| v.iter().filter(|f| f.0 == target).cloned().collect())
        .unwrap_or_default();
    if mine.is_empty() {
        return;
    }
    let mut by_msg: HashMap<String, (usize, String)> = HashMap::new();
    for (_, file, msg) in &mine {
        let e = by_msg.entry(msg.clone()).or_insert((0, file.clone()));
        e.0 += 1;
    }
    let lines: Vec<String> = by_msg.iter().map(|(m, (n, f))| format!("  {} x {} (input {})", n, m, f)).collect();
    panic!("{}: {} inputs panicked:\n{}", target, mine.len(), lines.join("\n"));
}

// ---- seeds ----------------------------------------------------------------------------------

#[derive(Default)]
struct Seeds {
    tls_client: Vec<Vec<u8>>,
    tls_server: Vec<Vec<u8>>,
    certs: Vec<Vec<u8>>,
    http_req: Vec<Vec<u8>>,
    http_resp: Vec<Vec<u8>>,
    dns_msg: Vec<Vec<u8>>,
    dns_tcp: Vec<Vec<u8>>,
    ssh: Vec<Vec<u8>>,
    quic: Vec<Vec<u8>>,
    gquic: Vec<Vec<u8>>,
    uploads: Vec<Vec<u8>>,
    /// Cleartext starts of protocols that can turn into TLS in-band (either direction).
    upgrade: Vec<Vec<u8>>,
    hellos: Vec<tls::ClientHello>,
    server_hellos: Vec<tls::ServerHello>,
}

fn push_capped(v: &mut Vec<Vec<u8>>, data: &[u8]) {
    if v.len() < SEEDS_PER_KIND && !data.is_empty() && !v.iter().any(|s| s.as_slice() == data) {
        v.push(data.to_vec());
    }
}

fn corpus_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in ["suricata-verify/pcaps", "zeek/pcaps", "ndpi/pcaps", "community-id-spec/pcaps"] {
        if let Ok(rd) = std::fs::read_dir(Path::new(CORPUS).join(sub)) {
            for e in rd.flatten() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// DER certificates (`30 82 len` whose body starts with another SEQUENCE) found in a stream.
fn find_certs(stream: &[u8], out: &mut Vec<Vec<u8>>) {
    let mut i = 0;
    while i + 8 <= stream.len() {
        if stream[i] == 0x30 && stream[i + 1] == 0x82 && stream[i + 4] == 0x30 && stream[i + 5] == 0x82 {
            let len = 4 + (usize::from(stream[i + 2]) << 8 | usize::from(stream[i + 3]));
            if i + len <= stream.len() && len > 200 {
                push_capped(out, &stream[i..i + len]);
                i += len;
                continue;
            }
        }
        i += 1;
    }
}

fn builtin_seeds(s: &mut Seeds) {
    push_capped(&mut s.http_req, b"GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8.0\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    push_capped(&mut s.http_resp, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404 Not Found\r\n\r\n");
    push_capped(&mut s.ssh, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
    push_capped(&mut s.ssh, b"banner line\r\nSSH-1.99-Cisco-1.25\n");
    // example.com A query with a compressed-name answer.
    push_capped(&mut s.dns_msg, &[
        0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
    ]);
    for m in [
        &b"PK\x03\x04\x14\x00\x00\x00"[..],
        b"\x1f\x8b\x08\x00",
        b"7z\xbc\xaf\x27\x1c\x00\x04",
        b"Rar!\x1a\x07\x01\x00",
        b"\xfd7zXZ\x00",
        b"BZh91AY&SY",
        b"%PDF-1.7\n",
        b"SQLite format 3\x00",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    ] {
        push_capped(&mut s.uploads, m);
    }
    // A Q046 client packet (long header, DCID, packet number, hash, STREAM frame on stream 1)
    // with a small CHLO: PAD, SNI, UAID.
    let mut q046 = b"\xc3Q046\x50\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x01".to_vec();
    q046.extend_from_slice(&[0u8; 12]);
    let chlo = b"CHLO\x03\x00\x00\x00PAD\x00\x04\x00\x00\x00SNI\x00\x0f\x00\x00\x00UAID\x11\x00\x00\x00----example.comChrome";
    q046.extend_from_slice(&[0xa0, 0x01, 0x00, chlo.len() as u8]);
    q046.extend_from_slice(chlo);
    push_capped(&mut s.gquic, &q046);
    let mut tar = vec![0u8; 512];
    tar[..5].copy_from_slice(b"a.txt");
    tar[257..263].copy_from_slice(b"ustar\0");
    push_capped(&mut s.uploads, &tar);
    // Upgrade exchanges (ndpi smtp-starttls, suricata-verify ldap-starttls, zeek rdp-to-ssl).
    push_capped(&mut s.upgrade, b"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01\x00\x6b\x01\x00\x00\x67\x03\x01");
    push_capped(&mut s.upgrade, b"250-STARTTLS\r\n250 OK\r\n220 2.0.0 Ready to start TLS\r\n\x16\x03\x01\x00\x35\x02\x00");
    push_capped(&mut s.upgrade, b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00");
    push_capped(&mut s.upgrade, b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x01\x08\x00\x02\x00\x00\x00\x16\x03\x01\x00\x74\x01");
    push_capped(&mut s.upgrade, b"\x00\x00\x00\x08\x04\xd2\x16\x2fS\x16\x03\x03\x00\x70\x01");
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut s = Seeds::default();
        builtin_seeds(&mut s);
        // Per direction of each TCP connection: the first bytes of payload in arrival order.
        let mut streams: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut order: Vec<Vec<u8>> = Vec::new();
        let mut chunk = vec![0u8; 1 << 20];
        for path in corpus_files() {
            let mut src = match FileSource::open(&path) {
                Ok(src) => src,
                Err(_) => continue,
            };
            let tag = path.display().to_string().into_bytes();
            for _ in 0..10_000 {
                let fill = src.fill(&mut chunk, &mut |bytes, r| {
                    let start = r.offset as usize;
                    let frame = match bytes.get(start..start + r.caplen as usize) {
                        Some(f) => f,
                        None => return true,
                    };
                    let mut m = PacketMeta::default();
                    decode(u32::from(r.linktype), frame, &mut m);
                    let off = m.payload_off as usize;
                    let payload = match frame.get(off..off + m.payload_len as usize) {
                        Some(p) if !p.is_empty() => p,
                        _ => return true,
                    };
                    if m.proto == 17 {
                        if quic::looks_like_quic_initial(payload) {
                            push_capped(&mut s.quic, payload);
                        } else if gquic::looks_like_gquic_chlo(payload) {
                            push_capped(&mut s.gquic, payload);
                        } else if (m.src_port == 53 || m.dst_port == 53 || m.src_port == 5353 || m.dst_port == 5353) && dns::looks_like_dns(payload) {
                            push_capped(&mut s.dns_msg, payload);
                        }
                    } else if m.proto == 6 {
                        let mut key = tag.clone();
                        key.extend_from_slice(&m.src);
                        key.extend_from_slice(&m.dst);
                        key.extend_from_slice(&m.src_port.to_be_bytes());
                        key.extend_from_slice(&m.dst_port.to_be_bytes());
                        if let Some(st) = streams.get_mut(&key) {
                            let room = STREAM_BYTES.saturating_sub(st.len());
                            st.extend_from_slice(&payload[..payload.len().min(room)]);
                        } else if streams.len() < MAX_FLOWS {
                            streams.insert(key.clone(), payload[..payload.len().min(STREAM_BYTES)].to_vec());
                            order.push(key);
                        }
                    }
                    true
                });
                if fill.finished {
                    break;
                }
            }
        }
        for key in &order {
            let st = match streams.get(key) {
                Some(st) => st,
                None => continue,
            };
            let dport = u16::from_be_bytes([key[key.len() - 2], key[key.len() - 1]]);
            let sport = u16::from_be_bytes([key[key.len() - 4], key[key.len() - 3]]);
            if tls::looks_like_tls(st) == Some(true) {
                if let tls::Parse::Done(ch) = tls::parse_client_hello(st) {
                    push_capped(&mut s.tls_client, st);
                    if s.hellos.len() < SEEDS_PER_KIND {
                        s.hellos.push(ch);
                    }
                } else {
                    if let tls::Parse::Done(sh) = tls::parse_server_hello(st) {
                        if s.server_hellos.len() < SEEDS_PER_KIND {
                            s.server_hellos.push(sh);
                        }
                    }
                    push_capped(&mut s.tls_server, st);
                    find_certs(st, &mut s.certs);
                }
            } else if http::looks_like_http_request(st) == Some(true) {
                push_capped(&mut s.http_req, st);
                push_capped(&mut s.uploads, st);
            } else if http::looks_like_http_response(st) == Some(true) {
                push_capped(&mut s.http_resp, st);
            } else if ssh::looks_like_ssh(st) == Some(true) {
                push_capped(&mut s.ssh, st);
            } else if [21u16, 25, 110, 143, 389, 587, 3268, 3389, 5432].iter().any(|&p| p == dport || p == sport) {
                push_capped(&mut s.upgrade, st);
            } else if dport == 53 || sport == 53 {
                push_capped(&mut s.dns_tcp, st);
            } else if magic::file_type(st).is_some() {
                push_capped(&mut s.uploads, st);
            }
        }
        // HTTP bodies carry the uploads' first bytes: the part after the head.
        let bodies: Vec<Vec<u8>> = s
            .http_req
            .iter()
            .filter_map(|r| r.windows(4).position(|w| w == b"\r\n\r\n").map(|p| r[p + 4..].to_vec()))
            .collect();
        for b in bodies {
            push_capped(&mut s.uploads, &b);
        }
        println!(
            "app mutation seeds: tls client {}, tls server {}, certs {}, http req {}, http resp {}, dns {}, dns tcp {}, ssh {}, quic {}, gquic {}, uploads {}, upgrade {}, hellos {}, server hellos {}",
            s.tls_client.len(),
            s.tls_server.len(),
            s.certs.len(),
            s.http_req.len(),
            s.http_resp.len(),
            s.dns_msg.len(),
            s.dns_tcp.len(),
            s.ssh.len(),
            s.quic.len(),
            s.gquic.len(),
            s.uploads.len(),
            s.upgrade.len(),
            s.hellos.len(),
            s.server_hellos.len()
        );
        s
    })
}

fn have_corpus() -> bool {
    Path::new(CORPUS).join("MANIFEST.tsv").exists()
}

// ---- mutation -------------------------------------------------------------------------------

const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0d, 0x0a];

/// One mutant of `base`: 1-6 operations among bit flips, byte sets, interesting bytes,
/// 16/24-bit length smashing, inserts, deletes, duplications, truncation and splicing with
/// another seed of the same kind.
fn mutate(rng: &mut Rng, base: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut m = base.to_vec();
    for _ in 0..rng.range(1, 6) {
        let len = m.len();
        match rng.below(11) {
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                m[i] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                m[i] = rng.byte();
            }
            3 if len > 0 => {
                let i = rng.below(len);
                m[i] = *rng.pick(&INTERESTING);
            }
            4 if len > 1 => {
                // A length field: tiny, huge, off by one or random.
                let i = rng.below(len - 1);
                let old = u16::from_be_bytes([m[i], m[i + 1]]);
                let v: u16 = match rng.below(5) {
                    0 => 0,
                    1 => 0xffff,
                    2 => old.wrapping_add(1),
                    3 => old.wrapping_sub(1),
                    _ => rng.next_u64() as u16,
                };
                m[i..i + 2].copy_from_slice(&v.to_be_bytes());
                if i + 2 < len && rng.one_in(4) {
                    m[i + 2] = if rng.one_in(2) { 0xff } else { 0 };
                }
            }
            5 if len < MAX_INPUT => {
                let i = rng.below(len + 1);
                let n = rng.range(1, 16);
                let ins: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                m.splice(i..i, ins);
            }
            6 if len > 0 => {
                let i = rng.below(len);
                let n = rng.range(1, (len - i).min(64));
                m.drain(i..i + n);
            }
            7 if len > 0 && len < MAX_INPUT => {
                let i = rng.below(len);
                let n = rng.range(1, (len - i).min(256));
                let dup = m[i..i + n].to_vec();
                let at = rng.below(len + 1);
                m.splice(at..at, dup);
            }
            8 => {
                let cut = rng.below(len + 1);
                m.truncate(cut);
            }
            9 if !pool.is_empty() => {
                let other = rng.pick(pool);
                let at = rng.below(m.len() + 1);
                let from = rng.below(other.len() + 1);
                m.truncate(at);
                m.extend_from_slice(&other[from..]);
            }
            _ => {
                if len > 0 {
                    let i = rng.below(len);
                    m[i] = m[i].wrapping_add(rng.range(1, 4) as u8);
                }
            }
        }
    }
    m.truncate(MAX_INPUT);
    m
}

fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn check_ja4(s: &str, quic_mode: bool) {
    let parts: Vec<&str> = s.split('_').collect();
    assert_eq!(parts.len(), 3, "ja4 {:?}: three parts", s);
    assert_eq!(parts[0].len(), 10, "ja4 {:?}: part a is 10 characters", s);
    assert!(parts[0].starts_with(if quic_mode { 'q' } else { 't' }), "ja4 {:?}: prefix", s);
    assert!(parts[0].is_ascii(), "ja4 {:?}: ascii", s);
    assert!(is_hex(parts[1], 12) && is_hex(parts[2], 12), "ja4 {:?}: hashes", s);
}

fn check_ja3(pair: &(String, String), fields: usize) {
    assert!(is_hex(&pair.1, 32), "ja3 hash {:?}", pair.1);
    assert_eq!(ja3::ja3_hash(&pair.0), pair.1, "ja3 hash of its own string");
    assert_eq!(pair.0.matches(',').count() + 1, fields, "ja3 string {:?}: field count", pair.0);
}

// ---- per-parser drivers ----------------------------------------------------------------------

fn feed_tls(m: &[u8]) {
    let _ = tls::looks_like_tls(m);
    if let tls::Parse::Done(ch) = tls::parse_client_hello(m) {
        check_ja3(&ja3::ja3(&ch), 5);
        check_ja4(&ja4::ja4(&ch, false), false);
        assert!(ch.sni.as_ref().map_or(0, |s| s.len()) <= 4 * tls::MAX_SNI, "sni bounded");
        assert!(ch.cipher_suites.len() <= tls::MAX_CIPHERS && ch.extensions.len() <= tls::MAX_EXTENSIONS);
        assert!(ch.alpn.len() <= tls::MAX_ALPN);
    }
    if let tls::Parse::Done(sh) = tls::parse_server_hello(m) {
        check_ja3(&ja3::ja3s(&sh), 3);
        let _ = tls::version_name(sh.version());
    }
    if let tls::Parse::Done(certs) = tls::parse_certificates(m) {
        assert!(certs.len() <= tls::MAX_CERTS);
    }
    // The handshake body path (QUIC's entry), skipping a record and handshake header.
    if m.len() > 9 {
        if let Some(ch) = tls::client_hello_body(&m[9..]) {
            check_ja4(&ja4::ja4(&ch, true), true);
        }
    }
}

fn feed_x509(m: &[u8]) {
    let _ = x509::parse_certificate(m);
    let _ = x509::render_name(m);
}

fn feed_http(m: &[u8], rng_bits: u64) {
    let _ = http::looks_like_http_request(m);
    let _ = http::looks_like_request_line(m);
    let _ = http::looks_like_http_response(m);
    if let Some(r) = http::parse_unfinished_request(m) {
        // Lossy UTF-8 may turn each kept byte into a 3-byte U+FFFD.
        assert!(r.uri.len() <= 3 * http::MAX_URI && r.method.len() <= http::MAX_METHOD);
    }
    let (reqs, used) = http::parse_requests(m, 1 + (rng_bits % 300) as usize);
    assert!(used <= m.len() && reqs.len() <= http::MAX_MESSAGES);
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    let (resps, used) = http::parse_responses_for(m, 64, &methods);
    assert!(used <= m.len() && resps.len() <= http::MAX_MESSAGES);
    let (_, used) = http::parse_responses(m, 64);
    assert!(used <= m.len());
    let mut st = match rng_bits % 3 {
        0 => http::BodyState::chunked(),
        1 => http::BodyState::content_length(rng_bits >> 8),
        _ => http::BodyState::until_close(),
    };
    let _ = http::skip_body(&mut st, m);
    if m.len() > 1 {
        let text = String::from_utf8_lossy(&m[..m.len().min(300)]);
        let _ = http::split_host_port(&text);
    }
}

fn feed_dns(m: &[u8], rng_bits: u64) {
    let _ = dns::looks_like_dns(m);
    if let Ok(msg) = dns::parse_message(m) {
        assert!(msg.answers.len() <= dns::MAX_ANSWERS + 2 * dns::MAX_ANSWERS && msg.queries.len() <= dns::MAX_QUERIES);
        for a in &msg.answers {
            let _ = dns::rdata_text(&a.data);
            let _ = dns::rrtype_name(a.rrtype);
        }
        let _ = dns::rcode_name(msg.rcode);
    }
    if !m.is_empty() {
        let _ = dns::read_name(m, (rng_bits as usize) % (m.len() + 4));
    }
    let (msgs, used) = dns::split_tcp_messages(m);
    assert!(used <= m.len() && msgs.len() <= dns::MAX_TCP_MESSAGES);
    for one in msgs {
        let _ = dns::parse_message(one);
    }
}

fn feed_ssh(m: &[u8]) {
    let _ = ssh::looks_like_ssh(m);
    if let ssh::Parse::Done(b) = ssh::parse_banner(m) {
        let _ = b.protocol_major();
    }
}

/// Every watch kind, both directions, the input cut into pieces at `bits`-chosen points (as
/// TCP segments would cut it); consumed bytes never exceed what was given.
fn feed_upgrade(m: &[u8], bits: u64) {
    let _ = rdp::probe(m, bits & 1 == 0);
    let _ = rdp::confirm_selects_tls(m);
    let _ = ldap::probe(m);
    if let Ok(Some(n)) = ldap::message_len(m) {
        assert!(n <= m.len());
        let _ = ldap::is_start_tls_request(&m[..n]);
        let _ = ldap::extended_response_ok(&m[..n]);
    }
    let _ = tls::starts_hello_record(m, bits & 2 == 0);
    for kind in [upgrade::Kind::Smtp, upgrade::Kind::Imap, upgrade::Kind::Pop3, upgrade::Kind::Ftp, upgrade::Kind::Pgsql, upgrade::Kind::Ldap, upgrade::Kind::Rdp] {
        let mut w = Watch::new(kind);
        // FTP lines also go to the command/reply pairing (app/ftp.rs), as the session does.
        let mut ctl = ftp::Control::default();
        let is_ftp = matches!(kind, upgrade::Kind::Ftp);
        let mut held: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut at = 0;
        let mut b = bits;
        while at < m.len() {
            let take = 1 + (b as usize % 97).min(m.len() - at - 1);
            let dir = ((b >> 7) & 1) as usize;
            b = b.rotate_left(9) ^ 0x9e37_79b9_7f4a_7c15;
            held[dir].extend_from_slice(&m[at..at + take]);
            at += take;
            let mut lines = 0usize;
            let (used, step) = w.feed(&held[dir], dir == 0, &mut |line| {
                lines += 1;
                if is_ftp {
                    let done = if dir == 0 { ctl.client_line(line) } else { ctl.server_line(line) };
                    if let Some(c) = done {
                        assert!(c.replies.len() <= ftp::MAX_REPLY_LINES && c.data.len() <= ftp::MAX_TEXT && c.replies.iter().all(|r| r.len() <= ftp::MAX_TEXT));
                    }
                }
            });
            assert!(used <= held[dir].len(), "{:?} consumed {} of {}", kind, used, held[dir].len());
            held[dir].drain(..used);
            if step != Step::Continue {
                break;
            }
        }
    }
}

fn feed_magic(m: &[u8]) {
    if let Some(t) = magic::file_type(m) {
        assert!(!t.is_empty());
    }
}

/// A protected QUIC v1 client Initial carrying `frames` (RFC 9001 section 5, as a client does).
fn protect_v1(dcid: &[u8], scid: &[u8], pn: u32, frames: &[u8]) -> Option<Vec<u8>> {
    let keys = quic::client_initial_keys(quic::VERSION_1, dcid).ok()?;
    let pn_len = 4usize;
    let mut packet = vec![0xc0 | (pn_len as u8 - 1)];
    packet.extend_from_slice(&quic::VERSION_1.to_be_bytes());
    packet.push(dcid.len() as u8);
    packet.extend_from_slice(dcid);
    packet.push(scid.len() as u8);
    packet.extend_from_slice(scid);
    packet.push(0); // token length
    let length = pn_len + frames.len() + 16;
    if length >= 0x4000 {
        return None;
    }
    packet.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    let pn_offset = packet.len();
    packet.extend_from_slice(&pn.to_be_bytes());
    let mut nonce = keys.iv;
    for (n, p) in nonce[4..].iter_mut().zip(u64::from(pn).to_be_bytes().iter()) {
        *n ^= p;
    }
    let mut body = frames.to_vec();
    let tag = Aes128Gcm::new(&keys.key).seal_in_place_detached(&nonce, &packet, &mut body);
    packet.extend_from_slice(&body);
    packet.extend_from_slice(&tag);
    let mut sample = [0u8; 16];
    sample.copy_from_slice(packet.get(pn_offset + 4..pn_offset + 20)?);
    let mask = Aes128::new(&keys.hp).encrypt(&sample);
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..pn_len {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    Some(packet)
}

fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend_from_slice(&(0x8000_0000u32 | offset as u32).to_be_bytes());
    f.extend_from_slice(&(0x4000u16 | (data.len() as u16 & 0x3fff)).to_be_bytes());
    f.extend_from_slice(data);
    f
}

fn feed_gquic(m: &[u8]) {
    let _ = gquic::looks_like_gquic_chlo(m);
    if let Ok(p) = gquic::parse_client_packet(m) {
        for v in [&p.chlo.sni, &p.chlo.user_agent].iter().copied().flatten() {
            assert!(v.len() <= 3 * gquic::MAX_TAG_VALUE, "gquic: tag value longer than its cap");
        }
    }
    // The same bytes as a bare handshake message (Q050 carries one in its CRYPTO stream).
    let _ = gquic::parse_chlo(m);
    if let Some(at) = m.windows(4).position(|w| w == b"CHLO") {
        let _ = gquic::parse_chlo(&m[at..]);
    }
}

fn feed_quic_datagram(m: &[u8], dcid: &[u8]) {
    let _ = quic::looks_like_quic_initial(m);
    let _ = quic::looks_like_quic_client_start(m);
    if let Ok(p) = quic::decrypt_client_initial_after(m, dcid) {
        if p.handshake == quic::HandshakeKind::GoogleChlo {
            let _ = gquic::parse_chlo(p.handshake_bytes());
        }
    }
    if let Ok(p) = quic::decrypt_client_initial(m) {
        assert!(p.handshake_bytes().len() <= quic::MAX_CRYPTO_BYTES);
        let hs = p.handshake_bytes();
        if hs.len() > 4 {
            if let Some(ch) = tls::client_hello_body(&hs[4..]) {
                check_ja4(&ja4::ja4(&ch, true), true);
            }
        }
    }
    let _ = quic::decrypt_server_initial(m, dcid);
}

/// Mutated ClientHello values straight into JA3/JA4 (GREASE, empty and huge lists, odd ALPN).
fn mutate_hello(rng: &mut Rng, base: &tls::ClientHello) -> tls::ClientHello {
    let mut ch = base.clone();
    let grease = |rng: &mut Rng| -> u16 {
        let b = (rng.below(16) as u16) << 4 | 0x0a;
        b << 8 | b
    };
    let list = |rng: &mut Rng, v: &mut Vec<u16>| match rng.below(6) {
        0 => v.clear(),
        1 => v.push(grease(rng)),
        2 => {
            let n = rng.below(300);
            *v = (0..n).map(|_| rng.next_u64() as u16).collect();
        }
        3 if !v.is_empty() => {
            let i = rng.below(v.len());
            v[i] = rng.next_u64() as u16;
        }
        4 => v.dedup(),
        _ => v.reverse(),
    };
    for _ in 0..rng.range(1, 4) {
        match rng.below(9) {
            0 => list(rng, &mut ch.cipher_suites),
            1 => list(rng, &mut ch.extensions),
            2 => list(rng, &mut ch.groups),
            3 => list(rng, &mut ch.sig_algs),
            4 => list(rng, &mut ch.versions),
            5 => {
                let n = rng.below(80);
                ch.ec_point_formats = (0..n).map(|_| rng.byte()).collect();
            }
            6 => {
                ch.sni = match rng.below(4) {
                    0 => None,
                    1 => Some(String::new()),
                    2 => Some("ü.例え.テスト".repeat(rng.range(1, 30))),
                    _ => Some((0..rng.below(300)).map(|_| char::from(rng.byte() & 0x7f)).collect()),
                }
            }
            7 => {
                let raw: Vec<u8> = (0..rng.below(6)).map(|_| rng.byte()).collect();
                ch.alpn = match rng.below(3) {
                    0 => Vec::new(),
                    1 => vec![String::new()],
                    _ => vec![String::from_utf8_lossy(&raw).to_string(), "h2".to_string()],
                };
                ch.alpn_first_raw = if rng.one_in(3) { None } else { Some(raw) };
            }
            _ => ch.legacy_version = rng.next_u64() as u16,
        }
    }
    ch
}

fn hello_bytes(ch: &tls::ClientHello) -> Vec<u8> {
    format!("{:?}", ch).into_bytes()
}

// ---- the tests ------------------------------------------------------------------------------

/// Mutate `budget()` inputs of one byte-input target from its seeds, feeding each to `feed`.
fn run_bytes(target: &str, salt: u64, pool: &[Vec<u8>], feed: &dyn Fn(&[u8], u64)) {
    quiet_panics();
    if pool.is_empty() {
        assert!(!have_corpus(), "{}: the corpus is present but gave no seeds", target);
        println!("{}: no seeds (corpus absent); skipped", target);
        return;
    }
    let seed = run_seed() ^ salt;
    let mut rng = Rng::new(seed);
    let n = budget();
    for s in pool {
        guarded(target, s, || feed(s, 0));
    }
    for _ in 0..n {
        let base = rng.pick(pool);
        let m = mutate(&mut rng, base, pool);
        let bits = rng.next_u64();
        guarded(target, &m, || feed(&m, bits));
    }
    println!("app mutation {}: {} mutated inputs from {} seeds, seed 0x{:016x} (run seed 0x{:016x}), 0 panics expected", target, n, pool.len(), seed, run_seed());
    assert_no_failures(target);
}

#[test]
fn mutate_tls() {
    let s = seeds();
    let mut pool = s.tls_client.clone();
    pool.extend(s.tls_server.iter().cloned());
    run_bytes("tls", 0x746c73, &pool, &|m, _| feed_tls(m));
}

#[test]
fn mutate_x509() {
    run_bytes("x509", 0x78353039, &seeds().certs, &|m, _| feed_x509(m));
}

#[test]
fn mutate_http() {
    let s = seeds();
    let mut pool = s.http_req.clone();
    pool.extend(s.http_resp.iter().cloned());
    run_bytes("http", 0x68747470, &pool, &|m, b| feed_http(m, b));
}

#[test]
fn mutate_dns() {
    let s = seeds();
    let mut pool = s.dns_msg.clone();
    pool.extend(s.dns_tcp.iter().cloned());
    run_bytes("dns", 0x646e73, &pool, &|m, b| feed_dns(m, b));
}

#[test]
fn mutate_ssh() {
    run_bytes("ssh", 0x737368, &seeds().ssh, &|m, _| feed_ssh(m));
}

/// Google QUIC cleartext CHLOs (Q035/Q039/Q046 corpus packets and a built-in Q046 one):
/// public and long headers, STREAM frame layouts and the CHLO tag table.
#[test]
fn mutate_gquic() {
    run_bytes("gquic", 0x67717569, &seeds().gquic, &|m, _| feed_gquic(m));
}

#[test]
fn mutate_upgrade() {
    run_bytes("upgrade", 0x7570677264, &seeds().upgrade, &|m, b| feed_upgrade(m, b));
}

#[test]
fn mutate_magic() {
    run_bytes("magic", 0x6d61676963, &seeds().uploads, &|m, _| feed_magic(m));
}

/// QUIC: half the inputs are mutated datagrams (header parsing, key derivation, failed
/// authentication), half are corpus ClientHellos (from the datagrams we can decrypt) whose
/// mutated CRYPTO frames are protected with valid keys, so the mutation reaches the frame
/// parser, the reassembly and the hello parser; a few also split the hello over out-of-order
/// CRYPTO frames.
#[test]
fn mutate_quic() {
    quiet_panics();
    let s = seeds();
    if s.quic.is_empty() {
        assert!(!have_corpus(), "quic: the corpus is present but gave no seeds");
        return;
    }
    let mut hellos: Vec<Vec<u8>> = Vec::new();
    for d in &s.quic {
        if let Ok(p) = quic::decrypt_client_initial(d) {
            if p.handshake_bytes().len() > 4 && hellos.len() < SEEDS_PER_KIND {
                hellos.push(p.handshake_bytes().to_vec());
            }
        }
    }
    assert!(!hellos.is_empty(), "quic: no corpus Initial decrypted (the decryption path is broken)");
    let seed = run_seed() ^ 0x71756963;
    let mut rng = Rng::new(seed);
    let n = budget();
    let dcid = [0x83u8, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    let mut decrypted = 0usize;
    for i in 0..n {
        if i % 2 == 0 {
            let base = rng.pick(&s.quic);
            let m = mutate(&mut rng, base, &s.quic);
            guarded("quic", &m, || feed_quic_datagram(&m, &dcid));
        } else {
            let hello = rng.pick(&hellos);
            let mutated_hello = if rng.one_in(2) { mutate(&mut rng, hello, &hellos) } else { hello.clone() };
            let mut frames = Vec::new();
            if rng.one_in(3) && mutated_hello.len() > 2 {
                let cut = rng.range(1, mutated_hello.len() - 1);
                frames.extend(crypto_frame(cut as u64, &mutated_hello[cut..]));
                frames.extend(crypto_frame(0, &mutated_hello[..cut]));
            } else {
                frames.extend(crypto_frame(0, &mutated_hello));
            }
            if rng.one_in(2) {
                frames = mutate(&mut rng, &frames, &[]);
            }
            frames.resize(frames.len().max(1100).min(0x3f00), 0);
            frames.truncate(0x3f00);
            let cid_len = rng.range(1, 20);
            let cid: Vec<u8> = (0..cid_len).map(|_| rng.byte()).collect();
            if let Some(p) = protect_v1(&cid, &dcid[..4], rng.next_u64() as u32 & 0xffff, &frames) {
                if quic::decrypt_client_initial(&p).is_ok() {
                    decrypted += 1;
                }
                guarded("quic", &p, || feed_quic_datagram(&p, &cid));
            }
        }
    }
    // Standalone reassembly: random CRYPTO offsets and lengths.
    for _ in 0..n / 10 {
        let mut cs = quic::CryptoStream::new();
        let hello = rng.pick(&hellos).clone();
        let input = hello.clone();
        guarded("quic", &input, || {
            for _ in 0..8 {
                let off = if rng.one_in(8) { rng.next_u64() } else { rng.below(hello.len() + 64) as u64 };
                let from = rng.below(hello.len());
                let to = rng.range(from, hello.len());
                cs.insert(off, &hello[from..to]);
                assert!(cs.contiguous().len() <= quic::MAX_CRYPTO_BYTES);
                let _ = cs.first_message_complete();
                let _ = cs.has_gaps();
            }
        });
    }
    println!("app mutation quic: {} mutated inputs (+{} reassembly runs) from {} datagrams / {} hellos, {} re-protected ones decrypted, seed 0x{:016x}", n, n / 10, s.quic.len(), hellos.len(), decrypted, seed);
    // Re-protected packets must mostly decrypt, or the plaintext mutations test nothing.
    assert!(decrypted * 4 >= n / 2, "quic: only {} of {} re-protected packets decrypted", decrypted, n / 2);
    assert_no_failures("quic");
}

/// JA3/JA4 builders on mutated hello values (not only what the parser can produce).
#[test]
fn mutate_ja3_ja4() {
    quiet_panics();
    let s = seeds();
    let mut bases = s.hellos.clone();
    bases.push(tls::ClientHello::default());
    let seed = run_seed() ^ 0x6a6134;
    let mut rng = Rng::new(seed);
    let n = budget();
    for _ in 0..n {
        let base = rng.pick(&bases).clone();
        let ch = mutate_hello(&mut rng, &base);
        let input = hello_bytes(&ch);
        let quic_mode = rng.one_in(2);
        guarded("ja3ja4", &input, || {
            check_ja3(&ja3::ja3(&ch), 5);
            check_ja4(&ja4::ja4(&ch, quic_mode), quic_mode);
        });
        let mut sh = if s.server_hellos.is_empty() { tls::ServerHello::default() } else { rng.pick(&s.server_hellos).clone() };
        sh.cipher = rng.next_u64() as u16;
        if rng.one_in(2) {
            sh.extensions = (0..rng.below(100)).map(|_| rng.next_u64() as u16).collect();
        }
        sh.selected_version = if rng.one_in(2) { Some(rng.next_u64() as u16) } else { None };
        sh.legacy_version = rng.next_u64() as u16;
        let input = format!("{:?}", sh).into_bytes();
        guarded("ja3ja4", &input, || {
            check_ja3(&ja3::ja3s(&sh), 3);
            let _ = tls::version_name(sh.version());
        });
    }
    println!("app mutation ja3ja4: {} mutated hellos and server hellos from {} bases, seed 0x{:016x}", n, bases.len(), seed);
    assert_no_failures("ja3ja4");
}

/// Every saved app-layer input, fed to the parser it was found with (all of them for the
/// struct-level ja3ja4 target, whose saved file is the value's debug text).
#[test]
fn replay_app_regressions() {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(REGRESSIONS)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.file_name().map_or(false, |n| n.to_string_lossy().starts_with("app-")) && p.extension().map_or(false, |x| x == "bin"));
    files.sort();
    let dcid = [0x83u8, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    for path in &files {
        let data = std::fs::read(path).expect("read regression file");
        feed_tls(&data);
        feed_x509(&data);
        feed_http(&data, data.len() as u64);
        feed_dns(&data, data.len() as u64);
        feed_ssh(&data);
        feed_magic(&data);
        feed_upgrade(&data, data.len() as u64);
        feed_quic_datagram(&data, &dcid);
    }
    // The replay works at all: a known-good hello parses and fingerprints.
    feed_ssh(b"SSH-2.0-x\r\n");
    println!("replay_app_regressions: {} files replayed", files.len());
}
