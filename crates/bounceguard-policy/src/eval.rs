//! Evaluating an identity's policies for one request (ses-spec §4.4).
//!
//! Order of precedence: an explicit `Deny` that applies wins; else an `Allow` that applies;
//! else a caller from the identity's own account is allowed (its own IAM policy is assumed to
//! allow: this gateway does not model IAM identity policies); else the request is implicitly
//! denied. A cross-account delegate's own IAM allowance is likewise assumed. The decision never
//! depends on statement or policy order; only *which* statement is reported does (the first in
//! policy order, then statement order).

use std::fmt;

use serde::Serialize;

use crate::context::RequestContext;
use crate::policy::{Effect, Policy, Statement};
use crate::principal::Caller;

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// The request may go on.
    Allow,
    /// The request is refused with `AccessDenied`.
    Deny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "Allow",
            Decision::Deny => "Deny",
        })
    }
}

/// A statement of one of the evaluated policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatementRef<'p> {
    /// The policy's name.
    pub policy: &'p str,
    /// 0-based index of the statement in that policy.
    pub statement: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<&'p str>,
}

/// Why the decision was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum Reason<'p> {
    /// A `Deny` statement applies.
    ExplicitDeny(StatementRef<'p>),
    /// No `Deny` applies and this `Allow` statement does.
    ExplicitAllow(StatementRef<'p>),
    /// No statement applies, and the caller belongs to the identity's own account.
    SameAccount,
    /// No statement applies, and the caller is from another account (or is a service).
    ImplicitDeny,
}

impl Reason<'_> {
    /// The deciding statement, for explicit decisions.
    pub fn statement(&self) -> Option<StatementRef<'_>> {
        match *self {
            Reason::ExplicitDeny(s) | Reason::ExplicitAllow(s) => Some(s),
            Reason::SameAccount | Reason::ImplicitDeny => None,
        }
    }
}

impl fmt::Display for StatementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy \"{}\" statement {}", self.policy, self.statement)?;
        match self.sid {
            Some(sid) if !sid.is_empty() => write!(f, " (Sid \"{sid}\")"),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ExplicitDeny(s) => write!(f, "explicit deny by {s}"),
            Reason::ExplicitAllow(s) => write!(f, "explicit allow by {s}"),
            Reason::SameAccount => {
                f.write_str("no statement applies; the caller is in the identity's account")
            }
            Reason::ImplicitDeny => {
                f.write_str("no statement applies; the caller is not in the identity's account")
            }
        }
    }
}

/// Decision and reason, without a trace (the send path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcome<'p> {
    /// Allow or Deny.
    pub decision: Decision,
    /// Why.
    pub reason: Reason<'p>,
}

/// One condition's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace<'p> {
    /// The operator as written, e.g. `ForAnyValue:StringLike`.
    pub operator: &'p str,
    /// The key as written, e.g. `ses:Recipients`.
    pub key: &'p str,
    /// The policy values as written.
    pub values: &'p [String],
    /// Whether the condition held.
    pub matched: bool,
}

/// One statement's result: each part, and whether the statement applies as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace<'p> {
    /// 0-based index in the policy.
    pub index: usize,
    /// The `Sid`, if any.
    pub sid: Option<&'p str>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `Principal` names the caller (or `NotPrincipal` does not exclude it).
    pub principal_matched: bool,
    /// `Action` covers the action (or `NotAction` does not).
    pub action_matched: bool,
    /// `Resource` is the identity the request is for.
    pub resource_matched: bool,
    /// Every condition, in document order.
    pub conditions: Vec<ConditionTrace<'p>>,
    /// All of the above matched.
    pub applies: bool,
}

/// One policy's statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyTrace<'p> {
    /// The policy's name.
    pub policy: &'p str,
    /// Its statements, in document order.
    pub statements: Vec<StatementTrace<'p>>,
}

/// The full result: what the what-if tester prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation<'p> {
    /// Allow or Deny.
    pub decision: Decision,
    /// Why.
    pub reason: Reason<'p>,
    /// Every policy, statement and condition with its result (nothing short-circuited).
    pub trace: Vec<PolicyTrace<'p>>,
}

