//! The recommendations CSV (`reconcile --csv`): one row per recommendation, for a person to review
//! in a spreadsheet and hand back to `seatwarden apply` with only the rows to carry out left in.
//! [`render`] writes it and [`parse`] reads it back: the one definition of its columns.
//!
//! Never writes a cell a spreadsheet would run as a formula; [`parse`] takes that escape off again.

use crate::model::{Action, Developer, Reason};
use crate::report::json::RecommendationJson;
use crate::sei_csv::{LineError, ParseErrors, formula_safe, unescape};

/// The columns, in order. `developer`, `email`, `action` and `into` are what `apply` checks; the rest
/// explain (and are carried into the audit trail). A reviewer may mark a row in `applied`.
pub const HEADER: [&str; 10] = [
    "developer",
    "email",
    "name",
    "action",
    "reason",
    "into",
    "into_email",
    "confidence",
    "evidence",
    "applied",
];

/// Render the recommendations as CSV.
pub fn render(recommendations: &[RecommendationJson], table: &[Developer]) -> String {
    let email_of: std::collections::HashMap<&str, &str> = table
        .iter()
        .map(|d| (d.id.as_str(), d.email.as_str()))
        .collect();
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for r in recommendations {
        let into_email = r
            .into
            .as_deref()
            .and_then(|i| email_of.get(i).copied())
            .unwrap_or("");
        let confidence = format!("{:.2}", r.confidence);
        let evidence = r.evidence.join(" | ");
        let cells = [
            r.developer.as_str(),
            r.email.as_deref().unwrap_or(""),
            r.name.as_deref().unwrap_or(""),
            r.action.as_str(),
            r.reason.as_str(),
            r.into.as_deref().unwrap_or(""),
            into_email,
            confidence.as_str(),
            evidence.as_str(),
            "",
        ];
        let _ = w.write_record(cells.iter().map(|c| formula_safe(c).into_owned()));
    }
    crate::sei_csv::written_text(w)
}

/// The columns [`parse`] needs: the row, the email it had, what to do, and the merge target.
const REQUIRED: [&str; 4] = ["developer", "email", "action", "into"];

/// One row of a reviewed recommendations CSV, as written (checking it against the table is
/// `apply`'s job).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewedRow {
    /// The 1-based physical line (the header is line 1).
    pub line: usize,
    pub developer: String,
    pub email: String,
    pub name: String,
    pub action: Action,
    pub reason: Option<Reason>,
    pub into: Option<String>,
    pub evidence: Vec<String>,
    /// What a reviewer wrote in `applied` (empty: not marked).
    pub applied: String,
}

/// Where each known column is in a file's header.
struct Columns {
    index: std::collections::HashMap<&'static str, usize>,
}

impl Columns {
    fn read(header: &csv::StringRecord, errors: &mut Vec<LineError>) -> Columns {
        let mut index = std::collections::HashMap::new();
        for (i, cell) in header.iter().enumerate() {
            let cell = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
            if let Some(known) = HEADER.iter().find(|h| **h == cell) {
                index.entry(*known).or_insert(i);
            }
        }
        for column in REQUIRED {
            if !index.contains_key(column) {
                errors.push(LineError {
                    line: 1,
                    field: None,
                    message: format!(
                        "missing column `{column}` (the header of `reconcile --csv` is {})",
                        HEADER.join(",")
                    ),
                });
            }
        }
        Columns { index }
    }

    fn cell<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.index
            .get(column)
            .and_then(|&i| record.get(i))
            .map(|c| unescape(c.trim()))
            .unwrap_or("")
    }
}

/// Read a recommendations CSV as [`render`] writes it (any column order, extra columns ignored, a
/// BOM and CRLF accepted, blank lines skipped). Every problem is reported with its line; one
/// problem and nothing is returned.
pub fn parse(bytes: &[u8]) -> Result<Vec<ReviewedRow>, ParseErrors> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut errors = Vec::new();
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(one_error(1, format!("unreadable CSV: {e}"))),
        None => return Err(one_error(1, "the file is empty".into())),
    };
    let columns = Columns::read(&header, &mut errors);
    let mut lines = Lines::new(bytes);
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.at(e.position());
                errors.push(LineError {
                    line,
                    field: None,
                    message: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = lines.at(record.position());
        if record.len() != header.len() {
            errors.push(LineError {
                line,
                field: None,
                message: format!("{} cells, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        if let Some(row) = reviewed_row(&record, line, &columns, &mut errors) {
            rows.push(row);
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ParseErrors { errors })
    }
}

/// The 1-based physical lines where records start, read in file order. The csv crate's own line
/// count skips blank lines and counts a CRLF once per record, and its byte offset stops before the
/// line breaks that precede a record: count the breaks up to the offset, then the run of breaks
/// right after it. Each call counts only the bytes since the previous one.
struct Lines<'a> {
    bytes: &'a [u8],
    /// The offset counted up to, and the line breaks before it.
    offset: usize,
    breaks: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            breaks: 0,
        }
    }

    fn at(&mut self, position: Option<&::csv::Position>) -> usize {
        let newlines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
        let start = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let start = start.clamp(self.offset, self.bytes.len());
        self.breaks += newlines(&self.bytes[self.offset..start]);
        self.offset = start;
        let run = self.bytes[start..]
            .iter()
            .take_while(|&&c| c == b'\n' || c == b'\r')
            .count();
        1 + self.breaks + newlines(&self.bytes[start..start + run])
    }
}

