//! The request a policy is evaluated against, and the condition keys it answers.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Everything a sending-authorization policy can look at, for one request.
///
/// Owned and (de)serializable so that the what-if API can take it as JSON as is. The send path
/// fills it from the decoded request; nothing here is read from a clock or the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestContext {
    /// The IAM action checked, e.g. `ses:SendEmail` (compared case-insensitively).
    pub action: String,
    /// The caller's ARN: an IAM user, an assumed-role session, or an account root.
    pub principal_arn: String,
    /// The caller's 12-digit account id.
    pub principal_account: String,
    /// Set when the caller is an AWS service (`cognito-idp.amazonaws.com`), not an IAM principal.
    #[serde(default)]
    pub service_principal: Option<String>,
    /// The ARN of the identity whose policies are evaluated (the resource).
    pub identity_arn: String,
    /// `ses:Recipients`: every To, Cc and Bcc (or envelope) address, as given.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// `ses:FromAddress`: the bare sender address (empty means absent).
    pub from_address: String,
    /// `ses:FromDisplayName`: the display name of From, if it has one.
    #[serde(default)]
    pub from_display_name: Option<String>,
    /// `ses:FeedbackAddress`: the Return-Path, if known.
    #[serde(default)]
    pub feedback_address: Option<String>,
    /// `ses:ApiVersion`: `"1"` for the Query API, `"2"` for v2 and SMTP.
    pub api_version: String,
    /// `aws:SourceIp`: the client's address.
    #[serde(default)]
    pub source_ip: Option<IpAddr>,
    /// `aws:CurrentTime` and `aws:EpochTime`: the time of the request (passed in, never read).
    pub current_time: DateTime<Utc>,
    /// `aws:SecureTransport`: whether the request came over TLS.
    #[serde(default)]
    pub secure_transport: bool,
    /// `aws:UserAgent`.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// `aws:SourceAccount`: the account on whose behalf a service calls.
    #[serde(default)]
    pub source_account: Option<String>,
    /// `aws:SourceArn`: the resource on whose behalf a service calls.
    #[serde(default)]
    pub source_arn: Option<String>,
    /// `aws:PrincipalOrgID`: the caller's AWS Organizations id.
    #[serde(default)]
    pub principal_org_id: Option<String>,
}

/// A condition key SES evaluates in sending-authorization policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ConditionKey {
    /// `ses:Recipients` (multi-valued).
    Recipients,
    /// `ses:FromAddress`.
    FromAddress,
    /// `ses:FromDisplayName`.
    FromDisplayName,
    /// `ses:FeedbackAddress`.
    FeedbackAddress,
    /// `ses:ApiVersion`.
    ApiVersion,
    /// `aws:SourceIp`.
    SourceIp,
    /// `aws:CurrentTime`.
    CurrentTime,
    /// `aws:EpochTime`.
    EpochTime,
    /// `aws:SecureTransport`.
    SecureTransport,
    /// `aws:UserAgent`.
    UserAgent,
    /// `aws:SourceAccount`.
    SourceAccount,
    /// `aws:SourceArn`.
    SourceArn,
    /// `aws:PrincipalOrgID`.
    PrincipalOrgId,
}

impl ConditionKey {
    /// Every supported key.
    pub const ALL: [ConditionKey; 13] = [
        Self::Recipients,
        Self::FromAddress,
        Self::FromDisplayName,
        Self::FeedbackAddress,
        Self::ApiVersion,
        Self::SourceIp,
        Self::CurrentTime,
        Self::EpochTime,
        Self::SecureTransport,
        Self::UserAgent,
        Self::SourceAccount,
        Self::SourceArn,
        Self::PrincipalOrgId,
    ];

