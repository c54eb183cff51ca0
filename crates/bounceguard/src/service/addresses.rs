//! Address checks for tools: the validation API (`POST /api/v1/addresses/validate`,
//! `bounceguard addresses check`) and SES v2 `GetEmailAddressInsights`, answered from the same
//! guard, allow-list and DNS check a send goes through — never by asking the receiving server
//! (no SMTP VRFY).

use std::collections::HashMap;

use bounceguard_dns::DomainVerdict;
use bounceguard_guard::{Confidence, DomainCheck, Facts, Verdict};
use bounceguard_wire::ses_v2::insights::{ConfidenceVerdict, Evaluations, MailboxValidation};

use super::{Gateway, domain_check};

/// Most addresses one validation request may carry.
pub const MAX_VALIDATE: usize = 1000;

impl Gateway {
    /// The verdict for each address, in the order given. DNS lookups (when the check is on) are
    /// made once per distinct domain that a deliver route would send to.
    pub async fn validate_addresses(&self, addresses: &[String]) -> Vec<Verdict> {
        let answers = self.answers_for(addresses).await;
        addresses
            .iter()
            .map(|a| bounceguard_guard::validate(a, &self.guard, &self.facts_for(a, &answers)))
            .collect()
    }

    /// SES v2 `GetEmailAddressInsights` for one address.
    pub async fn address_insights(&self, address: &str) -> MailboxValidation {
        let addresses = [address.to_string()];
        let answers = self.answers_for(&addresses).await;
        let found =
            bounceguard_guard::insights(address, &self.guard, &self.facts_for(address, &answers));
        MailboxValidation {
            is_valid: Some(confidence(found.is_valid)),
            evaluations: Some(Evaluations {
                has_valid_syntax: Some(confidence(found.has_valid_syntax)),
                has_valid_dns_records: Some(confidence(found.has_valid_dns_records)),
                mailbox_exists: Some(confidence(found.mailbox_exists)),
                is_role_address: Some(confidence(found.is_role_address)),
                is_disposable: Some(confidence(found.is_disposable)),
                is_random_input: None,
            }),
        }
    }

    async fn answers_for(&self, addresses: &[String]) -> HashMap<String, DomainVerdict> {
        let routed: Vec<_> = addresses
            .iter()
            .filter_map(|a| self.guard.route(a).ok())
            .filter(|r| r.needs_lookups())
            .collect();
        self.check_domains(routed.iter()).await
    }

    fn facts_for(&self, address: &str, answers: &HashMap<String, DomainVerdict>) -> Facts {
        let dns = self
            .guard
            .route(address)
            .ok()
            .and_then(|r| answers.get(r.normalized.domain.as_str()).map(domain_check))
            .unwrap_or(DomainCheck::NotChecked);
        Facts {
            dns,
            ..Facts::default()
        }
    }
}

fn confidence(c: Confidence) -> ConfidenceVerdict {
    match c {
        Confidence::Low => ConfidenceVerdict::Low,
        Confidence::Medium => ConfidenceVerdict::Medium,
        Confidence::High => ConfidenceVerdict::High,
    }
}
