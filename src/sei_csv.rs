//! The SEI developer CSV (SPEC §5): parse and validate on import, write on export.
//!
//! Architecture invariant: pure; works on bytes and rows, never opens a file.
//!
//! - [`parse`] accepts the exported file and its common variants (any column order, header names
//!   compared case-insensitively and ignoring spaces, `_`, `-` and `.`, `Name` / `Display Name` for
//!   `Full Name`, a UTF-8 BOM, CRLF or LF, blank lines, unknown extra columns) and refuses anything SEI
//!   would reject, reporting every problem with its 1-based physical line number (the header is line
//!   1; lines inside quoted fields count).
//! - [`parse_live`] reads SEI's own table with the same header rules, tolerating what a live table
//!   may hold (a duplicate, a dangling manager, a cycle): each becomes a finding, not an error.
//! - [`write`] never produces what SEI rejects: it drops blank, malformed and duplicate emails, fills
//!   blank names from the email, blanks managers that are not exported rows or that close a cycle.
//!   [`export_problems`] lists what it had to fix.
//! - Formula injection (OWASP "CSV injection"): a cell that starts with `=`, `+`, `-`, `@`, tab or
//!   carriage return is written with a leading `'`. [`parse`] removes exactly that one `'` again, so
//!   write → parse round-trips. To keep the escape unambiguous, a cell that already starts with `'`s
//!   followed by one of those characters gets one more `'`.
//! - [`identities`]: the developer identities CSV (`email,integrationId,identity`).

pub mod identities;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use csv::ByteRecord;

use crate::model::{SeiRow, name_from_email};

/// The exact header [`write`] produces, in this order.
pub const HEADER: [&str; 8] = [
    "Email",
    "Manager Email",
    "Full Name",
    "Role",
    "Site",
    "Team",
    "Sub Role",
    "Department",
];

/// How many problems [`ParseErrors`] shows before summarising the rest.
const SHOWN_ERRORS: usize = 50;
/// How many members of a manager cycle an error message names before summarising.
const SHOWN_CYCLE_MEMBERS: usize = 10;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One problem in an imported file, at a 1-based physical line (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    /// The column as the file's header names it, when the problem is in one cell.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}: {}", self.line, field, self.message),
            None => write!(f, "{}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for LineError {}

/// Every problem found in an imported file, ordered by line. A file with any problem imports nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_errors(.errors, None))]
pub struct ParseErrors {
    pub errors: Vec<LineError>,
}

impl ParseErrors {
    /// The same list with each line prefixed by `file:`, e.g. `developers.csv:17: Email: empty`.
    pub fn render_for(&self, file: &str) -> String {
        render_errors(&self.errors, Some(file))
    }
}

fn render_errors(errors: &[LineError], file: Option<&str>) -> String {
    let mut out = String::new();
    for (i, error) in errors.iter().take(SHOWN_ERRORS).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(file) = file {
            out.push_str(file);
            out.push(':');
        }
        out.push_str(&error.to_string());
    }
    if errors.len() > SHOWN_ERRORS {
        out.push_str(&format!("\n… and {} more", errors.len() - SHOWN_ERRORS));
    }
    out
}

/// The columns we know, in [`HEADER`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Email = 0,
    ManagerEmail,
    FullName,
    Role,
    Site,
    Team,
    SubRole,
    Department,
}

/// Which known column a header cell names, and how preferred that spelling is (0 best) when a file
/// has several spellings of the same column (`Full Name` beats `Display Name` beats `Name`).
fn recognise_header(cell: &str) -> Option<(Column, u8)> {
    let normalised: String = cell
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    let found = match normalised.as_str() {
        "email" | "emailaddress" => (Column::Email, 0),
        "manageremail" | "manageremailaddress" => (Column::ManagerEmail, 0),
        "fullname" => (Column::FullName, 0),
        "displayname" => (Column::FullName, 1),
        "name" => (Column::FullName, 2),
        "role" => (Column::Role, 0),
        "site" => (Column::Site, 0),
        "team" => (Column::Team, 0),
        "subrole" => (Column::SubRole, 0),
        "department" => (Column::Department, 0),
        _ => return None,
    };
    Some(found)
}

/// Where each known column sits in the file, with the header's own spelling for messages.
struct Layout {
    /// `(index in the record, header as written, spelling rank)` per [`Column`].
    columns: [Option<(usize, String, u8)>; 8],
    width: usize,
}

impl Layout {
    fn index(&self, column: Column) -> Option<usize> {
        self.columns[column as usize].as_ref().map(|c| c.0)
    }

    fn name(&self, column: Column) -> String {
        match &self.columns[column as usize] {
            Some((_, name, _)) => name.clone(),
            None => HEADER[column as usize].to_string(),
        }
    }
}

fn read_header(record: &ByteRecord, line: usize, errors: &mut Vec<LineError>) -> Layout {
    let mut columns: [Option<(usize, String, u8)>; 8] = Default::default();
    for (index, raw) in record.iter().enumerate() {
        let raw = raw.strip_prefix(BOM).unwrap_or(raw);
        let cell = match std::str::from_utf8(raw) {
            Ok(cell) => cell.trim(),
            Err(_) => {
                errors.push(LineError {
                    line,
                    field: None,
                    message: format!("header of column {} is not valid UTF-8", index + 1),
                });
                continue;
            }
        };
        let Some((column, rank)) = recognise_header(cell) else {
            continue;
        };
        let slot = &mut columns[column as usize];
        match slot {
            Some((earlier, earlier_name, earlier_rank)) if *earlier_rank == rank => {
                errors.push(LineError {
                    line,
                    field: Some(cell.to_string()),
                    message: format!(
                        "column appears twice (columns {} \"{}\" and {})",
                        *earlier + 1,
                        earlier_name,
                        index + 1
                    ),
                });
            }
            Some((_, _, earlier_rank)) if *earlier_rank < rank => {}
            _ => *slot = Some((index, cell.to_string(), rank)),
        }
    }
    if columns[Column::Email as usize].is_none() {
        errors.push(LineError {
            line,
            field: None,
            message: "missing Email column".to_string(),
        });
    }
    Layout {
        columns,
        width: record.len(),
    }
}

