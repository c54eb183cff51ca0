//! Mailbox syntax as SES checks it at the API: `addr-spec` or `Display Name <addr-spec>`.
//!
//! Written by hand because the checks and their error texts are SES's own (ses-spec §1.8, the
//! observed `InvalidParameterValue` messages), which no address crate reproduces. The small
//! RFC 2047 decoder below is hand-written too: this crate takes no base64 or charset dependency.
//!
//! The rules (ses-spec §1.3 and §1.8):
//! - 7-bit ASCII only: SES has no SMTPUTF8. A non-ASCII local part is `Illegal address`; a
//!   non-ASCII domain must be sent in punycode (`xn--…`) and is refused with a text that names
//!   the address; a non-ASCII display name must be an RFC 2047 encoded-word.
//! - RFC 5321 limits: local part ≤ 64 octets, domain ≤ 255, each label ≤ 63, the whole
//!   `local@domain` ≤ 254 (RFC 5321 §4.5.3.1 path limit of 256 minus the angle brackets).
//! - Local part: a dot-atom, or a quoted string (`"john doe"@example.org`) of printable ASCII
//!   with `\` quoted-pairs.
//! - Domain: letters, digits, `-` and `.` in labels that neither start nor end with `-`, or an
//!   IP address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
//! - Display name: a phrase of atoms and quoted strings. Encoded-words (`=?UTF-8?B?…?=`) in the
//!   unquoted part are decoded for [`Mailbox::display_name`] when their charset is UTF-8,
//!   US-ASCII or ISO-8859-1; others are kept as written. Inside quotes they are kept as written
//!   (RFC 2047 §5).
//!
//! Error texts: SES's observed messages are those of JavaMail's `InternetAddress` checks. Where
//! one was observed it is used (`Missing final '@domain'`, `Missing domain`, `Missing local
//! name`, `Local address contains control or whitespace`, `Domain contains control or
//! whitespace`, `Domain contains illegal character`, `Illegal address`, and — from an
//! application's notes quoting SES responses — `Domain contains dot-dot` and `Domain ends with
//! dot`). The limits, a non-ASCII domain and a non-ASCII display name have no observed text; their
//! messages are ours and name the address.

use crate::error::SesError;

/// RFC 5321 limit on the local part, in octets.
pub const MAX_LOCAL_LEN: usize = 64;
/// RFC 5321 limit on the domain, in octets.
pub const MAX_DOMAIN_LEN: usize = 255;
/// RFC 1035 limit on one domain label, in octets.
pub const MAX_LABEL_LEN: usize = 63;
/// RFC 5321 limit on a whole `local@domain` (the 256-octet path less its angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

/// A parsed mailbox: optional display name and the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The display name without quotes, if one was given (`John Doe` in `John Doe <j@x>`);
    /// encoded-words are decoded (see the module docs).
    pub display_name: Option<String>,
    /// The `local@domain` address.
    pub address: String,
}

impl Mailbox {
    /// Parses `addr` or `Name <addr>`, answering SES's `InvalidParameterValue` texts.
    pub fn parse(text: &str) -> Result<Self, SesError> {
        let (name, address) = check_parts(text)?;
        let display_name = match name {
            Some(name) => display_name(name),
            None => None,
        };
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

/// Checks `addr` or `Name <addr>` like [`Mailbox::parse`] without building anything (no
/// allocation unless the address is refused).
pub fn check(text: &str) -> Result<(), SesError> {
    check_parts(text).map(|_| ())
}

/// Splits and checks: the raw display-name text (if any) and the addr-spec.
fn check_parts(text: &str) -> Result<(Option<&str>, &str), SesError> {
    let text = text.trim();
    let (name, address) = match angle_opener(text) {
        Some(open) => {
            let Some(inner) = text[open + 1..].strip_suffix('>') else {
                return Err(SesError::invalid("Illegal address"));
            };
            (Some(&text[..open]), inner.trim())
        }
        None => (None, text),
    };
    check_addr_spec(address)?;
    if let Some(name) = name {
        check_display_name(name, text)?;
    }
    Ok((name, address))
}

/// The byte index of the `<` that opens an angle address: the first `<` outside a quoted string.
/// (Byte-wise: the ASCII delimiters never occur inside a multi-byte UTF-8 sequence.)
fn angle_opener(text: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if escaped {
            escaped = false;
        } else if in_quote && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_quote = !in_quote;
        } else if b == b'<' && !in_quote {
            return Some(i);
        }
    }
    None
}

