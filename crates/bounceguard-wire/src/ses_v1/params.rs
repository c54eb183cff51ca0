//! The parameters of an AWS Query request (`application/x-www-form-urlencoded`), with typed
//! getters for the Query protocol's list, struct-list and map encodings (ses-spec §1.2).
//!
//! Written by hand: no serde query crate understands the Query protocol's `Name.member.N`
//! lists and `Name.entry.N.key` maps (serde_qs wants `a[b][0]`, serde_urlencoded and
//! serde_html_form are flat, serde_aws_query_ce is unmaintained; see DEPENDENCIES.md). The
//! form is split by hand too, because `form_urlencoded::parse` replaces bytes that are not UTF-8
//! with U+FFFD, and a parameter silently changed is worse than a request refused.
//!
//! Rules (botocore's `QuerySerializer` is the reference writer):
//! - `+` is a space and `%XX` a byte; a `%` not followed by two hex digits stays as it is.
//! - Every decoded key and value must be UTF-8, or the request is refused.
//! - Empty pieces (`a=1&&b=2`) and pieces with an empty key are skipped.
//! - A parameter given twice is refused: SES's clients never repeat one, and silently taking
//!   either copy would let two readers of the same request disagree.
//! - Parameters nobody asks for are ignored, as AWS does (presigned requests carry `X-Amz-*`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;

use bounceguard_core::SesError;
use percent_encoding::percent_decode;

/// The decoded parameters of a Query request, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    /// Each name with its values in the order they came (more than one only when repeated).
    entries: BTreeMap<String, Vec<String>>,
}

/// A numbered item of a list or map: its index and the `(field, value)` pairs under it; the field
/// is `""` for a plain list member.
type Numbered<'a> = (u32, Vec<(&'a str, &'a str)>);

impl QueryParams {
    /// Parses a form-urlencoded body; refuses keys or values that are not UTF-8 once decoded.
    pub fn parse(body: &[u8]) -> Result<Self, SesError> {
        let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for piece in body.split(|b| *b == b'&') {
            if piece.is_empty() {
                continue;
            }
            let (key, value) = match piece.iter().position(|b| *b == b'=') {
                Some(eq) => (&piece[..eq], &piece[eq + 1..]),
                None => (piece, &b""[..]),
            };
            let key = decode_component(key).ok_or_else(|| {
                SesError::invalid("A parameter name in the request is not valid UTF-8.")
            })?;
            if key.is_empty() {
                continue;
            }
            let value = decode_component(value).ok_or_else(|| {
                SesError::invalid(format!("The value of parameter {key} is not valid UTF-8."))
            })?;
            entries.entry(key).or_default().push(value);
        }
        Ok(Self { entries })
    }