/// The problem of a header without a name column: [`parse`] refuses the file, [`parse_live`]
/// reads it with blank names.
fn missing_name_column(layout: &Layout, line: usize) -> Option<LineError> {
    layout.index(Column::FullName).is_none().then(|| LineError {
        line,
        field: None,
        message: "missing Full Name column (Name and Display Name are accepted too)".to_string(),
    })
}

/// A syntactic email check: one `@`, non-empty local part, a domain with an inner dot, no whitespace
/// or control characters.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Lowercases `text` into `buffer` (reused to avoid an allocation per lookup).
fn lowercase_into(buffer: &mut String, text: &str) {
    buffer.clear();
    if text.is_ascii() {
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        buffer.extend(text.chars().flat_map(char::to_lowercase));
    }
}

fn lowercase(text: &str) -> String {
    let mut buffer = String::with_capacity(text.len());
    lowercase_into(&mut buffer, text);
    buffer
}

/// The characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
fn is_formula_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// True when the cell, after any leading `'`s, starts with a formula trigger.
fn needs_escape(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(is_formula_trigger)
}

/// The text a CSV writer over memory wrote. Writing to a `Vec` cannot fail and every cell was a
/// `&str`, so the bytes are UTF-8: neither can turn into an empty file.
pub fn written_text(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().expect("a CSV writer over memory flushes");
    String::from_utf8(bytes).expect("CSV written from text is text")
}