impl<'p> Evaluation<'p> {
    /// The decision and reason alone.
    pub fn outcome(&self) -> Outcome<'p> {
        Outcome {
            decision: self.decision,
            reason: self.reason,
        }
    }
}

fn caller(ctx: &RequestContext) -> Caller<'_> {
    Caller::new(
        &ctx.principal_arn,
        &ctx.principal_account,
        ctx.service_principal.as_deref(),
    )
}

fn conclude<'p>(
    deny: Option<StatementRef<'p>>,
    allow: Option<StatementRef<'p>>,
    ctx: &RequestContext,
    owner_account: &str,
) -> Outcome<'p> {
    let (decision, reason) = match (deny, allow) {
        (Some(s), _) => (Decision::Deny, Reason::ExplicitDeny(s)),
        (None, Some(s)) => (Decision::Allow, Reason::ExplicitAllow(s)),
        (None, None)
            if ctx.service_principal.is_none()
                && !owner_account.is_empty()
                && ctx.principal_account == owner_account =>
        {
            (Decision::Allow, Reason::SameAccount)
        }
        (None, None) => (Decision::Deny, Reason::ImplicitDeny),
    };
    Outcome { decision, reason }
}

fn statement_ref<'p>(policy: &'p Policy, index: usize, st: &'p Statement) -> StatementRef<'p> {
    StatementRef {
        policy: policy.name(),
        statement: index,
        sid: st.sid.as_deref(),
    }
}

/// Decides `ctx` against the identity's `policies`; stops as soon as the answer is known.
///
/// `owner_account` is the account that owns the identity. Same result as [`evaluate`] without
/// the trace; use it on the send path.
pub fn decide<'p>(
    policies: &'p [Policy],
    ctx: &RequestContext,
    owner_account: &str,
) -> Outcome<'p> {
    let caller = caller(ctx);
    let mut allow = None;
    for policy in policies {
        for (index, st) in policy.compiled_statements().iter().enumerate() {
            if st.effect == Effect::Allow && allow.is_some() {
                continue;
            }
            if st.applies(ctx, caller) {
                let r = statement_ref(policy, index, st);
                match st.effect {
                    Effect::Deny => return conclude(Some(r), allow, ctx, owner_account),
                    Effect::Allow => allow = Some(r),
                }
            }
        }
    }
    conclude(None, allow, ctx, owner_account)
}

/// Evaluates `ctx` against the identity's `policies`, recording every statement and condition.
///
/// `owner_account` is the account that owns the identity.
pub fn evaluate<'p>(
    policies: &'p [Policy],
    ctx: &RequestContext,
    owner_account: &str,
) -> Evaluation<'p> {
    let caller = caller(ctx);
    let mut deny = None;
    let mut allow = None;
    let mut trace = Vec::with_capacity(policies.len());
    for policy in policies {
        let statements = policy.compiled_statements();
        let mut traces = Vec::with_capacity(statements.len());
        for (index, st) in statements.iter().enumerate() {
            let principal_matched = st.principal_matches(caller);
            let action_matched = st.action_matches(&ctx.action);
            let resource_matched = st.resource_matches(&ctx.identity_arn);
            let conditions: Vec<ConditionTrace<'p>> = st
                .conditions
                .iter()
                .map(|c| ConditionTrace {
                    operator: &c.operator,
                    key: &c.key_text,
                    values: &c.values,
                    matched: c.eval(ctx),
                })
                .collect();
            let applies = principal_matched
                && action_matched
                && resource_matched
                && conditions.iter().all(|c| c.matched);
            if applies {
                let slot = match st.effect {
                    Effect::Deny => &mut deny,
                    Effect::Allow => &mut allow,
                };
                if slot.is_none() {
                    *slot = Some(statement_ref(policy, index, st));
                }
            }
            traces.push(StatementTrace {
                index,
                sid: st.sid.as_deref(),
                effect: st.effect,
                principal_matched,
                action_matched,
                resource_matched,
                conditions,
                applies,
            });
        }
        trace.push(PolicyTrace {
            policy: policy.name(),
            statements: traces,
        });
    }
    let Outcome { decision, reason } = conclude(deny, allow, ctx, owner_account);
    Evaluation {
        decision,
        reason,
        trace,
    }
}
