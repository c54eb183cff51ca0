//! The data sources of SES import jobs (CreateImportJob, ses-spec §6), in both formats and for
//! both actions:
//!
//! | format | PUT | DELETE |
//! |---|---|---|
//! | `CSV` | `address,REASON` | `address` (an `address,REASON` line is accepted too; the reason is ignored) |
//! | `JSON` | `{"emailAddress":"…","reason":"BOUNCE"}` per line | `{"emailAddress":"…"}` per line |
//!
//! No header row in either; JSON is newline-delimited, one object per line (other members are
//! ignored). [`ImportReader`] streams like [`crate::csv::CsvReader`] (it shares its line reading
//! and address rules): every non-blank line comes out as an [`ImportRecord`] or a
//! [`LineError`] with its line number, and reading goes on after a bad line.

use std::io::BufRead;

use bounceguard_guard::SuppressionReason;
use serde::Deserialize;

use crate::csv::{LineError, Lines, check_address, parse_reason, split_fields};

/// The import file's `DataFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// SES bulk CSV.
    Csv,
    /// Newline-delimited JSON objects.
    Json,
}

/// The job's `SuppressionListImportAction`: what each line must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Address and reason.
    Put,
    /// Address only.
    Delete,
}

/// One good line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// The 1-based line number.
    pub line_no: u64,
    /// The address as written (trimmed, not normalised).
    pub address: String,
    /// The reason: always `Some` for [`ImportMode::Put`], `None` for [`ImportMode::Delete`].
    pub reason: Option<SuppressionReason>,
}

/// A streaming reader of an import file: an iterator of records and bad lines.
pub struct ImportReader<R: BufRead> {
    lines: Lines<R>,
    format: ImportFormat,
    mode: ImportMode,
}

/// One JSON line; unknown members are ignored, types are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonLine {
    email_address: Option<String>,
    reason: Option<String>,
}

impl<R: BufRead> ImportReader<R> {
    /// A reader of `input` in `format`, checking lines for `mode`.
    pub fn new(input: R, format: ImportFormat, mode: ImportMode) -> Self {
        Self {
            lines: Lines::new(input),
            format,
            mode,
        }
    }

    /// Checks the line just read.
    fn check(&self) -> Result<ImportRecord, LineError> {
        let line_no = self.lines.line_no;
        let error = |reason_text: String| LineError {
            line_no,
            reason_text,
        };
        let (address, reason_text) = match self.format {
            ImportFormat::Csv => {
                let fields = split_fields(&self.lines.line).ok_or_else(|| {
                    error(
                        "a quoted field is not closed, or text follows its closing quote"
                            .to_string(),
                    )
                })?;
                let text = |bytes: &[u8]| -> Result<String, LineError> {
                    std::str::from_utf8(bytes)
                        .map(|s| s.trim().to_string())
                        .map_err(|_| error("the line is not valid UTF-8".to_string()))
                };
                match (self.mode, fields.as_slice()) {
                    (ImportMode::Put, [address, reason]) => (text(address)?, Some(text(reason)?)),
                    (ImportMode::Delete, [address]) => (text(address)?, None),
                    (ImportMode::Delete, [address, reason]) => {
                        (text(address)?, Some(text(reason)?))
                    }
                    (ImportMode::Put, _) => {
                        return Err(error(format!(
                            "expected 2 columns (address,reason), found {}",
                            fields.len()
                        )));
                    }
                    (ImportMode::Delete, _) => {
                        return Err(error(format!(
                            "expected 1 column (address), found {}",
                            fields.len()
                        )));
                    }
                }
            }
            ImportFormat::Json => {
                let line: JsonLine = serde_json::from_slice(&self.lines.line).map_err(|e| {
                    error(format!(
                        "not a JSON object with emailAddress (and reason): {e}"
                    ))
                })?;
                let address = line
                    .email_address
                    .ok_or_else(|| error("missing emailAddress".to_string()))?;
                (address.trim().to_string(), line.reason)
            }
        };
        let reason = reason_text.as_deref().map(|r| (r, parse_reason(r.trim())));
        if self.format == ImportFormat::Csv
            && line_no == 1
            && !address.contains('@')
            && matches!(reason, None | Some((_, None)))
        {
            return Err(error(format!(
                "looks like a header row ({address}): SES import files have no header row"
            )));
        }
        check_address(&address, line_no)?;
        let reason = match (self.mode, reason) {
            (ImportMode::Put, Some((_, Some(reason)))) => Some(reason),
            (ImportMode::Put, None) => return Err(error("missing reason".to_string())),
            (_, Some((text, None))) => {
                return Err(error(format!(
                    "unknown reason {text:?}: expected BOUNCE or COMPLAINT"
                )));
            }
            (ImportMode::Delete, _) => None,
        };
        Ok(ImportRecord {
            line_no,
            address,
            reason,
        })
    }
}

