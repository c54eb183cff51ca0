//! Mailbox syntax as SES checks it at the API: `addr-spec` or `Display Name <addr-spec>`.
//!
//! Written by hand because the checks and their error texts are SES's own (ses-spec §1.8, the
//! observed `InvalidParameterValue` messages), which no address crate reproduces.

use crate::error::SesError;

/// RFC 5321 limit on the local part, in octets.
pub const MAX_LOCAL_LEN: usize = 64;
/// RFC 5321 limit on the domain, in octets.
pub const MAX_DOMAIN_LEN: usize = 255;

/// A parsed mailbox: optional display name and the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The display name without quotes, if one was given (`John Doe` in `John Doe <j@x>`).
    pub display_name: Option<String>,
    /// The `local@domain` address.
    pub address: String,
}

impl Mailbox {
    /// Parses `addr` or `Name <addr>`, answering SES's `InvalidParameterValue` texts.
    pub fn parse(text: &str) -> Result<Self, SesError> {
        let text = text.trim();
        let (display_name, address) = match text.rfind('<') {
            Some(open) => {
                let Some(rest) = text[open + 1..].strip_suffix('>') else {
                    return Err(SesError::invalid("Illegal address"));
                };
                let name = text[..open].trim();
                let name = name
                    .strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or(name)
                    .trim();
                let name = (!name.is_empty()).then(|| name.to_string());
                (name, rest.trim())
            }
            None => (None, text),
        };
        check_addr_spec(address)?;
        Ok(Self {
            display_name,
            address: address.to_string(),
        })
    }

    /// The part after the last `@`.
    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// The part before the last `@`.
    pub fn local_part(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(l, _)| l)
            .unwrap_or_default()
    }
}

fn check_addr_spec(address: &str) -> Result<(), SesError> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(SesError::invalid("Missing final '@domain'"));
    };
    if local.is_empty() {
        return Err(SesError::invalid("Missing local name"));
    }
    if domain.is_empty() {
        return Err(SesError::invalid("Missing domain"));
    }
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if local
        .chars()
        .any(|c| c.is_control() || (!quoted && c.is_whitespace()))
    {
        return Err(SesError::invalid(
            "Local address contains control or whitespace",
        ));
    }
    if !local.is_ascii() || local.len() > MAX_LOCAL_LEN {
        return Err(SesError::invalid("Illegal address"));
    }
    if !quoted
        && (local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || local.chars().any(|c| "()<>,;:\\\"[]@".contains(c)))
    {
        return Err(SesError::invalid("Illegal address"));
    }
    if domain.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(SesError::invalid("Domain contains control or whitespace"));
    }
    let literal = domain.starts_with('[') && domain.ends_with(']');
    let bad_char = |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !literal && (domain.chars().any(bad_char) || domain.len() > MAX_DOMAIN_LEN) {
        return Err(SesError::invalid("Domain contains illegal character"));
    }
    if !literal
        && (domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || domain
                .split('.')
                .any(|l| l.starts_with('-') || l.ends_with('-')))
    {
        return Err(SesError::invalid("Domain contains illegal character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Mailbox::parse(text) {
            Ok(m) => panic!("{text:?} parsed as {m:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn accepts_bare_and_named_mailboxes() {
        let m = Mailbox::parse("Shop <no-reply@shop.example>").expect("valid");
        assert_eq!(m.display_name.as_deref(), Some("Shop"));
        assert_eq!(m.address, "no-reply@shop.example");
        assert_eq!(m.domain(), "shop.example");
        assert_eq!(m.local_part(), "no-reply");
        let m = Mailbox::parse("\"Doe, John\" <j@x.org>").expect("valid");
        assert_eq!(m.display_name.as_deref(), Some("Doe, John"));
        let m = Mailbox::parse(" ann+tag@example.org ").expect("valid");
        assert_eq!(m.display_name, None);
        assert_eq!(m.address, "ann+tag@example.org");
    }

    #[test]
    fn rejects_with_ses_texts() {
        assert_eq!(err("ann.example.org"), "Missing final '@domain'");
        assert_eq!(err("ann@"), "Missing domain");
        assert_eq!(err("@example.org"), "Missing local name");
        assert_eq!(
            err("a nn@example.org"),
            "Local address contains control or whitespace"
        );
        assert_eq!(
            err("ann@exa mple.org"),
            "Domain contains control or whitespace"
        );
        assert_eq!(err("ann@exa_mple.org"), "Domain contains illegal character");
        assert_eq!(err("ann@-example.org"), "Domain contains illegal character");
        assert_eq!(err("Ann <ann@example.org"), "Illegal address");
        assert_eq!(err("jörg@example.org"), "Illegal address");
        assert_eq!(
            err(&format!("{}@example.org", "a".repeat(65))),
            "Illegal address"
        );
    }
}