/// A cell made safe to open in a spreadsheet: one that starts like a formula gets a leading `'`.
pub fn formula_safe(cell: &str) -> Cow<'_, str> {
    if needs_escape(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Undoes [`write`]'s formula escape: drops one leading `'` when that is what [`write`] added.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest,
        _ => cell,
    }
}

/// Counts the line breaks in `bytes`, to place a problem on its physical line.
fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Why an SEI developer CSV file cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{file}: cannot read")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Every problem, each line prefixed by the file: `developers.csv:17: Email: empty`.
    #[error("{}", errors.render_for(file))]
    Invalid { file: String, errors: ParseErrors },
}

/// Reads, parses and validates an SEI developer CSV file.
pub fn read_file(path: &std::path::Path) -> Result<Vec<SeiRow>, FileError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| FileError::Read {
        file: file.clone(),
        source,
    })?;
    parse(&bytes).map_err(|errors| FileError::Invalid { file, errors })
}

/// Parses and validates an SEI developer CSV. Returns the rows in file order, or every problem found.
pub fn parse(bytes: &[u8]) -> Result<Vec<SeiRow>, ParseErrors> {
    let scan = scan(bytes)?;
    let mut errors = scan.header_errors.clone();
    errors.extend(missing_name_column(&scan.layout, scan.header_line));
    errors.extend(scan.record_errors.iter().cloned());
    errors.extend(scan.unreadable.clone());
    errors.extend(scan.cycle_errors());
    if errors.is_empty() {
        Ok(scan.rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ParseErrors { errors })
    }
}

/// SEI's own table as its download answers it, read with [`parse`]'s header rules but tolerating
/// what a live table may hold: a duplicate email (the first row is kept), a manager who is no row,
/// a manager cycle, a blank name, a row with a bad email (skipped). Each is a finding, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveTable {
    pub rows: Vec<SeiRow>,
    /// What an import would have refused, by line.
    pub findings: Vec<LineError>,
}

/// Reads SEI's own table (see [`LiveTable`]). Refuses only what leaves no table to read: no Email
/// column, a column named twice, a header that is not UTF-8, CSV that breaks off.
pub fn parse_live(bytes: &[u8]) -> Result<LiveTable, ParseErrors> {
    let scan = scan(bytes)?;
    let mut fatal = scan.header_errors.clone();
    fatal.extend(scan.unreadable.clone());
    if !fatal.is_empty() {
        fatal.sort_by_key(|e| e.line);
        return Err(ParseErrors { errors: fatal });
    }
    let mut findings: Vec<LineError> = missing_name_column(&scan.layout, scan.header_line)
        .into_iter()
        .collect();
    findings.extend(scan.record_errors.iter().cloned());
    findings.extend(scan.cycle_errors());
    findings.extend(scan.dangling_managers());
    findings.sort_by_key(|e| e.line);
    Ok(LiveTable {
        rows: scan.rows,
        findings,
    })
}

/// One pass over a file: the usable rows in file order (duplicates dropped) and every problem
/// found on the way, sorted into the kinds [`parse`] and [`parse_live`] treat differently.
struct Scan {
    layout: Layout,
    header_line: usize,
    rows: Vec<SeiRow>,
    row_lines: Vec<usize>,
    /// Lowercased email → index in `rows`.
    by_email: HashMap<String, usize>,
    /// What makes the header unusable (no Email column, a column named twice, bytes not UTF-8).
    header_errors: Vec<LineError>,
    /// Problems of single records: skipped rows, refused cells, duplicates.
    record_errors: Vec<LineError>,
    /// Where the CSV syntax broke off; nothing after it was read.
    unreadable: Option<LineError>,
}

fn scan(bytes: &[u8]) -> Result<Scan, ParseErrors> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ByteRecord::new();
    let mut lines = Lines::new(bytes);
    let header_line = match reader.read_byte_record(&mut record) {
        Ok(true) => lines.at(record.position()),
        Ok(false) => {
            return Err(ParseErrors {
                errors: vec![LineError {
                    line: 1,
                    field: None,
                    message: "missing Email column (the file is empty)".to_string(),
                }],
            });
        }
        Err(error) => {
            return Err(ParseErrors {
                errors: vec![csv_error(&error, &mut lines)],
            });
        }
    };
    let mut header_errors = Vec::new();
    let layout = read_header(&record, header_line, &mut header_errors);
    let mut scan = Scan {
        layout,
        header_line,
        rows: Vec::new(),
        row_lines: Vec::new(),
        by_email: HashMap::new(),
        header_errors,
        record_errors: Vec::new(),
        unreadable: None,
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                scan.unreadable = Some(csv_error(&error, &mut lines));
                break;
            }
        }
        let line = lines.at(record.position());
        scan.take(&record, line);
    }
    Ok(scan)
}

impl Scan {
    /// Checks one data record and keeps its row unless its email is unusable or a duplicate.
    fn take(&mut self, record: &ByteRecord, line: usize) {
        let Some(row) = check_record(record, line, &self.layout, &mut self.record_errors) else {
            return;
        };
        let key = lowercase(&row.email);
        if let Some(&first) = self.by_email.get(&key) {
            self.record_errors.push(LineError {
                line,
                field: Some(self.layout.name(Column::Email)),
                message: format!(
                    "duplicate of line {} ({:?} and {:?})",
                    self.row_lines[first], self.rows[first].email, row.email
                ),
            });
            return;
        }
        self.by_email.insert(key, self.rows.len());
        self.rows.push(row);
        self.row_lines.push(line);
    }

    /// One problem per manager cycle, at the line of its first member.
    fn cycle_errors(&self) -> Vec<LineError> {
        let managers = manager_links(
            self.rows.iter().map(|r| r.manager_email.as_deref()),
            &self.by_email,
        );
        let mut errors = Vec::new();
        for cycle in find_cycles(&managers) {
            let Some(&first) = cycle.iter().min() else {
                continue;
            };
            let start = cycle.iter().position(|&i| i == first).unwrap_or(0);
            let mut members: Vec<String> = Vec::new();
            for &i in cycle[start..].iter().chain(&cycle[..start]) {
                if members.len() == SHOWN_CYCLE_MEMBERS {
                    members.push(format!("… ({} rows in all)", cycle.len()));
                    break;
                }
                members.push(format!(
                    "{} (line {})",
                    self.rows[i].email, self.row_lines[i]
                ));
            }
            members.push(self.rows[first].email.clone());
            errors.push(LineError {
                line: self.row_lines[first],
                field: Some(self.layout.name(Column::ManagerEmail)),
                message: format!("manager cycle: {}", members.join(" → ")),
            });
        }
        errors
    }

    /// Rows whose manager is not itself a row (SEI's `MANAGER_EMAIL_MISSING_IN_DEVELOPER_EMAILS`).
    fn dangling_managers(&self) -> Vec<LineError> {
        let links = manager_links(
            self.rows.iter().map(|r| r.manager_email.as_deref()),
            &self.by_email,
        );
        let mut findings = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if let (Some(manager), None) = (&row.manager_email, links[i]) {
                findings.push(LineError {
                    line: self.row_lines[i],
                    field: Some(self.layout.name(Column::ManagerEmail)),
                    message: format!("{manager} is not a developer in the table"),
                });
            }
        }
        findings
    }
}

/// Physical line numbers from the csv crate's byte positions. The crate's own line count falls one
/// behind at every CRLF (a record's position points at the `\n` of the `\r\n` before it), so the
/// line breaks are counted from the bytes instead: a record's line is one more than the breaks up
/// to its position, the `\n` it may point at included. Counting resumes where it stopped, so a
/// whole file costs one pass.
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    breaks: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            counted_to: 0,
            breaks: 0,
        }
    }

    /// The 1-based line of the record or error at `position`.
    pub(crate) fn at(&mut self, position: Option<&csv::Position>) -> usize {
        let Some(p) = position else {
            return self.breaks + 1;
        };
        let byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
        let end = byte.saturating_add(1).min(self.bytes.len());
        if end < self.counted_to {
            (self.counted_to, self.breaks) = (0, 0);
        }
        self.breaks += newlines(&self.bytes[self.counted_to..end]);
        self.counted_to = end;
        self.breaks + 1
    }
}

fn csv_error(error: &csv::Error, lines: &mut Lines<'_>) -> LineError {
    LineError {
        line: lines.at(error.position()),
        field: None,
        message: format!("unreadable CSV: {error}"),
    }
}

/// Validates one data record. Returns the row when its email is usable (so duplicates and cycles can
/// still be checked); other problems in it are pushed to `errors`.
fn check_record(
    record: &ByteRecord,
    line: usize,
    layout: &Layout,
    errors: &mut Vec<LineError>,
) -> Option<SeiRow> {
    // A line of only whitespace is a blank line, not a row.
    if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if record.len() != layout.width {
        errors.push(LineError {
            line,
            field: None,
            message: format!(
                "ragged row: {} fields, the header has {}",
                record.len(),
                layout.width
            ),
        });
        return None;
    }
    report_non_utf8(record, line, layout, errors);
    let cells = Cells {
        record,
        layout,
        line,
    };
    let email = cells.email(errors)?;
    let full_name = cells.full_name(errors);
    let manager_email = cells.manager_email(errors);
    Some(SeiRow {
        email: email.to_string(),
        manager_email,
        full_name,
        role: cells.optional(Column::Role),
        site: cells.optional(Column::Site),
        team: cells.optional(Column::Team),
        sub_role: cells.optional(Column::SubRole),
        department: cells.optional(Column::Department),
    })
}

/// Every cell must be UTF-8, known column or not: other bytes mean the file has another encoding.
fn report_non_utf8(record: &ByteRecord, line: usize, layout: &Layout, errors: &mut Vec<LineError>) {
    let mut lines_before = 0;
    for (index, raw) in record.iter().enumerate() {
        if let Err(error) = std::str::from_utf8(raw) {
            errors.push(LineError {
                line: line + lines_before + newlines(&raw[..error.valid_up_to()]),
                field: Some(column_name(layout, index)),
                message: "not valid UTF-8 (save the file as UTF-8)".to_string(),
            });
        }
        lines_before += newlines(raw);
    }
}

/// One record's cells through the layout. Decoded again on use rather than kept in a per-row Vec:
/// validating a short cell twice is cheaper than an allocation per row. A non-UTF-8 cell reads as
/// `None` (already reported by [`report_non_utf8`]).
struct Cells<'a> {
    record: &'a ByteRecord,
    layout: &'a Layout,
    line: usize,
}

impl<'a> Cells<'a> {
    fn text(&self, index: usize) -> Option<&'a str> {
        self.record
            .get(index)
            .and_then(|raw| std::str::from_utf8(raw).ok())
    }

    /// The column's value, trimmed and unescaped; `None` when absent, empty or unreadable.
    fn cell(&self, column: Column) -> Option<&'a str> {
        let value = unescape(self.text(self.layout.index(column)?)?.trim());
        (!value.is_empty()).then_some(value)
    }

    fn optional(&self, column: Column) -> Option<String> {
        self.cell(column).map(str::to_string)
    }

    /// Whether the column exists and its cell is UTF-8 (empty or not).
    fn readable(&self, column: Column) -> bool {
        self.layout
            .index(column)
            .is_some_and(|i| self.text(i).is_some())
    }

    fn error(&self, column: Column, message: String) -> LineError {
        LineError {
            line: self.line,
            field: Some(self.layout.name(column)),
            message,
        }
    }

    /// The email, which the row cannot do without.
    fn email(&self, errors: &mut Vec<LineError>) -> Option<&'a str> {
        self.layout.index(Column::Email)?;
        match self.cell(Column::Email) {
            Some(email) if is_valid_email(email) => Some(email),
            Some(email) => {
                let message = format!("not an email address: {email:?}");
                errors.push(self.error(Column::Email, message));
                None
            }
            None if !self.readable(Column::Email) => None,
            None => {
                errors.push(self.error(Column::Email, "empty".to_string()));
                None
            }
        }
    }

    fn full_name(&self, errors: &mut Vec<LineError>) -> String {
        if let Some(name) = self.cell(Column::FullName) {
            return name.to_string();
        }
        if self.readable(Column::FullName) {
            let message = "empty (SEI rejects blank names)".to_string();
            errors.push(self.error(Column::FullName, message));
        }
        String::new()
    }

    fn manager_email(&self, errors: &mut Vec<LineError>) -> Option<String> {
        let manager = self.cell(Column::ManagerEmail)?;
        if is_valid_email(manager) {
            return Some(manager.to_string());
        }
        let message = format!("not an email address: {manager:?}");
        errors.push(self.error(Column::ManagerEmail, message));
        None
    }
}

fn column_name(layout: &Layout, index: usize) -> String {
    match layout
        .columns
        .iter()
        .flatten()
        .find(|(at, _, _)| *at == index)
    {
        Some((_, name, _)) => name.clone(),
        None => format!("column {}", index + 1),
    }
}

/// For each row, the index of its manager's row, if the manager is a row.
fn manager_links<'a>(
    managers: impl ExactSizeIterator<Item = Option<&'a str>>,
    by_email: &HashMap<String, usize>,
) -> Vec<Option<usize>> {
    let mut buffer = String::new();
    let mut links = Vec::with_capacity(managers.len());
    for manager in managers {
        let link = manager.and_then(|manager| {
            lowercase_into(&mut buffer, manager);
            by_email.get(&buffer).copied()
        });
        links.push(link);
    }
    links
}

/// Every cycle in a graph where each node has at most one successor (a row's manager), each as its
/// members in manager order. Linear time and iterative, so a 100,000-long chain cannot overflow the
/// stack.
fn find_cycles(next: &[Option<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; next.len()];
    let mut position_on_path = vec![0usize; next.len()];
    let mut path: Vec<usize> = Vec::new();
    let mut cycles = Vec::new();
    for start in 0..next.len() {
        if state[start] != UNSEEN {
            continue;
        }
        path.clear();
        let mut current = Some(start);
        while let Some(node) = current {
            match state[node] {
                UNSEEN => {
                    state[node] = ON_PATH;
                    position_on_path[node] = path.len();
                    path.push(node);
                    current = next[node];
                }
                ON_PATH => {
                    cycles.push(path[position_on_path[node]..].to_vec());
                    break;
                }
                _ => break,
            }
        }
        for &node in &path {
            state[node] = DONE;
        }
    }
    cycles
}

/// A row as [`write`] will write it: trimmed cells borrowed from the input, so export copies only
/// what it must (derived names).
struct ExportRow<'a> {
    email: &'a str,
    manager_email: Option<&'a str>,
    full_name: Cow<'a, str>,
    role: Option<&'a str>,
    site: Option<&'a str>,
    team: Option<&'a str>,
    sub_role: Option<&'a str>,
    department: Option<&'a str>,
}

/// Rows ready to write, with what had to change to make SEI accept them.
struct Prepared<'a> {
    rows: Vec<ExportRow<'a>>,
    problems: Vec<String>,
}

fn trimmed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn prepare(input: &[SeiRow]) -> Prepared<'_> {
    let mut p = Preparing {
        rows: Vec::with_capacity(input.len()),
        origin: Vec::with_capacity(input.len()),
        by_email: HashMap::with_capacity(input.len()),
        problems: Vec::new(),
    };
    for (index, row) in input.iter().enumerate() {
        p.keep(index + 1, row);
    }
    let links = p.blank_unknown_managers();
    p.break_cycles(&links);
    Prepared {
        rows: p.rows,
        problems: p.problems,
    }
}

/// [`prepare`] under way.
struct Preparing<'a> {
    rows: Vec<ExportRow<'a>>,
    /// 1-based position in the input of each kept row, for messages.
    origin: Vec<usize>,
    /// Lowercased email → index in `rows`.
    by_email: HashMap<String, usize>,
    problems: Vec<String>,
}

impl<'a> Preparing<'a> {
    /// Keeps input row `number` unless its email is blank, invalid or taken; a blank name is
    /// derived from the email.
    fn keep(&mut self, number: usize, row: &'a SeiRow) {
        let email = row.email.trim();
        if email.is_empty() {
            self.problems
                .push(format!("row {number}: dropped: blank email"));
            return;
        }
        if !is_valid_email(email) {
            self.problems.push(format!(
                "row {number}: dropped: not an email address: {email:?}"
            ));
            return;
        }
        let key = lowercase(email);
        if let Some(&first) = self.by_email.get(&key) {
            self.problems.push(format!(
                "row {number} ({email}): dropped: duplicate of row {} ({})",
                self.origin[first], self.rows[first].email
            ));
            return;
        }
        let mut full_name = Cow::Borrowed(row.full_name.trim());
        if full_name.is_empty() {
            let derived = name_from_email(email);
            self.problems.push(format!(
                "row {number} ({email}): blank name, wrote {derived:?}"
            ));
            full_name = Cow::Owned(derived);
        }
        self.by_email.insert(key, self.rows.len());
        self.origin.push(number);
        self.rows.push(ExportRow {
            email,
            manager_email: trimmed(&row.manager_email),
            full_name,
            role: trimmed(&row.role),
            site: trimmed(&row.site),
            team: trimmed(&row.team),
            sub_role: trimmed(&row.sub_role),
            department: trimmed(&row.department),
        });
    }

    /// Blanks every manager that is not another kept row; the manager links that remain.
    fn blank_unknown_managers(&mut self) -> Vec<Option<usize>> {
        let mut links = manager_links(self.rows.iter().map(|r| r.manager_email), &self.by_email);
        for (index, row) in self.rows.iter_mut().enumerate() {
            let Some(manager) = row.manager_email else {
                continue;
            };
            let why = match links[index] {
                None => "is not an exported row",
                Some(target) if target == index => "is the row itself",
                Some(_) => continue,
            };
            self.problems.push(format!(
                "row {} ({}): blanked manager {manager}: it {why}",
                self.origin[index], row.email
            ));
            row.manager_email = None;
            links[index] = None;
        }
        links
    }

    /// Each row has at most one manager, so blanking one link breaks a cycle. The row that closes
    /// it is the member that comes last in the input: deterministic, whichever row the walk
    /// started at.
    fn break_cycles(&mut self, links: &[Option<usize>]) {
        for cycle in find_cycles(links) {
            let Some(&closing) = cycle.iter().max() else {
                continue;
            };
            let mut members: Vec<&str> = Vec::new();
            for &i in cycle.iter().take(SHOWN_CYCLE_MEMBERS) {
                members.push(self.rows[i].email);
            }
            let more = if cycle.len() > SHOWN_CYCLE_MEMBERS {
                " → …"
            } else {
                ""
            };
            self.problems.push(format!(
                "row {} ({}): blanked manager {}: it closes the manager cycle {}{more} ({} rows)",
                self.origin[closing],
                self.rows[closing].email,
                self.rows[closing].manager_email.unwrap_or_default(),
                members.join(" → "),
                cycle.len()
            ));
            self.rows[closing].manager_email = None;
        }
    }
}

/// What [`write`] changes or drops to produce a file SEI accepts, one message per fix.
pub fn export_problems(rows: &[SeiRow]) -> Vec<String> {
    prepare(rows).problems
}

/// Writes the SEI developer CSV: exactly [`HEADER`], UTF-8, RFC 4180 quoting, `\n` line endings.
///
/// `\n` rather than CRLF: RFC 4180 names CRLF, but SEI's upload, spreadsheets and [`parse`] all read
/// either, and `\n` keeps the file diff- and git-friendly. The output never holds what SEI rejects;
/// see [`export_problems`] for what had to be fixed.
pub fn write(rows: &[SeiRow]) -> String {
    let prepared = prepare(rows);
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(64 * (prepared.rows.len() + 1)));
    let mut escaped: [String; 8] = Default::default();
    // Writing to a Vec cannot fail, and every record has HEADER's eight fields.
    writer
        .write_record(HEADER)
        .expect("in-memory CSV write cannot fail");
    for row in &prepared.rows {
        let cells = [
            Some(row.email),
            row.manager_email,
            Some(row.full_name.as_ref()),
            row.role,
            row.site,
            row.team,
            row.sub_role,
            row.department,
        ];
        for (out, cell) in escaped.iter_mut().zip(cells) {
            out.clear();
            let cell = cell.unwrap_or_default();
            if needs_escape(cell) {
                out.push('\'');
            }
            out.push_str(cell);
        }
        writer
            .write_record(&escaped)
            .expect("in-memory CSV write cannot fail");
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .expect("in-memory CSV flush cannot fail");
    // Only `&str` went in, so the bytes are UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER_LINE: &str = "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department";

    fn row(email: &str, manager: Option<&str>, name: &str) -> SeiRow {
        SeiRow {
            email: email.to_string(),
            manager_email: manager.map(str::to_string),
            full_name: name.to_string(),
            ..SeiRow::default()
        }
    }

    fn errors_of(text: &[u8]) -> Vec<LineError> {
        match parse(text) {
            Ok(rows) => panic!("expected errors, parsed {rows:?}"),
            Err(e) => e.errors,
        }
    }

    /// The line of each error, for compact assertions.
    fn lines_of(text: &[u8]) -> Vec<usize> {
        errors_of(text).iter().map(|e| e.line).collect()
    }

    fn full_row(i: usize) -> SeiRow {
        SeiRow {
            email: format!("user{i}@example.com"),
            manager_email: (i > 0).then(|| format!("user{}@example.com", i / 2)),
            full_name: format!("User {i}, \"the\" {i}"),
            role: i.is_multiple_of(3).then(|| "Engineer".to_string()),
            site: Some(format!("Site\n{i}")),
            team: i.is_multiple_of(2).then(|| "Platform".to_string()),
            sub_role: None,
            department: Some("R&D".to_string()),
        }
    }

    #[test]
    fn header_is_exact() {
        assert_eq!(HEADER.join(","), HEADER_LINE);
        let out = write(&[]);
        assert_eq!(out, format!("{HEADER_LINE}\n"));
    }

    #[test]
    fn round_trip_write_then_parse_equals_input() {
        let rows: Vec<SeiRow> = (0..20).map(full_row).collect();
        assert!(export_problems(&rows).is_empty());
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed, rows);
    }

    #[test]
    fn generated_1000_rows_parse_in_order() {
        let rows: Vec<SeiRow> = (0..1000).map(full_row).collect();
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed.len(), 1000);
        for (i, row) in parsed.iter().enumerate() {
            assert_eq!(row.email, format!("user{i}@example.com"));
        }
        assert_eq!(parsed, rows);
    }

    #[test]
    fn write_uses_lf_and_rfc4180_quoting() {
        let mut r = row("a@x.com", None, "Doe, \"Jay\"");
        r.site = Some("two\nlines".to_string());
        let out = write(&[r]);
        assert!(!out.contains('\r'));
        assert_eq!(
            out,
            format!("{HEADER_LINE}\na@x.com,,\"Doe, \"\"Jay\"\"\",,\"two\nlines\",,,\n")
        );
    }

    #[test]
    fn parse_accepts_bom_crlf_variant_headers_any_order_and_extra_columns() {
        let text = "\u{feff} DISPLAY NAME ,Extra, email ,manager_email,sub-role\r\n\
                    Jane Doe,x,Jane@X.com,,\r\n\
                    \" Bob \",y,bob@x.com, jane@x.com ,Lead\r\n\
                    \r\n\r\n";
        let rows = parse(text.as_bytes()).expect("parses");
        assert_eq!(
            rows,
            vec![
                row("Jane@X.com", None, "Jane Doe"),
                SeiRow {
                    sub_role: Some("Lead".to_string()),
                    ..row("bob@x.com", Some("jane@x.com"), "Bob")
                },
            ]
        );
    }

    #[test]
    fn parse_accepts_name_header_and_prefers_full_name_over_name() {
        let rows = parse(b"Name,Email\nAnn,ann@x.com\n").expect("parses");
        assert_eq!(rows[0].full_name, "Ann");
        let rows = parse(b"Name,Full Name,Email\nA,Ann Lee,ann@x.com\n").expect("parses");
        assert_eq!(rows[0].full_name, "Ann Lee");
    }

    #[test]
    fn parse_trims_cells_and_empty_optionals_become_none() {
        let text = format!("{HEADER_LINE}\n  a@x.com ,  , Ann ,  ,\t,Team ,,\n");
        let rows = parse(text.as_bytes()).expect("parses");
        assert_eq!(
            rows,
            vec![SeiRow {
                team: Some("Team".to_string()),
                ..row("a@x.com", None, "Ann")
            }]
        );
    }

    #[test]
    fn parse_header_only_is_empty_table() {
        assert_eq!(parse(format!("{HEADER_LINE}\n").as_bytes()), Ok(vec![]));
    }

    #[test]
    fn parse_missing_email_column_reports_line_1() {
        let errors = errors_of(b"Full Name,Mail\nAnn,ann@x.com\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), "1: missing Email column");
    }

    #[test]
    fn parse_empty_file_reports_missing_email_on_line_1() {
        assert_eq!(lines_of(b""), vec![1]);
        assert_eq!(lines_of(b"\xEF\xBB\xBF"), vec![1]);
    }

    #[test]
    fn parse_missing_full_name_column_reports_line_1() {
        let errors = errors_of(b"Email\nann@x.com\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("missing Full Name column"));
    }

    #[test]
    fn parse_empty_email_reports_its_line() {
        let text = format!("{HEADER_LINE}\na@x.com,,A,,,,,\n  ,,B,,,,,\n");
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), "3: Email: empty");
    }

    #[test]
    fn parse_malformed_emails_each_reported_with_line() {
        let bad = [
            "plain",
            "a@@x.com",
            "a@b@x.com",
            "@x.com",
            "a@",
            "a@localhost",
            "a b@x.com",
            "a@x..com",
            "a@.x.com",
            "a@x.com.",
        ];
        let mut text = String::from("Email,Full Name\n");
        for email in bad {
            text.push_str(&format!("\"{email}\",N\n"));
        }
        let errors = errors_of(text.as_bytes());
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, (2..2 + bad.len()).collect::<Vec<_>>());
        assert!(errors.iter().all(|e| e.field.as_deref() == Some("Email")));
        assert!(errors[0].message.contains("not an email address"));
    }

    #[test]
    fn parse_duplicate_email_case_insensitive_names_both_lines() {
        let text = "Email,Full Name\nann@x.com,A\nbob@x.com,B\nANN@X.COM,A2\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert!(
            errors[0].message.contains("duplicate of line 2"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn parse_ragged_rows_reported_with_line() {
        let text = "Email,Full Name,Team\na@x.com,A,T\nb@x.com,B\nc@x.com,C,T,extra\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        assert!(
            errors[0]
                .message
                .contains("ragged row: 2 fields, the header has 3")
        );
    }

    #[test]
    fn parse_non_utf8_on_line_4_reports_line_4() {
        let mut text = b"Email,Full Name\na@x.com,A\nb@x.com,B\nc@x.com,Ren".to_vec();
        text.extend_from_slice(b"\xE9e\nd@x.com,D\n");
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert_eq!(errors[0].field.as_deref(), Some("Full Name"));
        assert!(errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn parse_non_utf8_inside_multiline_field_reports_its_physical_line() {
        let mut text = b"Email,Full Name,Notes\na@x.com,A,\"one\ntwo\nthr".to_vec();
        text.extend_from_slice(b"\xFFee\"\n");
        assert_eq!(lines_of(&text), vec![4]);
    }

    #[test]
    fn parse_counts_lines_inside_quoted_multiline_fields() {
        let text = "Email,Full Name,Site\n\
                    a@x.com,A,\"line one\nline two\r\nline three\"\n\
                    bad-email,B,S\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
    }

    #[test]
    fn parse_blank_full_name_refused() {
        let text = "Email,Display Name\na@x.com,  \n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert_eq!(errors[0].field.as_deref(), Some("Display Name"));
    }

    #[test]
    fn parse_malformed_manager_email_refused() {
        let text = "Email,Full Name,Manager Email\na@x.com,A,\nb@x.com,B,not-an-email\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].field.as_deref(), Some("Manager Email"));
    }

    #[test]
    fn parse_manager_that_is_not_a_row_is_kept() {
        let text = "Email,Full Name,Manager Email\na@x.com,A,boss@x.com\n";
        let rows = parse(text.as_bytes()).expect("parses");
        assert_eq!(rows[0].manager_email.as_deref(), Some("boss@x.com"));
    }

    #[test]
    fn parse_self_manager_is_a_cycle_of_length_1() {
        let text = "Email,Full Name,Manager Email\na@x.com,A,\nb@x.com,B,B@X.com\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert_eq!(
            errors[0].message,
            "manager cycle: b@x.com (line 3) → b@x.com"
        );
    }

    #[test]
    fn parse_cycle_of_length_2_names_both_lines() {
        let text =
            "Email,Full Name,Manager Email\nc@x.com,C,\na@x.com,A,b@x.com\nb@x.com,B,a@x.com\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert_eq!(
            errors[0].message,
            "manager cycle: a@x.com (line 3) → b@x.com (line 4) → a@x.com"
        );
    }

    #[test]
    fn parse_cycle_of_length_3_detected_once_with_tail_not_included() {
        // d → a → b → c → a: d leads into the cycle but is not part of it.
        let text = "Email,Full Name,Manager Email\n\
                    d@x.com,D,a@x.com\n\
                    b@x.com,B,c@x.com\n\
                    a@x.com,A,b@x.com\n\
                    c@x.com,C,a@x.com\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert_eq!(
            errors[0].message,
            "manager cycle: b@x.com (line 3) → c@x.com (line 5) → a@x.com (line 4) → b@x.com"
        );
    }

    #[test]
    fn parse_reports_every_problem_sorted_by_line() {
        let text = "Email,Full Name,Manager Email\n\
                    a@x.com,A,a@x.com\n\
                    ,B,\n\
                    c@x.com,,\n\
                    a@x.com,A again,\n\
                    e@x.com,E\n";
        let errors = errors_of(text.as_bytes());
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn parse_long_chain_and_long_cycle_do_not_overflow() {
        let n = 100_000;
        let mut rows: Vec<SeiRow> = (0..n)
            .map(|i| {
                let manager = (i + 1 < n).then(|| format!("u{}@x.com", i + 1));
                row(&format!("u{i}@x.com"), manager.as_deref(), "N")
            })
            .collect();
        let text = write(&rows);
        assert_eq!(parse(text.as_bytes()).expect("chain parses").len(), n);

        rows[n - 1].manager_email = Some("u0@x.com".to_string());
        let mut bytes = String::from("Email,Full Name,Manager Email\n");
        for r in &rows {
            bytes.push_str(&format!(
                "{},N,{}\n",
                r.email,
                r.manager_email.as_deref().unwrap_or("")
            ));
        }
        let errors = errors_of(bytes.as_bytes());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("100000 rows in all"));
    }

    #[test]
    fn line_error_display_with_and_without_field() {
        let with = LineError {
            line: 17,
            field: Some("Email".to_string()),
            message: "empty".to_string(),
        };
        let without = LineError {
            line: 1,
            field: None,
            message: "missing Email column".to_string(),
        };
        assert_eq!(with.to_string(), "17: Email: empty");
        assert_eq!(without.to_string(), "1: missing Email column");
        let errors = ParseErrors {
            errors: vec![without, with],
        };
        assert_eq!(
            errors.to_string(),
            "1: missing Email column\n17: Email: empty"
        );
        assert_eq!(
            errors.render_for("developers.csv"),
            "developers.csv:1: missing Email column\ndevelopers.csv:17: Email: empty"
        );
    }

    #[test]
    fn parse_errors_display_caps_at_50() {
        let mut text = String::from("Email,Full Name\n");
        for _ in 0..120 {
            text.push_str(",X\n");
        }
        let error = parse(text.as_bytes()).expect_err("refused");
        assert_eq!(error.errors.len(), 120);
        let shown = error.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 51);
        assert_eq!(lines[0], "2: Email: empty");
        assert_eq!(lines[50], "… and 70 more");
    }

    #[test]
    fn export_drops_duplicate_emails_keeping_the_first() {
        let rows = [
            row("a@x.com", None, "First"),
            row("A@X.COM", None, "Second"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed, vec![row("a@x.com", None, "First")]);
        let problems = export_problems(&rows);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("duplicate of row 1"), "{problems:?}");
    }

    #[test]
    fn export_skips_blank_and_malformed_emails() {
        let rows = [
            row("  ", None, "A"),
            row("nope", None, "B"),
            row("c@x.com", None, "C"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed, vec![row("c@x.com", None, "C")]);
        assert_eq!(export_problems(&rows).len(), 2);
    }

    #[test]
    fn export_derives_blank_names_from_the_email() {
        let rows = [
            row("jane.doe@x.com", None, "  "),
            row("bob_smith-jones+sei@x.com", None, ""),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed[0].full_name, "Jane Doe");
        assert_eq!(parsed[1].full_name, "Bob Smith Jones");
    }

    #[test]
    fn export_blanks_unknown_and_self_managers() {
        let rows = [
            row("a@x.com", Some("gone@x.com"), "A"),
            row("b@x.com", Some("B@x.com"), "B"),
            row("c@x.com", Some("A@X.com"), "C"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed[0].manager_email, None);
        assert_eq!(parsed[1].manager_email, None);
        assert_eq!(parsed[2].manager_email.as_deref(), Some("A@X.com"));
        assert_eq!(export_problems(&rows).len(), 2);
    }

    #[test]
    fn export_blanks_manager_of_a_row_whose_manager_was_dropped() {
        let rows = [
            row("a@x.com", Some("b@x.com"), "A"),
            row("", None, "blank"),
            row("b@x.com", None, "B"),
            row("c@x.com", Some("nope"), "C"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        assert_eq!(parsed[0].manager_email.as_deref(), Some("b@x.com"));
        assert_eq!(parsed[2].manager_email, None);
    }

    #[test]
    fn export_breaks_cycles_at_the_last_row_in_the_cycle() {
        let rows = [
            row("a@x.com", Some("b@x.com"), "A"),
            row("b@x.com", Some("c@x.com"), "B"),
            row("c@x.com", Some("a@x.com"), "C"),
            row("d@x.com", Some("e@x.com"), "D"),
            row("e@x.com", Some("d@x.com"), "E"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("parses");
        let managers: Vec<Option<&str>> =
            parsed.iter().map(|r| r.manager_email.as_deref()).collect();
        assert_eq!(
            managers,
            [
                Some("b@x.com"),
                Some("c@x.com"),
                None,
                Some("e@x.com"),
                None
            ]
        );
        let problems = export_problems(&rows);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("row 3 (c@x.com): blanked manager a@x.com"));
        // Whatever order the rows come in, the same edge of a cycle is broken.
        let reordered = [rows[2].clone(), rows[0].clone(), rows[1].clone()];
        let parsed = parse(write(&reordered).as_bytes()).expect("parses");
        assert_eq!(parsed[2].manager_email, None);
    }

    #[test]
    fn export_of_messy_input_is_accepted_by_parse() {
        let rows = [
            row("a@x.com", Some("a@x.com"), ""),
            row("A@x.com", Some("b@x.com"), "dup"),
            row("", Some("a@x.com"), "no email"),
            row("b@x.com", Some("c@x.com"), "=B"),
            row("c@x.com", Some("b@x.com"), " "),
            row("d@x.com", Some("x@nowhere.com"), "D"),
            row("e@x.com", Some("garbage"), "E"),
        ];
        let parsed = parse(write(&rows).as_bytes()).expect("export always parses");
        assert_eq!(parsed.len(), 5);
        assert!(parsed.iter().all(|r| !r.full_name.is_empty()));
    }

    #[test]
    fn formula_cells_are_escaped_with_a_quote() {
        let mut r = row("a@x.com", None, "-Bob");
        r.team = Some("=SUM(A1)".to_string());
        r.role = Some("+1".to_string());
        r.site = Some("@home".to_string());
        r.department = Some("'=already".to_string());
        let out = write(std::slice::from_ref(&r));
        let data = out.lines().nth(1).expect("a data line");
        assert_eq!(data, "a@x.com,,'-Bob,'+1,'@home,'=SUM(A1),,''=already");
        // parse undoes exactly the escape, so the round trip holds.
        assert_eq!(parse(out.as_bytes()).expect("parses"), vec![r]);
    }

    #[test]
    fn parse_keeps_a_quote_that_is_not_an_escape() {
        let rows = parse(b"Email,Full Name\na@x.com,'Tis Bob\n").expect("parses");
        assert_eq!(rows[0].full_name, "'Tis Bob");
    }

    #[test]
    fn live_table_keeps_duplicates_dangling_managers_and_cycles_as_findings() {
        let text = "Email Address,Manager Email,Name\n\
                    ada@acme.example,boss@acme.example,Ada\n\
                    ADA@acme.example,,Ada again\n\
                    bob@acme.example,carol@acme.example,Bob\n\
                    carol@acme.example,bob@acme.example,Carol\n\
                    not-an-email,,Nobody\n";
        let live = parse_live(text.as_bytes()).expect("a live table is read");
        let emails: Vec<&str> = live.rows.iter().map(|r| r.email.as_str()).collect();
        assert_eq!(
            emails,
            ["ada@acme.example", "bob@acme.example", "carol@acme.example"]
        );
        let found: Vec<String> = live.findings.iter().map(|f| f.to_string()).collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found[0].starts_with("2: Manager Email: boss@acme.example is not a developer"),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with("3: Email Address: duplicate of line 2"),
            "{found:#?}"
        );
        assert!(
            found[2].starts_with("4: Manager Email: manager cycle"),
            "{found:#?}"
        );
        assert!(
            found[3].starts_with("6: Email Address: not an email address"),
            "{found:#?}"
        );
        assert!(
            parse(text.as_bytes()).is_err(),
            "an import refuses the same file"
        );
    }

    #[test]
    fn live_table_uses_the_import_header_rules() {
        // `Full Name` beats `Name`, `Email Address` is the email: the rules of `parse`.
        let text = "Name,Full Name,Email Address\nshort,Ada Lovelace,ada@acme.example\n";
        let live = parse_live(text.as_bytes()).unwrap();
        assert_eq!(live.rows[0].full_name, "Ada Lovelace");
        assert_eq!(live.rows[0].email, "ada@acme.example");
        assert!(live.findings.is_empty());
    }

    #[test]
    fn live_table_without_an_email_column_is_refused_but_a_missing_name_is_a_finding() {
        let e = parse_live(b"Name,Team\nA,B\n").unwrap_err();
        assert_eq!(e.errors[0].message, "missing Email column");
        let live = parse_live(b"Email\nada@acme.example\n").unwrap();
        assert_eq!(live.rows.len(), 1);
        assert!(
            live.findings[0]
                .message
                .starts_with("missing Full Name column")
        );
    }

    #[test]
    fn crlf_files_report_the_same_lines_as_lf_files() {
        for text in [
            "Email,Full Name\na@x.com,A\n\"bad\nstill bad\",B\nc@x.com,\n",
            "Email,Full Name\r\na@x.com,A\r\n\"bad\r\nstill bad\",B\r\nc@x.com,\r\n",
        ] {
            assert_eq!(lines_of(text.as_bytes()), [3, 5], "{text:?}");
        }
    }
}
