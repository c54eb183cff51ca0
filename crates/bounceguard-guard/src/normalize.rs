//! The canonical form of an address, used for every comparison: routes, the allow-list,
//! suppression and statistics.
//!
//! - The domain is lower-cased. A Unicode domain (from configuration or a tool; the SES fronts
//!   refuse them) is converted to its ASCII (punycode) form with UTS #46; `xn--` labels stay as
//!   they are, lower-cased. One trailing dot is dropped.
//! - The local part keeps its case by default: SES treats local parts case-sensitively
//!   (ses-spec §2.4, `Foo@x` and `foo@x` are two suppression entries).
//!   [`NormalizeOptions::lowercase_local`] lower-cases it (ASCII) for every comparison instead.
//! - A quoted local part whose content is a valid dot-atom loses its quotes (`"ann"@x` is
//!   `ann@x`, RFC 5321 §4.1.2); one that needs them keeps a minimal quoting.
//! - `+tag`: the part after the first `+` of an unquoted local part is the tag (`hoge+1` →
//!   base `hoge`, tag `1`). It is always reported in [`Normalized::tag`]; it is removed from the
//!   canonical form only when folding is on ([`NormalizeOptions::fold_plus`], or a route's
//!   `fold_plus`). A local part that must stay quoted has no tag and is never folded.

use std::borrow::Cow;

use serde::Deserialize;

/// How addresses are normalised (config table `[normalize]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizeOptions {
    /// Fold `+tag` for every address (routes can also fold per route).
    pub fold_plus: bool,
    /// Lower-case the local part too (off by default: SES compares local parts case-sensitively).
    pub lowercase_local: bool,
}

/// An address in canonical form, with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Normalized {
    /// `local@domain` in canonical form: what every comparison uses.
    pub canonical: String,
    /// The text as submitted (display name included, untrimmed).
    pub original: String,
    /// The canonical domain (ASCII, lower case).
    pub domain: String,
    /// The canonical local part (without the tag when folded).
    pub local: String,
    /// The `+tag`, without the `+`, whether or not it was folded.
    pub tag: Option<String>,
}

/// Why an address could not be normalised at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// No `@`, or nothing before or after it.
    #[error("not an address: {0:?}")]
    NotAnAddress(String),
    /// A Unicode domain that UTS #46 cannot convert to ASCII.
    #[error("domain {0:?} cannot be converted to ASCII")]
    BadDomain(String),
}

impl Normalized {
    /// Whether the tag has been removed from [`Normalized::canonical`].
    pub fn is_folded(&self) -> bool {
        self.tag.is_some() && !self.local.contains('+')
    }

    /// The local part without its `+tag` (the mailbox an alias points to).
    pub fn base_local(&self) -> &str {
        match &self.tag {
            Some(tag) if !self.is_folded() => self
                .local
                .get(..self.local.len() - tag.len() - 1)
                .unwrap_or(&self.local),
            _ => &self.local,
        }
    }

    /// `base@domain`: the address with any `+tag` removed.
    pub fn without_tag(&self) -> Cow<'_, str> {
        if self.tag.is_none() || self.is_folded() {
            Cow::Borrowed(&self.canonical)
        } else {
            Cow::Owned(join(self.base_local(), &self.domain))
        }
    }

    /// Removes the `+tag` from the canonical form (a no-op without a tag or when done already).
    pub fn fold(&mut self) {
        if self.tag.is_none() || self.is_folded() {
            return;
        }
        let base_len = self.base_local().len();
        self.local.truncate(base_len);
        self.canonical = join(&self.local, &self.domain);
    }
}

/// Normalises `address` (a bare `local@domain` or `Name <local@domain>`).
///
/// Lenient on purpose: it only needs an `@` with something on both sides, so that routes can be
/// matched before the full syntax check (DESIGN.md's order). Syntax is [`Mailbox::parse`]'s job.
///
/// [`Mailbox::parse`]: bounceguard_core::address::Mailbox::parse
pub fn normalize(address: &str, options: &NormalizeOptions) -> Result<Normalized, NormalizeError> {
    normalize_spec(addr_spec(address), address, options)
}