/// Splits an addr-spec into local part and domain; a quoted local part may hold `@`.
fn split_addr_spec(address: &str) -> Result<(&str, &str), SesError> {
    if address.starts_with('"') {
        let mut escaped = false;
        for (i, c) in address.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                let rest = &address[i + 1..];
                return match rest.strip_prefix('@') {
                    Some(domain) => Ok((&address[..=i], domain)),
                    None if rest.is_empty() => Err(SesError::invalid("Missing final '@domain'")),
                    None => Err(SesError::invalid("Illegal address")),
                };
            }
        }
        return Err(SesError::invalid("Illegal address"));
    }
    address
        .rsplit_once('@')
        .ok_or_else(|| SesError::invalid("Missing final '@domain'"))
}

fn check_addr_spec(address: &str) -> Result<(), SesError> {
    let (local, domain) = split_addr_spec(address)?;
    if local.is_empty() {
        return Err(SesError::invalid("Missing local name"));
    }
    if domain.is_empty() {
        return Err(SesError::invalid("Missing domain"));
    }
    check_local(local)?;
    check_domain(domain, address)?;
    if address.len() > MAX_ADDRESS_LEN {
        return Err(SesError::invalid(format!(
            "Address is longer than {MAX_ADDRESS_LEN} characters: {address}"
        )));
    }
    Ok(())
}

fn check_local(local: &str) -> Result<(), SesError> {
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    let ctl_or_ws = |c: char| c.is_control() || (!quoted && c.is_whitespace());
    if local.is_ascii() {
        if local
            .bytes()
            .any(|b| b.is_ascii_control() || (!quoted && b == b' '))
        {
            return Err(SesError::invalid(
                "Local address contains control or whitespace",
            ));
        }
    } else if local.chars().any(ctl_or_ws) {
        return Err(SesError::invalid(
            "Local address contains control or whitespace",
        ));
    }
    if !local.is_ascii() || local.len() > MAX_LOCAL_LEN {
        return Err(SesError::invalid("Illegal address"));
    }
    if quoted {
        // RFC 5321 qtextSMTP / quoted-pairSMTP: printable ASCII; `"` and `\` only escaped.
        let inner = &local.as_bytes()[1..local.len() - 1];
        let mut escaped = false;
        for &b in inner {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Err(SesError::invalid("Illegal address"));
            }
        }
        if escaped {
            return Err(SesError::invalid("Illegal address"));
        }
        return Ok(());
    }
    let bytes = local.as_bytes();
    let mut previous = b'.'; // a leading dot counts as a dot after a dot
    for &b in bytes {
        if (b == b'.' && previous == b'.') || is_special(b) {
            return Err(SesError::invalid("Illegal address"));
        }
        previous = b;
    }
    if previous == b'.' {
        return Err(SesError::invalid("Illegal address"));
    }
    Ok(())
}

/// JavaMail's "specials" other than `.`: not allowed in an unquoted local part.
fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b',' | b';' | b':' | b'\\' | b'"' | b'[' | b']' | b'@'
    )
}

fn check_domain(domain: &str, address: &str) -> Result<(), SesError> {
    let ascii = domain.is_ascii();
    if (ascii && domain.bytes().any(|b| b.is_ascii_control() || b == b' '))
        || (!ascii && domain.chars().any(|c| c.is_control() || c.is_whitespace()))
    {
        return Err(SesError::invalid("Domain contains control or whitespace"));
    }
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return check_literal(literal);
    }
    if !ascii {
        return Err(SesError::invalid(format!(
            "Domain contains non-ASCII characters (an internationalized domain must be given \
             in punycode, xn--…): {address}"
        )));
    }
    // One pass; the errors are then reported in JavaMail's order of precedence.
    let (mut illegal, mut dot_dot, mut hyphen_edge, mut long_label) = (false, false, false, false);
    let mut previous = b'.'; // the start of the domain acts like a dot
    let mut label_len = 0;
    for &b in domain.as_bytes() {
        match b {
            b'.' => {
                dot_dot |= previous == b'.';
                hyphen_edge |= previous == b'-';
                label_len = 0;
            }
            b'-' => {
                hyphen_edge |= previous == b'.';
                label_len += 1;
            }
            _ if b.is_ascii_alphanumeric() => label_len += 1,
            _ => illegal = true,
        }
        long_label |= label_len > MAX_LABEL_LEN;
        previous = b;
    }
    hyphen_edge |= previous == b'-';
    if illegal || domain.starts_with('.') {
        return Err(SesError::invalid("Domain contains illegal character"));
    }
    if dot_dot {
        return Err(SesError::invalid("Domain contains dot-dot"));
    }
    if previous == b'.' {
        return Err(SesError::invalid("Domain ends with dot"));
    }
    if hyphen_edge {
        return Err(SesError::invalid("Domain contains illegal character"));
    }
    if domain.len() > MAX_DOMAIN_LEN {
        return Err(SesError::invalid(format!(
            "Domain is longer than {MAX_DOMAIN_LEN} characters: {address}"
        )));
    }
    if long_label {
        return Err(SesError::invalid(format!(
            "Domain label is longer than {MAX_LABEL_LEN} characters: {address}"
        )));
    }
    Ok(())
}

