//! Parsing and validating a policy document into its compiled form.
//!
//! The grammar is SES's (ses-spec §4.1, §4.5): `Version` (optional, `2012-10-17` or
//! `2008-10-17`), `Id` (optional string), `Statement` (an object or a non-empty array). Each
//! statement: `Sid` (optional, unique within the policy as IAM requires), `Effect`
//! (`Allow`/`Deny`), exactly one of `Principal`/`NotPrincipal`, exactly one of
//! `Action`/`NotAction` (`ses:` actions, `*`/`?` wildcards, case-insensitive), `Resource` (exactly
//! the ARN of the identity the policy is attached to), and an optional `Condition`. Anything
//! else — unknown elements, `NotResource`, duplicate JSON members — is refused rather than
//! ignored, so a policy never means less than it says. Policy variables (`${aws:username}`) are
//! not interpreted: SES's keys offer none that a sender could use, and the text is compared as
//! written.

use serde::Serialize;

use crate::MAX_POLICY_SIZE;
use crate::condition::{self, Condition};
use crate::context::{ConditionKey, RequestContext};
use crate::error::{Location, PolicyError};
use crate::json::Json;
use crate::principal::{Caller, PrincipalSet};
use crate::wildcard::Wildcard;

/// Whether a statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// A parsed, validated policy with every pattern compiled; evaluate it with [`crate::evaluate`].
#[derive(Debug, Clone)]
pub struct Policy {
    name: String,
    id: Option<String>,
    version: Option<String>,
    statements: Vec<Statement>,
    minified: String,
}

/// One statement of a [`Policy`], as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatementInfo<'p> {
    /// 0-based position in the policy's `Statement` list.
    pub index: usize,
    /// The `Sid`, if the statement has one.
    pub sid: Option<&'p str>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
}

#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    principal: PrincipalSet,
    not_principal: bool,
    actions: Vec<Wildcard>,
    not_action: bool,
    resource: String,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    pub(crate) fn principal_matches(&self, caller: Caller<'_>) -> bool {
        if self.not_principal {
            !self.principal.excludes_all_of(caller)
        } else {
            self.principal.matches(caller)
        }
    }

    pub(crate) fn action_matches(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.matches_ascii_ci(action)) != self.not_action
    }

    pub(crate) fn resource_matches(&self, identity_arn: &str) -> bool {
        self.resource == identity_arn
    }

    /// Whether the statement applies, stopping at the first part that does not.
    pub(crate) fn applies(&self, ctx: &RequestContext, caller: Caller<'_>) -> bool {
        self.action_matches(&ctx.action)
            && self.resource_matches(&ctx.identity_arn)
            && self.principal_matches(caller)
            && self.conditions.iter().all(|c| c.eval(ctx))
    }
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "Condition",
];

