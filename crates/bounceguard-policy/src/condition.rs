//! Condition operators: parsing an operator block into compiled tests, and evaluating them.
//!
//! Semantics (IAM, ses-spec §4.3), for one condition `operator: {key: [v1, v2, …]}`:
//! - Policy values are ORed for positive operators; negated operators (`…Not…`, `NotIpAddress`)
//!   are the negation of the positive one, so their values behave as AND.
//! - A missing key (absent, or an empty `ses:Recipients`): `…IfExists` → true; else
//!   `ForAllValues:` → true, `ForAnyValue:` → false, a bare negated operator → true, a bare
//!   positive operator → false. `Null` tests presence itself.
//! - `ForAnyValue:` → some request value satisfies the operator; `ForAllValues:` → every one
//!   does. A single-valued key counts as a set of one.
//! - A bare operator on the multi-valued `ses:Recipients` (IAM's docs say only "multivalued keys
//!   require a set operator"; they do not say what happens without one): a positive operator is
//!   true when any recipient matches (like `ForAnyValue:`), a negated one when no recipient
//!   matches the positive form. That keeps a Deny written without a qualifier denying when any
//!   recipient is caught, and keeps every negated operator the exact negation of its positive.
//! - A request value that cannot be read in the operator's type (a non-number under `Numeric…`,
//!   a non-date under `Date…`) satisfies no positive test (so a negated test is true).
//! - `Like` and `Arn…` values use `*`/`?` wildcards; `ArnEquals` and `ArnLike` are the same test
//!   (IAM documents both as per-component wildcard matches of the six ARN parts).

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use ipnet::IpNet;

use crate::context::{ConditionKey, RequestContext, Value, Values};
use crate::error::{Location, PolicyError};
use crate::json::Json;
use crate::wildcard::Wildcard;

/// The set qualifier written before an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Bare,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// The positive form of a test, with its policy values compiled.
#[derive(Debug, Clone)]
enum Test {
    StrEq(Box<[Box<str>]>),
    StrEqIgnoreCase(Box<[Box<str>]>),
    StrLike(Box<[Wildcard]>),
    Num(Cmp, Box<[f64]>),
    Date(Cmp, Box<[i64]>),
    Bool(Box<[bool]>),
    Ip(Box<[IpNet]>),
    Arn(Box<[ArnPattern]>),
    /// `Null`: the wanted "key is absent" answers.
    Null(Box<[bool]>),
}

/// An `Arn…` policy value: six colon-separated components, each a wildcard pattern.
#[derive(Debug, Clone)]
enum ArnPattern {
    Parts(Box<[Wildcard; 6]>),
    /// A value of `*`s only: any ARN.
    Any,
}

impl ArnPattern {
    /// `None` when the value is neither six components nor only `*`s.
    fn new(value: &str) -> Option<ArnPattern> {
        if !value.is_empty() && value.bytes().all(|b| b == b'*') {
            return Some(ArnPattern::Any);
        }
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let parts = <[&str; 6]>::try_from(parts).ok()?;
        Some(ArnPattern::Parts(Box::new(parts.map(Wildcard::new))))
    }

    fn matches(&self, arn: &str) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Parts(parts) => {
                let mut given = arn.splitn(6, ':');
                parts
                    .iter()
                    .all(|p| given.next().is_some_and(|g| p.matches(g)))
            }
        }
    }
}

/// One compiled condition: an operator applied to one key.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLike`.
    pub(crate) operator: String,
    /// The key as written.
    pub(crate) key_text: String,
    /// The policy values as written (numbers and booleans in their JSON text).
    pub(crate) values: Vec<String>,
    key: ConditionKey,
    qualifier: Qualifier,
    if_exists: bool,
    negated: bool,
    test: Test,
}

/// The operator families and their parsed name.
#[derive(Debug, Clone, Copy)]
enum Family {
    StrEq,
    StrEqIgnoreCase,
    StrLike,
    Num(Cmp),
    Date(Cmp),
    Bool,
    Ip,
    Arn,
    Null,
}