/// An address literal: `[IPv4]` or `[IPv6:…]` (RFC 5321 §4.1.3).
fn check_literal(literal: &str) -> Result<(), SesError> {
    let valid = match literal.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
            literal[5..].parse::<std::net::Ipv6Addr>().is_ok()
        }
        _ => literal.parse::<std::net::Ipv4Addr>().is_ok(),
    };
    if valid {
        Ok(())
    } else {
        Err(SesError::invalid("Domain contains illegal character"))
    }
}

/// Checks a display name: ASCII only, no control characters but tab, quotes closed.
fn check_display_name(raw: &str, whole: &str) -> Result<(), SesError> {
    if !raw.is_ascii() {
        return Err(SesError::invalid(format!(
            "Display name contains non-ASCII characters (encode it as an RFC 2047 \
             encoded-word, =?UTF-8?B?…?=): {whole}"
        )));
    }
    let mut in_quote = false;
    let mut escaped = false;
    for b in raw.bytes() {
        if b.is_ascii_control() && b != b'\t' {
            return Err(SesError::invalid("Illegal address"));
        }
        if escaped {
            escaped = false;
        } else if in_quote && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_quote = !in_quote;
        }
    }
    if in_quote || escaped {
        return Err(SesError::invalid("Illegal address"));
    }
    Ok(())
}

/// Unfolds a checked display name: quotes removed, encoded-words decoded, runs of whitespace
/// made one space.
fn display_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let bytes = raw.as_bytes();
    let plain = !bytes.iter().any(|&b| b == b'"' || b == b'\t')
        && !bytes.windows(2).any(|w| w == b"=?" || w == b"  ");
    if plain {
        return Some(raw.to_string());
    }
    // Quoted strings are taken literally; the rest is split on whitespace and each word may be
    // an encoded-word.
    let mut phrase = Phrase::default();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut quoted = String::new();
            while let Some(q) = chars.next() {
                match q {
                    '\\' => quoted.extend(chars.next()),
                    '"' => break,
                    other => quoted.push(other),
                }
            }
            phrase.push(&quoted, false);
        } else if c.is_whitespace() {
            phrase.pending_space = !phrase.out.is_empty();
        } else {
            let mut word = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() || n == '"' {
                    break;
                }
                word.push(n);
                chars.next();
            }
            match decode_encoded_word(&word) {
                Some(decoded) => phrase.push(&decoded, true),
                None => phrase.push(&word, false),
            }
        }
    }
    (!phrase.out.is_empty()).then_some(phrase.out)
}

/// A display name being unfolded.
#[derive(Default)]
struct Phrase {
    out: String,
    pending_space: bool,
    last_encoded: bool,
}

impl Phrase {
    /// Appends one word; whitespace between two encoded-words is dropped (RFC 2047 §6.2).
    fn push(&mut self, word: &str, encoded: bool) {
        if self.pending_space && !(encoded && self.last_encoded) {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(word);
        self.last_encoded = encoded;
    }
}

/// Decodes `=?charset?B|Q?text?=` for UTF-8, US-ASCII and ISO-8859-1; `None` leaves the word as
/// written (not an encoded-word, another charset, bad encoding, or control characters).
fn decode_encoded_word(word: &str) -> Option<String> {
    let body = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = body.splitn(3, '?');
    let charset = parts.next()?;
    let encoding = parts.next()?;
    let text = parts.next()?;
    if text.contains('?') {
        return None;
    }
    // RFC 2231 allows `charset*language`.
    let charset = charset.split('*').next().unwrap_or_default();
    let bytes = match encoding {
        "B" | "b" => decode_base64(text)?,
        "Q" | "q" => decode_q(text)?,
        _ => return None,
    };
    let decoded = if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8") {
        String::from_utf8(bytes).ok()?
    } else if charset.eq_ignore_ascii_case("us-ascii") {
        if !bytes.is_ascii() {
            return None;
        }
        bytes.into_iter().map(char::from).collect()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        bytes.into_iter().map(char::from).collect()
    } else {
        return None;
    };
    if decoded.chars().any(char::is_control) {
        return None;
    }
    Some(decoded)
}

