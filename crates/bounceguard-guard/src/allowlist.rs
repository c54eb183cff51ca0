//! The staging allow-list: mailboxes known to exist.
//!
//! Entries come from `[[mailboxes]]` (`address = "…"`), a plain list (`mailboxes = ["…"]`), or a
//! file with one address per line (`#` starts a comment). Each entry must pass SES's syntax
//! check and is stored in canonical form, without folding. A recipient is known when its
//! canonical form is an entry (exact), or when its form without `+tag` is (alias): with
//! `hoge@company.com` listed, `hoge+1@company.com` is known. An entry that itself has a tag
//! (`a+b@x`) admits exactly that address, not `a+c@x`. Local-part case follows
//! [`NormalizeOptions::lowercase_local`] like every other comparison.
//!
//! Hashing uses foldhash (randomly seeded per process): lookups run for every recipient.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;

use serde::Deserialize;

use bounceguard_core::address::Mailbox;

use crate::normalize::{NormalizeOptions, Normalized, normalize};
use crate::route::ConfigError;

/// One `[[mailboxes]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// The mailbox address.
    pub address: String,
    /// Free text for people (who owns it).
    pub note: Option<String>,
}

/// A mailbox entry: a table or a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum MailboxEntry {
    /// `mailboxes = ["hoge@company.com"]`.
    Address(String),
    /// `[[mailboxes]] address = "hoge@company.com"`.
    Table(MailboxConfig),
}

impl MailboxEntry {
    /// The address text.
    pub fn address(&self) -> &str {
        match self {
            Self::Address(a) => a,
            Self::Table(t) => &t.address,
        }
    }
}

/// How a recipient matched the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowMatch {
    /// The address itself is listed.
    Exact,
    /// Its form without `+tag` is listed.
    Alias,
}

/// The set of known mailboxes, keyed by domain then local part (lookups do not allocate).
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    by_domain: HashMap<String, Locals, RandomState>,
    len: usize,
}

/// The known local parts of one domain.
#[derive(Debug, Clone, Default)]
struct Locals {
    set: HashSet<String, RandomState>,
    /// Some entry has a `+` (only then can a folded address match an entry exactly).
    tagged: bool,
}

impl AllowList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list has no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds one address (syntax-checked, normalised without folding); `entry` numbers errors.
    pub fn insert(
        &mut self,
        address: &str,
        entry: usize,
        options: &NormalizeOptions,
    ) -> Result<(), ConfigError> {
        let bad = |why: String| ConfigError::BadMailbox {
            entry,
            address: address.to_string(),
            why,
        };
        let mailbox = Mailbox::parse(address).map_err(|e| bad(e.message))?;
        let unfolded = NormalizeOptions {
            fold_plus: false,
            ..*options
        };
        let n = normalize(&mailbox.address, &unfolded).map_err(|e| bad(e.to_string()))?;
        let locals = self.by_domain.entry(n.domain).or_default();
        locals.tagged |= n.local.contains('+');
        if locals.set.insert(n.local) {
            self.len += 1;
        }
        Ok(())
    }

    /// Adds the configured `[[mailboxes]]`, numbered from 1.
    pub fn extend_entries(
        &mut self,
        entries: &[MailboxEntry],
        options: &NormalizeOptions,
    ) -> Result<(), ConfigError> {
        for (i, entry) in entries.iter().enumerate() {
            self.insert(entry.address(), i + 1, options)?;
        }
        Ok(())
    }

    /// Adds a mailbox file's text: one address per line, blank lines and `#` comments skipped;
    /// errors name the line.
    pub fn extend_text(
        &mut self,
        text: &str,
        options: &NormalizeOptions,
    ) -> Result<(), ConfigError> {
        for (i, line) in text.lines().enumerate() {
            let line = strip_comment(line).trim();
            if !line.is_empty() {
                self.insert(line, i + 1, options)?;
            }
        }
        Ok(())
    }

    /// Whether `address` (normalised with the same options) is a known mailbox or an alias of one.
    pub fn lookup(&self, address: &Normalized) -> Option<AllowMatch> {
        let locals = self.by_domain.get(&address.domain)?;
        if address.is_folded() {
            // The canonical local part lost its tag: try the full form first.
            if let Some(tag) = address.tag.as_ref().filter(|_| locals.tagged) {
                let full = format!("{}+{tag}", address.local);
                if locals.set.contains(&full) {
                    return Some(AllowMatch::Exact);
                }
            }
            return locals
                .set
                .contains(&address.local)
                .then_some(AllowMatch::Alias);
        }
        if locals.set.contains(&address.local) {
            return Some(AllowMatch::Exact);
        }
        (address.tag.is_some() && locals.set.contains(address.base_local()))
            .then_some(AllowMatch::Alias)
    }
}