    /// The canonical spelling, e.g. `ses:FromAddress`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Recipients => "ses:Recipients",
            Self::FromAddress => "ses:FromAddress",
            Self::FromDisplayName => "ses:FromDisplayName",
            Self::FeedbackAddress => "ses:FeedbackAddress",
            Self::ApiVersion => "ses:ApiVersion",
            Self::SourceIp => "aws:SourceIp",
            Self::CurrentTime => "aws:CurrentTime",
            Self::EpochTime => "aws:EpochTime",
            Self::SecureTransport => "aws:SecureTransport",
            Self::UserAgent => "aws:UserAgent",
            Self::SourceAccount => "aws:SourceAccount",
            Self::SourceArn => "aws:SourceArn",
            Self::PrincipalOrgId => "aws:PrincipalOrgID",
        }
    }

    /// Looks a key up as written in a policy.
    ///
    /// The part after the colon is case-insensitive, as in IAM (`ses:fromaddress` is
    /// `ses:FromAddress`). The service prefix must be lower-case `ses:` or `aws:`: SES was
    /// observed refusing `AWS:SourceAccount` as an unknown field (ses-spec §1.7), and that is
    /// the only spelling difference the observation can be about.
    pub fn parse(name: &str) -> Option<ConditionKey> {
        let (prefix, rest) = name.split_at_checked(4)?;
        if prefix != "ses:" && prefix != "aws:" {
            return None;
        }
        Self::ALL.into_iter().find(|k| {
            let canonical = k.name();
            canonical.starts_with(prefix) && canonical[4..].eq_ignore_ascii_case(rest)
        })
    }

    /// Whether the key can carry several values in one request.
    pub fn is_multi_valued(self) -> bool {
        self == Self::Recipients
    }
}

/// One request value of a key, in its natural type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Str(&'a str),
    Ip(IpAddr),
    Time(DateTime<Utc>),
    Epoch(i64),
    Bool(bool),
}

impl<'a> Value<'a> {
    /// The value as IAM string operators see it.
    pub(crate) fn as_text(&self) -> Cow<'a, str> {
        match *self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Ip(ip) => Cow::Owned(ip.to_string()),
            Value::Time(t) => Cow::Owned(t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            Value::Epoch(e) => Cow::Owned(e.to_string()),
            Value::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        }
    }
}

/// The request values of a key: absent, one, or a list (the multi-valued `ses:Recipients`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    Missing,
    One(Value<'a>),
    Many(&'a [String]),
}

impl RequestContext {
    /// The values of `key` in this request; an empty list or empty address counts as missing.
    pub(crate) fn values(&self, key: ConditionKey) -> Values<'_> {
        fn opt(s: &Option<String>) -> Values<'_> {
            s.as_deref()
                .map_or(Values::Missing, |s| Values::One(Value::Str(s)))
        }
        match key {
            ConditionKey::Recipients if self.recipients.is_empty() => Values::Missing,
            ConditionKey::Recipients => Values::Many(&self.recipients),
            ConditionKey::FromAddress if self.from_address.is_empty() => Values::Missing,
            ConditionKey::FromAddress => Values::One(Value::Str(&self.from_address)),
            ConditionKey::FromDisplayName => opt(&self.from_display_name),
            ConditionKey::FeedbackAddress => opt(&self.feedback_address),
            ConditionKey::ApiVersion if self.api_version.is_empty() => Values::Missing,
            ConditionKey::ApiVersion => Values::One(Value::Str(&self.api_version)),
            ConditionKey::SourceIp => self
                .source_ip
                .map_or(Values::Missing, |ip| Values::One(Value::Ip(ip))),
            ConditionKey::CurrentTime => Values::One(Value::Time(self.current_time)),
            ConditionKey::EpochTime => Values::One(Value::Epoch(self.current_time.timestamp())),
            ConditionKey::SecureTransport => Values::One(Value::Bool(self.secure_transport)),
            ConditionKey::UserAgent => opt(&self.user_agent),
            ConditionKey::SourceAccount => opt(&self.source_account),
            ConditionKey::SourceArn => opt(&self.source_arn),
            ConditionKey::PrincipalOrgId => opt(&self.principal_org_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_case_insensitive_after_a_lower_case_prefix() {
        assert_eq!(
            ConditionKey::parse("ses:fromaddress"),
            Some(ConditionKey::FromAddress)
        );
        assert_eq!(
            ConditionKey::parse("aws:sourceaccount"),
            Some(ConditionKey::SourceAccount)
        );
        assert_eq!(
            ConditionKey::parse("aws:PrincipalOrgId"),
            Some(ConditionKey::PrincipalOrgId)
        );
        assert_eq!(ConditionKey::parse("AWS:SourceAccount"), None);
        assert_eq!(ConditionKey::parse("SES:Recipients"), None);
        assert_eq!(ConditionKey::parse("ses:SourceIp"), None, "wrong service");
        assert_eq!(ConditionKey::parse("aws:username"), None);
        assert_eq!(ConditionKey::parse("ses"), None);
        assert_eq!(ConditionKey::parse("aws:é"), None);
        for k in ConditionKey::ALL {
            assert_eq!(ConditionKey::parse(k.name()), Some(k));
        }
    }
}
