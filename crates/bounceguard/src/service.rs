//! The gateway's domain service: executes decoded SES operations against the store.
//!
//! Protocol fronts call [`Gateway::execute`] with a typed [`Operation`] and the authenticated
//! [`Caller`]; they never touch the store themselves.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bounceguard_core::stats::{STATISTICS_SPAN_MS, SendDataPoint};
use bounceguard_core::{
    Account, Content, ErrorCode, Identity, IdentityType, Operation, Output, SendQuota, SendRequest,
    SesError, ids,
};
use bounceguard_dns::{DnsChecker, DomainVerdict, MxLookup};
use bounceguard_guard::{Action, DomainCheck, Facts, Guard, Routed};
use bounceguard_store::{IdentityRecord, NewMessage, NewRecipient, Store, StoreError};
use uuid::Uuid;

use crate::auth::Caller;
use crate::config::Config;

pub mod addresses;
pub mod authorization;
pub mod events;
pub mod guard;
pub mod held;
pub mod reputation;
pub mod sns;
pub mod suppression;

/// The rule the guard records for a recipient the reputation guard held.
const REPUTATION_RULE: &str = "reputation";

/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Default and largest page of ListIdentities / ListEmailIdentities.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// The service behind both SES fronts.
pub struct Gateway {
    config: Arc<Config>,
    store: Store,
    /// Verified identities seen so far; a miss falls back to the store, so an identity added by
    /// another instance or the CLI is found too.
    verified: RwLock<HashSet<String>>,
    /// Compiled sending-authorization policies per identity (see [`authorization`]).
    policies: authorization::PolicyCache,
    /// The recipient guard: routes, allow-list, normalisation.
    guard: Guard,
    /// The recipient-domain check; `None` when `[dns] check` is off.
    dns: Option<Arc<dyn MxLookup>>,
    /// Recipients delivered although their domain check failed (fail open).
    dns_fail_open: AtomicU64,
    /// The account suppression list's in-memory index (see [`suppression`]).
    suppression: suppression::SuppressionState,
    /// Where `deliver` recipients go; `None` with the capture transport (the record is all).
    transport: Option<Arc<dyn bounceguard_delivery::Transport>>,
    /// The SNS endpoint's verifier, topics and HTTP client (see [`sns`]).
    sns: sns::SnsIngress,
    /// The Prometheus registry (see [`crate::metrics`]).
    metrics: crate::metrics::Metrics,
    /// The reputation guard's cached window and last level (see [`guard`]).
    reputation_guard: guard::GuardState,
}

/// What was decided for one recipient, as it is recorded (the decision log).
struct RecipientVerdict {
    normalized: String,
    decision: &'static str,
    /// The simulator outcome of a `simulate` decision.
    simulated: Option<bounceguard_guard::simulator::SimulatorOutcome>,
    rule: String,
    reason: String,
    delivery_attempt: bool,
    quota: bool,
}

/// The current time in milliseconds since the epoch (the one clock read of the send path).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A time in milliseconds since the epoch as RFC 3339 UTC with milliseconds
/// (`2026-12-01T10:30:00.000Z`), the form every JSON answer and CLI table uses.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn store_error(e: StoreError) -> SesError {
    tracing::error!(error = %e, "store failure");
    SesError::internal()
}

impl Gateway {
    /// Opens the gateway over a store: compiles the recipient guard, builds the DNS checker when
    /// `[dns] check` is on, and registers the configured identities.
    pub async fn new(config: Arc<Config>, store: Store) -> anyhow::Result<Self> {
        let dns: Option<Arc<dyn MxLookup>> = if config.dns_check() {
            let servers = config.dns.server_addrs()?;
            let checker = if servers.is_empty() {
                DnsChecker::system()?
            } else {
                DnsChecker::with_servers(&servers, config.dns.timeout())?
            };
            Some(Arc::new(checker))
        } else {
            None
        };
        Self::with_dns(config, store, dns).await
    }