/// The line up to a `#` that starts it or follows whitespace (`a#b@x` is an address).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let cut = bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        .map_or(line.len(), |(i, _)| i);
    &line[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str], options: &NormalizeOptions) -> AllowList {
        let mut list = AllowList::new();
        for (i, e) in entries.iter().enumerate() {
            list.insert(e, i + 1, options).expect("valid entry");
        }
        list
    }

    fn lookup(list: &AllowList, address: &str, options: &NormalizeOptions) -> Option<AllowMatch> {
        list.lookup(&normalize(address, options).expect("address"))
    }

    #[test]
    fn allow_list_table() {
        let keep = NormalizeOptions::default();
        let fold = NormalizeOptions {
            fold_plus: true,
            ..keep
        };
        let l = list(
            &["hoge@Company.com", "a+b@x.org", "\"john doe\"@x.org"],
            &keep,
        );
        assert_eq!(l.len(), 3);
        use AllowMatch::*;
        let cases: &[(&str, &NormalizeOptions, Option<AllowMatch>)] = &[
            ("hoge@company.com", &keep, Some(Exact)),
            ("hoge@COMPANY.COM", &keep, Some(Exact)),
            ("Hoge <hoge@company.com>", &keep, Some(Exact)),
            ("hoge+1@company.com", &keep, Some(Alias)),
            ("hoge+loadtest-000001@company.com", &keep, Some(Alias)),
            ("hoge+1@company.com", &fold, Some(Alias)),
            ("Hoge@company.com", &keep, None),
            ("hoge@mail.company.com", &keep, None),
            ("fuga@company.com", &keep, None),
            ("fuga+hoge@company.com", &keep, None),
            ("a+b@x.org", &keep, Some(Exact)),
            ("a+b@x.org", &fold, Some(Exact)),
            ("a+c@x.org", &keep, None),
            ("a@x.org", &keep, None),
            ("\"john doe\"@x.org", &keep, Some(Exact)),
        ];
        for (address, options, expected) in cases {
            assert_eq!(lookup(&l, address, options), *expected, "{address}");
        }
    }

    #[test]
    fn lowercase_local_option_applies_to_entries_and_lookups() {
        let lower = NormalizeOptions {
            lowercase_local: true,
            ..Default::default()
        };
        let l = list(&["Hoge@company.com"], &lower);
        assert_eq!(
            lookup(&l, "HOGE+x@company.com", &lower),
            Some(AllowMatch::Alias)
        );
    }

    #[test]
    fn entries_from_config_and_file() {
        #[derive(Deserialize)]
        struct File {
            mailboxes: Vec<MailboxEntry>,
        }
        let file: File = toml::from_str(
            "[[mailboxes]]\naddress = \"hoge@company.com\"\nnote = \"QA\"\n\n[[mailboxes]]\naddress = \"fuga@company.com\"",
        )
        .expect("toml");
        let plain: File = toml::from_str("mailboxes = [\"piyo@company.com\"]").expect("toml");
        let mut l = AllowList::new();
        l.extend_entries(&file.mailboxes, &NormalizeOptions::default())
            .expect("ok");
        l.extend_entries(&plain.mailboxes, &NormalizeOptions::default())
            .expect("ok");
        l.extend_text(
            "# staging mailboxes\n\nqa1@company.com  # Ann\nhoge@company.com\nq#1@company.com\n",
            &NormalizeOptions::default(),
        )
        .expect("ok");
        assert_eq!(l.len(), 5, "hoge listed twice counts once");
        assert_eq!(
            lookup(&l, "q#1@company.com", &NormalizeOptions::default()),
            Some(AllowMatch::Exact),
            "`#` inside an address is not a comment"
        );
        let err = l
            .extend_text(
                "ok@company.com\nbad@exa_mple.org\n",
                &NormalizeOptions::default(),
            )
            .expect_err("line 2 is bad");
        assert_eq!(
            err.to_string(),
            "mailbox 2 (\"bad@exa_mple.org\"): Domain contains illegal character"
        );
    }
}
