//! `Principal` / `NotPrincipal`: which callers a statement is about.
//!
//! IAM matches a caller through every identity it carries: an IAM user is itself and its
//! account (root); an assumed-role session is itself, its role, and its account; a service is
//! only itself. So `{"AWS": "111122223333"}` (the account) matches every principal of that
//! account, a role ARN matches all sessions of the role, and `NotPrincipal` applies to a caller
//! unless *all* of its identities are listed — which is why the IAM docs tell you to list the
//! account and the role next to the session in a `NotPrincipal`.

use crate::error::{Location, PolicyError};
use crate::json::Json;

/// A compiled principal list.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrincipalSet {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    any: bool,
    /// 12-digit account ids (from `123456789012` or `arn:…:iam::123456789012:root`).
    accounts: Vec<Box<str>>,
    /// IAM user and assumed-role session ARNs, compared exactly.
    arns: Vec<Box<str>>,
    /// Roles as `(account, role name)`; a role ARN with a path keeps only its last segment,
    /// because assumed-role session ARNs carry no path.
    roles: Vec<(Box<str>, Box<str>)>,
    /// Service principals, e.g. `cognito-idp.amazonaws.com`.
    services: Vec<Box<str>>,
}

/// The caller, seen as the identities it carries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Caller<'a> {
    Service(&'a str),
    Aws {
        /// The caller's own ARN, unless it is the account root (then only `account` counts).
        arn: Option<&'a str>,
        account: &'a str,
        /// `(account, role name)` for an assumed-role session.
        role: Option<(&'a str, &'a str)>,
    },
}

impl<'a> Caller<'a> {
    /// Reads the caller from the request's principal fields.
    pub(crate) fn new(principal_arn: &'a str, account: &'a str, service: Option<&'a str>) -> Self {
        if let Some(service) = service {
            return Caller::Service(service);
        }
        let parsed = parse_arn(principal_arn);
        let is_root = matches!(parsed, Some(("iam", _, "root")));
        let role = match parsed {
            Some(("sts", acct, resource)) => resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next())
                .map(|name| (acct, name)),
            _ => None,
        };
        Caller::Aws {
            arn: (!is_root && !principal_arn.is_empty()).then_some(principal_arn),
            account,
            role,
        }
    }
}

/// `arn:PARTITION:SERVICE::ACCOUNT:RESOURCE` → `(service, account, resource)` for IAM and STS.
fn parse_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let partition_ok = matches!(partition, "aws" | "aws-cn" | "aws-us-gov");
    let service_ok = matches!(service, "iam" | "sts");
    (partition_ok && service_ok && is_account_id(account)).then_some((service, account, resource))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// IAM name characters (users, roles, paths, sessions): `[\w+=,.@-]`.
fn is_iam_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-')
        })
}

const INVALID_PRINCIPAL: &str = "Policy has an invalid principal";

impl PrincipalSet {
    /// Parses the value of `Principal` or `NotPrincipal` (`element` names which, for messages).
    pub(crate) fn parse(
        value: &Json,
        element: &str,
        at: Location<'_>,
    ) -> Result<Self, PolicyError> {
        let mut set = PrincipalSet::default();
        match value {
            Json::String(s) if s == "*" => set.any = true,
            Json::Object(members) if !members.is_empty() => {
                for (kind, ids) in members {
                    let ids = string_list(ids).ok_or_else(|| {
                        at.error(
                            INVALID_PRINCIPAL,
                            format_args!(
                                "{element}.{kind} must be a string or a non-empty list of strings"
                            ),
                        )
                    })?;
                    for id in ids {
                        match kind.as_str() {
                            "AWS" => set.add_aws(id).ok_or_else(|| {
                                at.error(INVALID_PRINCIPAL, format_args!("'{id}' is not an account id, account root, IAM user, IAM role or assumed-role ARN"))
                            })?,
                            "Service" => set.add_service(id).ok_or_else(|| {
                                at.error(INVALID_PRINCIPAL, format_args!("'{id}' is not a service principal"))
                            })?,
                            other => {
                                return Err(at.error(
                                    INVALID_PRINCIPAL,
                                    format_args!("{element} type '{other}' is not supported (AWS or Service)"),
                                ));
                            }
                        }
                    }
                }
            }
            other => {
                return Err(at.error(
                    INVALID_PRINCIPAL,
                    format_args!(
                        "{element} must be \"*\" or an object with AWS or Service, not {}",
                        describe(other)
                    ),
                ));
            }
        }
        Ok(set)
    }

