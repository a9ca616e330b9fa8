//! Scrubbing secrets out of what servers send back: every form a secret takes on the wire — the
//! raw value (and so every header value that carries it: `Bearer …`, `SSWS …`), base64 (of the
//! token and of Basic's `user:token`, standard and URL-safe, padded or not), URL-encoded (form and
//! percent encoding, upper- and lowercase hex: `~` in an Azure client secret becomes `%7E`) and
//! JSON-escaped (`\/`, `\uXXXX`) — is replaced by `***`.
//!
//! The client scrubs every response body and header value it reads before anything else sees
//! them, so an echoing server cannot put a secret into an identity, an error, a log line, a report
//! or the store. Never shortens text before scrubbing it (a secret cut in half is still half a
//! secret), and never scrubs values shorter than [`MIN_SECRET_LEN`], which would mangle ordinary
//! text and are no credential anyway.

use std::borrow::Cow;

use regex::bytes::{Regex, RegexBuilder};

use super::auth::base64_encode;

/// Values shorter than this are not scrubbed: no real token is this short, and scrubbing `t`
/// would rewrite every word.
pub const MIN_SECRET_LEN: usize = 6;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Finds and masks the wire forms of a set of secrets.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// The forms as one alternation, longest first; None when there is nothing to scrub.
    pattern: Option<Regex>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scrubber(***)")
    }
}

impl Scrubber {
    /// A scrubber for these secret values (tokens, client secrets, Basic's `user:token`).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Scrubber {
        let mut forms: Vec<String> = secrets
            .into_iter()
            .flat_map(wire_forms)
            .filter(|f| f.len() >= MIN_SECRET_LEN)
            .collect();
        // Longest first: the alternation is leftmost-first, so `Basic xyz==` wins over `xyz`.
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        if forms.is_empty() {
            return Scrubber::default();
        }
        let alternation: Vec<String> = forms.iter().map(|f| regex::escape(f)).collect();
        // The pattern is an alternation of escaped literals: it always compiles unless it is
        // over the size limit, and then scrubbing falls back to the plain replacements below.
        let pattern = RegexBuilder::new(&alternation.join("|"))
            .size_limit(64 << 20)
            .build()
            .ok();
        Scrubber { pattern }
    }

    /// Whether `bytes` hold any form of a secret.
    pub fn finds(&self, bytes: &[u8]) -> bool {
        self.pattern.as_ref().is_some_and(|p| p.is_match(bytes))
    }

    /// `bytes` with every form of every secret replaced by `***`.
    pub fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.pattern {
            Some(p) => p.replace_all(bytes, MASK.as_bytes()),
            None => Cow::Borrowed(bytes),
        }
    }

    /// `text` with every form of every secret replaced by `***`.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // A mask replaces whole literals that are valid UTF-8 inside valid UTF-8; should a
            // form end inside a character, the lossy conversion still keeps the secret out.
            Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
        }
    }
}

/// The forms one secret takes in requests and in what servers echo of them.
pub fn wire_forms(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let b64 = base64_encode(secret.as_bytes());
    let b64_url: String = b64
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    vec![
        secret.to_string(),
        b64.trim_end_matches('=').to_string(),
        b64_url.trim_end_matches('=').to_string(),
        b64,
        b64_url,
        lowercase_escapes(&form),
        form,
        percent_encoded(secret, false),
        percent_encoded(secret, true),
        json.replace('/', "\\/"),
        json_ascii(secret),
        json,
    ]
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn percent_encoded(secret: &str, lowercase: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 3);
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else if lowercase {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%7E` → `%7e`: some servers lowercase the hex digits of what they echo.
fn lowercase_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if c == '%' {
            hex_left = 2;
            out.push(c);
        } else if hex_left > 0 {
            hex_left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// JSON string content with everything outside printable ASCII as `\uXXXX` (Python's default).
fn json_ascii(secret: &str) -> String {
    let mut out = String::new();
    for c in secret.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Q8~abc/def+ghi";

    #[test]
    fn every_wire_form_is_masked() {
        let s = Scrubber::new([SECRET, "bot@acme.example:Q8~abc/def+ghi"]);
        let basic = base64_encode(b"bot@acme.example:Q8~abc/def+ghi");
        let echoed = [
            format!("Authorization: Bearer {SECRET}"),
            format!(
                "client_secret={}",
                url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>()
            ),
            "client_secret=Q8%7eabc%2fdef%2bghi".to_string(),
            "Q8~abc%2Fdef%2Bghi".to_string(),
            format!("Authorization: Basic {basic}"),
            format!("{{\"secret\": {}}}", serde_json::to_string(SECRET).unwrap()),
            "{\"secret\": \"Q8~abc\\/def+ghi\"}".to_string(),
            format!(
                "token={}",
                base64_encode(SECRET.as_bytes()).trim_end_matches('=')
            ),
        ];
        for text in &echoed {
            let out = s.text(text);
            assert!(out.contains(MASK), "{text} -> {out}");
            assert!(!out.contains("abc"), "{text} -> {out}");
            assert!(!out.contains(&basic), "{text} -> {out}");
            assert!(s.finds(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn the_whole_text_is_scrubbed_not_a_prefix() {
        let s = Scrubber::new([SECRET]);
        let long = format!("{}{SECRET} and again {SECRET}", "x".repeat(5_000));
        let out = s.text(&long);
        assert!(!out.contains(SECRET) && out.matches(MASK).count() == 2);
    }

    #[test]
    fn short_and_empty_secrets_leave_text_alone() {
        let s = Scrubber::new(["t", "", "abc"]);
        assert_eq!(s.text("status: active"), "status: active");
        assert!(!s.finds(b"t abc"));
        assert!(matches!(Scrubber::default().bytes(b"x"), Cow::Borrowed(_)));
    }

    #[test]
    fn non_ascii_secrets_are_masked_in_json_escapes_too() {
        let s = Scrubber::new(["pässwörd-1"]);
        let out = s.text("{\"v\": \"p\\u00e4ssw\\u00f6rd-1\"} p%C3%A4ssw%C3%B6rd-1");
        assert_eq!(out, "{\"v\": \"***\"} ***");
    }
}
