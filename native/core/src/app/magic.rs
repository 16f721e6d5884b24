//! File type from the first bytes of an upload (a cleartext client-to-server payload, or an
//! HTTP request body start: the caller passes the body's first bytes).
//!
//! Signatures (offset: bytes -> label):
//! - 0: `50 4B 03 04` (local file header), `50 4B 05 06` (empty archive), `50 4B 07 08`
//!   (spanned) -> `zip`; OOXML refinement from the first local file name (offset 30, length at
//!   26 LE): `word/` -> `docx`, `xl/` -> `xlsx`, `ppt/` -> `pptx`; when it is
//!   `[Content_Types].xml` or `_rels/...` the rest of the given bytes (first 64 KiB) is searched
//!   for a later local header naming `word/`, `xl/` or `ppt/`, else `ooxml`.
//! - 0: `1F 8B 08` -> `gzip` (RFC 1952, deflate method).
//! - 0: `37 7A BC AF 27 1C` -> `7z`.
//! - 0: `52 61 72 21 1A 07 00` (RAR 1.5-4.x) or `52 61 72 21 1A 07 01 00` (RAR 5) -> `rar`.
//! - 0: `FD 37 7A 58 5A 00` -> `xz`.
//! - 0: `42 5A 68` + `'1'..='9'` -> `bzip2`.
//! - 0: `28 B5 2F FD` -> `zstd` (RFC 8878 frame magic).
//! - 257: `ustar\0` (POSIX) or `ustar  \0` (GNU) -> `tar`.
//! - 0: `%PDF-` -> `pdf`.
//! - 0: `SQLite format 3\0` -> `sqlite`.
//! - 0: `D0 CF 11 E0 A1 B1 1A E1` -> `ole2` (legacy doc/xls/ppt, msi).
//! - 0: `89 50 4E 47 0D 0A 1A 0A` -> `png`.
//! - 0: `FF D8 FF` -> `jpeg`.
//! - 0: `GIF87a` / `GIF89a` -> `gif`.
//! - 0: `7F 45 4C 46` -> `elf`.
//! - 0: `4D 5A` (MZ) with at least 64 bytes, `e_lfanew` (u32 LE at 0x3C) in 64..=4096, and
//!   `PE\0\0` there when those bytes are present -> `pe`.
//! - 0: `-----BEGIN PGP ` (ASCII armor, RFC 4880 6.2) -> `pgp`.
//! - 0: binary OpenPGP: old-format tag 1 (PKESK) `84 len 03` / `85 len len 03`, or tag 3
//!   (SKESK) `8C len 04`, or new-format `C1`/`C3` with a one-byte length and version 3/4/5/6
//!   -> `gpg`.

const SCAN: usize = 64 * 1024;

fn ooxml_from_name(name: &[u8]) -> Option<&'static str> {
    if name.starts_with(b"word/") {
        Some("docx")
    } else if name.starts_with(b"xl/") {
        Some("xlsx")
    } else if name.starts_with(b"ppt/") {
        Some("pptx")
    } else {
        None
    }
}

fn zip_kind(first: &[u8]) -> &'static str {
    let name_len = match first.get(26..28) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]) as usize,
        None => return "zip",
    };
    let name = match first.get(30..30 + name_len) {
        Some(n) => n,
        None => return "zip",
    };
    if let Some(k) = ooxml_from_name(name) {
        return k;
    }
    if name == b"[Content_Types].xml"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"docProps/")
    {
        // Later local headers: "PK\x03\x04" then the name at +30.
        let hay = &first[..first.len().min(SCAN)];
        let mut i = 30 + name_len;
        while i + 30 <= hay.len() {
            if hay[i..].starts_with(b"PK\x03\x04") {
                let nl = u16::from_le_bytes([hay[i + 26], hay[i + 27]]) as usize;
                if let Some(n) = hay.get(i + 30..i + 30 + nl) {
                    if let Some(k) = ooxml_from_name(n) {
                        return k;
                    }
                }
            }
            i += 1;
        }
        return "ooxml";
    }
    "zip"
}