    /// [`Gateway::new`] with a given domain check (or none).
    pub async fn with_dns(
        config: Arc<Config>,
        store: Store,
        dns: Option<Arc<dyn MxLookup>>,
    ) -> anyhow::Result<Self> {
        let suppression = suppression::SuppressionState::load(&store)
            .await
            .map_err(|e| anyhow::anyhow!("loading the suppression list: {e}"))?;
        tracing::info!(
            entries = suppression.index().len(),
            "suppression list loaded"
        );
        let transport = transport(&config).await?;
        let reputation_guard = guard::GuardState::new(config.alerts.webhook.clone())?;
        let mut metrics = crate::metrics::Metrics::new();
        metrics.register_store_writer(store.clone());
        let gateway = Self {
            sns: sns::SnsIngress::from_config(&config.sns)?,
            metrics,
            reputation_guard,
            guard: config.guard()?,
            suppression,
            transport,
            config,
            store,
            verified: RwLock::new(HashSet::new()),
            policies: authorization::PolicyCache::default(),
            dns,
            dns_fail_open: AtomicU64::new(0),
        };
        let now = now_ms();
        for name in gateway.config.identities.clone() {
            gateway
                .create_identity(&name, now)
                .await
                .map_err(|e| anyhow::anyhow!("registering identity {name}: {e}"))?;
        }
        Ok(gateway)
    }

    /// The recipient guard.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The canonical form of an address as the guard compares it (the text itself when it has
    /// no address shape).
    pub fn canonical_address(&self, text: &str) -> String {
        self.guard
            .route(text)
            .map(|r| r.normalized.canonical)
            .unwrap_or_else(|_| normalize(text))
    }

    /// Whether recipient domains are checked in DNS.
    pub fn dns_enabled(&self) -> bool {
        self.dns.is_some()
    }

    /// Recipients delivered although their domain check failed (timeout, SERVFAIL).
    pub fn dns_fail_open_count(&self) -> u64 {
        self.dns_fail_open.load(Ordering::Relaxed)
    }

