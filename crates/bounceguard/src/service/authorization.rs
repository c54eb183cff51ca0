//! Sending authorization (ses-spec §1.7, §2.6, §4): the identity-policy APIs of both SES fronts
//! over one store, and the policy check on every send.
//!
//! Which identity a send is checked against: the one named by `SourceArn` (or `FromArn`;
//! `FromEmailAddressIdentityArn` in v2) when given, else the sender's address identity when it
//! exists, else the sender's domain identity. Its policies are evaluated with
//! [`bounceguard_policy::decide`]; the owner account is `config.account_id` (this gateway holds
//! the identities of one account). A denial answers SES's `AccessDenied` (403; v2
//! `AccessDeniedException`) with the identity's ARN, and is recorded with decision `deny` and the
//! deciding statement, counted as neither an attempt nor against the quota.
//!
//! Decisions where SES's behaviour is unconfirmed or not applicable:
//! - v1 PutIdentityPolicy is an upsert and does not require the identity to exist
//!   (floci-reported, ses-spec §1.7; the docs say otherwise). v1 Get/List on an unknown
//!   identity answer nothing; v1 Delete succeeds whether or not the policy exists.
//! - v2 Update/Delete of a missing policy: `NotFoundException` `Policy <NAME> does not exist`
//!   (floci-reported; the model docs say they succeed). v2 Create on an existing name:
//!   `AlreadyExistsException` `Policy <NAME> already exists` (floci's text). The angle brackets
//!   are literal, as floci writes them.
//! - `Identity` given as an ARN must name this gateway's account and region; otherwise
//!   `InvalidParameterValue` (text of our own).
//! - Deleting an identity deletes its policies (as floci does), so a re-created identity starts
//!   without them.
//! - `aws:SecureTransport` is always false: the listener speaks plain HTTP, and a proxy's
//!   `X-Forwarded-Proto` is not trusted. `aws:SourceAccount`, `aws:SourceArn` and
//!   `aws:PrincipalOrgID` are absent (no service principals or organisations here).
//! - A `SourceArn`/`FromArn` that is not an SES identity ARN, or whose identity covers neither
//!   the sender's address nor its domain: `InvalidParameterValue` (texts of our own). One naming
//!   another account or region: `AccessDenied` on that ARN (this gateway holds no policy that
//!   could allow it).
//! - A stored policy that no longer parses (e.g. `region`/`account_id` changed, so its `Resource`
//!   is another ARN) is logged and left out of evaluation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bounceguard_core::address::Mailbox;
use bounceguard_core::{ErrorCode, Output, SendRequest, SesError};
use bounceguard_policy::{Decision, Outcome, Policy, Reason, RequestContext};
use bounceguard_store::{PolicyWrite, PolicyWriteOutcome};
use uuid::Uuid;

use super::{Gateway, identity_key, now_ms, store_error};
use crate::auth::Caller;

/// How long a cached identity (its existence and policies) is trusted before it is read again.
///
/// Writes through this instance invalidate the entry at once; this bounds how long a write by
/// *another* instance (PostgreSQL, several gateways) or a deleted identity goes unseen.
pub const POLICY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Entries kept before the cache is emptied (sender addresses of a verified domain are
/// unbounded, e.g. `+tag` aliases in a load test).
const MAX_CACHED_IDENTITIES: usize = 10_000;

/// What the send path needs to know about one identity name.
#[derive(Debug)]
pub(crate) struct CachedIdentity {
    /// Whether an identity of this name exists.
    exists: bool,
    /// Its policies, compiled, ordered by name.
    policies: Vec<Policy>,
    /// When this was read from the store.
    loaded: Instant,
}

/// Compiled policies per identity name, loaded lazily and invalidated on every write.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    entries: RwLock<HashMap<String, Arc<CachedIdentity>>>,
    /// Bumped on every invalidation, so a load that raced with a write is not kept.
    generation: AtomicU64,
}