/// Normalises an addr-spec already extracted from `original`.
pub(crate) fn normalize_spec(
    spec: &str,
    original: &str,
    options: &NormalizeOptions,
) -> Result<Normalized, NormalizeError> {
    let address = original;
    let not_an_address = || NormalizeError::NotAnAddress(address.to_string());
    let (local_raw, domain_raw) = split(spec).ok_or_else(not_an_address)?;
    if local_raw.is_empty() || domain_raw.is_empty() {
        return Err(not_an_address());
    }
    let domain = normalize_domain(domain_raw)?;
    let (mut local, quoted) = normalize_local(local_raw);
    if options.lowercase_local {
        local.make_ascii_lowercase();
    }
    let tag = if quoted {
        None
    } else {
        match local.split_once('+') {
            Some((base, tag)) if !base.is_empty() => Some(tag.to_string()),
            _ => None,
        }
    };
    let mut normalized = Normalized {
        canonical: join(&local, &domain),
        original: address.to_string(),
        domain,
        local,
        tag,
    };
    if options.fold_plus {
        normalized.fold();
    }
    Ok(normalized)
}

/// `local@domain` in one allocation.
fn join(local: &str, domain: &str) -> String {
    let mut out = String::with_capacity(local.len() + 1 + domain.len());
    out.push_str(local);
    out.push('@');
    out.push_str(domain);
    out
}

/// Normalises a domain alone (route `domain =` values, allow-list entries, DNS lookups).
pub fn normalize_domain(domain: &str) -> Result<String, NormalizeError> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_ascii() {
        return Ok(domain.to_ascii_lowercase());
    }
    idna::domain_to_ascii(domain).map_err(|_| NormalizeError::BadDomain(domain.to_string()))
}

/// The addr-spec inside `Name <addr>`, or the trimmed text.
fn addr_spec(text: &str) -> &str {
    let text = text.trim();
    if let Some(inner) = text.strip_suffix('>')
        && let Some(open) = opener(inner)
    {
        return inner[open + 1..].trim();
    }
    text
}

/// The first `<` outside quotes.
fn opener(text: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if in_quote && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quote = !in_quote;
        } else if c == '<' && !in_quote {
            return Some(i);
        }
    }
    None
}

/// Local part and domain; a quoted local part may contain `@`.
fn split(spec: &str) -> Option<(&str, &str)> {
    if spec.starts_with('"') {
        let mut escaped = false;
        for (i, c) in spec.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                return spec[i + 1..].strip_prefix('@').map(|d| (&spec[..=i], d));
            }
        }
        return None;
    }
    spec.rsplit_once('@')
}

/// The canonical local part, and whether it stays quoted.
fn normalize_local(local: &str) -> (String, bool) {
    let Some(inner) = local
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .filter(|_| local.len() >= 2)
    else {
        return (local.to_string(), false);
    };
    let mut content = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            content.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            content.push(c);
        }
    }
    if is_dot_atom(&content) {
        return (content, false);
    }
    let mut quoted = String::with_capacity(content.len() + 2);
    quoted.push('"');
    for c in content.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    (quoted, true)
}