    /// Builds parameters from already-decoded pairs (tests, and callers that parsed a query string).
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in pairs {
            let key = key.into();
            if !key.is_empty() {
                entries.entry(key).or_default().push(value.into());
            }
        }
        Self { entries }
    }

    /// Whether no parameter at all was given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `name` itself or anything below it (`name.…`) was given.
    pub fn has_prefix(&self, name: &str) -> bool {
        self.entries
            .range::<str, _>((Bound::Included(name), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(name))
            .any(|(key, _)| key.len() == name.len() || key.as_bytes()[name.len()] == b'.')
    }

    /// The value of `name`, or `MissingParameter` in AWS's wording when it is absent.
    pub fn required(&self, name: &str) -> Result<&str, SesError> {
        self.optional(name)?.ok_or_else(|| SesError::missing(name))
    }

    /// The value of `name` when given (an empty value counts as given).
    pub fn optional(&self, name: &str) -> Result<Option<&str>, SesError> {
        match self.entries.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([value]) => Ok(Some(value.as_str())),
            Some(_) => Err(given_twice(name)),
        }
    }

    /// The list `prefix.member.1`, `prefix.member.2`, … in index order.
    ///
    /// `None` when nothing of the list was sent; `Some([])` for the empty-list form `prefix=`.
    /// Indices start at 1 and may not have gaps; a non-numeric index, a repeated member or a
    /// non-empty `prefix=value` is `InvalidParameterValue`.
    pub fn list(&self, prefix: &str) -> Result<Option<Vec<&str>>, SesError> {
        let Some(items) = self.numbered(prefix, "member")? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|(index, fields)| match fields.as_slice() {
                [("", value)] => Ok(*value),
                _ => Err(malformed_member(prefix, "member", index)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The list of structures `prefix.member.N.<field>`; each item holds the values of `fields`
    /// in that order (`None` where a field was not sent). Fields not named are ignored.
    ///
    /// Absence, the empty form and the index rules are as for [`QueryParams::list`].
    pub fn struct_list(
        &self,
        prefix: &str,
        fields: &[&str],
    ) -> Result<Option<Vec<Vec<Option<&str>>>>, SesError> {
        let Some(items) = self.numbered(prefix, "member")? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, given) in items {
            let mut item = vec![None; fields.len()];
            for (field, value) in given {
                if field.is_empty() {
                    return Err(malformed_member(prefix, "member", index));
                }
                if let Some(slot) = fields.iter().position(|f| *f == field) {
                    item[slot] = Some(value);
                }
            }
            out.push(item);
        }
        Ok(Some(out))
    }

    /// The map `prefix.entry.N.key` / `prefix.entry.N.value`, as `(key, value)` pairs in index
    /// order. Each entry needs both parts; absence, the empty form and the index rules are as
    /// for [`QueryParams::list`].
    pub fn map(&self, prefix: &str) -> Result<Option<Vec<(&str, &str)>>, SesError> {
        let Some(items) = self.numbered(prefix, "entry")? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, given) in items {
            let (mut key, mut value) = (None, None);
            for (field, text) in given {
                match field {
                    "key" => key = Some(text),
                    "value" => value = Some(text),
                    "" => return Err(malformed_member(prefix, "entry", index)),
                    _ => {}
                }
            }
            match (key, value) {
                (Some(key), Some(value)) => out.push((key, value)),
                (None, _) => return Err(SesError::missing(&format!("{prefix}.entry.{index}.key"))),
                (_, None) => {
                    return Err(SesError::missing(&format!("{prefix}.entry.{index}.value")));
                }
            }
        }
        Ok(Some(out))
    }

    /// Collects `prefix.<container>.N[.field]` grouped by N (ascending, checked to be 1..=n).
    fn numbered(
        &self,
        prefix: &str,
        container: &str,
    ) -> Result<Option<Vec<Numbered<'_>>>, SesError> {
        let bare = self.optional(prefix)?;
        if let Some(value) = bare
            && !value.is_empty()
        {
            return Err(SesError::invalid(format!(
                "The parameter {prefix} must be given as {prefix}.{container}.N, not as a single value."
            )));
        }
        let head = format!("{prefix}.{container}.");
        let mut items: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
        for (key, values) in self
            .entries
            .range::<str, _>((Bound::Included(head.as_str()), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(head.as_str()))
        {
            let rest = &key[head.len()..];
            let (number, field) = match rest.split_once('.') {
                Some((number, field)) => (number, field),
                None => (rest, ""),
            };
            let index = parse_index(number).ok_or_else(|| {
                SesError::invalid(format!(
                    "The parameter {key} is malformed: the number after '{container}.' must be 1 or more, without leading zeros."
                ))
            })?;
            let [value] = values.as_slice() else {
                return Err(given_twice(key));
            };
            items
                .entry(index)
                .or_default()
                .push((field, value.as_str()));
        }
        if items.is_empty() {
            return Ok(bare.map(|_| Vec::new()));
        }
        for (expected, index) in (1u32..).zip(items.keys()) {
            if *index != expected {
                return Err(SesError::invalid(format!(
                    "The parameter {prefix}.{container}.{expected} is missing: the members of a list are numbered from 1 without gaps."
                )));
            }
        }
        Ok(Some(items.into_iter().collect()))
    }
}

