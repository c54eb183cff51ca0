//! The bulk CSV format and the index, checked against simple models: a generated import file
//! with malformed lines, export round trips, and the index against a `HashMap`.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use bounceguard_suppression::csv::{CsvReader, CsvWriter};
use bounceguard_suppression::{SuppressionIndex, SuppressionReason, hash};
use proptest::prelude::*;

use SuppressionReason::{Bounce, Complaint};

/// 100,000 lines; every 100th (line numbers 100, 200, …) is malformed in one of five ways.
#[test]
fn a_file_with_one_percent_bad_lines_reports_each_bad_line_and_keeps_every_good_one() {
    let mut text = String::new();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for line_no in 1..=100_000u64 {
        if line_no % 100 == 0 {
            let line = match (line_no / 100) % 5 {
                0 => format!("broken{line_no}.example.org,BOUNCE"),
                1 => format!("u{line_no}@example.org,SPAM"),
                2 => format!("u{line_no}@example.org"),
                3 => format!("u{line_no}@example.org,BOUNCE,{line_no}"),
                _ => format!("u{line_no}@exa mple.org,COMPLAINT"),
            };
            text.push_str(&line);
            bad.push(line_no);
        } else {
            let reason = if line_no % 7 == 0 { Complaint } else { Bounce };
            let address = format!("user{line_no}@example{}.org", line_no % 13);
            text.push_str(&format!("{address},{}", reason.as_str()));
            good.push((line_no, address, reason));
        }
        text.push('\n');
    }
    let (mut entries, mut errors) = (Vec::new(), Vec::new());
    for item in CsvReader::new(text.as_bytes()) {
        match item {
            Ok(entry) => entries.push(entry),
            Err(e) => errors.push(e.line_no),
        }
    }
    assert_eq!(entries, good);
    assert_eq!(errors, bad);
    assert_eq!(errors.len(), 1_000);
}

#[test]
fn export_of_an_import_is_byte_identical_after_sorting() {
    let mut lines: Vec<String> = (0..5_000u64)
        .map(|i| {
            let reason = if i % 3 == 0 { "COMPLAINT" } else { "BOUNCE" };
            format!("person.{i}@example{}.org,{reason}\n", i % 17)
        })
        .collect();
    lines.push("\"\"\"quoted,local\"\"@example.org\",BOUNCE\n".to_string());
    let file: String = lines.concat();
    let mut writer = CsvWriter::new(Vec::new());
    // Export in another order (as a store listing would), then compare sorted lines.
    let mut entries: Vec<_> = CsvReader::new(file.as_bytes())
        .map(Result::unwrap)
        .collect();
    entries.reverse();
    for (_, address, reason) in &entries {
        writer.write(address, *reason).unwrap();
    }
    let exported = String::from_utf8(writer.finish().unwrap()).unwrap();
    let mut a: Vec<&str> = file.split_inclusive('\n').collect();
    let mut b: Vec<&str> = exported.split_inclusive('\n').collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9+_-]{1,10}(\\.[a-zA-Z0-9+_-]{1,8}){0,2}",
        // A quoted local part holding the CSV specials.
        "\"[a-z ,]{1,8}\"",
    ]
}

proptest! {
    #[test]
    fn written_entries_read_back_unchanged(
        entries in prop::collection::vec(
            (local_part(), "[a-z]{1,10}\\.(org|net|test)", any::<bool>()),
            0..40,
        )
    ) {
        let entries: Vec<(String, SuppressionReason)> = entries
            .into_iter()
            .map(|(l, d, c)| (format!("{l}@{d}"), if c { Complaint } else { Bounce }))
            .collect();
        let mut writer = CsvWriter::new(Vec::new());
        for (address, reason) in &entries {
            writer.write(address, *reason).unwrap();
        }
        let bytes = writer.finish().unwrap();
        let read: Vec<(String, SuppressionReason)> = CsvReader::new(&bytes[..])
            .map(|r| r.map(|(_, a, r)| (a, r)))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read, entries);
    }

    #[test]
    fn the_index_agrees_with_a_map(
        ops in prop::collection::vec((0u8..3, 0u16..200, any::<bool>()), 0..400)
    ) {
        let index = SuppressionIndex::new();
        let mut model: HashMap<String, SuppressionReason> = HashMap::new();
        for (op, n, complaint) in ops {
            let address = format!("a{n}@x.test");
            let reason = if complaint { Complaint } else { Bounce };
            match op {
                0 => prop_assert_eq!(
                    index.insert(address.as_str(), reason),
                    model.insert(address.clone(), reason)
                ),
                1 => prop_assert_eq!(index.remove(hash(&address)), model.remove(&address)),
                _ => prop_assert_eq!(index.lookup(&address), model.get(&address).copied()),
            }
        }
        prop_assert_eq!(index.len(), model.len());
        let rebuilt = SuppressionIndex::build(index.entries());
        for (address, reason) in &model {
            prop_assert_eq!(rebuilt.lookup(address.as_str()), Some(*reason));
        }
    }
}