impl PolicyCache {
    fn get(&self, name: &str) -> Option<Arc<CachedIdentity>> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(name)?;
        (entry.loaded.elapsed() < POLICY_CACHE_TTL).then(|| entry.clone())
    }

    fn insert(&self, name: String, entry: Arc<CachedIdentity>, generation: u64) {
        if let Ok(mut entries) = self.entries.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if entries.len() >= MAX_CACHED_IDENTITIES {
                entries.clear();
            }
            entries.insert(name, entry);
        }
    }

    /// Drops what is known about `name` (after a policy or identity write).
    pub(crate) fn forget(&self, name: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(name);
        }
    }
}

/// The identity a send is checked against.
struct Target {
    /// Its name; the ARN (the resource of the check and of the AccessDenied text) is only
    /// built when a policy is evaluated or a denial answered.
    name: String,
    /// Its policies.
    identity: Arc<CachedIdentity>,
}

/// `arn:PARTITION:ses:REGION:ACCOUNT:identity/NAME` → `(region, account, name)`.
pub fn parse_identity_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("ses"), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = resource.strip_prefix("identity/")?;
    (!partition.is_empty() && !region.is_empty() && !account.is_empty() && !name.is_empty())
        .then_some((region, account, name))
}

/// The account of an IAM or STS principal ARN (`arn:aws:iam::123456789012:user/x`); empty when
/// the ARN has none (then the caller never counts as the owner account).
pub fn principal_account(principal_arn: &str) -> &str {
    let mut parts = principal_arn.splitn(6, ':');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("arn"), Some(_), Some("iam" | "sts"), Some(""), Some(account))
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            account
        }
        _ => "",
    }
}

/// The text recorded for a denied recipient: which statement decided, or why none did.
pub fn denial_reason(reason: &Reason<'_>) -> String {
    match reason {
        Reason::ExplicitDeny(s) => format!("{s}: explicit deny"),
        other => format!("{other}: implicit deny"),
    }
}