    /// The store, for the capture API and shutdown.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The Prometheus metrics.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Executes one operation for a caller.
    pub async fn execute(&self, operation: Operation, caller: &Caller) -> Result<Output, SesError> {
        match operation {
            Operation::Send(request) => self.send(*request, caller).await.map(Output::MessageId),
            Operation::VerifyEmailIdentity { email } => {
                bounceguard_core::address::Mailbox::parse(&email)?;
                self.create_identity(&email, now_ms())
                    .await
                    .map_err(store_error)?;
                Ok(Output::Empty)
            }
            Operation::VerifyDomainIdentity { domain } => {
                let identity = self
                    .create_identity(&domain, now_ms())
                    .await
                    .map_err(store_error)?;
                Ok(Output::VerificationToken(
                    identity.verification_token.unwrap_or_default(),
                ))
            }
            Operation::CreateEmailIdentity { identity } => {
                if IdentityType::of(&identity) == IdentityType::EmailAddress {
                    bounceguard_core::address::Mailbox::parse(&identity)?;
                }
                if self.find_identity(&identity).await?.is_some() {
                    return Err(SesError::new(
                        ErrorCode::AlreadyExists,
                        format!("Email identity {identity} already exist."),
                    ));
                }
                let created = self
                    .create_identity(&identity, now_ms())
                    .await
                    .map_err(store_error)?;
                Ok(Output::EmailIdentity(created))
            }
            Operation::GetEmailIdentity { identity } => {
                match self.find_identity(&identity).await? {
                    Some(found) => {
                        let policies = self
                            .store
                            .list_identity_policies(&found.name)
                            .await
                            .map_err(store_error)?
                            .into_iter()
                            .map(|p| (p.name, p.document))
                            .collect();
                        Ok(Output::EmailIdentityDetails(found, policies))
                    }
                    None => Err(SesError::new(
                        ErrorCode::NotFound,
                        format!("Email identity {identity} does not exist."),
                    )),
                }
            }
            Operation::DeleteIdentity { identity } => {
                self.delete_identity(&identity).await?;
                Ok(Output::Empty)
            }
            Operation::DeleteEmailIdentity { identity } => {
                if !self.delete_identity(&identity).await? {
                    return Err(SesError::new(
                        ErrorCode::NotFound,
                        format!("Email identity {identity} does not exist."),
                    ));
                }
                Ok(Output::Empty)
            }
            Operation::ListIdentities {
                identity_type,
                next_token,
                max_items,
            } => {
                self.list_identities(identity_type, next_token, max_items)
                    .await
            }
            Operation::ListEmailIdentities {
                next_token,
                page_size,
            } => self.list_identities(None, next_token, page_size).await,
            Operation::GetIdentityVerificationAttributes { identities } => {
                let mut found = Vec::new();
                for name in identities {
                    if let Some(identity) = self.find_identity(&name).await? {
                        found.push(identity);
                    }
                }
                Ok(Output::VerificationAttributes(found))
            }
            Operation::GetSendQuota => Ok(Output::SendQuota(self.quota().await?)),
            Operation::GetSendStatistics => {
                let since = now_ms() - STATISTICS_SPAN_MS;
                let buckets = self
                    .store
                    .send_statistics(since)
                    .await
                    .map_err(store_error)?;
                Ok(Output::SendStatistics(
                    buckets
                        .into_iter()
                        .map(|b| SendDataPoint {
                            timestamp_ms: b.start_ms,
                            delivery_attempts: b.delivery_attempts,
                            bounces: b.bounces,
                            complaints: b.complaints,
                            rejects: b.rejects,
                        })
                        .collect(),
                ))
            }
            Operation::PutIdentityPolicy {
                identity,
                policy_name,
                policy,
            } => {
                self.put_identity_policy(&identity, &policy_name, &policy)
                    .await
            }
            Operation::GetIdentityPolicies {
                identity,
                policy_names,
            } => self.get_identity_policies(&identity, &policy_names).await,
            Operation::ListIdentityPolicies { identity } => {
                self.list_identity_policies(&identity).await
            }
            Operation::DeleteIdentityPolicy {
                identity,
                policy_name,
            } => {
                self.delete_identity_policy(&identity, &policy_name, false)
                    .await
            }
            Operation::CreateEmailIdentityPolicy {
                identity,
                policy_name,
                policy,
            } => {
                self.create_email_identity_policy(&identity, &policy_name, &policy)
                    .await
            }
            Operation::GetEmailIdentityPolicies { identity } => {
                self.get_email_identity_policies(&identity).await
            }
            Operation::UpdateEmailIdentityPolicy {
                identity,
                policy_name,
                policy,
            } => {
                self.update_email_identity_policy(&identity, &policy_name, &policy)
                    .await
            }
            Operation::DeleteEmailIdentityPolicy {
                identity,
                policy_name,
            } => {
                self.delete_identity_policy(&identity, &policy_name, true)
                    .await
            }
            Operation::GetAccount => Ok(Output::Account(Account {
                enforcement_status: self
                    .current_window()
                    .await?
                    .level(&self.config.reputation.thresholds())
                    .enforcement_status()
                    .into(),
                production_access_enabled: true,
                sending_enabled: true,
                send_quota: self.quota().await?,
                suppressed_reasons: self
                    .suppressed_reasons()
                    .into_iter()
                    .map(|r| r.as_str().to_string())
                    .collect(),
            })),
        }
    }

    async fn quota(&self) -> Result<SendQuota, SesError> {
        let used = self
            .store
            .quota_used_since(now_ms() - DAY_MS)
            .await
            .map_err(store_error)?;
        Ok(SendQuota {
            max_24_hour_send: self.config.quota.max_24_hour_send,
            max_send_rate: self.config.quota.max_send_rate,
            sent_last_24_hours: used as f64,
        })
    }

