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
        let mut verdicts = Vec::with_capacity(addresses.len());
        for a in addresses {
            let facts = self.facts_for(a, &answers).await;
            verdicts.push(bounceguard_guard::validate(a, &self.guard, &facts));
        }
        verdicts
    }

    /// SES v2 `GetEmailAddressInsights` for one address.
    pub async fn address_insights(&self, address: &str) -> MailboxValidation {
        let addresses = [address.to_string()];
        let answers = self.answers_for(&addresses).await;
        let facts = self.facts_for(address, &answers).await;
        let found = bounceguard_guard::insights(address, &self.guard, &facts);
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

    async fn facts_for(&self, address: &str, answers: &HashMap<String, DomainVerdict>) -> Facts {
        let Ok(routed) = self.guard.route(address) else {
            return Facts::default();
        };
        let dns = answers
            .get(routed.normalized.domain.as_str())
            .map_or(DomainCheck::NotChecked, domain_check);
        // A store failure here degrades to "not suppressed" for a validation answer (logged by
        // store_error); a send fails instead.
        let suppression = self
            .suppression_fact(&routed.normalized.canonical)
            .await
            .ok()
            .flatten();
        Facts {
            dns,
            suppression,
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