impl Policy {
    /// Parses and validates `document` as the policy `name` of the identity `identity_arn`.
    ///
    /// The name is not checked here (see [`crate::validate_policy_name`]); it only labels the
    /// policy in evaluation results. Errors carry SES's `InvalidPolicy` text.
    pub fn parse(name: &str, document: &str, identity_arn: &str) -> Result<Policy, PolicyError> {
        if document.len() > MAX_POLICY_SIZE {
            return Err(PolicyError::document(format!(
                "Policy exceeds the maximum size of {MAX_POLICY_SIZE} bytes."
            )));
        }
        let json = Json::parse(document)
            .map_err(|e| PolicyError::document(format!("Policy is not valid JSON: {e}")))?;
        let Json::Object(members) = &json else {
            return Err(PolicyError::document(format!(
                "Policy must be a JSON object, not {}.",
                json.type_name()
            )));
        };
        let mut id = None;
        let mut version = None;
        let mut statement = None;
        for (member, value) in members {
            match (member.as_str(), value) {
                ("Version", Json::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {
                    version = Some(v.clone());
                }
                ("Version", v) => {
                    return Err(PolicyError::document(format!(
                        "Policy has an invalid version: {} (use \"2012-10-17\" or \"2008-10-17\").",
                        show(v)
                    )));
                }
                ("Id", Json::String(v)) => id = Some(v.clone()),
                ("Id", v) => {
                    return Err(PolicyError::document(format!(
                        "Policy has an invalid Id: {} is not a string.",
                        v.type_name()
                    )));
                }
                ("Statement", v) => statement = Some(v),
                (other, _) => {
                    return Err(PolicyError::document(format!(
                        "Policy has an invalid element: '{other}'."
                    )));
                }
            }
        }
        let items: Vec<&Json> = match statement {
            None => {
                return Err(PolicyError::document(
                    "Policy is missing required element: Statement.",
                ));
            }
            Some(Json::Array(items)) if items.is_empty() => {
                return Err(PolicyError::document(
                    "Policy must contain at least one statement.",
                ));
            }
            Some(Json::Array(items)) => items.iter().collect(),
            Some(one @ Json::Object(_)) => vec![one],
            Some(other) => {
                return Err(PolicyError::document(format!(
                    "Policy has an invalid Statement: {} is neither an object nor a list.",
                    other.type_name()
                )));
            }
        };
        let mut statements: Vec<Statement> = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let st = parse_statement(item, index, identity_arn)?;
            if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty())
                && statements.iter().any(|s| s.sid.as_deref() == Some(sid))
            {
                return Err(Location {
                    index,
                    sid: Some(sid),
                }
                .error(
                    "Policy has a duplicate statement id",
                    format_args!("\"{sid}\" is used twice"),
                ));
            }
            statements.push(st);
        }
        let minified = serde_json::to_string(&json).unwrap_or_else(|_| document.to_owned());
        Ok(Policy {
            name: name.to_owned(),
            id,
            version,
            statements,
            minified,
        })
    }

    /// The policy's name (its key in the identity's policy map).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The document's `Id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The document's `Version`, if given.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The document with insignificant whitespace removed, members in their original order
    /// (what `GetIdentityPolicies` returns).
    pub fn minified(&self) -> &str {
        &self.minified
    }

    /// The statements, in document order.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = StatementInfo<'_>> {
        self.statements
            .iter()
            .enumerate()
            .map(|(index, s)| StatementInfo {
                index,
                sid: s.sid.as_deref(),
                effect: s.effect,
            })
    }

    pub(crate) fn compiled_statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Things SES accepts but that rarely mean what the author intended (for `policy lint`).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (index, st) in self.statements.iter().enumerate() {
            let at = match st.sid.as_deref() {
                Some(sid) if !sid.is_empty() => format!("statement {index}, Sid \"{sid}\""),
                _ => format!("statement {index}"),
            };
            for c in &st.conditions {
                if let Some(v) = c.literal_wildcard() {
                    out.push(format!(
                        "{}: {} compares '{v}' literally; use StringLike for wildcards ({at})",
                        c.key_text, c.operator
                    ));
                }
                if c.operator.contains("Like")
                    && let Some(v) = c
                        .values
                        .iter()
                        .find(|v| v.contains(".*") || v.contains(".+"))
                {
                    out.push(format!(
                        "{}: '{v}' is not a regex: only * and ? are wildcards, '.' and '+' are literal ({at})",
                        c.key_text
                    ));
                }
                if c.key().is_multi_valued()
                    && !c.operator.starts_with("ForAnyValue:")
                    && !c.operator.starts_with("ForAllValues:")
                    && c.operator != "Null"
                {
                    out.push(format!(
                        "{} is multi-valued: write ForAnyValue:{} or ForAllValues:{} ({at})",
                        c.key_text, c.operator, c.operator
                    ));
                }
                if st.effect == Effect::Allow
                    && c.operator.starts_with("ForAllValues:")
                    && !st
                        .conditions
                        .iter()
                        .any(|n| n.operator == "Null" && n.key() == c.key())
                {
                    out.push(format!(
                        "{} under Allow is also true when {} is missing or empty; add a Null condition ({at})",
                        c.operator, c.key_text
                    ));
                }
            }
        }
        out
    }
}

/// A JSON value quoted for a message: strings as `'text'`, others by type.
fn show(value: &Json) -> String {
    match value {
        Json::String(s) => format!("'{s}'"),
        other => other.type_name().to_owned(),
    }
}

fn parse_statement(
    item: &Json,
    index: usize,
    identity_arn: &str,
) -> Result<Statement, PolicyError> {
    let Json::Object(members) = item else {
        return Err(Location { index, sid: None }.error(
            "Policy has an invalid statement",
            format_args!("a statement must be an object, not {}", item.type_name()),
        ));
    };
    let get = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let sid = match get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(Location { index, sid: None }.error(
                "Policy has an invalid statement",
                format_args!("Sid must be a string, not {}", other.type_name()),
            ));
        }
    };
    let at = Location {
        index,
        sid: sid.as_deref(),
    };
    if let Some((other, _)) = members
        .iter()
        .find(|(n, _)| !STATEMENT_ELEMENTS.contains(&n.as_str()))
    {
        if other == "NotResource" {
            return Err(at.error(
                "Policy has invalid resource",
                "NotResource is not supported; name the identity in Resource",
            ));
        }
        return Err(at.error(
            "Policy has an invalid statement",
            format_args!("unknown element '{other}'"),
        ));
    }
    let missing = |element: &str| at.error("Policy is missing a required element", element);

    let effect = match get("Effect") {
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(at.error(
                "Policy has an invalid effect",
                format_args!("{} (use \"Allow\" or \"Deny\")", show(other)),
            ));
        }
        None => return Err(missing("Effect")),
    };

    let (principal, not_principal) = match (get("Principal"), get("NotPrincipal")) {
        (Some(p), None) => (PrincipalSet::parse(p, "Principal", at)?, false),
        (None, Some(p)) => (PrincipalSet::parse(p, "NotPrincipal", at)?, true),
        (Some(_), Some(_)) => {
            return Err(at.error(
                "Policy has an invalid principal",
                "Principal and NotPrincipal cannot both be present",
            ));
        }
        (None, None) => return Err(missing("Principal")),
    };

    let (actions, not_action) = match (get("Action"), get("NotAction")) {
        (Some(a), None) => (parse_actions(a, "Action", at)?, false),
        (None, Some(a)) => (parse_actions(a, "NotAction", at)?, true),
        (Some(_), Some(_)) => {
            return Err(at.error(
                "Policy has an invalid action",
                "Action and NotAction cannot both be present",
            ));
        }
        (None, None) => return Err(missing("Action")),
    };

    let resource = match get("Resource") {
        None => return Err(missing("Resource")),
        Some(r) => parse_resource(r, identity_arn, at)?,
    };

    let conditions = match get("Condition") {
        None => Vec::new(),
        Some(block) => condition::parse_block(block, at)?,
    };

    Ok(Statement {
        sid,
        effect,
        principal,
        not_principal,
        actions,
        not_action,
        resource,
        conditions,
    })
}

