//! The one escaping function for every human-readable output (the terminal summary, `developers
//! list`, `check`, `resolve --explain`, error messages that quote source data): control characters
//! — C0 (CR, LF, tab, ESC…), DEL, C1 (`\u{9b}` is a one-byte CSI) — and the Unicode bidirectional
//! overrides are rendered visibly (`\x1b`, `\n`, `\u{202e}`), so a name or an error body from a
//! source can neither drive the terminal (`\x1b[2J`, `\x1b]0;…\x07`) nor forge a line.
//!
//! Never changes text that has nothing to escape (it is borrowed back), and never touches
//! machine-readable outputs (JSON, CSV, `.mailmap`), which have their own quoting.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character and bidi override rendered visibly.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`visible`] for text made of lines: each line escaped, the line breaks between them kept (an
/// error message whose lines are ours, quoting data that may hold anything).
pub fn visible_lines(text: &str) -> String {
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(visible).collect();
    lines.join("\n")
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The characters that reorder the text after them (Trojan Source, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 && needs_escape(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_line_breaks_are_shown_not_obeyed() {
        let cases = [
            ("Ada\x1b[2JLovelace", "Ada\\x1b[2JLovelace"),
            ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
            (
                "Bob\r\n  remove  ceo@acme.example",
                "Bob\\r\\n  remove  ceo@acme.example",
            ),
            ("tab\there", "tab\\there"),
            ("csi\u{9b}31m", "csi\\u{9b}31m"),
            ("del\x7f", "del\\x7f"),
            ("evil\u{202e}gnp.exe", "evil\\u{202e}gnp.exe"),
        ];
        for (raw, shown) in cases {
            assert_eq!(visible(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in ["Zoë Çelik <zoe@acme.example>", "渡辺 健", ""] {
            assert!(matches!(visible(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_their_escapes() {
        assert_eq!(
            visible_lines("a.csv:2: bad\x1b[31m\na.csv:3: ok\r"),
            "a.csv:2: bad\\x1b[31m\na.csv:3: ok\\r"
        );
    }
}