/// `(base name, family, negated)` for every operator without qualifier or `IfExists`.
const OPERATORS: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::StrEq, false),
    ("StringNotEquals", Family::StrEq, true),
    ("StringEqualsIgnoreCase", Family::StrEqIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Family::StrEqIgnoreCase, true),
    ("StringLike", Family::StrLike, false),
    ("StringNotLike", Family::StrLike, true),
    ("NumericEquals", Family::Num(Cmp::Eq), false),
    ("NumericNotEquals", Family::Num(Cmp::Eq), true),
    ("NumericLessThan", Family::Num(Cmp::Lt), false),
    ("NumericLessThanEquals", Family::Num(Cmp::Le), false),
    ("NumericGreaterThan", Family::Num(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Family::Num(Cmp::Ge), false),
    ("DateEquals", Family::Date(Cmp::Eq), false),
    ("DateNotEquals", Family::Date(Cmp::Eq), true),
    ("DateLessThan", Family::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Family::Date(Cmp::Le), false),
    ("DateGreaterThan", Family::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Family::Date(Cmp::Ge), false),
    ("Bool", Family::Bool, false),
    ("IpAddress", Family::Ip, false),
    ("NotIpAddress", Family::Ip, true),
    ("ArnEquals", Family::Arn, false),
    ("ArnLike", Family::Arn, false),
    ("ArnNotEquals", Family::Arn, true),
    ("ArnNotLike", Family::Arn, true),
    ("Null", Family::Null, false),
];

const INVALID_CONDITION: &str = "Policy has an invalid condition";

