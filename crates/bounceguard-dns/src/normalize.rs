//! Domain normalisation before a lookup. IDN → ASCII is the `idna` crate (UTS #46);
//! the host-name rules checked afterwards (RFC 1035 §2.3.1 LDH labels, RFC 1123 §2.1,
//! RFC 3696 §2 all-numeric TLD, RFC 6761 special names) are short enough to write here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a recipient domain names once normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainTarget {
    /// A DNS name: ASCII, lower-case, no trailing dot (e.g. `xn--bcher-kva.example`).
    Name(String),
    /// An RFC 5321 address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
    Literal(IpAddr),
}

/// Normalises the domain part of an address.
///
/// Lower-cases, drops one trailing dot, converts an IDN to ASCII and checks that the
/// result can be a mail domain. `Err` carries the reason a name is refused without a
/// query (the checker answers it as `NoMailDomain`).
pub fn normalize_domain(domain: &str) -> Result<DomainTarget, String> {
    if let Some(inner) = domain
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return parse_literal(inner)
            .map(DomainTarget::Literal)
            .ok_or_else(|| format!("invalid address literal [{}]", printable(inner)));
    }
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    if trimmed.is_empty() {
        return Err("empty domain".to_owned());
    }
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii_cow(trimmed.as_bytes(), idna::AsciiDenyList::STD3)
            .map_err(|_| {
                format!(
                    "internationalised domain {} cannot be converted to ASCII",
                    printable(trimmed)
                )
            })?
            .into_owned()
    };
    check_host_name(&ascii)?;
    Ok(DomainTarget::Name(ascii))
}

/// `1.2.3.4` or `IPv6:…` (the tag is case-insensitive, RFC 5321 §4.1.3).
fn parse_literal(inner: &str) -> Option<IpAddr> {
    if let Ok(v4) = inner.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    let (tag, rest) = inner.split_once(':')?;
    if tag.eq_ignore_ascii_case("ipv6") {
        rest.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        None
    }
}

/// Checks an ASCII, lower-cased name without trailing dot.
fn check_host_name(name: &str) -> Result<(), String> {
    // RFC 1035 §3.1: 255 octets on the wire = 253 characters in text form.
    if name.len() > 253 {
        return Err(format!(
            "domain is longer than 253 characters ({})",
            name.len()
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(format!("empty label in {}", printable(name)));
        }
        if label.len() > 63 {
            return Err(format!(
                "label longer than 63 characters in {}",
                printable(name)
            ));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "invalid character {:?} in {}",
                bad,
                printable(name)
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label starts or ends with '-' in {name}"));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if labels.len() < 2 {
        return Err(format!("single-label domain {name}"));
    }
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "all-numeric top-level label in {name} (an IP address needs brackets)"
        ));
    }
    // RFC 6761 §6.3/§6.4: never looked up (hickory would answer localhost with 127.0.0.1).
    if tld == "localhost" || tld == "invalid" {
        return Err(format!("reserved name {name} (RFC 6761)"));
    }
    Ok(())
}