    /// Accepts one send: checks the sender, decides each recipient (policy, then the guard),
    /// stores the message with its decision log durably, and answers its SES MessageId.
    ///
    /// Recipients are decided one by one, as DESIGN.md orders it; one MessageId covers them all.
    /// A recipient a route denies refuses the whole request with `MessageRejected` naming the
    /// route (as SES refuses a request with one bad recipient), and the refusal is recorded.
    async fn send(&self, request: SendRequest, caller: &Caller) -> Result<String, SesError> {
        self.check_verified(&request).await?;
        self.authorize(&request, caller).await?;
        let verdicts = self.decide_recipients(&request).await?;
        if let Some((recipient, verdict)) = request
            .recipients
            .iter()
            .zip(&verdicts)
            .find(|(_, v)| v.decision == Action::Deny.as_str())
        {
            let text = format!(
                "Recipient address rejected: {} ({})",
                recipient.original, verdict.reason
            );
            tracing::info!(principal = %caller.principal, rule = %verdict.rule, "{text}");
            self.record_refusal(&request, caller, verdicts).await;
            return Err(SesError::rejected(text));
        }
        if self.config.reputation.on_hold == crate::config::OnHold::Reject
            && let Some((recipient, verdict)) = request
                .recipients
                .iter()
                .zip(&verdicts)
                .find(|(_, v)| v.rule == REPUTATION_RULE)
        {
            let text = format!(
                "Recipient address rejected: {} ({})",
                recipient.original, verdict.reason
            );
            tracing::warn!(principal = %caller.principal, "{text}");
            self.record_refusal(&request, caller, verdicts).await;
            return Err(SesError::rejected(text));
        }
        let simulated: Vec<(String, bounceguard_guard::simulator::SimulatorOutcome)> = request
            .recipients
            .iter()
            .zip(&verdicts)
            .filter_map(|(r, v)| v.simulated.map(|o| (r.mailbox.address.clone(), o)))
            .collect();
        let now = now_ms();
        let message_id = ids::message_id(now, Uuid::new_v4());
        let mut message = self.message_record(&request, caller, message_id, now, verdicts);
        let delivered = self.deliver(&request, &mut message).await?;
        let id = message.id.clone();
        let suppressed: Vec<String> = message
            .recipients
            .iter()
            .filter(|r| r.decision == Action::Suppress.as_str())
            .map(|r| r.address.clone())
            .collect();
        let destination: Vec<String> = if suppressed.is_empty() {
            Vec::new()
        } else {
            message
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect()
        };
        let sent: Vec<(String, String)> = message
            .recipients
            .iter()
            .map(|r| (r.normalized.clone(), r.decision.clone()))
            .collect();
        match self.record_send_metered(message).await {
            Ok(()) => {
                self.record_outcomes(&id, &sent).await;
                if !simulated.is_empty() {
                    self.record_simulated(&id, &request, &simulated).await;
                }
                if !suppressed.is_empty() {
                    let suppressed: Vec<&str> = suppressed.iter().map(String::as_str).collect();
                    self.record_suppression_bounce(
                        &id,
                        &request.from_original,
                        destination,
                        &suppressed,
                    )
                    .await;
                }
                Ok(id)
            }
            // The mail is out: answer its MessageId rather than invite a retry that would send it
            // twice; the lost record is logged loudly.
            Err(e) if delivered => {
                tracing::error!(error = %e, message_id = %id, "delivered but not recorded");
                Ok(id)
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// Sends the message to its `deliver` recipients through the configured transport (none with
    /// the capture transport, or when no recipient is decided `deliver`). On success the record
    /// takes the transport's MessageId (SES's own, so its notifications join up); a transport
    /// error is the client's error, with SES's code. Returns whether anything was sent.
    async fn deliver(
        &self,
        request: &SendRequest,
        message: &mut NewMessage,
    ) -> Result<bool, SesError> {
        let recipients: Vec<String> = request
            .recipients
            .iter()
            .zip(&message.recipients)
            .filter(|(_, r)| r.decision == Action::Deliver.as_str())
            .map(|(r, _)| r.mailbox.address.clone())
            .collect();
        let tags = request
            .tags
            .iter()
            .map(|t| (t.name.clone(), t.value.clone()))
            .collect();
        self.send_outgoing(
            &request.from.address,
            recipients,
            message,
            request.configuration_set.clone(),
            tags,
        )
        .await
    }

    /// Sends `message` to `recipients` through the transport (nothing with the capture
    /// transport or no recipients); see [`Gateway::deliver`].
    async fn send_outgoing(
        &self,
        from: &str,
        recipients: Vec<String>,
        message: &mut NewMessage,
        configuration_set: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<bool, SesError> {
        let Some(transport) = &self.transport else {
            return Ok(false);
        };
        if recipients.is_empty() {
            return Ok(false);
        }
        let outgoing = bounceguard_delivery::Outgoing {
            message_id_hint: message.id.clone(),
            from: from.to_string(),
            recipients,
            raw: bytes::Bytes::from(message.raw.clone()),
            configuration_set,
            tags,
        };
        match transport.send(&outgoing).await {
            Ok(sent) => {
                tracing::info!(
                    transport = transport.name(),
                    message_id = %sent.message_id,
                    attempts = sent.attempts,
                    recipients = outgoing.recipients.len(),
                    "delivered"
                );
                message.id = sent.message_id;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(
                    transport = transport.name(),
                    attempts = e.attempts,
                    temporary = e.temporary,
                    "delivery failed: {}",
                    e.error.message
                );
                Err(e.error)
            }
        }
    }

    /// The guard's decision for every recipient of a request, in order, with the DNS answers
    /// looked up concurrently (one lookup per distinct domain that needs one).
    async fn decide_recipients(
        &self,
        request: &SendRequest,
    ) -> Result<Vec<RecipientVerdict>, SesError> {
        let routed = request
            .recipients
            .iter()
            .map(|r| self.guard.route_recipient(r))
            .collect::<Result<Vec<_>, _>>()?;
        let answers = self
            .check_domains(routed.iter().filter(|r| r.needs_lookups()))
            .await;
        let reputation_hold = if routed.iter().any(Routed::needs_lookups) {
            self.reputation_hold().await?
        } else {
            false
        };
        let mut verdicts = Vec::with_capacity(routed.len());
        for r in &routed {
            let (suppressed, delivered_before) = if r.needs_lookups() {
                let canonical = &r.normalized.canonical;
                let delivered_before = reputation_hold
                    && self
                        .store
                        .delivered_before(canonical)
                        .await
                        .map_err(store_error)?;
                (self.suppression_fact(canonical).await?, delivered_before)
            } else {
                (None, false)
            };
            let facts = Facts {
                suppression: suppressed,
                reputation_hold,
                delivered_before,
                ..Facts::default()
            };
            verdicts.push(self.verdict(r, answers.get(r.normalized.domain.as_str()), facts));
        }
        Ok(verdicts)
    }

    /// One recipient's decision, given the DNS answer for its domain (if one was looked up) and
    /// its suppression-list entry.
    fn verdict(
        &self,
        routed: &Routed<'_>,
        dns: Option<&DomainVerdict>,
        facts: Facts,
    ) -> RecipientVerdict {
        let facts = Facts {
            dns: dns.map_or(DomainCheck::NotChecked, domain_check),
            ..facts
        };
        let decision = self.guard.decide_routed(routed, &facts);
        let mut reason = decision.reason.clone();
        if let Some(answer) = dns
            && routed.needs_lookups()
        {
            reason.push_str(" [DNS: ");
            reason.push_str(&answer.to_string());
            reason.push(']');
        }
        if decision.dns_fail_open {
            self.dns_fail_open.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                domain = %routed.normalized.domain,
                "DNS check failed; delivering anyway (fail open)"
            );
        }
        RecipientVerdict {
            normalized: routed.normalized.canonical.clone(),
            decision: decision.action.as_str(),
            simulated: match decision.action {
                Action::Simulate(outcome) => Some(outcome),
                _ => None,
            },
            rule: decision.rule.clone(),
            delivery_attempt: decision.counts_as_delivery_attempt(),
            quota: decision.counts_toward_quota(),
            reason,
        }
    }

    /// DNS answers for the domains of `routed` (none when the check is off).
    async fn check_domains<'r, 'g: 'r>(
        &self,
        routed: impl Iterator<Item = &'r Routed<'g>>,
    ) -> HashMap<String, DomainVerdict> {
        let mut answers = HashMap::new();
        let Some(dns) = &self.dns else {
            return answers;
        };
        let domains: HashSet<&str> = routed.map(|r| r.normalized.domain.as_str()).collect();
        if domains.len() == 1 {
            for domain in domains {
                answers.insert(domain.to_string(), dns.check(domain).await);
            }
            return answers;
        }
        let mut lookups = tokio::task::JoinSet::new();
        for domain in domains {
            let (dns, domain) = (dns.clone(), domain.to_string());
            lookups.spawn(async move {
                let verdict = dns.check(&domain).await;
                (domain, verdict)
            });
        }
        while let Some(done) = lookups.join_next().await {
            match done {
                Ok((domain, verdict)) => {
                    answers.insert(domain, verdict);
                }
                // A panicked lookup leaves its domain unchecked (fail open, like a timeout).
                Err(e) => tracing::error!(error = %e, "DNS lookup task failed"),
            }
        }
        answers
    }

    /// Records a request a route refused: every recipient with its decision, under an internal
    /// id never returned to the client. A store failure is logged only.
    async fn record_refusal(
        &self,
        request: &SendRequest,
        caller: &Caller,
        mut verdicts: Vec<RecipientVerdict>,
    ) {
        for v in &mut verdicts {
            // Nothing of a refused request is sent or counted.
            if v.decision != Action::Deny.as_str() {
                v.reason = format!("not sent: the request was refused ({})", v.reason);
                v.decision = Action::Deny.as_str();
            }
            v.delivery_attempt = false;
            v.quota = false;
        }
        let id = format!("denied-{}", Uuid::new_v4());
        let message = self.message_record(request, caller, id, now_ms(), verdicts);
        if let Err(e) = self.record_send_metered(message).await {
            tracing::error!(error = %e, "could not record a refused send");
        }
    }

    /// The stored record of a send: the MIME source (built for simple content), its subject, and
    /// one row per recipient with its verdict.
    fn message_record(
        &self,
        request: &SendRequest,
        caller: &Caller,
        id: String,
        now: i64,
        verdicts: Vec<RecipientVerdict>,
    ) -> NewMessage {
        let (subject, raw) = match &request.content {
            Content::Raw(bytes) => (
                bounceguard_wire::mime::summarize(bytes).subject,
                bytes.to_vec(),
            ),
            Content::Simple(simple) => (
                Some(simple.subject.data.clone()),
                bounceguard_wire::mime::build_simple(
                    request,
                    &format!("<{id}@{}.amazonses.com>", self.config.region),
                    now,
                ),
            ),
        };
        let recipients = request
            .recipients
            .iter()
            .zip(verdicts)
            .map(|(r, v)| NewRecipient {
                address: r.original.clone(),
                normalized: v.normalized,
                kind: r.kind.as_str().to_string(),
                decision: v.decision.to_string(),
                rule: v.rule,
                reason: v.reason,
                delivery_attempt: v.delivery_attempt,
                quota: v.quota,
            })
            .collect();
        NewMessage {
            id,
            created_ms: now,
            api: match request.api {
                bounceguard_core::ApiVersion::V1 => "v1",
                bounceguard_core::ApiVersion::V2 => "v2",
            }
            .to_string(),
            operation: request.action.operation().to_string(),
            source: request.from_original.clone(),
            from_address: request.from.address.clone(),
            subject,
            raw,
            principal: caller.principal.clone(),
            source_ip: caller.source_ip.map(|ip| ip.to_string()),
            recipients,
        }
    }

    /// SES refuses a sender (and a Return-Path) that is neither a verified address nor in a
    /// verified domain, listing every identity that failed.
    async fn check_verified(&self, request: &SendRequest) -> Result<(), SesError> {
        let mut failed = Vec::new();
        if !self.is_verified(&request.from.address).await? {
            failed.push(request.from_original.clone());
        }
        if let Some(return_path) = &request.feedback_address {
            let address = bounceguard_core::address::Mailbox::parse(return_path)?.address;
            if !self.is_verified(&address).await? {
                failed.push(return_path.clone());
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        Err(SesError::rejected(format!(
            "Email address is not verified. The following identities failed the check in region {}: {}",
            self.config.region.to_ascii_uppercase(),
            failed.join(", ")
        )))
    }

    async fn is_verified(&self, address: &str) -> Result<bool, SesError> {
        let domain = address
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        let address = identity_key(address);
        if let Ok(set) = self.verified.read()
            && (set.contains(&address) || set.contains(&domain))
        {
            return Ok(true);
        }
        for name in [address, domain] {
            if self.find_identity(&name).await?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn find_identity(&self, name: &str) -> Result<Option<Identity>, SesError> {
        let key = identity_key(name);
        let record = self.store.get_identity(&key).await.map_err(store_error)?;
        if let Some(record) = &record
            && let Ok(mut set) = self.verified.write()
        {
            set.insert(record.name.clone());
        }
        Ok(record.map(identity_from_record))
    }

    async fn create_identity(&self, name: &str, now: i64) -> Result<Identity, StoreError> {
        let key = identity_key(name);
        let identity_type = IdentityType::of(&key);
        let record = IdentityRecord {
            name: key.clone(),
            kind: identity_type.v1_name().to_string(),
            verification_token: (identity_type == IdentityType::Domain).then(|| {
                URL_SAFE_NO_PAD
                    .encode(Uuid::new_v4().as_bytes())
                    .replace(['-', '_'], "A")
            }),
            created_ms: now,
        };
        self.store.put_identity(&record).await?;
        let stored = self.store.get_identity(&key).await?.unwrap_or(record);
        self.identity_created(&key);
        if let Ok(mut set) = self.verified.write() {
            set.insert(key);
        }
        Ok(identity_from_record(stored))
    }

    async fn delete_identity(&self, name: &str) -> Result<bool, SesError> {
        let key = identity_key(name);
        if let Ok(mut set) = self.verified.write() {
            set.remove(&key);
        }
        self.identity_deleted(&key).await?;
        self.store.delete_identity(&key).await.map_err(store_error)
    }

    async fn list_identities(
        &self,
        identity_type: Option<IdentityType>,
        next_token: Option<String>,
        page: Option<u32>,
    ) -> Result<Output, SesError> {
        let limit = page.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let after = match next_token {
            Some(token) => Some(decode_token(&token)?),
            None => None,
        };
        let mut records = self
            .store
            .list_identities(
                identity_type.map(IdentityType::v1_name),
                after.as_deref(),
                limit + 1,
            )
            .await
            .map_err(store_error)?;
        let next_token = if records.len() > limit as usize {
            records.truncate(limit as usize);
            records
                .last()
                .map(|r| URL_SAFE_NO_PAD.encode(r.name.as_bytes()))
        } else {
            None
        };
        Ok(Output::Identities {
            identities: records.into_iter().map(identity_from_record).collect(),
            next_token,
        })
    }
}

fn decode_token(token: &str) -> Result<String, SesError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| SesError::new(ErrorCode::InvalidNextToken, "Invalid NextToken."))
}

/// Identities are compared with the domain in lower case (the local part keeps its case).
fn identity_key(name: &str) -> String {
    normalize(name.trim())
}

/// The comparison form of an address or domain: the domain lower-cased.
pub fn normalize(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_ascii_lowercase(),
    }
}

/// The configured delivery transport (`None`: capture).
async fn transport(
    config: &Config,
) -> anyhow::Result<Option<Arc<dyn bounceguard_delivery::Transport>>> {
    use bounceguard_delivery::{RetryBudget, SesConfig, SesTransport, SmtpRelay, SmtpRelayConfig};
    let delivery = &config.delivery;
    let mut retry = RetryBudget::default();
    if let Some(n) = delivery.max_attempts {
        retry.max_attempts = n.max(1);
    }
    if let Some(ms) = delivery.max_total_ms {
        retry.max_total = std::time::Duration::from_millis(ms);
    }
    Ok(match delivery.transport {
        crate::config::Transport::Capture => None,
        crate::config::Transport::Ses => {
            let ses = SesTransport::from_env(&SesConfig {
                region: delivery.region.clone().unwrap_or(config.region.clone()),
                endpoint_url: delivery.endpoint_url.clone(),
                retry,
            })
            .await;
            Some(Arc::new(ses))
        }
        crate::config::Transport::Smtp => {
            let url = delivery.relay_url.clone().ok_or_else(|| {
                anyhow::anyhow!("[delivery] transport = \"smtp\" needs relay_url")
            })?;
            let mut relay = SmtpRelayConfig::new(url);
            relay.retry = retry;
            Some(Arc::new(
                SmtpRelay::new(&relay).map_err(|e| anyhow::anyhow!("[delivery] relay_url: {e}"))?,
            ))
        }
    })
}

/// The guard's view of a DNS answer.
fn domain_check(verdict: &DomainVerdict) -> DomainCheck {
    match verdict {
        DomainVerdict::Deliverable { .. } => DomainCheck::Deliverable,
        DomainVerdict::NoMailDomain { .. } => DomainCheck::NoMailDomain,
        DomainVerdict::NullMx => DomainCheck::NullMx,
        DomainVerdict::Unknown { .. } => DomainCheck::Unknown,
    }
}

fn identity_from_record(record: IdentityRecord) -> Identity {
    let identity_type = if record.kind == "Domain" {
        IdentityType::Domain
    } else {
        IdentityType::EmailAddress
    };
    Identity {
        name: record.name,
        identity_type,
        verification_token: record.verification_token,
        created_ms: record.created_ms,
    }
}
