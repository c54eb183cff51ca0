//! SES's bulk suppression-list CSV (ses-spec §6): one `address,REASON` row per line, for
//! example `ann@example.org,BOUNCE`, and **no header row**.
//!
//! [`CsvReader`] streams over any `BufRead`: it holds one record at a time, so a file of
//! millions of lines is never loaded whole. It yields every line either as an entry or as a
//! [`LineError`] naming the line and what is wrong with it, and goes on with the next line.
//! A header row is therefore not skipped silently: SES has none, so a first line such as
//! `email,reason` is reported as a bad line (with a message that says why), like any other.
//!
//! The rules a line must meet:
//! - exactly two columns (RFC 4180 quoting is understood: `"a,b"@x.org` can be quoted);
//! - the address, trimmed, is a bare `local@domain` that `Mailbox::parse` accepts (the SES API
//!   check), without a display name;
//! - the reason, trimmed, is `BOUNCE` or `COMPLAINT` exactly (the API's enum values are
//!   case-sensitive, ses-spec §2.4);
//! - empty lines are skipped (they still count for line numbers).
//!
//! [`CsvWriter`] writes the same format for export, quoting only fields that need it, with
//! `\n` line ends: reading a file written by it and writing the entries again gives the same
//! bytes.
//!
//! Hand-written line splitting and quoting (RFC 4180 within one line): the `csv` crate numbers
//! a record that follows an empty line by the empty line, and a bad line must be reported by
//! its real number. An address cannot hold a line break, so a record never spans lines here;
//! a line with an open quote is a bad line.

use std::io::{BufRead, Write};

use bounceguard_core::address::Mailbox;
use bounceguard_guard::SuppressionReason;

/// Longest line read whole; the rest of a longer line is skipped and the line reported (an
/// address is at most 254 octets, so no good line comes near it).
pub const MAX_LINE_BYTES: usize = 4096;

/// A line of an import file that is not a valid entry: its 1-based line number and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line_no}: {reason_text}")]
pub struct LineError {
    /// The 1-based line number.
    pub line_no: u64,
    /// What is wrong with the line, for the person who wrote the file.
    pub reason_text: String,
}

/// One good line: its 1-based line number, the address as written (trimmed, not normalised)
/// and the reason.
pub type CsvEntry = (u64, String, SuppressionReason);

/// Parses the reason column: `BOUNCE` or `COMPLAINT`, exactly.
pub fn parse_reason(text: &str) -> Option<SuppressionReason> {
    match text {
        "BOUNCE" => Some(SuppressionReason::Bounce),
        "COMPLAINT" => Some(SuppressionReason::Complaint),
        _ => None,
    }
}

/// Splits one line (without its line end) into fields: `,` separates, a field that starts
/// with `"` runs to the matching `"` with `""` standing for one quote. `None` when a quoted
/// field is not closed or is followed by anything but `,`.
pub(crate) fn split_fields(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut fields = Vec::with_capacity(2);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix(b"\"") {
            let mut field = Vec::with_capacity(quoted.len());
            let mut i = 0;
            loop {
                match quoted.get(i) {
                    None => return None,
                    Some(b'"') if quoted.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        field.push(b);
                        i += 1;
                    }
                }
            }
            fields.push(field);
            rest = quoted.get(i..).unwrap_or_default();
            match rest.split_first() {
                None => return Some(fields),
                Some((b',', after)) => rest = after,
                Some(_) => return None,
            }
        } else {
            match rest.iter().position(|&b| b == b',') {
                Some(comma) => {
                    fields.push(rest[..comma].to_vec());
                    rest = &rest[comma + 1..];
                }
                None => {
                    fields.push(rest.to_vec());
                    return Some(fields);
                }
            }
        }
    }
}

/// A streaming reader of SES bulk CSV: an iterator of entries and bad lines that never stops
/// at a bad line (only at the end of the input or at an I/O error, which it yields first).
pub struct CsvReader<R: BufRead> {
    lines: Lines<R>,
}