fn parse_actions(
    value: &Json,
    element: &str,
    at: Location<'_>,
) -> Result<Vec<Wildcard>, PolicyError> {
    const HEAD: &str = "Policy has an invalid action";
    let items: Vec<&Json> = match value {
        Json::Array(items) if items.is_empty() => {
            return Err(at.error(HEAD, format_args!("{element} is an empty list")));
        }
        Json::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    items
        .into_iter()
        .map(|item| {
            let Json::String(action) = item else {
                return Err(at.error(
                    HEAD,
                    format_args!(
                        "{element} entries must be strings, not {}",
                        item.type_name()
                    ),
                ));
            };
            if action == "*" {
                return Ok(Wildcard::new(action));
            }
            let Some((service, name)) = action.split_once(':') else {
                return Err(at.error(
                    HEAD,
                    format_args!("'{action}' is not of the form ses:Action"),
                ));
            };
            if !service.eq_ignore_ascii_case("ses") {
                return Err(at.error(HEAD, format_args!("'{action}' is not an SES action")));
            }
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
            {
                return Err(at.error(HEAD, format_args!("'{action}' is not a valid action name")));
            }
            Ok(Wildcard::new(action))
        })
        .collect()
}

fn parse_resource(
    value: &Json,
    identity_arn: &str,
    at: Location<'_>,
) -> Result<String, PolicyError> {
    const HEAD: &str = "Policy has invalid resource";
    let arn = match value {
        Json::String(s) => s,
        Json::Array(items) => match items.as_slice() {
            [Json::String(s)] => s,
            [] => return Err(at.error(HEAD, "Resource is an empty list")),
            [_] => return Err(at.error(HEAD, "Resource must be a string")),
            _ => {
                return Err(at.error(
                    HEAD,
                    "a policy names exactly one resource, the identity it is attached to",
                ));
            }
        },
        other => {
            return Err(at.error(
                HEAD,
                format_args!("Resource must be a string, not {}", other.type_name()),
            ));
        }
    };
    if arn != identity_arn {
        return Err(at.error(
            HEAD,
            format_args!("'{arn}' is not the identity the policy is attached to ({identity_arn})"),
        ));
    }
    Ok(arn.clone())
}

/// The `Resource` the document's first statement names, if it can be read at all.
///
/// For tools that get a document without its identity (`policy test --policy FILE`,
/// `policy lint FILE`): parse it against the resource it declares, and every other statement
/// must then name the same one.
pub fn declared_resource(document: &str) -> Option<String> {
    let Json::Object(members) = Json::parse(document).ok()? else {
        return None;
    };
    let statement = members.into_iter().find(|(n, _)| n == "Statement")?.1;
    let first = match statement {
        Json::Array(items) => items.into_iter().next()?,
        one => one,
    };
    let Json::Object(members) = first else {
        return None;
    };
    match members.into_iter().find(|(n, _)| n == "Resource")?.1 {
        Json::String(s) => Some(s),
        Json::Array(items) => match items.into_iter().next()? {
            Json::String(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Every supported condition key name, canonical spelling (for help texts).
pub fn supported_condition_keys() -> impl Iterator<Item = &'static str> {
    ConditionKey::ALL.into_iter().map(ConditionKey::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_resource_reads_the_first_statement() {
        let id = "arn:aws:ses:eu-west-1:111122223333:identity/shop.example";
        let one = format!(r#"{{"Statement":{{"Effect":"Allow","Resource":"{id}"}}}}"#);
        assert_eq!(declared_resource(&one).as_deref(), Some(id));
        let list = format!(r#"{{"Statement":[{{"Resource":["{id}"]}},{{"Resource":"x"}}]}}"#);
        assert_eq!(declared_resource(&list).as_deref(), Some(id));
        assert_eq!(declared_resource(r#"{"Statement":[{}]}"#), None);
        assert_eq!(declared_resource("not json"), None);
    }
}