fn one_error(line: usize, message: String) -> ParseErrors {
    ParseErrors {
        errors: vec![LineError {
            line,
            field: None,
            message,
        }],
    }
}

/// One data row, or its problems pushed to `errors`.
fn reviewed_row(
    record: &csv::StringRecord,
    line: usize,
    columns: &Columns,
    errors: &mut Vec<LineError>,
) -> Option<ReviewedRow> {
    let mut problem = |field: &str, message: String| {
        errors.push(LineError {
            line,
            field: Some(field.into()),
            message,
        });
    };
    let developer = columns.cell(record, "developer");
    if developer.is_empty() {
        problem("developer", "empty".into());
        return None;
    }
    let action_word = columns.cell(record, "action").to_lowercase();
    let Some(action) = [Action::Remove, Action::Merge, Action::Review]
        .into_iter()
        .find(|a| a.as_str() == action_word)
    else {
        problem(
            "action",
            format!("`{action_word}` is not remove, merge or review"),
        );
        return None;
    };
    let reason_word = columns.cell(record, "reason");
    let reason = Reason::ALL.into_iter().find(|r| r.as_str() == reason_word);
    if reason.is_none() && !reason_word.is_empty() {
        problem("reason", format!("unknown reason `{reason_word}`"));
        return None;
    }
    let into = Some(columns.cell(record, "into").to_string()).filter(|i| !i.is_empty());
    let evidence = columns.cell(record, "evidence");
    Some(ReviewedRow {
        line,
        developer: developer.to_string(),
        email: columns.cell(record, "email").to_string(),
        name: columns.cell(record, "name").to_string(),
        action,
        reason,
        into,
        evidence: evidence
            .split(" | ")
            .filter(|e| !e.trim().is_empty())
            .map(|e| e.trim().to_string())
            .collect(),
        applied: columns.cell(record, "applied").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(formula_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(formula_safe("-1"), "'-1");
        assert_eq!(formula_safe("jane"), "jane");
    }

    #[test]
    fn one_row_per_recommendation_with_the_target_email() {
        let recs = vec![RecommendationJson {
            developer: "d2".into(),
            action: Action::Merge,
            reason: Reason::Duplicate,
            into: Some("d1".into()),
            confidence: 0.987,
            evidence: vec!["same email".into(), "=cmd".into()],
            email: Some("j@x.example".into()),
            name: Some("@jane".into()),
        }];
        let table = vec![Developer::example("d1", "jane@acme.example")];
        let out = render(&recs, &table);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(
            lines[1],
            "d2,j@x.example,'@jane,merge,duplicate,d1,jane@acme.example,0.99,same email | =cmd,"
        );
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    fn table() -> Vec<Developer> {
        ["d1", "d2"]
            .iter()
            .map(|id| Developer::example(id, &format!("{id}@acme.example")))
            .collect()
    }

    #[test]
    fn what_render_writes_parse_reads_back() {
        let recs = vec![
            RecommendationJson {
                developer: "d2".into(),
                action: Action::Merge,
                reason: Reason::Duplicate,
                into: Some("d1".into()),
                confidence: 1.0,
                evidence: vec!["same email".into(), "=x".into()],
                email: Some("-d2@acme.example".into()),
                name: Some("@jane".into()),
            },
            RecommendationJson {
                developer: "d1".into(),
                action: Action::Remove,
                reason: Reason::Departed,
                into: None,
                confidence: 0.97,
                evidence: vec!["directory: departed".into()],
                email: Some("d1@acme.example".into()),
                name: Some("Name d1".into()),
            },
        ];
        let rows = parse(render(&recs, &table()).as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].developer.as_str(), rows[0].action),
            (2, "d2", Action::Merge)
        );
        assert_eq!(
            rows[0].email, "-d2@acme.example",
            "the formula escape comes off"
        );
        assert_eq!(rows[0].name, "@jane");
        assert_eq!(rows[0].into.as_deref(), Some("d1"));
        assert_eq!(rows[0].evidence, ["same email", "=x"]);
        assert_eq!(rows[1].reason, Some(Reason::Departed));
        assert_eq!((rows[1].line, rows[1].into.as_deref()), (3, None));
    }

    #[test]
    fn a_reordered_file_with_extra_columns_and_crlf_is_read() {
        let text = "\u{feff}Action,Developer,note,into,email\r\nremove,d1,ok by me,,d1@acme.example\r\n\r\nreview,d2,,,d2@acme.example\r\n";
        let rows = parse(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].line, rows[1].action), (4, Action::Review));
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let text = format!(
            "{}\n,x@acme.example,X,remove,departed,,,0.9,e,\nd2,y@acme.example,Y,delete,departed,,,0.9,e,\nd3,z@acme.example\nd4,w@acme.example,W,remove,gone,,,0.9,e,\n",
            HEADER.join(",")
        );
        let errors = parse(text.as_bytes()).unwrap_err();
        let shown = errors.render_for("recs.csv");
        for expected in [
            "recs.csv:2: developer: empty",
            "recs.csv:3: action: `delete` is not remove, merge or review",
            "recs.csv:4: 2 cells, the header has 10",
            "recs.csv:5: reason: unknown reason `gone`",
        ] {
            assert!(shown.contains(expected), "{expected}\n{shown}");
        }
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused() {
        let errors = parse(b"developer,action\nd1,remove\n").unwrap_err();
        let shown = errors.render_for("recs.csv");
        assert!(
            shown.contains("recs.csv:1: missing column `email`"),
            "{shown}"
        );
        assert!(shown.contains("missing column `into`"), "{shown}");
    }
}