    fn add_aws(&mut self, id: &str) -> Option<()> {
        if id == "*" {
            self.any = true;
        } else if is_account_id(id) {
            self.accounts.push(id.into());
        } else {
            let (service, account, resource) = parse_arn(id)?;
            match (service, resource) {
                ("iam", "root") => self.accounts.push(account.into()),
                ("iam", r) if r.starts_with("user/") => {
                    let path = &r["user/".len()..];
                    path.split('/').all(is_iam_name).then_some(())?;
                    self.arns.push(id.into());
                }
                ("iam", r) if r.starts_with("role/") => {
                    let path = &r["role/".len()..];
                    path.split('/').all(is_iam_name).then_some(())?;
                    let name = path.rsplit('/').next()?;
                    self.roles.push((account.into(), name.into()));
                }
                ("sts", r) if r.starts_with("assumed-role/") => {
                    let mut parts = r["assumed-role/".len()..].split('/');
                    let (Some(role), Some(session), None) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return None;
                    };
                    (is_iam_name(role) && is_iam_name(session)).then_some(())?;
                    self.arns.push(id.into());
                }
                _ => return None,
            }
        }
        Some(())
    }

    fn add_service(&mut self, id: &str) -> Option<()> {
        let ok = id.contains('.')
            && id.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        ok.then(|| self.services.push(id.into()))
    }

    fn has_account(&self, account: &str) -> bool {
        self.any || self.accounts.iter().any(|a| **a == *account)
    }

    fn has_arn(&self, arn: &str) -> bool {
        self.any || self.arns.iter().any(|a| **a == *arn)
    }

    fn has_role(&self, (account, name): (&str, &str)) -> bool {
        self.any
            || self
                .roles
                .iter()
                .any(|(a, n)| **a == *account && **n == *name)
    }

    fn has_service(&self, service: &str) -> bool {
        self.any || self.services.iter().any(|s| **s == *service)
    }

    /// `Principal`: the statement is about the caller if any of its identities is listed.
    pub(crate) fn matches(&self, caller: Caller<'_>) -> bool {
        match caller {
            Caller::Service(s) => self.has_service(s),
            Caller::Aws { arn, account, role } => {
                self.has_account(account)
                    || arn.is_some_and(|a| self.has_arn(a))
                    || role.is_some_and(|r| self.has_role(r))
            }
        }
    }

    /// `NotPrincipal`: the statement is about the caller unless all its identities are listed.
    pub(crate) fn excludes_all_of(&self, caller: Caller<'_>) -> bool {
        match caller {
            Caller::Service(s) => self.has_service(s),
            Caller::Aws { arn, account, role } => {
                self.has_account(account)
                    && arn.is_none_or(|a| self.has_arn(a))
                    && role.is_none_or(|r| self.has_role(r))
            }
        }
    }
}