impl Gateway {
    /// The ARN of this gateway's identity `name`.
    pub fn identity_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:ses:{}:{}:identity/{name}",
            self.config.region, self.config.account_id
        )
    }

    /// The store key of an identity given as a name or as an identity ARN of this gateway.
    fn policy_identity(&self, given: &str) -> Result<String, SesError> {
        if !given.starts_with("arn:") {
            return Ok(identity_key(given));
        }
        match parse_identity_arn(given) {
            Some((region, account, name))
                if region == self.config.region && account == self.config.account_id =>
            {
                Ok(identity_key(name))
            }
            Some(_) => Err(SesError::invalid(format!(
                "Identity {given} does not belong to account {} in region {}.",
                self.config.account_id, self.config.region
            ))),
            None => Err(SesError::invalid(format!(
                "Identity {given} is not a valid identity ARN."
            ))),
        }
    }

    /// What is known about identity `name`, from the cache or the store.
    async fn cached_identity(&self, name: &str) -> Result<Arc<CachedIdentity>, SesError> {
        if let Some(entry) = self.policies.get(name) {
            return Ok(entry);
        }
        let generation = self.policies.generation.load(Ordering::Acquire);
        let exists = self
            .store
            .get_identity(name)
            .await
            .map_err(store_error)?
            .is_some();
        let records = self
            .store
            .list_identity_policies(name)
            .await
            .map_err(store_error)?;
        let arn = self.identity_arn(name);
        let policies = records
            .into_iter()
            .filter_map(
                |record| match Policy::parse(&record.name, &record.document, &arn) {
                    Ok(policy) => Some(policy),
                    Err(e) => {
                        tracing::error!(
                            identity = name,
                            policy = record.name,
                            error = %e,
                            "stored policy no longer parses; it is not evaluated"
                        );
                        None
                    }
                },
            )
            .collect();
        let entry = Arc::new(CachedIdentity {
            exists,
            policies,
            loaded: Instant::now(),
        });
        self.policies
            .insert(name.to_string(), entry.clone(), generation);
        Ok(entry)
    }

    /// Called when identity `name` is created: its cached existence is stale.
    pub(super) fn identity_created(&self, name: &str) {
        self.policies.forget(name);
    }

    /// Called when identity `name` is deleted: its policies go with it.
    pub(super) async fn identity_deleted(&self, name: &str) -> Result<(), SesError> {
        self.store
            .delete_identity_policies(name)
            .await
            .map_err(store_error)?;
        self.policies.forget(name);
        Ok(())
    }

    /// The identity `request` is checked against (see the module docs).
    async fn send_target(
        &self,
        request: &SendRequest,
        caller: &Caller,
    ) -> Result<Target, SesError> {
        let from_domain = request.from.domain().to_ascii_lowercase();
        if let Some(arn) = request.source_arn.as_ref().or(request.from_arn.as_ref()) {
            let Some((region, account, name)) = parse_identity_arn(arn) else {
                return Err(SesError::invalid(format!("Invalid identity ARN {arn}.")));
            };
            if region != self.config.region || account != self.config.account_id {
                return Err(bounceguard_policy::access_denied(
                    &caller.principal,
                    request.action.iam_action(),
                    arn,
                ));
            }
            let name = identity_key(name);
            if name != identity_key(&request.from.address) && name != from_domain {
                return Err(SesError::invalid(format!(
                    "The identity {arn} does not cover the sender {}.",
                    request.from.address
                )));
            }
            return Ok(Target {
                identity: self.cached_identity(&name).await?,
                name,
            });
        }
        let address = identity_key(&request.from.address);
        let identity = self.cached_identity(&address).await?;
        if identity.exists {
            return Ok(Target {
                name: address,
                identity,
            });
        }
        Ok(Target {
            identity: self.cached_identity(&from_domain).await?,
            name: from_domain,
        })
    }

    /// The sending-authorization check of one send: Ok to go on, or SES's AccessDenied (the
    /// denial is recorded first). Called by [`Gateway::send`] once the sender is verified.
    pub(super) async fn authorize(
        &self,
        request: &SendRequest,
        caller: &Caller,
    ) -> Result<(), SesError> {
        let target = self.send_target(request, caller).await?;
        let owner = self.config.account_id.as_str();
        let caller_account = principal_account(&caller.principal);
        // Fast path: no policy, and the owner account's own caller (the common case).
        if target.identity.policies.is_empty() && !owner.is_empty() && caller_account == owner {
            return Ok(());
        }
        let arn = self.identity_arn(&target.name);
        let context = self.request_context(request, caller, &arn);
        let Outcome { decision, reason } =
            bounceguard_policy::decide(&target.identity.policies, &context, owner);
        if decision == Decision::Allow {
            return Ok(());
        }
        let why = denial_reason(&reason);
        tracing::info!(
            principal = %caller.principal,
            action = request.action.iam_action(),
            identity = %arn,
            reason = %why,
            "send denied by sending authorization"
        );
        let rule = match reason {
            Reason::ExplicitDeny(_) => "policy:explicit-deny",
            _ => "policy:implicit-deny",
        };
        self.record_denial(request, caller, rule, &why).await;
        Err(bounceguard_policy::access_denied(
            &caller.principal,
            request.action.iam_action(),
            &arn,
        ))
    }

    /// The policy request context of a send.
    fn request_context(
        &self,
        request: &SendRequest,
        caller: &Caller,
        identity_arn: &str,
    ) -> RequestContext {
        let feedback_address = request
            .feedback_address
            .as_deref()
            .and_then(|text| Mailbox::parse(text).ok())
            .map(|m| m.address)
            .unwrap_or_else(|| request.from.address.clone());
        RequestContext {
            action: request.action.iam_action().to_string(),
            principal_arn: caller.principal.clone(),
            principal_account: principal_account(&caller.principal).to_string(),
            service_principal: None,
            identity_arn: identity_arn.to_string(),
            recipients: request
                .recipients
                .iter()
                .map(|r| r.mailbox.address.clone())
                .collect(),
            from_address: request.from.address.clone(),
            from_display_name: request.from.display_name.clone(),
            feedback_address: Some(feedback_address),
            api_version: request.api.as_str().to_string(),
            source_ip: caller.source_ip,
            current_time: chrono::Utc::now(),
            secure_transport: false,
            user_agent: caller.user_agent.clone(),
            source_account: None,
            source_arn: None,
            principal_org_id: None,
        }
    }

    /// Records a denied send (decision `deny` per recipient, no attempt, no quota) under an
    /// internal id that is never returned to the client. A store failure is logged only: the
    /// client gets its AccessDenied either way.
    pub(super) async fn record_denial(
        &self,
        request: &SendRequest,
        caller: &Caller,
        rule: &str,
        reason: &str,
    ) {
        let now = now_ms();
        let id = format!("denied-{}", Uuid::new_v4());
        let verdicts = request
            .recipients
            .iter()
            .map(|r| super::RecipientVerdict {
                normalized: super::normalize(&r.mailbox.address),
                decision: "deny",
                simulated: None,
                rule: rule.to_string(),
                reason: reason.to_string(),
                delivery_attempt: false,
                quota: false,
            })
            .collect();
        let message = self.message_record(request, caller, id, now, verdicts);
        if let Err(e) = self.store.record_send(message).await {
            tracing::error!(error = %e, "could not record a denied send");
        }
    }

    // ------------------------------------------------------------------ policy APIs

    /// Validates and stores a policy (v1 Put, v2 Create/Update).
    async fn write_policy(
        &self,
        identity: &str,
        policy_name: &str,
        document: &str,
        mode: PolicyWrite,
    ) -> Result<Output, SesError> {
        let key = self.policy_identity(identity)?;
        if mode != PolicyWrite::Upsert {
            self.require_identity(&key).await?;
        }
        bounceguard_policy::validate_policy_name(policy_name)?;
        let policy = Policy::parse(policy_name, document, &self.identity_arn(&key))?;
        let outcome = self
            .store
            .put_identity_policy(
                &key,
                policy_name,
                policy.minified(),
                now_ms(),
                mode,
                bounceguard_policy::MAX_POLICIES_PER_IDENTITY,
            )
            .await
            .map_err(store_error)?;
        self.policies.forget(&key);
        match outcome {
            PolicyWriteOutcome::Created | PolicyWriteOutcome::Replaced => Ok(Output::Empty),
            PolicyWriteOutcome::AlreadyExists => Err(SesError::new(
                ErrorCode::AlreadyExists,
                format!("Policy <{policy_name}> already exists"),
            )),
            PolicyWriteOutcome::NotFound => Err(policy_not_found(policy_name)),
            PolicyWriteOutcome::LimitExceeded => Err(bounceguard_policy::too_many_policies(&key)),
        }
    }

    /// v2's `NotFoundException` for an identity that does not exist.
    async fn require_identity(&self, key: &str) -> Result<(), SesError> {
        if self.find_identity(key).await?.is_none() {
            return Err(SesError::new(
                ErrorCode::NotFound,
                format!("Email identity {key} does not exist."),
            ));
        }
        Ok(())
    }

    /// v1 PutIdentityPolicy: create or replace; the identity need not exist.
    pub(super) async fn put_identity_policy(
        &self,
        identity: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<Output, SesError> {
        self.write_policy(identity, policy_name, policy, PolicyWrite::Upsert)
            .await
    }

    /// v2 CreateEmailIdentityPolicy: the identity must exist and the name must be new.
    pub(super) async fn create_email_identity_policy(
        &self,
        identity: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<Output, SesError> {
        self.write_policy(identity, policy_name, policy, PolicyWrite::CreateOnly)
            .await
    }

    /// v2 UpdateEmailIdentityPolicy: the identity and the policy must exist.
    pub(super) async fn update_email_identity_policy(
        &self,
        identity: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<Output, SesError> {
        self.write_policy(identity, policy_name, policy, PolicyWrite::UpdateOnly)
            .await
    }

    /// v1 GetIdentityPolicies: the named policies in the order asked, unknown names left out.
    pub(super) async fn get_identity_policies(
        &self,
        identity: &str,
        names: &[String],
    ) -> Result<Output, SesError> {
        let key = self.policy_identity(identity)?;
        let records = self
            .store
            .get_identity_policies(&key, names)
            .await
            .map_err(store_error)?;
        Ok(Output::Policies(
            records.into_iter().map(|r| (r.name, r.document)).collect(),
        ))
    }

    /// v1 ListIdentityPolicies: every policy name of the identity.
    pub(super) async fn list_identity_policies(&self, identity: &str) -> Result<Output, SesError> {
        let key = self.policy_identity(identity)?;
        let records = self
            .store
            .list_identity_policies(&key)
            .await
            .map_err(store_error)?;
        Ok(Output::PolicyNames(
            records.into_iter().map(|r| r.name).collect(),
        ))
    }

    /// v2 GetEmailIdentityPolicies: every policy of an existing identity.
    pub(super) async fn get_email_identity_policies(
        &self,
        identity: &str,
    ) -> Result<Output, SesError> {
        let key = self.policy_identity(identity)?;
        self.require_identity(&key).await?;
        let records = self
            .store
            .list_identity_policies(&key)
            .await
            .map_err(store_error)?;
        Ok(Output::Policies(
            records.into_iter().map(|r| (r.name, r.document)).collect(),
        ))
    }

    /// v1 DeleteIdentityPolicy (`must_exist` false: succeeds when absent) and v2
    /// DeleteEmailIdentityPolicy (`must_exist` true: the identity and the policy must exist).
    pub(super) async fn delete_identity_policy(
        &self,
        identity: &str,
        policy_name: &str,
        must_exist: bool,
    ) -> Result<Output, SesError> {
        let key = self.policy_identity(identity)?;
        if must_exist {
            self.require_identity(&key).await?;
        }
        let deleted = self
            .store
            .delete_identity_policy(&key, policy_name)
            .await
            .map_err(store_error)?;
        self.policies.forget(&key);
        if must_exist && !deleted {
            return Err(policy_not_found(policy_name));
        }
        Ok(Output::Empty)
    }
}

/// v2's NotFound for a missing policy (floci-reported text, ses-spec §2.6).
fn policy_not_found(policy_name: &str) -> SesError {
    SesError::new(
        ErrorCode::NotFound,
        format!("Policy <{policy_name}> does not exist"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_arns_are_split() {
        assert_eq!(
            parse_identity_arn("arn:aws:ses:us-east-1:123456789012:identity/example.com"),
            Some(("us-east-1", "123456789012", "example.com"))
        );
        assert_eq!(
            parse_identity_arn("arn:aws:ses:eu-west-1:111122223333:identity/a:b@x.org"),
            Some(("eu-west-1", "111122223333", "a:b@x.org"))
        );
        for bad in [
            "",
            "example.com",
            "arn:aws:ses:us-east-1:123456789012:configuration-set/x",
            "arn:aws:sns:us-east-1:123456789012:identity/x",
            "arn:aws:ses:us-east-1:123456789012:identity/",
            "arn:aws:ses::123456789012:identity/x",
        ] {
            assert_eq!(parse_identity_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn principal_accounts_come_from_iam_and_sts_arns() {
        assert_eq!(
            principal_account("arn:aws:iam::123456789012:user/app"),
            "123456789012"
        );
        assert_eq!(
            principal_account("arn:aws:sts::444455556666:assumed-role/r/s"),
            "444455556666"
        );
        assert_eq!(principal_account("arn:aws:iam::12345:user/app"), "");
        assert_eq!(principal_account("arn:aws:s3:::bucket"), "");
        assert_eq!(principal_account("anonymous"), "");
    }

    #[test]
    fn cache_forgets_and_ignores_loads_that_raced_a_write() {
        let cache = PolicyCache::default();
        let entry = Arc::new(CachedIdentity {
            exists: true,
            policies: Vec::new(),
            loaded: Instant::now(),
        });
        let generation = cache.generation.load(Ordering::Acquire);
        cache.insert("a.example".into(), entry.clone(), generation);
        assert!(cache.get("a.example").is_some());
        cache.forget("a.example");
        assert!(cache.get("a.example").is_none());
        // A load that started before the forget must not be kept.
        cache.insert("a.example".into(), entry, generation);
        assert!(cache.get("a.example").is_none());
    }
}