/// Standard-alphabet base64 with optional padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = ((acc << 6) | u32::from(v)) & 0x00ff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    (bits < 6).then_some(out)
}

/// RFC 2047 "Q": `_` is a space, `=XX` a hex octet.
fn decode_q(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
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

    fn ok(text: &str) -> Mailbox {
        match Mailbox::parse(text) {
            Ok(m) => m,
            Err(e) => panic!("{text:?} refused: {}", e.message),
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

    /// Table: address → accepted (`None`) or the expected `InvalidParameterValue` text.
    #[test]
    fn syntax_table() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        // 4 labels of 63 + 3 dots = 255 octets: the longest legal domain.
        let domain255 = [label63.as_str(); 4].join(".");
        let domain256 = format!("{domain255}a");
        let local64 = "l".repeat(64);
        // 64 + 1 + 189 = 254: the longest legal address.
        let domain189 = format!("{}.{}.{}", label63, label63, "b".repeat(61));
        let addr254 = format!("{local64}@{domain189}");
        let addr255 = format!("{local64}@{domain189}b");
        let cases: Vec<(String, Option<String>)> = vec![
            // plain and RFC-legal forms
            ("ann@example.org".into(), None),
            ("a.b-c_d+e!#$%&'*/=?^`{|}~@example.org".into(), None),
            ("\"john doe\"@example.org".into(), None),
            ("\"a@b\"@example.org".into(), None),
            ("\"with \\\"escaped\\\" quote\"@example.org".into(), None),
            ("ann@xn--bcher-kva.example".into(), None),
            ("ann@localhost".into(), None),
            ("ann@[192.0.2.1]".into(), None),
            ("ann@[IPv6:2001:db8::1]".into(), None),
            (format!("{local64}@example.org"), None),
            (format!("ann@{label63}.example"), None),
            (addr254.clone(), None),
            // observed SES texts
            ("ann@example..org".into(), Some("Domain contains dot-dot".into())),
            ("ann@example.org.".into(), Some("Domain ends with dot".into())),
            ("ann@.example.org".into(), Some("Domain contains illegal character".into())),
            ("ann@exa,mple.org".into(), Some("Domain contains illegal character".into())),
            ("ann@example.org-".into(), Some("Domain contains illegal character".into())),
            ("ann@[300.1.1.1]".into(), Some("Domain contains illegal character".into())),
            ("a\tb@example.org".into(), Some("Local address contains control or whitespace".into())),
            ("\"a\u{7}b\"@example.org".into(), Some("Local address contains control or whitespace".into())),
            ("ann@exa\u{0}mple.org".into(), Some("Domain contains control or whitespace".into())),
            (".ann@example.org".into(), Some("Illegal address".into())),
            ("ann.@example.org".into(), Some("Illegal address".into())),
            ("a..nn@example.org".into(), Some("Illegal address".into())),
            ("a,nn@example.org".into(), Some("Illegal address".into())),
            ("a\"nn\"@example.org".into(), Some("Illegal address".into())),
            ("\"ann\"x@example.org".into(), Some("Illegal address".into())),
            ("\"ann@example.org".into(), Some("Illegal address".into())),
            ("\"ann\"".into(), Some("Missing final '@domain'".into())),
            ("ann@x@example.org".into(), Some("Illegal address".into())),
            ("ann+✖@gmail.com".into(), Some("Illegal address".into())),
            ("Ann ann@example.org>".into(), Some("Local address contains control or whitespace".into())),
            // limits and IDN: our texts, naming the address
            (
                "ann@bücher.de".into(),
                Some("Domain contains non-ASCII characters (an internationalized domain must be given in punycode, xn--…): ann@bücher.de".into()),
            ),
            (
                format!("ann@{label64}.example"),
                Some(format!("Domain label is longer than 63 characters: ann@{label64}.example")),
            ),
            (
                format!("a@{domain256}"),
                Some(format!("Domain is longer than 255 characters: a@{domain256}")),
            ),
            (
                addr255.clone(),
                Some(format!("Address is longer than 254 characters: {addr255}")),
            ),
        ];
        for (address, expected) in cases {
            let got = Mailbox::parse(&address).map_err(|e| {
                assert_eq!(e.code, crate::ErrorCode::InvalidParameterValue, "{address}");
                e.message
            });
            match expected {
                None => assert_eq!(got.map(|m| m.address), Ok(address.clone()), "{address}"),
                Some(text) => assert_eq!(got, Err(text), "{address}"),
            }
        }
        assert_eq!(domain255.len(), 255);
        assert_eq!(addr254.len(), 254);
    }

    #[test]
    fn display_names() {
        assert_eq!(ok("Ann <ann@x.org>").display_name.as_deref(), Some("Ann"));
        assert_eq!(
            ok("  Ann   Lee   <ann@x.org>").display_name.as_deref(),
            Some("Ann Lee")
        );
        assert_eq!(ok("<ann@x.org>").display_name, None);
        assert_eq!(ok("\"\" <ann@x.org>").display_name, None);
        // a quoted name may hold `<`, `>`, `@` and escaped quotes
        let m = ok("\"a <b> \\\"c\\\" @d\" <ann@x.org>");
        assert_eq!(m.display_name.as_deref(), Some("a <b> \"c\" @d"));
        assert_eq!(m.address, "ann@x.org");
        // a quoted local part with `<` is not an angle address
        assert_eq!(ok("\"a<b\"@x.org").address, "\"a<b\"@x.org");
        // RFC 2047: B and Q, adjacent encoded-words joined, ordinary words keep their spaces
        assert_eq!(
            ok("=?UTF-8?B?SsO2cmc=?= <j@shop.example>")
                .display_name
                .as_deref(),
            Some("Jörg")
        );
        assert_eq!(
            ok("=?iso-8859-1?q?J=F6rg_M=FCller?= <j@x.org>")
                .display_name
                .as_deref(),
            Some("Jörg Müller")
        );
        assert_eq!(
            ok("=?UTF-8?Q?J=C3=B6?= =?UTF-8?Q?rg?= Team <j@x.org>")
                .display_name
                .as_deref(),
            Some("Jörg Team")
        );
        // an unknown charset or a broken word stays as written; inside quotes it is not decoded
        assert_eq!(
            ok("=?koi8-r?B?8NLJ?= <j@x.org>").display_name.as_deref(),
            Some("=?koi8-r?B?8NLJ?=")
        );
        assert_eq!(
            ok("=?UTF-8?B?*?= <j@x.org>").display_name.as_deref(),
            Some("=?UTF-8?B?*?=")
        );
        assert_eq!(
            ok("\"=?UTF-8?B?SsO2cmc=?=\" <j@x.org>")
                .display_name
                .as_deref(),
            Some("=?UTF-8?B?SsO2cmc=?=")
        );
        // an encoded CR/LF is not decoded into the name
        assert_eq!(
            ok("=?UTF-8?Q?a=0D=0Ab?= <j@x.org>").display_name.as_deref(),
            Some("=?UTF-8?Q?a=0D=0Ab?=")
        );
    }

    #[test]
    fn display_name_errors() {
        assert_eq!(
            err("Jörg <j@shop.example>"),
            "Display name contains non-ASCII characters (encode it as an RFC 2047 encoded-word, =?UTF-8?B?…?=): Jörg <j@shop.example>"
        );
        assert_eq!(err("\"Ann <ann@x.org>"), "Illegal address");
        assert_eq!(err("Ann\r\nBcc: x <ann@x.org>"), "Illegal address");
        // the address is checked first
        assert_eq!(
            err("Jörg <j@exa_mple.org>"),
            "Domain contains illegal character"
        );
    }

    #[test]
    fn base64_and_q_decoders() {
        assert_eq!(decode_base64("SsO2cmc="), Some("Jörg".as_bytes().to_vec()));
        assert_eq!(decode_base64("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode_base64("Y"), None);
        assert_eq!(decode_base64("a$=="), None);
        assert_eq!(decode_q("a_b=41"), Some(b"a bA".to_vec()));
        assert_eq!(decode_q("a=4"), None);
        assert_eq!(decode_q("a=ZZ"), None);
    }

    proptest::proptest! {
        /// Any input: no panic; an accepted address is 7-bit, within the limits, and parses
        /// again to itself.
        #[test]
        fn parse_never_panics_and_accepted_addresses_are_stable(text in "\\PC{0,80}") {
            if let Ok(m) = Mailbox::parse(&text) {
                proptest::prop_assert!(m.address.is_ascii());
                proptest::prop_assert!(m.address.len() <= MAX_ADDRESS_LEN);
                let again = Mailbox::parse(&m.address);
                proptest::prop_assert_eq!(again.map(|a| a.address), Ok(m.address.clone()));
            }
        }

        #[test]
        fn parse_never_panics_on_address_like_input(
            text in "[ \"<>@a.\\=?_B-]{0,12}@?[a-z.\\[\\]:-]{0,12}>?"
        ) {
            if let Ok(m) = Mailbox::parse(&text) {
                proptest::prop_assert!(m.address.is_ascii() && m.address.contains('@'));
                proptest::prop_assert!(!m.local_part().is_empty() && !m.domain().is_empty());
            }
        }
    }
}