/// RFC 5322 dot-atom: atext runs separated by single dots.
fn is_dot_atom(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: NormalizeOptions = NormalizeOptions {
        fold_plus: false,
        lowercase_local: false,
    };
    const FOLD: NormalizeOptions = NormalizeOptions {
        fold_plus: true,
        lowercase_local: false,
    };
    const LOWER: NormalizeOptions = NormalizeOptions {
        fold_plus: false,
        lowercase_local: true,
    };

    /// input, options → canonical, local, domain, tag.
    type Row = (
        &'static str,
        NormalizeOptions,
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    );

    #[test]
    fn normalisation_table() {
        let cases: &[Row] = &[
            (
                "ann@Example.ORG",
                KEEP,
                "ann@example.org",
                "ann",
                "example.org",
                None,
            ),
            (
                "Ann@example.org",
                KEEP,
                "Ann@example.org",
                "Ann",
                "example.org",
                None,
            ),
            (
                "Ann@example.org",
                LOWER,
                "ann@example.org",
                "ann",
                "example.org",
                None,
            ),
            (
                "Ann Lee <Ann@EXAMPLE.org>",
                KEEP,
                "Ann@example.org",
                "Ann",
                "example.org",
                None,
            ),
            (
                "  ann@example.org  ",
                KEEP,
                "ann@example.org",
                "ann",
                "example.org",
                None,
            ),
            (
                "ann@example.org.",
                KEEP,
                "ann@example.org",
                "ann",
                "example.org",
                None,
            ),
            // + tags: reported always, folded only on request
            (
                "hoge+1@Company.com",
                KEEP,
                "hoge+1@company.com",
                "hoge+1",
                "company.com",
                Some("1"),
            ),
            (
                "hoge+1@Company.com",
                FOLD,
                "hoge@company.com",
                "hoge",
                "company.com",
                Some("1"),
            ),
            (
                "hoge+a+b@x.org",
                FOLD,
                "hoge@x.org",
                "hoge",
                "x.org",
                Some("a+b"),
            ),
            ("hoge+@x.org", FOLD, "hoge@x.org", "hoge", "x.org", Some("")),
            ("+tag@x.org", FOLD, "+tag@x.org", "+tag", "x.org", None),
            // IDN: Unicode converted to punycode, xn-- kept (lower case)
            (
                "ann@Bücher.DE",
                KEEP,
                "ann@xn--bcher-kva.de",
                "ann",
                "xn--bcher-kva.de",
                None,
            ),
            (
                "ann@XN--BCHER-KVA.de",
                KEEP,
                "ann@xn--bcher-kva.de",
                "ann",
                "xn--bcher-kva.de",
                None,
            ),
            // quoted local parts: unquoted when not needed, never folded
            ("\"ann\"@x.org", KEEP, "ann@x.org", "ann", "x.org", None),
            (
                "\"hoge+1\"@x.org",
                FOLD,
                "hoge@x.org",
                "hoge",
                "x.org",
                Some("1"),
            ),
            (
                "\"john doe\"@x.org",
                KEEP,
                "\"john doe\"@x.org",
                "\"john doe\"",
                "x.org",
                None,
            ),
            (
                "\"a+b c\"@x.org",
                FOLD,
                "\"a+b c\"@x.org",
                "\"a+b c\"",
                "x.org",
                None,
            ),
            (
                "\"a\\\"b\"@x.org",
                KEEP,
                "\"a\\\"b\"@x.org",
                "\"a\\\"b\"",
                "x.org",
                None,
            ),
            (
                "\"a@b\"@x.org",
                KEEP,
                "\"a@b\"@x.org",
                "\"a@b\"",
                "x.org",
                None,
            ),
            ("\"\\a\"@x.org", KEEP, "a@x.org", "a", "x.org", None),
        ];
        for (input, options, canonical, local, domain, tag) in cases {
            let n = normalize(input, options).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(n.canonical, *canonical, "{input}");
            assert_eq!(n.local, *local, "{input}");
            assert_eq!(n.domain, *domain, "{input}");
            assert_eq!(n.tag.as_deref(), *tag, "{input}");
            assert_eq!(n.original, *input, "{input}: original kept");
        }
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for input in [
            "",
            "ann",
            "@x.org",
            "ann@",
            "\"ann\"",
            "\"ann@x.org",
            "Ann <>",
        ] {
            assert!(
                matches!(
                    normalize(input, &KEEP),
                    Err(NormalizeError::NotAnAddress(_))
                ),
                "{input:?}"
            );
        }
        assert!(matches!(
            normalize("a@xn--a.\u{FFFF}", &KEEP),
            Err(NormalizeError::BadDomain(_))
        ));
    }

    #[test]
    fn base_and_folding_helpers() {
        let mut n = normalize("hoge+load-1@Company.com", &KEEP).expect("address");
        assert!(!n.is_folded());
        assert_eq!(n.base_local(), "hoge");
        assert_eq!(n.without_tag(), "hoge@company.com");
        n.fold();
        assert!(n.is_folded());
        assert_eq!(n.canonical, "hoge@company.com");
        assert_eq!(n.local, "hoge");
        assert_eq!(n.tag.as_deref(), Some("load-1"));
        assert_eq!(n.base_local(), "hoge");
        n.fold();
        assert_eq!(
            n.canonical, "hoge@company.com",
            "folding twice changes nothing"
        );
        let plain = normalize("hoge@company.com", &FOLD).expect("address");
        assert!(!plain.is_folded());
        assert_eq!(plain.without_tag(), "hoge@company.com");
    }

    #[test]
    fn normalize_domain_alone() {
        assert_eq!(
            normalize_domain("Company.COM.").as_deref(),
            Ok("company.com")
        );
        assert_eq!(
            normalize_domain("münchen.de").as_deref(),
            Ok("xn--mnchen-3ya.de")
        );
    }
}