/// Lines of an import file, one at a time, with their 1-based numbers (shared by the CSV and
/// the JSON readers).
pub(crate) struct Lines<R: BufRead> {
    input: R,
    /// The line just read, without its line end (and without a leading byte-order mark).
    pub(crate) line: Vec<u8>,
    /// Its 1-based number.
    pub(crate) line_no: u64,
    done: bool,
}

/// What reading one line found.
enum Line {
    /// The end of the input.
    End,
    /// A whole line (line end removed) in `Lines::line`.
    Whole,
    /// A line longer than [`MAX_LINE_BYTES`]; it was skipped.
    TooLong,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader over `input` (a file, stdin, a byte slice).
    pub fn new(input: R) -> Self {
        Self {
            lines: Lines::new(input),
        }
    }
}

impl<R: BufRead> Lines<R> {
    /// Lines of `input`.
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            line: Vec::with_capacity(128),
            line_no: 0,
            done: false,
        }
    }

    /// The next non-blank line (in `self.line`), a [`LineError`] for an overlong line or an I/O
    /// error (which ends the input), or `None` at the end.
    pub(crate) fn next_line(&mut self) -> Option<Result<(), LineError>> {
        loop {
            if self.done {
                return None;
            }
            match self.read_line() {
                Ok(Line::End) => {
                    self.done = true;
                    return None;
                }
                Ok(Line::TooLong) => {
                    return Some(Err(LineError {
                        line_no: self.line_no,
                        reason_text: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
                    }));
                }
                Ok(Line::Whole) if self.line.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(Line::Whole) => return Some(Ok(())),
                Err(e) => {
                    self.done = true;
                    return Some(Err(LineError {
                        line_no: self.line_no + 1,
                        reason_text: format!("cannot read the line: {e}"),
                    }));
                }
            }
        }
    }

    /// Reads the next line into `self.line`, keeping at most [`MAX_LINE_BYTES`].
    fn read_line(&mut self) -> std::io::Result<Line> {
        self.line.clear();
        let mut seen_any = false;
        let mut too_long = false;
        loop {
            let buffer = match self.input.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buffer.is_empty() {
                break;
            }
            seen_any = true;
            let (chunk, used, ended) = match buffer.iter().position(|&b| b == b'\n') {
                Some(i) => (&buffer[..i], i + 1, true),
                None => (buffer, buffer.len(), false),
            };
            if !too_long {
                if self.line.len() + chunk.len() > MAX_LINE_BYTES {
                    too_long = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            self.input.consume(used);
            if ended {
                break;
            }
        }
        if !seen_any {
            return Ok(Line::End);
        }
        self.line_no += 1;
        if too_long {
            return Ok(Line::TooLong);
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line_no == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
            // A UTF-8 byte-order mark, as spreadsheet programs write it.
            self.line.drain(..3);
        }
        Ok(Line::Whole)
    }
}

impl<R: BufRead> CsvReader<R> {
    /// Checks the line just read.
    fn check(&self) -> Result<CsvEntry, LineError> {
        let line_no = self.lines.line_no;
        let error = |reason_text: String| LineError {
            line_no,
            reason_text,
        };
        let Some(fields) = split_fields(&self.lines.line) else {
            return Err(error(
                "a quoted field is not closed, or text follows its closing quote".to_string(),
            ));
        };
        if fields.len() != 2 {
            return Err(error(format!(
                "expected 2 columns (address,reason), found {}",
                fields.len()
            )));
        }
        let field = |i: usize| -> Result<&str, LineError> {
            let bytes = fields.get(i).map_or(&[][..], Vec::as_slice);
            std::str::from_utf8(bytes)
                .map(str::trim)
                .map_err(|_| error("the line is not valid UTF-8".to_string()))
        };
        let address = field(0)?;
        let reason_text = field(1)?;
        let reason = parse_reason(reason_text);
        if line_no == 1 && reason.is_none() && !address.contains('@') {
            return Err(error(format!(
                "looks like a header row ({address},{reason_text}): SES bulk CSV files have no \
                 header row, every line is address,REASON"
            )));
        }
        check_address(address, line_no)?;
        let Some(reason) = reason else {
            return Err(error(format!(
                "unknown reason {reason_text:?}: expected BOUNCE or COMPLAINT"
            )));
        };
        Ok((line_no, address.to_string(), reason))
    }
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<CsvEntry, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.lines.next_line()? {
            Ok(()) => Some(self.check()),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Checks an address column: present, a bare `local@domain` that `Mailbox::parse` accepts
/// (the API's check), no display name.
pub(crate) fn check_address(address: &str, line_no: u64) -> Result<(), LineError> {
    let error = |reason_text: String| LineError {
        line_no,
        reason_text,
    };
    if address.is_empty() {
        return Err(error("missing address".to_string()));
    }
    let mailbox = Mailbox::parse(address).map_err(|e| {
        error(format!(
            "invalid address {address:?}: {message}",
            message = e.message
        ))
    })?;
    if mailbox.display_name.is_some() || mailbox.address != address {
        return Err(error(format!(
            "invalid address {address:?}: expected a bare local@domain without a display name"
        )));
    }
    Ok(())
}

/// Writes SES bulk CSV for export: `address,REASON` lines ending in `\n`, no header. An
/// address holding `,` or `"` (possible in a quoted local part) is quoted, `"` doubled.
pub struct CsvWriter<W: Write> {
    output: std::io::BufWriter<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `output` (buffered internally).
    pub fn new(output: W) -> Self {
        Self {
            output: std::io::BufWriter::with_capacity(64 * 1024, output),
        }
    }

    /// Writes one entry.
    pub fn write(&mut self, address: &str, reason: SuppressionReason) -> std::io::Result<()> {
        if address.contains([',', '"', '\r', '\n']) || address.trim() != address {
            self.output.write_all(b"\"")?;
            self.output
                .write_all(address.replace('"', "\"\"").as_bytes())?;
            self.output.write_all(b"\"")?;
        } else {
            self.output.write_all(address.as_bytes())?;
        }
        self.output.write_all(b",")?;
        self.output.write_all(reason.as_str().as_bytes())?;
        self.output.write_all(b"\n")
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> std::io::Result<W> {
        self.output.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use SuppressionReason::{Bounce, Complaint};

    fn read(text: &[u8]) -> Vec<Result<CsvEntry, LineError>> {
        CsvReader::new(text).collect()
    }

    fn error_at(line_no: u64, item: &Result<CsvEntry, LineError>, needle: &str) {
        match item {
            Err(e) => {
                assert_eq!(e.line_no, line_no, "{e}");
                assert!(e.reason_text.contains(needle), "{e} lacks {needle:?}");
            }
            Ok(entry) => panic!("expected an error at line {line_no}, got {entry:?}"),
        }
    }

    #[test]
    fn good_lines_are_entries_with_their_line_numbers() {
        let items = read(b"ann@example.org,BOUNCE\n  bob@example.org , COMPLAINT \r\n");
        assert_eq!(
            items,
            vec![
                Ok((1, "ann@example.org".to_string(), Bounce)),
                Ok((2, "bob@example.org".to_string(), Complaint)),
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_and_reading_goes_on() {
        let text = b"ann@example.org,BOUNCE\n\
            no-at-sign,BOUNCE\n\
            carl@example.org,bounce\n\
            dora@example.org\n\
            eve@example.org,BOUNCE,extra\n\
            \n\
            fay@example.org,COMPLAINT\n\
            Gus <gus@example.org>,BOUNCE\n\
            \xff@example.org,BOUNCE\n\
            ,BOUNCE\n\
            hal@example..org,BOUNCE\n\
            ivy@example.org,COMPLAINT";
        let items = read(text);
        assert_eq!(items.len(), 11, "{items:?}");
        assert_eq!(items[0], Ok((1, "ann@example.org".to_string(), Bounce)));
        error_at(2, &items[1], "Missing final '@domain'");
        error_at(3, &items[2], "unknown reason \"bounce\"");
        error_at(4, &items[3], "found 1");
        error_at(5, &items[4], "found 3");
        // Line 6 is empty and skipped.
        assert_eq!(items[5], Ok((7, "fay@example.org".to_string(), Complaint)));
        error_at(8, &items[6], "display name");
        error_at(9, &items[7], "UTF-8");
        error_at(10, &items[8], "missing address");
        error_at(11, &items[9], "dot-dot");
        assert_eq!(
            items[10],
            Ok((12, "ivy@example.org".to_string(), Complaint))
        );
    }

    #[test]
    fn a_header_row_is_a_bad_line_that_says_so() {
        let items = read(b"email,reason\nann@example.org,BOUNCE\n");
        error_at(1, &items[0], "no header row");
        assert_eq!(items[1], Ok((2, "ann@example.org".to_string(), Bounce)));
        // The same text on a later line is an ordinary bad address.
        let items = read(b"ann@example.org,BOUNCE\nemail,reason\n");
        error_at(2, &items[1], "Missing final '@domain'");
    }

    #[test]
    fn quoted_fields_are_understood_and_a_record_never_spans_lines() {
        let items = read(b"\"\\\"a,b\\\"\"@x.org,BOUNCE\n\"ann@example.org\",\"COMPLAINT\"\n");
        // `"\"a,b\""…`: the quote after the backslash closes the field and text follows it.
        error_at(1, &items[0], "quoted field");
        assert_eq!(items[1], Ok((2, "ann@example.org".to_string(), Complaint)));
        let items = read(b"\"\"\"a,b\"\"@x.org\",BOUNCE\n\"multi\nline\",BOUNCE\nz@x.org,BOUNCE\n");
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[0], Ok((1, "\"a,b\"@x.org".to_string(), Bounce)));
        error_at(2, &items[1], "not closed");
        error_at(3, &items[2], "invalid address");
        assert_eq!(items[3], Ok((4, "z@x.org".to_string(), Bounce)));
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_an_overlong_line_is_reported() {
        let mut text = b"\xEF\xBB\xBFann@example.org,BOUNCE\n".to_vec();
        text.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
        text.extend(b"@x.org,BOUNCE\nbob@example.org,COMPLAINT");
        let items = read(&text);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0], Ok((1, "ann@example.org".to_string(), Bounce)));
        error_at(2, &items[1], "longer than 4096 bytes");
        assert_eq!(items[2], Ok((3, "bob@example.org".to_string(), Complaint)));
    }

    #[test]
    fn export_then_import_round_trips_byte_for_byte() {
        let entries = [
            ("ann@example.org", Bounce),
            ("\"a,b\"@x.org", Complaint),
            ("Zed.Upper@Example.ORG", Bounce),
        ];
        let mut writer = CsvWriter::new(Vec::new());
        for (address, reason) in entries {
            writer.write(address, reason).unwrap();
        }
        let bytes = writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "ann@example.org,BOUNCE\n\"\"\"a,b\"\"@x.org\",COMPLAINT\nZed.Upper@Example.ORG,BOUNCE\n"
        );
        let read_back: Vec<CsvEntry> = CsvReader::new(&bytes[..]).map(Result::unwrap).collect();
        let mut again = CsvWriter::new(Vec::new());
        for (_, address, reason) in &read_back {
            again.write(address, *reason).unwrap();
        }
        assert_eq!(again.finish().unwrap(), bytes);
    }

    #[test]
    fn an_io_error_ends_the_stream_after_being_reported() {
        struct Failing;
        impl std::io::Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk gone"))
            }
        }
        let mut reader = CsvReader::new(std::io::BufReader::new(Failing));
        match reader.next() {
            Some(Err(e)) => assert!(e.reason_text.contains("disk gone"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(reader.next().is_none());
    }
}