fn is_pe(first: &[u8]) -> bool {
    let lfanew = match first.get(0x3C..0x40) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
        None => return false,
    };
    if !(64..=4096).contains(&lfanew) {
        return false;
    }
    match first.get(lfanew..lfanew + 4) {
        Some(sig) => sig == b"PE\0\0",
        None => true,
    }
}

fn is_gpg(first: &[u8]) -> bool {
    let b = |i: usize| first.get(i).copied();
    match b(0) {
        Some(0x84) => b(2) == Some(3),
        Some(0x85) => b(3) == Some(3),
        Some(0x8C) => b(2) == Some(4) && matches!(b(1), Some(l) if (4..=64).contains(&l)),
        Some(0xC1) | Some(0xC3) => {
            matches!(b(1), Some(l) if (4..192).contains(&l)) && matches!(b(2), Some(3..=6))
        }
        _ => false,
    }
}

/// The file type of an upload from its first bytes, or None when no signature matches.
pub fn file_type(first: &[u8]) -> Option<&'static str> {
    let s = |m: &[u8]| first.starts_with(m);
    if s(b"PK\x03\x04") {
        return Some(zip_kind(first));
    }
    if s(b"PK\x05\x06") || s(b"PK\x07\x08") {
        return Some("zip");
    }
    let t = if s(b"\x1F\x8B\x08") {
        "gzip"
    } else if s(b"7z\xBC\xAF\x27\x1C") {
        "7z"
    } else if s(b"Rar!\x1A\x07\x00") || s(b"Rar!\x1A\x07\x01\x00") {
        "rar"
    } else if s(b"\xFD7zXZ\x00") {
        "xz"
    } else if s(b"BZh") && matches!(first.get(3), Some(b'1'..=b'9')) {
        "bzip2"
    } else if s(b"\x28\xB5\x2F\xFD") {
        "zstd"
    } else if s(b"%PDF-") {
        "pdf"
    } else if s(b"SQLite format 3\0") {
        "sqlite"
    } else if s(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        "ole2"
    } else if s(b"\x89PNG\r\n\x1A\n") {
        "png"
    } else if s(b"\xFF\xD8\xFF") {
        "jpeg"
    } else if s(b"GIF87a") || s(b"GIF89a") {
        "gif"
    } else if s(b"\x7FELF") {
        "elf"
    } else if s(b"MZ") && is_pe(first) {
        "pe"
    } else if s(b"-----BEGIN PGP ") {
        "pgp"
    } else if matches!(first.get(257..263), Some(b"ustar\0"))
        || matches!(first.get(257..265), Some(b"ustar  \0"))
    {
        "tar"
    } else if is_gpg(first) {
        "gpg"
    } else {
        return None;
    };
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_entry(name: &str) -> Vec<u8> {
        let mut v = b"PK\x03\x04".to_vec();
        v.extend_from_slice(&[20, 0, 0, 0, 8, 0]); // version, flags, method
        v.extend_from_slice(&[0; 16]); // time, date, crc, sizes
        v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(name.as_bytes());
        v.extend_from_slice(b"compressed data..");
        v
    }

    #[test]
    fn zip_and_ooxml() {
        assert_eq!(file_type(&zip_entry("a.txt")), Some("zip"));
        assert_eq!(file_type(&zip_entry("word/document.xml")), Some("docx"));
        assert_eq!(file_type(&zip_entry("xl/workbook.xml")), Some("xlsx"));
        assert_eq!(file_type(&zip_entry("ppt/presentation.xml")), Some("pptx"));
        let mut d = zip_entry("[Content_Types].xml");
        assert_eq!(file_type(&d), Some("ooxml"));
        d.extend(zip_entry("_rels/.rels"));
        d.extend(zip_entry("xl/workbook.xml"));
        assert_eq!(file_type(&d), Some("xlsx"));
        assert_eq!(file_type(b"PK\x03\x04short"), Some("zip"));
        let mut bad = zip_entry("x");
        bad[26] = 0xFF;
        assert_eq!(file_type(&bad), Some("zip"));
        assert_eq!(file_type(b"PK\x05\x06"), Some("zip"));
        assert_eq!(file_type(b"PK\x07\x08"), Some("zip"));
    }

    #[test]
    fn simple_signatures() {
        let cases: [(&[u8], &str); 17] = [
            (b"\x1F\x8B\x08\x00", "gzip"),
            (b"7z\xBC\xAF\x27\x1C\x00\x04", "7z"),
            (b"Rar!\x1A\x07\x00", "rar"),
            (b"Rar!\x1A\x07\x01\x00", "rar"),
            (b"\xFD7zXZ\x00\x00", "xz"),
            (b"BZh91AY&SY", "bzip2"),
            (b"\x28\xB5\x2F\xFD\x24", "zstd"),
            (b"%PDF-1.7\n", "pdf"),
            (b"SQLite format 3\0\x10\x00", "sqlite"),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", "ole2"),
            (b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR", "png"),
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", "jpeg"),
            (b"GIF89a\x01\x00", "gif"),
            (b"GIF87a", "gif"),
            (b"\x7FELF\x02\x01\x01", "elf"),
            (b"-----BEGIN PGP MESSAGE-----\n", "pgp"),
            (b"\x85\x01\x0C\x03\x00", "gpg"),
        ];
        for (b, want) in cases.iter() {
            assert_eq!(file_type(b), Some(*want), "{:?}", b);
        }
        assert_eq!(file_type(b"\x8C\x0D\x04\x09\x03\x08"), Some("gpg"));
        assert_eq!(file_type(b"\x84\x8C\x03"), Some("gpg"));
        assert_eq!(file_type(b"\xC1\x5E\x03"), Some("gpg"));
    }

    #[test]
    fn tar_and_pe() {
        let mut t = vec![0u8; 512];
        t[..5].copy_from_slice(b"a.txt");
        t[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(file_type(&t), Some("tar"));
        t[257..265].copy_from_slice(b"ustar  \0");
        assert_eq!(file_type(&t), Some("tar"));
        let mut pe = vec![0u8; 256];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3C] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(file_type(&pe), Some("pe"));
        // PE header not yet in the bytes: still pe.
        assert_eq!(file_type(&pe[..100]), Some("pe"));
        pe[0x80] = b'X';
        assert_eq!(file_type(&pe), None);
        pe[0x3C] = 0x10; // e_lfanew inside the DOS header
        assert_eq!(file_type(&pe), None);
        assert_eq!(file_type(b"MZ is a text"), None);
    }

    #[test]
    fn negatives() {
        assert_eq!(file_type(b""), None);
        assert_eq!(file_type(b"hello world"), None);
        assert_eq!(file_type(b"BZh0"), None);
        assert_eq!(file_type(b"BZh"), None);
        assert_eq!(file_type(b"\x1F\x8B"), None);
        assert_eq!(file_type(b"{\"json\": 1}"), None);
        assert_eq!(file_type(b"\x84\x10\x02"), None);
        assert_eq!(file_type(b"\x8C\x0D\x05"), None);
    }

    #[test]
    fn mutation_no_panic() {
        let mut d = zip_entry("[Content_Types].xml");
        d.extend(zip_entry("word/x"));
        let mut pe = vec![0u8; 128];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3C] = 0x40;
        let mut t = vec![0u8; 300];
        t[257..263].copy_from_slice(b"ustar\0");
        let seeds = [d, pe, t, b"\xC1\x10\x03".to_vec()];
        let mut r = crate::app::dns::tests::XorShift(0xDEAD_BEEF_1234_5678);
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].clone();
            for _ in 0..1 + r.next() % 4 {
                if b.is_empty() {
                    break;
                }
                let k = (r.next() as usize) % b.len();
                match r.next() % 3 {
                    0 => b[k] = r.next() as u8,
                    1 => b.truncate(k),
                    _ => b[k] = 0xFF,
                }
            }
            let _ = file_type(&b);
        }
    }
}
