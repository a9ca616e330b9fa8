//! The GitOps overrides file (`[resolution] overrides = "overrides.toml"`): manual merges and splits
//! kept in version control, respected by every run alongside the ones stored by
//! `developers merge` / `developers split`.
//!
//! ```toml
//! [[merge]]
//! a = "jane@acme.example"        # a table row, by email
//! b = "github:583231"            # an identity, as source:id
//!
//! [[split]]                      # different people: never merged, never proposed again
//! a = "d3f2a1b0c9e8"             # a table row, by developer id
//! b = "john.smith@acme.example"
//! note = "two John Smiths"
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::model::{Developer, TABLE_SOURCE};
use crate::resolve::{IdentityKey, Overrides};
use crate::store::{OverrideKind, StoredOverride};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    merge: Vec<RawPair>,
    #[serde(default)]
    split: Vec<RawPair>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    a: String,
    b: String,
    #[allow(dead_code)]
    note: Option<String>,
}

/// Overrides as written: references still to be resolved against the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverrideFile {
    /// The file it was read from (for messages).
    pub path: std::path::PathBuf,
    pub merge: Vec<(String, String)>,
    pub split: Vec<(String, String)>,
}

/// Why an overrides file cannot be used; each names the file (and the entry).
#[derive(Debug, thiserror::Error)]
pub enum OverridesError {
    #[error("{file}: cannot read")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Read and check an overrides file. Errors name the file and the entry.
pub fn load(path: &Path) -> Result<OverrideFile, OverridesError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| OverridesError::Read {
        file: file.clone(),
        source,
    })?;
    let invalid = |message: String| OverridesError::Invalid {
        file: file.clone(),
        message,
    };
    let raw: RawFile = toml::from_str(&text).map_err(|e| invalid(e.message().to_string()))?;
    let check =
        |kind: &str, pairs: Vec<RawPair>| -> Result<Vec<(String, String)>, OverridesError> {
            pairs
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    for (field, v) in [("a", &p.a), ("b", &p.b)] {
                        if v.trim().is_empty() {
                            return Err(invalid(format!("{kind}[{i}].{field}: empty")));
                        }
                    }
                    Ok((p.a.trim().to_string(), p.b.trim().to_string()))
                })
                .collect()
        };
    Ok(OverrideFile {
        path: path.to_path_buf(),
        merge: check("merge", raw.merge)?,
        split: check("split", raw.split)?,
    })
}

/// The overrides a run respects: the stored ones (`developers merge` / `split`) and the file's,
/// whose references are resolved against the table. A file entry naming no row is left out with a
/// warning: the row may have gone since the file was written.
pub fn combine(
    stored: &[StoredOverride],
    file: Option<&OverrideFile>,
    table: &[Developer],
) -> Overrides {
    let mut o = Overrides::default();
    for s in stored {
        let pair = (s.a.clone(), s.b.clone());
        match s.kind {
            OverrideKind::Merge => o.merge.push(pair),
            OverrideKind::Split => o.split.push(pair),
        }
    }
    let Some(file) = file else {
        return o;
    };
    for (list, target) in [(&file.merge, &mut o.merge), (&file.split, &mut o.split)] {
        for (a, b) in list {
            match (resolve_reference(a, table), resolve_reference(b, table)) {
                (Some(ka), Some(kb)) => target.push((ka, kb)),
                _ => tracing::warn!(
                    file = %file.path.display(),
                    a = %a,
                    b = %b,
                    "override names a row that is not in the table; ignored"
                ),
            }
        }
    }
    o
}

/// Resolve a reference to an identity key: `source:id`, a table row's email, or a developer id.
pub fn resolve_reference(reference: &str, table: &[Developer]) -> Option<IdentityKey> {
    let r = reference.trim();
    if r.contains('@') {
        return table
            .iter()
            .find(|d| {
                d.email.eq_ignore_ascii_case(r)
                    || d.emails.iter().any(|e| e.eq_ignore_ascii_case(r))
            })
            .map(|d| IdentityKey {
                source: TABLE_SOURCE.into(),
                id: d.id.clone(),
            });
    }
    if let Some(d) = table.iter().find(|d| d.id == r) {
        return Some(IdentityKey {
            source: TABLE_SOURCE.into(),
            id: d.id.clone(),
        });
    }
    let (source, id) = r.split_once(':')?;
    Some(IdentityKey {
        source: source.to_string(),
        id: id.to_string(),
    })
}