fn string_list(value: &Json) -> Option<Vec<&str>> {
    match value {
        Json::String(s) => Some(vec![s.as_str()]),
        Json::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Json::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn describe(value: &Json) -> String {
    match value {
        Json::String(s) => format!("'{s}'"),
        Json::Object(_) => "an empty object".to_owned(),
        other => other.type_name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(json: &str) -> Result<PrincipalSet, PolicyError> {
        let at = Location {
            index: 0,
            sid: None,
        };
        PrincipalSet::parse(&Json::parse(json).expect("json"), "Principal", at)
    }

    #[test]
    fn accepts_the_documented_forms() {
        for ok in [
            r#""*""#,
            r#"{"AWS":"*"}"#,
            r#"{"AWS":"123456789012"}"#,
            r#"{"AWS":"arn:aws:iam::123456789012:root"}"#,
            r#"{"AWS":["arn:aws:iam::123456789012:user/app","arn:aws:iam::123456789012:user/path/to/app"]}"#,
            r#"{"AWS":"arn:aws:iam::123456789012:role/sender"}"#,
            r#"{"AWS":"arn:aws:sts::123456789012:assumed-role/sender/session-1"}"#,
            r#"{"Service":["cognito-idp.amazonaws.com"]}"#,
            r#"{"AWS":"123456789012","Service":"ses.amazonaws.com"}"#,
        ] {
            assert!(set(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_partial_wildcards_and_other_kinds() {
        for bad in [
            r#""123456789012""#,
            r#"{}"#,
            r#"{"AWS":[]}"#,
            r#"{"AWS":"12345"}"#,
            r#"{"AWS":"arn:aws:iam::123456789012:user/*"}"#,
            r#"{"AWS":"arn:aws:iam::123456789012:group/devs"}"#,
            r#"{"AWS":"arn:aws:sts::123456789012:assumed-role/sender"}"#,
            r#"{"AWS":"arn:aws:s3:::bucket"}"#,
            r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
            r#"{"Service":"Not A Service"}"#,
            r#"{"AWS":5}"#,
        ] {
            assert!(set(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arn_covers_its_sessions_and_account_covers_everyone_in_it() {
        let session = Caller::new(
            "arn:aws:sts::444455556666:assumed-role/sender/s1",
            "444455556666",
            None,
        );
        assert!(
            set(r#"{"AWS":"arn:aws:iam::444455556666:role/team/sender"}"#)
                .expect("ok")
                .matches(session)
        );
        assert!(
            !set(r#"{"AWS":"arn:aws:iam::444455556666:role/other"}"#)
                .expect("ok")
                .matches(session)
        );
        assert!(
            set(r#"{"AWS":"444455556666"}"#)
                .expect("ok")
                .matches(session)
        );
        assert!(
            !set(r#"{"AWS":"111122223333"}"#)
                .expect("ok")
                .matches(session)
        );
        assert!(
            !set(r#"{"Service":"ses.amazonaws.com"}"#)
                .expect("ok")
                .matches(session)
        );
        let svc = Caller::new("", "", Some("cognito-idp.amazonaws.com"));
        assert!(
            set(r#"{"Service":"cognito-idp.amazonaws.com"}"#)
                .expect("ok")
                .matches(svc)
        );
        assert!(!set(r#"{"AWS":"444455556666"}"#).expect("ok").matches(svc));
        assert!(set(r#""*""#).expect("ok").matches(svc));
    }

    #[test]
    fn not_principal_needs_every_identity_listed() {
        let bob = Caller::new("arn:aws:iam::444455556666:user/bob", "444455556666", None);
        let user_only = set(r#"{"AWS":"arn:aws:iam::444455556666:user/bob"}"#).expect("ok");
        assert!(!user_only.excludes_all_of(bob), "the account is not listed");
        let both =
            set(r#"{"AWS":["arn:aws:iam::444455556666:user/bob","444455556666"]}"#).expect("ok");
        assert!(both.excludes_all_of(bob));
        let alice = Caller::new("arn:aws:iam::444455556666:user/alice", "444455556666", None);
        assert!(!both.excludes_all_of(alice));
        let root = Caller::new("arn:aws:iam::444455556666:root", "444455556666", None);
        assert!(
            set(r#"{"AWS":"444455556666"}"#)
                .expect("ok")
                .excludes_all_of(root)
        );
    }
}