/// Caps and escapes input echoed in a reason, so a hostile domain cannot flood the log.
fn printable(s: &str) -> String {
    const MAX: usize = 80;
    let escaped: String = s.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() <= MAX {
        return escaped;
    }
    let mut out: String = escaped.chars().take(MAX).collect();
    out.push('…');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn name(s: &str) -> Result<DomainTarget, String> {
        Ok(DomainTarget::Name(s.to_owned()))
    }

    #[test]
    fn normalises_case_trailing_dot_and_idn() {
        let table: &[(&str, Result<DomainTarget, String>)] = &[
            ("Example.COM", name("example.com")),
            ("example.com.", name("example.com")),
            ("MX.Test-Zone.Example.", name("mx.test-zone.example")),
            // RFC 3492 / UTS #46: "bücher" is "xn--bcher-kva".
            ("Bücher.example", name("xn--bcher-kva.example")),
            // Japanese IDN from the spec of `.jp` punycode: "日本語.jp" = "xn--wgv71a119e.jp".
            ("日本語.jp", name("xn--wgv71a119e.jp")),
            // UTS #46 maps the ideographic full stop to '.'.
            ("bücher。example", name("xn--bcher-kva.example")),
            ("xn--bcher-kva.example", name("xn--bcher-kva.example")),
        ];
        for (input, expected) in table {
            assert_eq!(&normalize_domain(input), expected, "{input}");
        }
    }

    #[test]
    fn address_literals_are_targets_without_lookup() {
        assert_eq!(
            normalize_domain("[192.0.2.1]"),
            Ok(DomainTarget::Literal("192.0.2.1".parse().unwrap()))
        );
        assert_eq!(
            normalize_domain("[IPv6:2001:db8::1]"),
            Ok(DomainTarget::Literal("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            normalize_domain("[ipv6:::1]"),
            Ok(DomainTarget::Literal("::1".parse().unwrap()))
        );
        for bad in [
            "[300.1.1.1]",
            "[2001:db8::1]",
            "[]",
            "[tag:x]",
            "[IPv6:1.2.3.4]",
        ] {
            let err = normalize_domain(bad).unwrap_err();
            assert!(err.starts_with("invalid address literal"), "{bad}: {err}");
        }
    }

    #[test]
    fn refuses_names_that_cannot_exist() {
        let long_label = format!("{}.example", "a".repeat(64));
        let long_name = format!("{}.example", ["abcdefghi"; 25].join("."));
        let table: Vec<(String, &str)> = vec![
            ("".into(), "empty domain"),
            (".".into(), "empty domain"),
            ("a..example".into(), "empty label"),
            (".example.com".into(), "empty label"),
            ("example.com..".into(), "empty label"),
            ("under_score.example".into(), "invalid character '_'"),
            ("sp ace.example".into(), "invalid character ' '"),
            ("-lead.example".into(), "starts or ends with '-'"),
            ("trail-.example".into(), "starts or ends with '-'"),
            (long_label, "longer than 63"),
            (long_name, "longer than 253"),
            ("localhost".into(), "single-label"),
            ("com".into(), "single-label"),
            ("1.2.3.4".into(), "all-numeric top-level"),
            ("mail.localhost".into(), "RFC 6761"),
            ("x.invalid".into(), "RFC 6761"),
            // U+FFFD is disallowed by UTS #46; so is a lone combining mark at label start.
            ("bad\u{FFFD}.example".into(), "cannot be converted"),
            ("\u{0301}x.example".into(), "cannot be converted"),
        ];
        for (input, needle) in table {
            match normalize_domain(&input) {
                Err(reason) => assert!(reason.contains(needle), "{input:?}: {reason}"),
                Ok(t) => panic!("{input:?} accepted as {t:?}"),
            }
        }
    }

    #[test]
    fn exactly_63_and_253_are_allowed() {
        let label63 = format!("{}.example", "a".repeat(63));
        assert_eq!(normalize_domain(&label63), name(&label63));
        // 63 + 61 + 61 + 61 + "abc" + 4 dots = 253 characters.
        let n = format!(
            "{}.{}.{}.{}.abc",
            "a".repeat(63),
            "b".repeat(61),
            "c".repeat(61),
            "d".repeat(61)
        );
        assert_eq!(n.len(), 253);
        assert_eq!(normalize_domain(&n), name(&n));
        // The trailing dot is not counted; one more character is too long.
        assert_eq!(normalize_domain(&format!("{n}.")), name(&n));
        let too_long = format!("e{n}");
        assert!(
            normalize_domain(&too_long)
                .unwrap_err()
                .contains("longer than 253")
        );
    }

    #[test]
    fn reasons_echo_at_most_80_characters() {
        let hostile = format!("{}_.example", "\u{7}".repeat(500));
        let reason = normalize_domain(&hostile).unwrap_err();
        assert!(reason.len() < 200, "{reason}");
    }
}
