//! A tiny bounded JSON writer for evidence bodies: objects, arrays, strings (escaped, each cut
//! to [`MAX_STR`] bytes at a character boundary), unsigned integers and booleans. Callers ask
//! [`Json::has_room`] before adding list elements; [`Json::finish`] refuses (returns a stub
//! with `"truncated":true`) anything over [`MAX_BODY`], so a body always fits a record.

/// Longest string value kept, in bytes.
pub const MAX_STR: usize = 1024;
/// Soft budget: list writers stop adding elements past it (and set `truncated`).
pub const SOFT_BODY: usize = 12 * 1024;
/// Hard cap on a finished body (the record's length field is u16).
pub const MAX_BODY: usize = 32 * 1024;
const MAX_DEPTH: usize = 8;

pub struct Json {
    buf: String,
    /// Per open container: whether an element was written (a comma is due before the next).
    comma: [bool; MAX_DEPTH],
    depth: usize,
    pub truncated: bool,
}

impl Default for Json {
    fn default() -> Self {
        Json::new()
    }
}

impl Json {
    /// A writer with the outer object already open.
    pub fn new() -> Json {
        let mut j = Json { buf: String::with_capacity(256), comma: [false; MAX_DEPTH], depth: 0, truncated: false };
        j.buf.push('{');
        j.depth = 1;
        j
    }

    pub fn has_room(&mut self) -> bool {
        if self.buf.len() < SOFT_BODY {
            true
        } else {
            self.truncated = true;
            false
        }
    }

    fn sep(&mut self) {
        let d = self.depth.saturating_sub(1).min(MAX_DEPTH - 1);
        if self.comma[d] {
            self.buf.push(',');
        }
        self.comma[d] = true;
    }

    fn key(&mut self, k: Option<&str>) {
        self.sep();
        if let Some(k) = k {
            escape_into(&mut self.buf, k);
            self.buf.push(':');
        }
    }

    fn open(&mut self, k: Option<&str>, c: char) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        self.key(k);
        self.buf.push(c);
        self.comma[self.depth] = false;
        self.depth += 1;
        true
    }

    /// Open an object (`k` = None inside an array).
    pub fn obj(&mut self, k: Option<&str>) -> bool {
        self.open(k, '{')
    }

    pub fn arr(&mut self, k: Option<&str>) -> bool {
        self.open(k, '[')
    }

    pub fn end_obj(&mut self) {
        if self.depth > 1 {
            self.depth -= 1;
            self.buf.push('}');
        }
    }

    pub fn end_arr(&mut self) {
        if self.depth > 1 {
            self.depth -= 1;
            self.buf.push(']');
        }
    }

    pub fn str(&mut self, k: Option<&str>, v: &str) {
        self.key(k);
        escape_into(&mut self.buf, cut(v, MAX_STR));
    }

    pub fn opt_str(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(Some(k), v);
        }
    }

    pub fn uint(&mut self, k: Option<&str>, v: u64) {
        self.key(k);
        // Digits on the stack: no allocation per number.
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.buf.push(d as char);
        }
    }

    pub fn boolean(&mut self, k: &str, v: bool) {
        self.key(Some(k));
        self.buf.push_str(if v { "true" } else { "false" });
    }

    /// Close every open container and return the body (bounded by [`MAX_BODY`]).
    pub fn finish(mut self) -> String {
        while self.depth > 1 {
            // Containers left open by a caller: close them in order (arrays and objects are
            // told apart by what opened them).
            self.depth -= 1;
            let last_open = last_unclosed(&self.buf);
            self.buf.push(if last_open == '[' { ']' } else { '}' });
        }
        if self.truncated {
            self.boolean("truncated", true);
        }
        self.buf.push('}');
        if self.buf.len() > MAX_BODY {
            return "{\"truncated\":true}".to_string();
        }
        self.buf
    }
}

/// The innermost container opener not yet closed (string contents skipped).
fn last_unclosed(s: &str) -> char {
    let mut stack: Vec<char> = Vec::new();
    let mut in_str = false;
    let mut esc = false;
    for c in s.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => stack.push(c),
            '}' | ']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.last().copied().unwrap_or('{')
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Append `s` as a JSON string literal.
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    // Every byte that needs escaping is ASCII, so runs between them are whole characters:
    // copy the runs at once, escape the rest.
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push_str(esc);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_escaped() {
        let mut j = Json::new();
        j.str(Some("sni"), "a\"b\\c\n\u{1}é");
        j.obj(Some("ja3"));
        j.str(Some("hash"), "x");
        j.end_obj();
        j.arr(Some("q"));
        j.obj(None);
        j.uint(Some("n"), 5);
        j.end_obj();
        j.str(None, "s");
        j.end_arr();
        j.boolean("rd", true);
        assert_eq!(j.finish(), r#"{"sni":"a\"b\\c\n\u0001é","ja3":{"hash":"x"},"q":[{"n":5},"s"],"rd":true}"#);
    }

    #[test]
    fn numbers_and_control_characters() {
        let mut j = Json::new();
        for v in [0u64, 7, 10, 1234567890, u64::MAX] {
            j.uint(None, v);
        }
        j.str(Some("c"), "\u{0}\u{1f}\u{7f}x\u{80}\"");
        assert_eq!(j.finish(), format!("{{0,7,10,1234567890,{},\"c\":\"\\u0000\\u001f\\u007fx\u{80}\\\"\"}}", u64::MAX));
    }

    #[test]
    fn unclosed_containers_are_closed_and_caps_hold() {
        let mut j = Json::new();
        j.arr(Some("a"));
        j.obj(None);
        j.str(Some("k"), "v}]");
        assert_eq!(j.finish(), r#"{"a":[{"k":"v}]"}]}"#);
        let long = "é".repeat(2000);
        let mut j = Json::new();
        j.str(Some("x"), &long);
        let out = j.finish();
        assert!(out.len() <= MAX_STR + 16);
        let mut j = Json::new();
        j.arr(Some("many"));
        let mut n = 0;
        while j.has_room() {
            j.str(None, &long);
            n += 1;
        }
        j.end_arr();
        assert!(n > 5);
        let out = j.finish();
        assert!(out.len() <= MAX_BODY && out.ends_with("\"truncated\":true}"), "{}", &out[out.len() - 40..]);
    }
}
