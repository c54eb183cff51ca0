//! Unique addresses for load tests and dummy accounts (`bounceguard addresses generate`).
//!
//! - Without `alias_of`: `PREFIX-000001@DOMAIN`, numbered from 1, zero-padded to at least six
//!   digits (more when `count` needs them). `DOMAIN` defaults to `example.com` and must be a
//!   reserved test domain: such mail is captured, never sent.
//! - With `alias_of = "hoge@company.com"`: `+` aliases of that one real mailbox,
//!   `hoge+PREFIX-000001@company.com`. Mail to them reaches one mailbox that exists, so it
//!   cannot bounce. `domain`, if also given, must be the mailbox's domain.
//! - `lines`: one address per item. `csv`: a header `index,address`, then `N,address`.
//! - Deterministic: the same arguments give the same sequence.

use bounceguard_core::address::{MAX_ADDRESS_LEN, MAX_LOCAL_LEN, Mailbox};

use crate::normalize::normalize_domain;
use crate::reserved::is_reserved_test_domain;

/// Longest prefix accepted.
pub const MAX_PREFIX_LEN: usize = 40;
/// The domain used when none is given.
pub const DEFAULT_DOMAIN: &str = "example.com";

/// Output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum GenerateFormat {
    /// One address per line.
    #[default]
    Lines,
    /// `index,address` with a header row.
    Csv,
}

/// Why the generator refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// The prefix has characters that do not belong in a local part, or is too long.
    #[error(
        "prefix {0:?}: use 1 to 40 letters, digits, '.', '_' or '-' (no leading, trailing or double '.')"
    )]
    BadPrefix(String),
    /// A domain that is not a reserved test domain, without `alias_of`.
    #[error(
        "{0} is not a reserved test domain: mail to generated addresses there would reach real servers and bounce; use a reserved test domain (example.com, *.test, …) or --alias-of REAL@MAILBOX"
    )]
    NotReserved(String),
    /// `alias_of` is not a plain mailbox without a tag.
    #[error("--alias-of {address:?}: {why}")]
    BadAliasOf {
        /// The value given.
        address: String,
        /// What is wrong.
        why: String,
    },
    /// `domain` and `alias_of` disagree.
    #[error("--domain {domain} differs from the domain of --alias-of {alias_of}")]
    DomainMismatch {
        /// The `domain` given.
        domain: String,
        /// The `alias_of` given.
        alias_of: String,
    },
    /// The longest generated address would break an RFC 5321 limit.
    #[error("generated addresses would be too long for RFC 5321 (e.g. {0}); use a shorter prefix")]
    TooLong(String),
}

/// The address stream; see the module docs.
#[derive(Debug, Clone)]
pub struct Generated {
    local_prefix: String,
    domain: String,
    width: usize,
    next: u64,
    remaining: u64,
    format: GenerateFormat,
    header_pending: bool,
}

impl Generated {
    fn address(&self, n: u64) -> String {
        format!(
            "{}{:0width$}@{}",
            self.local_prefix,
            n,
            self.domain,
            width = self.width
        )
    }
}

impl Iterator for Generated {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.header_pending {
            self.header_pending = false;
            return Some("index,address".to_string());
        }
        if self.remaining == 0 {
            return None;
        }
        let n = self.next;
        self.remaining -= 1;
        self.next = self.next.saturating_add(1);
        let address = self.address(n);
        Some(match self.format {
            GenerateFormat::Lines => address,
            GenerateFormat::Csv => format!("{n},{address}"),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self
            .remaining
            .saturating_add(u64::from(self.header_pending));
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

/// Generates `count` unique addresses; refuses a real domain unless `alias_of` names a mailbox.
pub fn generate(
    prefix: &str,
    count: u64,
    domain: Option<&str>,
    alias_of: Option<&str>,
    format: GenerateFormat,
) -> Result<Generated, GenerateError> {
    check_prefix(prefix)?;
    let domain = domain
        .map(|d| normalize_domain(d.trim()).map_err(|_| GenerateError::NotReserved(d.to_string())))
        .transpose()?;
    let (local_prefix, domain) = match alias_of {
        None => {
            let domain = domain.unwrap_or_else(|| DEFAULT_DOMAIN.to_string());
            if !is_reserved_test_domain(&domain) {
                return Err(GenerateError::NotReserved(domain));
            }
            (format!("{prefix}-"), domain)
        }
        Some(alias_of) => {
            let (local, alias_domain) = alias_base(alias_of)?;
            if let Some(domain) = domain.filter(|d| *d != alias_domain) {
                return Err(GenerateError::DomainMismatch {
                    domain,
                    alias_of: alias_of.to_string(),
                });
            }
            (format!("{local}+{prefix}-"), alias_domain)
        }
    };
    let width = count.max(1).to_string().len().max(6);
    let generated = Generated {
        local_prefix,
        domain,
        width,
        next: 1,
        remaining: count,
        format,
        header_pending: format == GenerateFormat::Csv,
    };
    let longest = generated.address(count.max(1));
    let local_len = longest.rfind('@').unwrap_or(longest.len());
    if local_len > MAX_LOCAL_LEN || longest.len() > MAX_ADDRESS_LEN {
        return Err(GenerateError::TooLong(longest));
    }
    Ok(generated)
}

fn check_prefix(prefix: &str) -> Result<(), GenerateError> {
    let ok = !prefix.is_empty()
        && prefix.len() <= MAX_PREFIX_LEN
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !prefix.starts_with('.')
        && !prefix.ends_with('.')
        && !prefix.contains("..");
    if ok {
        Ok(())
    } else {
        Err(GenerateError::BadPrefix(prefix.to_string()))
    }
}

/// The local part and normalised domain of the mailbox to alias.
fn alias_base(alias_of: &str) -> Result<(String, String), GenerateError> {
    let bad = |why: &str| GenerateError::BadAliasOf {
        address: alias_of.to_string(),
        why: why.to_string(),
    };
    let mailbox = Mailbox::parse(alias_of).map_err(|e| bad(&e.message))?;
    if mailbox.display_name.is_some() || mailbox.address != alias_of.trim() {
        return Err(bad("give the bare address, without a display name"));
    }
    let local = mailbox.local_part();
    if local.starts_with('"') {
        return Err(bad("a quoted local part cannot take a +tag"));
    }
    if local.contains('+') {
        return Err(bad("give the mailbox itself, without a +tag"));
    }
    let domain = normalize_domain(mailbox.domain()).map_err(|e| bad(&e.to_string()))?;
    Ok((local.to_string(), domain))
}
