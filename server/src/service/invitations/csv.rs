//! A list of customers to invite, as a CSV file: header `email,name[,tags][,order_id][,lang]`
//! (in any order). Every row is checked before anything is stored; errors name the line (as a
//! spreadsheet numbers it, the header being line 1) and the field.

use std::fmt;

use fanfare_protocol::invitations::InviteCustomer;

use super::{typed_tags, CheckedInvitation, MAX_PER_BATCH};
use crate::service::ServiceError;

/// The columns a file may have; `email` is required.
pub const COLUMNS: [&str; 5] = ["email", "name", "tags", "order_id", "lang"];

/// One refused line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1 is the header.
    pub line: usize,
    /// The column at fault; `None` when the line as a whole is.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: {field} {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Turns the byte offsets the csv reader gives into line numbers as an editor counts them. The
/// reader's offset is where it began looking for the record, before any blank lines it skips;
/// offsets only grow, so the counting goes on from the last one.
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        Self { text: text.as_bytes(), offset: 0, line: 1 }
    }

    fn line_at(&mut self, offset: u64) -> usize {
        let mut start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            self.line += self.text[self.offset..start].iter().filter(|byte| **byte == b'\n').count();
            self.offset = start;
        }
        self.line
    }
}

/// At most this many errors are reported: a file that wrong needs fixing as a whole.
const MAX_ERRORS: usize = 50;

/// Reads and checks the whole file: every invitation, or the errors (at most 50, in line order).
pub fn read(text: &str) -> Result<Vec<CheckedInvitation>, Vec<LineError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header_error = |message: String| vec![LineError { line: 1, field: None, message }];
    let headers = reader.headers().map_err(|error| header_error(format!("cannot be read: {error}")))?.clone();
    let names: Vec<String> = headers.iter().map(|name| name.trim().to_ascii_lowercase()).collect();
    if !names.iter().any(|name| name == "email") {
        return Err(header_error(format!(
            "the header needs an email column (columns: {}); it has: {}",
            COLUMNS.join(", "),
            names.join(", ")
        )));
    }
    if let Some(unknown) = names.iter().find(|name| !COLUMNS.contains(&name.as_str())) {
        return Err(header_error(format!(
            "unknown column {unknown:?}; the columns are {}",
            COLUMNS.join(", ")
        )));
    }
    let column = |name: &str| names.iter().position(|header| header == name);
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    let mut rows = 0;
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let start = match &record {
            Ok(record) => record.position().map(csv::Position::byte),
            Err(error) => error.position().map(csv::Position::byte),
        };
        let line = start.map_or(rows + 2, |start| lines.line_at(start));
        rows += 1;
        if rows > MAX_PER_BATCH {
            errors.push(LineError {
                line,
                field: None,
                message: format!(
                    "a file holds at most {MAX_PER_BATCH} invitations; split it and send the rest later"
                ),
            });
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                errors.push(LineError { line, field: None, message: format!("cannot be read: {error}") });
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.iter().any(|cell| cell.contains('\u{fffd}')) {
            errors.push(LineError {
                line,
                field: None,
                message: "has characters that are not UTF-8 text; save the file as \"CSV UTF-8\"".into(),
            });
            continue;
        }
        if record.len() > names.len() {
            errors.push(LineError {
                line,
                field: None,
                message: format!("has {} cells for {} columns", record.len(), names.len()),
            });
            continue;
        }
        let cell = |name: &str| column(name).and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let optional = |name: &str| Some(cell(name).to_owned()).filter(|value| !value.is_empty());
        let request = InviteCustomer {
            email: Some(cell("email").to_owned()),
            name: optional("name"),
            // Commas end a cell unless it is quoted: spaces, semicolons or | separate tags in one.
            tags: typed_tags(cell("tags")),
            order_id: optional("order_id"),
            lang: optional("lang"),
        };
        match CheckedInvitation::check(&request) {
            Ok(invitation) => checked.push(invitation),
            Err(ServiceError::Invalid(fields)) => {
                errors.extend(fields.into_iter().map(|(field, message)| LineError {
                    line,
                    field: Some(field),
                    message,
                }))
            }
            Err(other) => errors.push(LineError { line, field: None, message: other.to_string() }),
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if !errors.is_empty() {
        errors.truncate(MAX_ERRORS);
        return Err(errors);
    }
    if checked.is_empty() {
        return Err(header_error("the file has no customers below its header".into()));
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_column_in_any_order() {
        let file = "\u{feff}name,email,order_id,tags,lang\nAda,ada@example.com,A-1,beans espresso,de\n\n,bo@example.com,,,\n";
        let invitations = read(file).unwrap();
        assert_eq!(invitations.len(), 2);
        assert_eq!(invitations[0].name.as_deref(), Some("Ada"));
        assert_eq!(invitations[0].tags, ["beans", "espresso"]);
        assert_eq!((invitations[0].order_id.as_deref(), invitations[0].lang.as_str()), (Some("A-1"), "de"));
        assert_eq!((invitations[1].name.as_deref(), invitations[1].lang.as_str()), (None, "en"));
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let file = "email,name\nada@example.com,Ada\nnot-an-address,Bo\nci@example.com,Ci\n,Di\n";
        let errors = read(file).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("line 3: email "), "{shown:?}");
        assert!(shown[1].starts_with("line 5: email "), "{shown:?}");
    }

    #[test]
    fn lines_are_counted_as_an_editor_counts_them() {
        let file = "email,name\n\nada@example.com,\"Ada\nLovelace\"\n\nnot-an-address,Bo\nJ\u{fffd}rg@example.com,J\u{fffd}rg\n";
        let errors = read(file).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|error| error.line).collect();
        // A name on two lines is refused where it starts; the next error is counted past it.
        assert_eq!(lines, [3, 6, 7], "{errors:?}");
        assert!(errors[2].message.contains("UTF-8"), "{errors:?}");
    }

    #[test]
    fn a_missing_or_unknown_column_is_refused_at_the_header() {
        for file in ["name\nAda\n", "email,phone\nada@example.com,123\n"] {
            let errors = read(file).unwrap_err();
            assert_eq!((errors.len(), errors[0].line), (1, 1), "{errors:?}");
        }
        assert_eq!(read("email\n").unwrap_err()[0].line, 1);
    }

    #[test]
    fn a_file_too_long_is_refused_at_the_first_line_too_many() {
        let mut file = String::from("email\n");
        for n in 0..MAX_PER_BATCH + 5 {
            file.push_str(&format!("customer{n}@example.com\n"));
        }
        let errors = read(&file).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, MAX_PER_BATCH + 2);
        assert!(errors[0].message.contains("at most 10000"), "{errors:?}");
    }
}