impl<R: BufRead> Iterator for ImportReader<R> {
    type Item = Result<ImportRecord, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.lines.next_line()? {
            Ok(()) => Some(self.check()),
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use SuppressionReason::{Bounce, Complaint};

    fn read(
        text: &str,
        format: ImportFormat,
        mode: ImportMode,
    ) -> Vec<Result<ImportRecord, LineError>> {
        ImportReader::new(text.as_bytes(), format, mode).collect()
    }

    fn ok(
        line_no: u64,
        address: &str,
        reason: Option<SuppressionReason>,
    ) -> Result<ImportRecord, LineError> {
        Ok(ImportRecord {
            line_no,
            address: address.to_string(),
            reason,
        })
    }

    fn error_at(line_no: u64, item: &Result<ImportRecord, LineError>, needle: &str) {
        match item {
            Err(e) => {
                assert_eq!(e.line_no, line_no, "{e}");
                assert!(e.reason_text.contains(needle), "{e} lacks {needle:?}");
            }
            Ok(record) => panic!("expected an error at line {line_no}, got {record:?}"),
        }
    }

    #[test]
    fn csv_put_needs_address_and_reason() {
        let items = read(
            "ann@example.org,BOUNCE\nbob@example.org\n\ncat@example.org, COMPLAINT\nnot-an-address,BOUNCE\n",
            ImportFormat::Csv,
            ImportMode::Put,
        );
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[0], ok(1, "ann@example.org", Some(Bounce)));
        error_at(2, &items[1], "found 1");
        assert_eq!(items[2], ok(4, "cat@example.org", Some(Complaint)));
        error_at(5, &items[3], "invalid address");
    }

    #[test]
    fn csv_delete_takes_the_address_alone_or_with_a_valid_reason() {
        let items = read(
            "email\nann@example.org\nbob@example.org,COMPLAINT\ncat@example.org,maybe\na@x.org,BOUNCE,3\n",
            ImportFormat::Csv,
            ImportMode::Delete,
        );
        assert_eq!(items.len(), 5, "{items:?}");
        error_at(1, &items[0], "header row");
        assert_eq!(items[1], ok(2, "ann@example.org", None));
        assert_eq!(items[2], ok(3, "bob@example.org", None));
        error_at(4, &items[3], "unknown reason \"maybe\"");
        error_at(5, &items[4], "expected 1 column");
    }

    #[test]
    fn json_lines_in_both_modes() {
        let text = "{\"emailAddress\":\"ann@example.org\",\"reason\":\"COMPLAINT\"}\n\
            {\"emailAddress\":\"bob@example.org\"}\n\
            {\"emailAddress\":\"cat@example.org\",\"reason\":\"bounce\"}\n\
            [1,2]\n\
            {\"reason\":\"BOUNCE\"}\n\
            {\"emailAddress\":\"Dan <dan@example.org>\",\"reason\":\"BOUNCE\"}\n\
            {\"emailAddress\":\" eve@example.org \",\"reason\":\"BOUNCE\",\"extra\":1}";
        let items = read(text, ImportFormat::Json, ImportMode::Put);
        assert_eq!(items.len(), 7, "{items:?}");
        assert_eq!(items[0], ok(1, "ann@example.org", Some(Complaint)));
        error_at(2, &items[1], "missing reason");
        error_at(3, &items[2], "unknown reason \"bounce\"");
        error_at(4, &items[3], "not a JSON object");
        error_at(5, &items[4], "missing emailAddress");
        error_at(6, &items[5], "display name");
        assert_eq!(items[6], ok(7, "eve@example.org", Some(Bounce)));

        let items = read(text, ImportFormat::Json, ImportMode::Delete);
        assert_eq!(items[0], ok(1, "ann@example.org", None));
        assert_eq!(items[1], ok(2, "bob@example.org", None));
        error_at(3, &items[2], "unknown reason");
    }
}
