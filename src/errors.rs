//! Rendering an error with its causes on one line (`outer: cause: root cause`), for the places that
//! show an error as text (a log field, a failed source in the report, `check`'s lines) rather than
//! through the top-level `{:#}`.
//!
//! Never adds anything to the messages: secrets are kept out of errors where they are made.

use std::error::Error;

/// `error: its source: that source's source: …`.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let next = c.to_string();
        // Some libraries repeat their cause in their own message; say each part once.
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("store x: open")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_is_joined_once() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(chain(&e), "store x: open: disk full");
    }
}
