//! How a source authenticates: the schemes (Bearer, SSWS, PRIVATE-TOKEN, Basic, Harness's ApiKey
//! and x-api-key), the
//! header each one sends, and the secret values each one holds so that echoed text can be
//! scrubbed of them.
//!
//! Never shows a secret: Debug names the scheme only, the header value is marked sensitive, and an
//! invalid token is reported without its value.

use std::fmt;

use reqwest::header::{self, HeaderName, HeaderValue};

use crate::sources::Secret;

/// How a source authenticates. Debug shows the scheme only.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`
    Bearer(Secret),
    /// `Authorization: SSWS <token>` (Okta)
    Ssws(Secret),
    /// `PRIVATE-TOKEN: <token>` (GitLab)
    PrivateToken(Secret),
    /// `Authorization: Basic base64(user:token)` (Jira)
    Basic { user: String, token: Secret },
    /// `Authorization: ApiKey <token>` (Harness: current SEI keys)
    ApiKey(Secret),
    /// `x-api-key: <token>` (Harness: older keys, the platform API)
    XApiKey(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(***)",
            Auth::Ssws(_) => "Ssws(***)",
            Auth::PrivateToken(_) => "PrivateToken(***)",
            Auth::Basic { .. } => "Basic(***)",
            Auth::ApiKey(_) => "ApiKey(***)",
            Auth::XApiKey(_) => "XApiKey(***)",
        };
        f.write_str(scheme)
    }
}

impl Auth {
    /// The header this scheme sends, marked sensitive.
    pub(super) fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>, String> {
        let (name, value) = match self {
            Auth::None => return Ok(None),
            Auth::Bearer(t) => (header::AUTHORIZATION, format!("Bearer {}", t.expose())),
            Auth::Ssws(t) => (header::AUTHORIZATION, format!("SSWS {}", t.expose())),
            Auth::PrivateToken(t) => (
                HeaderName::from_static("private-token"),
                t.expose().to_string(),
            ),
            Auth::Basic { user, token } => (
                header::AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64_encode(format!("{user}:{}", token.expose()).as_bytes())
                ),
            ),
            Auth::ApiKey(t) => (header::AUTHORIZATION, format!("ApiKey {}", t.expose())),
            Auth::XApiKey(t) => (HeaderName::from_static("x-api-key"), t.expose().to_string()),
        };
        // The message deliberately does not include the value.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            "the token contains characters not allowed in an HTTP header".to_string()
        })?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }

    /// The secret values this scheme carries, to scrub from anything a server sends back: the
    /// token, and for Basic also `user:token`, whose base64 is the header value.
    pub(super) fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => Vec::new(),
            Auth::Bearer(t)
            | Auth::Ssws(t)
            | Auth::PrivateToken(t)
            | Auth::ApiKey(t)
            | Auth::XApiKey(t) => {
                vec![t.expose().to_string()]
            }
            Auth::Basic { user, token } => vec![
                token.expose().to_string(),
                format!("{user}:{}", token.expose()),
            ],
        }
    }
}

/// Standard base64 (RFC 4648, with padding); small enough not to need a crate.
pub fn base64_encode(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn harness_schemes_send_their_documented_headers() {
        let (name, value) = Auth::ApiKey(Secret::new("pat.k"))
            .header()
            .unwrap()
            .unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("authorization", "ApiKey pat.k")
        );
        assert!(value.is_sensitive());
        let (name, value) = Auth::XApiKey(Secret::new("pat.k"))
            .header()
            .unwrap()
            .unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-api-key", "pat.k")
        );
    }

    #[test]
    fn auth_debug_hides_the_token() {
        let a = Auth::Bearer(Secret::new("s3cr3t"));
        assert!(!format!("{a:?}").contains("s3cr3t"));
    }
}
