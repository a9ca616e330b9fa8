//! The SEI developer identities CSV: `email,integrationId,identity`, one integration account of a
//! developer per row — what `developers identities` writes, and what SEI's
//! `GET /v2/developers/identities` answers with `Accept: text/csv`.
//!
//! Architecture invariant: pure; works on bytes and rows, never opens a file. A row it cannot use
//! is skipped and named, never guessed at: the identities decide whose work SEI counts.

use csv::StringRecord;

use super::{LineError, Lines, ParseErrors, formula_safe, written_text};
use crate::model::SeiIdentity;

/// The header [`write`] produces. Harness's pages name these three fields (the JSON body of
/// `PATCH /v2/developers/identities`) and offer the same data as CSV; [`parse`] matches them
/// case-insensitively, ignoring spaces, `_`, `-` and `.`.
pub const HEADER: [&str; 3] = ["email", "integrationId", "identity"];

/// The identities read from a file, and the rows that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub identities: Vec<SeiIdentity>,
    pub skipped: Vec<LineError>,
}

/// Writes the identities CSV: [`HEADER`], then one row per identity, formula-safe cells.
pub fn write(identities: &[SeiIdentity]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(HEADER).expect("in-memory CSV write");
    for i in identities {
        let id = i.integration_id.to_string();
        w.write_record([
            formula_safe(&i.email).as_ref(),
            &id,
            &formula_safe(&i.identity),
        ])
        .expect("in-memory CSV write");
    }
    written_text(w)
}

/// Which of the three columns a header cell names.
fn column_of(cell: &str) -> Option<usize> {
    let normalised: String = cell
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    match normalised.as_str() {
        "email" => Some(0),
        "integrationid" => Some(1),
        "identity" => Some(2),
        _ => None,
    }
}

/// Reads an identities CSV. A file without the three columns is refused; a row with an empty
/// cell or an integration id that is not a number is skipped, with its line.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ParseErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let refuse = |line: usize, message: String| ParseErrors {
        errors: vec![LineError {
            line,
            field: None,
            message,
        }],
    };
    let mut record = StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Err(refuse(1, "the file is empty".into())),
        Err(e) => return Err(refuse(1, format!("unreadable CSV header: {e}"))),
    }
    let mut at = [None; 3];
    for (i, cell) in record.iter().enumerate() {
        if let Some(c) = column_of(cell) {
            at[c].get_or_insert(i);
        }
    }
    let [Some(email), Some(integration), Some(identity)] = at else {
        return Err(refuse(
            1,
            format!("the header needs the columns {}", HEADER.join(", ")),
        ));
    };
    let mut parsed = Parsed::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.at(e.position());
                return Err(refuse(line, format!("unreadable CSV: {e}")));
            }
        }
        match identity_of(&record, [email, integration, identity]) {
            Ok(i) => parsed.identities.push(i),
            Err(message) => parsed.skipped.push(LineError {
                line: lines.at(record.position()),
                field: None,
                message,
            }),
        }
    }
    Ok(parsed)
}

fn identity_of(
    record: &StringRecord,
    [email, id, identity]: [usize; 3],
) -> Result<SeiIdentity, String> {
    let cell = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
    let (email, id, identity) = (cell(email), cell(id), cell(identity));
    if email.is_empty() || identity.is_empty() {
        return Err("skipped: empty email or identity".into());
    }
    let integration_id = id
        .parse::<u64>()
        .map_err(|_| format!("skipped: integrationId {id:?} is not a number"))?;
    Ok(SeiIdentity {
        email: email.to_string(),
        integration_id,
        identity: identity.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(email: &str, id: u64, value: &str) -> SeiIdentity {
        SeiIdentity {
            email: email.into(),
            integration_id: id,
            identity: value.into(),
        }
    }

    #[test]
    fn write_then_parse_round_trips() {
        let rows = [
            identity("ada@acme.example", 101, "ada-gh"),
            identity("bob@acme.example", 202, "5b10a2844c20165700ede21g"),
        ];
        let text = write(&rows);
        assert!(text.starts_with("email,integrationId,identity\n"), "{text}");
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.identities, rows);
        assert!(parsed.skipped.is_empty());
    }

    #[test]
    fn header_spelling_and_order_do_not_matter_and_bad_rows_are_skipped_by_line() {
        let text = "\u{feff}Identity,Integration Id,EMAIL,extra\r\n\
                    ada-gh,101,ada@acme.example,x\r\n\
                    nobody,abc,n@acme.example,x\r\n\
                    ,101,e@acme.example,x\r\n";
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(
            parsed.identities,
            [identity("ada@acme.example", 101, "ada-gh")]
        );
        let lines: Vec<usize> = parsed.skipped.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(
            parsed.skipped[0].message.contains("\"abc\""),
            "{:?}",
            parsed.skipped
        );
    }

    #[test]
    fn a_file_without_the_three_columns_is_refused() {
        let e = parse(b"email,identity\na@x.example,y\n").unwrap_err();
        assert!(
            e.to_string().contains("email, integrationId, identity"),
            "{e}"
        );
    }
}