/// Parses the `Condition` element of a statement into its conditions, in document order.
pub(crate) fn parse_block(block: &Json, at: Location<'_>) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = block else {
        return Err(at.error(
            INVALID_CONDITION,
            format_args!("Condition must be an object, not {}", block.type_name()),
        ));
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let (qualifier, family, negated, if_exists) =
            parse_operator(operator).ok_or_else(|| {
                at.error(
                    INVALID_CONDITION,
                    format_args!("unknown operator '{operator}'"),
                )
            })?;
        let Json::Object(keys) = keys else {
            return Err(at.error(
                INVALID_CONDITION,
                format_args!(
                    "{operator} must map keys to values, not {}",
                    keys.type_name()
                ),
            ));
        };
        if keys.is_empty() {
            return Err(at.error(INVALID_CONDITION, format_args!("{operator} names no key")));
        }
        for (key_text, value) in keys {
            let key = ConditionKey::parse(key_text).ok_or_else(|| {
                at.exact(format!(
                    "Unknown or unapplicable condition field '{key_text}'."
                ))
            })?;
            let values = scalar_values(value).ok_or_else(|| {
                at.error(
                    INVALID_CONDITION,
                    format_args!(
                        "{operator} {key_text} needs a string, number, boolean or a non-empty list of them"
                    ),
                )
            })?;
            let bad = |v: &str, what: &str| {
                at.error(
                    INVALID_CONDITION,
                    format_args!("{operator} value '{v}' for {key_text} is not {what}"),
                )
            };
            let test = match family {
                Family::StrEq => Test::StrEq(values.iter().map(|v| v.as_str().into()).collect()),
                Family::StrEqIgnoreCase => {
                    Test::StrEqIgnoreCase(values.iter().map(|v| v.as_str().into()).collect())
                }
                Family::StrLike => Test::StrLike(values.iter().map(|v| Wildcard::new(v)).collect()),
                Family::Num(cmp) => Test::Num(
                    cmp,
                    values
                        .iter()
                        .map(|v| parse_number(v).ok_or_else(|| bad(v, "a number")))
                        .collect::<Result<_, _>>()?,
                ),
                Family::Date(cmp) => Test::Date(
                    cmp,
                    values
                        .iter()
                        .map(|v| {
                            parse_date(v).ok_or_else(|| bad(v, "an ISO 8601 date or epoch seconds"))
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Family::Bool => Test::Bool(
                    values
                        .iter()
                        .map(|v| parse_bool(v).ok_or_else(|| bad(v, "true or false")))
                        .collect::<Result<_, _>>()?,
                ),
                Family::Null => Test::Null(
                    values
                        .iter()
                        .map(|v| parse_bool(v).ok_or_else(|| bad(v, "true or false")))
                        .collect::<Result<_, _>>()?,
                ),
                Family::Ip => Test::Ip(
                    values
                        .iter()
                        .map(|v| parse_net(v).ok_or_else(|| bad(v, "an IP address or CIDR block")))
                        .collect::<Result<_, _>>()?,
                ),
                Family::Arn => Test::Arn(
                    values
                        .iter()
                        .map(|v| ArnPattern::new(v).ok_or_else(|| bad(v, "an ARN")))
                        .collect::<Result<_, _>>()?,
                ),
            };
            out.push(Condition {
                operator: operator.clone(),
                key_text: key_text.clone(),
                values,
                key,
                qualifier,
                if_exists,
                negated,
                test,
            });
        }
    }
    Ok(out)
}

/// Splits `ForAnyValue:StringLikeIfExists` into its parts; `None` for an unknown operator.
fn parse_operator(text: &str) -> Option<(Qualifier, Family, bool, bool)> {
    let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAnyValue:") {
        (Qualifier::ForAnyValue, rest)
    } else if let Some(rest) = text.strip_prefix("ForAllValues:") {
        (Qualifier::ForAllValues, rest)
    } else {
        (Qualifier::Bare, text)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let &(_, family, negated) = OPERATORS.iter().find(|(name, _, _)| *name == base)?;
    // `Null` tests presence itself: neither `IfExists` nor a set qualifier means anything.
    if matches!(family, Family::Null) && (if_exists || qualifier != Qualifier::Bare) {
        return None;
    }
    Some((qualifier, family, negated, if_exists))
}

/// A condition value: one scalar or a non-empty list of scalars, as strings.
fn scalar_values(value: &Json) -> Option<Vec<String>> {
    fn scalar(v: &Json) -> Option<String> {
        match v {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match value {
        Json::Array(items) if items.is_empty() => None,
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

fn parse_number(s: &str) -> Option<f64> {
    // Rust's parser accepts `inf` and `NaN`; IAM numbers are plain decimals.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// ISO 8601 (RFC 3339, a UTC date-time without offset, or a plain date) or epoch seconds, as
/// epoch milliseconds.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    if !s.is_empty()
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
    {
        let secs: i64 = s.parse().ok()?;
        return secs.checked_mul(1000);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%MZ",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Unicode-aware case-insensitive equality without allocating.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl Test {
    /// The positive test for one request value: does it match any policy value?
    fn any(&self, value: Value<'_>) -> bool {
        match self {
            Test::StrEq(vs) => {
                let text = value.as_text();
                vs.iter().any(|v| **v == *text)
            }
            Test::StrEqIgnoreCase(vs) => {
                let text = value.as_text();
                vs.iter().any(|v| eq_ignore_case(v, &text))
            }
            Test::StrLike(ws) => {
                let text = value.as_text();
                ws.iter().any(|w| w.matches(&text))
            }
            Test::Num(cmp, ns) => {
                let n = match value {
                    Value::Epoch(e) => Some(e as f64),
                    Value::Str(s) => parse_number(s),
                    _ => None,
                };
                n.is_some_and(|n| ns.iter().any(|&p| cmp.holds(n, p)))
            }
            Test::Date(cmp, ds) => {
                let t = match value {
                    Value::Time(t) => Some(t.timestamp_millis()),
                    Value::Epoch(e) => e.checked_mul(1000),
                    Value::Str(s) => parse_date(s),
                    _ => None,
                };
                t.is_some_and(|t| ds.iter().any(|&p| cmp.holds(t, p)))
            }
            Test::Bool(bs) => {
                let b = match value {
                    Value::Bool(b) => Some(b),
                    Value::Str(s) => parse_bool(s),
                    _ => None,
                };
                b.is_some_and(|b| bs.contains(&b))
            }
            Test::Ip(nets) => {
                let ip = match value {
                    Value::Ip(ip) => Some(ip),
                    Value::Str(s) => s.parse::<IpAddr>().ok(),
                    _ => None,
                };
                ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
            }
            Test::Arn(ps) => {
                let text = value.as_text();
                ps.iter().any(|p| p.matches(&text))
            }
            // Handled before any value is looked at.
            Test::Null(_) => false,
        }
    }
}

impl Condition {
    /// The key the condition reads.
    pub(crate) fn key(&self) -> ConditionKey {
        self.key
    }

    /// Whether the condition holds for `ctx`.
    pub(crate) fn eval(&self, ctx: &RequestContext) -> bool {
        let values = ctx.values(self.key);
        if let Test::Null(wanted) = &self.test {
            let absent = matches!(values, Values::Missing);
            return wanted.contains(&absent);
        }
        let one = |v: Value<'_>| self.test.any(v) != self.negated;
        match values {
            Values::Missing => {
                self.if_exists
                    || match self.qualifier {
                        Qualifier::ForAllValues => true,
                        Qualifier::ForAnyValue => false,
                        Qualifier::Bare => self.negated,
                    }
            }
            Values::One(v) => one(v),
            Values::Many(list) => match self.qualifier {
                Qualifier::ForAnyValue => list.iter().any(|s| one(Value::Str(s))),
                Qualifier::ForAllValues => list.iter().all(|s| one(Value::Str(s))),
                Qualifier::Bare => {
                    list.iter().any(|s| self.test.any(Value::Str(s))) != self.negated
                }
            },
        }
    }

    /// Whether any policy value uses a wildcard although the operator compares literally, so a
    /// linter can point at `"marketing+.*@example.com"`-style mistakes.
    pub(crate) fn literal_wildcard(&self) -> Option<&str> {
        match self.test {
            Test::StrEq(_) | Test::StrEqIgnoreCase(_) => self
                .values
                .iter()
                .find(|v| !Wildcard::new(v).is_literal())
                .map(String::as_str),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_parse_with_qualifiers_and_if_exists() {
        assert!(parse_operator("ForAnyValue:StringLikeIfExists").is_some());
        assert!(parse_operator("ForAllValues:NumericLessThan").is_some());
        assert!(parse_operator("NotIpAddressIfExists").is_some());
        assert!(parse_operator("Null").is_some());
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("ForAnyValue:Null").is_none());
        assert!(
            parse_operator("stringequals").is_none(),
            "operators are case-sensitive"
        );
        assert!(
            parse_operator("StringLikeIgnoreCase").is_none(),
            "IAM has no such operator"
        );
        assert!(parse_operator("BinaryEquals").is_none());
        assert!(parse_operator("ForAnyValue:").is_none());
        assert!(parse_operator("IfExists").is_none());
    }

    #[test]
    fn dates_in_iso_8601_and_epoch_agree() {
        let expected = Some(1_735_689_600_000);
        assert_eq!(parse_date("2025-01-01T00:00:00Z"), expected);
        assert_eq!(parse_date("2025-01-01T01:00:00+01:00"), expected);
        assert_eq!(parse_date("2025-01-01T00:00:00"), expected);
        assert_eq!(parse_date("2025-01-01T00:00:00.000Z"), expected);
        assert_eq!(parse_date("2025-01-01"), expected);
        assert_eq!(parse_date("1735689600"), expected);
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("99999999999999999999"), None);
    }

    #[test]
    fn numbers_refuse_inf_and_nan() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5e2"), Some(-150.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn arn_patterns_match_per_component() {
        let p = ArnPattern::new("arn:aws:cognito-idp:*:111122223333:userpool/*").expect("arn");
        assert!(p.matches("arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc"));
        assert!(!p.matches("arn:aws:cognito-idp:eu-west-1:444455556666:userpool/x"));
        assert!(!p.matches("arn:aws:cognito-idp"), "too few components");
        // A `*` in one component cannot swallow a separator.
        let p = ArnPattern::new("arn:aws:ses:*:*:identity/x").expect("arn");
        assert!(p.matches("arn:aws:ses:eu-west-1:111122223333:identity/x"));
        assert!(!p.matches("arn:aws:ses:eu-west-1:111122223333:x:identity/x"));
        assert!(
            ArnPattern::new("arn:aws:ses:*:identity/x").is_none(),
            "five components"
        );
        // The resource part keeps its own colons.
        let p = ArnPattern::new("arn:aws:sns:eu-west-1:111122223333:topic:sub*").expect("arn");
        assert!(p.matches("arn:aws:sns:eu-west-1:111122223333:topic:sub:1"));
        assert!(ArnPattern::new("*").expect("any").matches("anything"));
    }

    #[test]
    fn ignore_case_is_unicode_aware() {
        assert!(eq_ignore_case("Ärger@Example.COM", "ärger@example.com"));
        assert!(!eq_ignore_case("a", "ab"));
    }
}