/// Decodes one form component: `+` is a space, then percent-decoding; `None` when not UTF-8.
/// Most components (action names, numbered keys, plain values) hold neither `+` nor `%` and
/// are copied as they are.
fn decode_component(raw: &[u8]) -> Option<String> {
    let plus = raw.contains(&b'+');
    if !plus && !raw.contains(&b'%') {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let spaced: Cow<'_, [u8]> = if plus {
        Cow::Owned(
            raw.iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).ok()
}

/// A list index: decimal digits, no sign, no leading zero, at least 1, at most 9 digits.
fn parse_index(text: &str) -> Option<u32> {
    let canonical = !text.is_empty()
        && text.len() <= 9
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0');
    if canonical { text.parse().ok() } else { None }
}

fn given_twice(name: &str) -> SesError {
    SesError::invalid(format!("The parameter {name} was given more than once."))
}

fn malformed_member(prefix: &str, container: &str, index: u32) -> SesError {
    SesError::invalid(format!(
        "The parameter {prefix}.{container}.{index} is malformed for this list."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bounceguard_core::ErrorCode;

    fn params(body: &str) -> QueryParams {
        QueryParams::parse(body.as_bytes()).expect("parses")
    }

    fn message(result: Result<impl std::fmt::Debug, SesError>) -> (ErrorCode, String) {
        let e = result.expect_err("should fail");
        (e.code, e.message)
    }

    #[test]
    fn decodes_plus_percent_and_keeps_stray_percent() {
        let p = params("Source=Ann+Lee+%3Cann%40example.org%3E&Odd=100%25+%zz&Flag");
        assert_eq!(
            p.required("Source").expect("given"),
            "Ann Lee <ann@example.org>"
        );
        assert_eq!(p.optional("Odd").expect("single"), Some("100% %zz"));
        assert_eq!(p.optional("Flag").expect("single"), Some(""));
        assert_eq!(p.optional("Absent").expect("single"), None);
    }

    #[test]
    fn non_utf8_is_refused_not_replaced() {
        let e = QueryParams::parse(b"Source=%FF%FE").expect_err("not UTF-8");
        assert_eq!(e.code, ErrorCode::InvalidParameterValue);
        assert_eq!(
            e.message,
            "The value of parameter Source is not valid UTF-8."
        );
        let e = QueryParams::parse(b"So\xffurce=a").expect_err("raw byte");
        assert_eq!(
            e.message,
            "A parameter name in the request is not valid UTF-8."
        );
    }

    #[test]
    fn plain_components_are_checked_for_utf8_too() {
        let e = QueryParams::parse(b"Source=ann\xff").expect_err("raw byte in a plain value");
        assert_eq!(
            e.message,
            "The value of parameter Source is not valid UTF-8."
        );
        let p = params("Action=SendEmail&Message.Subject.Data=Hi%21&Message.Body.Text.Data=a+b");
        assert_eq!(p.required("Action").expect("given"), "SendEmail");
        assert_eq!(p.required("Message.Subject.Data").expect("given"), "Hi!");
        assert_eq!(p.required("Message.Body.Text.Data").expect("given"), "a b");
    }

    #[test]
    fn missing_and_repeated_parameters() {
        let p = params("A=1&A=2&&=lost");
        assert_eq!(
            message(p.required("B")),
            (
                ErrorCode::MissingParameter,
                "The request must contain the parameter B.".into()
            )
        );
        assert_eq!(
            message(p.optional("A")).1,
            "The parameter A was given more than once."
        );
        assert!(p.optional("").expect("nothing").is_none());
    }

    #[test]
    fn list_orders_by_number_not_by_text() {
        let body: String = (1..=12)
            .rev()
            .map(|n| format!("L.member.{n}=v{n}&"))
            .collect();
        let p = params(&body);
        let expected: Vec<String> = (1..=12).map(|n| format!("v{n}")).collect();
        assert_eq!(
            p.list("L").expect("valid"),
            Some(expected.iter().map(String::as_str).collect())
        );
    }

    #[test]
    fn list_absent_empty_and_broken_forms() {
        assert_eq!(params("Other=1").list("L").expect("valid"), None);
        assert_eq!(params("L=").list("L").expect("valid"), Some(vec![]));
        assert_eq!(
            message(params("L.member.1=a&L.member.3=c").list("L")).1,
            "The parameter L.member.2 is missing: the members of a list are numbered from 1 without gaps."
        );
        assert_eq!(
            message(params("L.member.2=b").list("L")).1,
            "The parameter L.member.1 is missing: the members of a list are numbered from 1 without gaps."
        );
        for bad in [
            "L.member.x=a",
            "L.member.0=a",
            "L.member.01=a",
            "L.member.=a",
            "L.member.+1=a",
        ] {
            let (code, text) = message(params(bad).list("L"));
            assert_eq!(code, ErrorCode::InvalidParameterValue, "{bad}");
            assert!(text.contains("is malformed"), "{bad}: {text}");
        }
        assert_eq!(
            message(params("L=a").list("L")).1,
            "The parameter L must be given as L.member.N, not as a single value."
        );
        assert_eq!(
            message(params("L.member.1=a&L.member.1=b").list("L")).1,
            "The parameter L.member.1 was given more than once."
        );
        assert_eq!(
            message(params("L.member.1.Name=a").list("L")).1,
            "The parameter L.member.1 is malformed for this list."
        );
        // A huge index alone is a gap, found without allocating up to it.
        assert!(params("L.member.999999999=a").list("L").is_err());
        // Keys that only share the text prefix do not belong to the list.
        assert_eq!(params("LL.member.1=a").list("L").expect("valid"), None);
    }

    #[test]
    fn struct_list_aligns_fields() {
        let p = params(
            "Tags.member.2.Value=v2&Tags.member.1.Name=n1&Tags.member.1.Value=v1&Tags.member.2.Name=n2&Tags.member.2.Extra=x&Tags.member.3.Value=v3",
        );
        let tags = p.struct_list("Tags", &["Name", "Value"]).expect("valid");
        assert_eq!(
            tags,
            Some(vec![
                vec![Some("n1"), Some("v1")],
                vec![Some("n2"), Some("v2")],
                vec![None, Some("v3")],
            ])
        );
        assert_eq!(
            message(params("Tags.member.1=x").struct_list("Tags", &["Name"])).1,
            "The parameter Tags.member.1 is malformed for this list."
        );
        assert_eq!(
            params("Tags=")
                .struct_list("Tags", &["Name"])
                .expect("valid"),
            Some(vec![])
        );
    }

    #[test]
    fn map_entries() {
        let p = params("M.entry.1.key=a&M.entry.1.value=1&M.entry.2.key=b&M.entry.2.value=");
        assert_eq!(
            p.map("M").expect("valid"),
            Some(vec![("a", "1"), ("b", "")])
        );
        assert_eq!(
            message(params("M.entry.1.key=a").map("M")),
            (
                ErrorCode::MissingParameter,
                "The request must contain the parameter M.entry.1.value.".into()
            )
        );
        assert_eq!(params("M=").map("M").expect("valid"), Some(vec![]));
        assert_eq!(params("X=1").map("M").expect("valid"), None);
    }

    #[test]
    fn has_prefix_respects_dot_boundaries() {
        let p = params("Destination.ToAddresses.member.1=a&DestinationX=1");
        assert!(p.has_prefix("Destination"));
        assert!(p.has_prefix("Destination.ToAddresses"));
        assert!(!p.has_prefix("Destination.Cc"));
        assert!(!p.has_prefix("Dest"));
        assert!(params("Destination=").has_prefix("Destination"));
    }
}
