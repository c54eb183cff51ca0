//! The fuzz harness, shared by `fuzz/fuzz_targets/policy.rs` and `tests/fuzz_corpus.rs`.
//!
//! Input layout: the bytes before the first `0xFF` (never valid UTF-8, so never part of a real
//! policy) are the policy document; the bytes after it seed the request. Without `0xFF` the
//! whole input is the document and also seeds the request. Beyond "no panic", every input
//! checks invariants that must hold for any policy:
//! - a refusal is `InvalidPolicy` with a non-empty message; an over-size document is refused;
//! - [`decide`] and [`evaluate`] agree, and the trace names the deciding statement as applying;
//! - the minified document parses again and decides the same;
//! - adding a Deny-everything policy, before or after, always gives an explicit Deny.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bounceguard_core::{ErrorCode, SesError};
use chrono::DateTime;

use crate::eval::{Decision, Reason, decide, evaluate};
use crate::{MAX_POLICY_SIZE, Policy, RequestContext};

/// Identity ARNs the fixtures use; the first one found in the document is the resource.
const IDENTITIES: &[&str] = &[
    "arn:aws:ses:eu-west-1:111122223333:identity/shop.example",
    "arn:aws:ses:ap-northeast-1:111122223333:identity/sender@shop.example",
    "arn:aws:ses:us-east-1:111122223333:identity/example.com",
];

const OWNER: &str = "111122223333";

const ADDRESSES: &[&str] = &[
    "someone@example.com",
    "buyer@partner.example",
    "invoices-2024@shop.example",
    "marketing+.news@example.com",
    "X@EXAMPLE.COM",
    "a@b",
    "",
    "é@ü.example",
];

const PRINCIPALS: &[(&str, &str)] = &[
    ("arn:aws:iam::111122223333:user/app", "111122223333"),
    ("arn:aws:iam::444455556666:user/intern", "444455556666"),
    (
        "arn:aws:sts::444455556666:assumed-role/sender/s1",
        "444455556666",
    ),
    ("arn:aws:iam::444455556666:root", "444455556666"),
    ("arn:aws:iam::999988887777:user/x", "999988887777"),
];

const ACTIONS: &[&str] = &[
    "ses:SendEmail",
    "ses:SendRawEmail",
    "SES:SENDEMAIL",
    "ses:SendTemplatedEmail",
    "ses:GetSendQuota",
];

/// Reads bytes cyclically; yields zeros when empty.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        if self.data.is_empty() {
            return 0;
        }
        let b = self.data[self.pos % self.data.len()];
        self.pos = self.pos.wrapping_add(1);
        b
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::from(self.byte()) % items.len()]
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// Either a vocabulary word or a short run of the input itself.
    fn text(&mut self, vocabulary: &[&str]) -> String {
        if self.byte().is_multiple_of(4) {
            let len = usize::from(self.byte() % 24);
            let bytes: Vec<u8> = (0..len).map(|_| self.byte()).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            self.pick(vocabulary).to_owned()
        }
    }

    fn opt_text(&mut self, vocabulary: &[&str]) -> Option<String> {
        (!self.byte().is_multiple_of(3)).then(|| self.text(vocabulary))
    }
}

fn request(seed: &[u8], identity: &str) -> RequestContext {
    let mut b = Bytes { data: seed, pos: 0 };
    let (principal_arn, principal_account) = b.pick(PRINCIPALS);
    let n = usize::from(b.byte() % 6);
    let recipients = (0..n).map(|_| b.text(ADDRESSES)).collect();
    let source_ip = match b.byte() % 3 {
        0 => None,
        1 => Some(IpAddr::V4(Ipv4Addr::from(b.u32()))),
        _ => Some(IpAddr::V6(Ipv6Addr::from(
            (u128::from(b.u32()) << 96) | u128::from(b.u32()),
        ))),
    };
    let secs = i64::from(b.u32()) + 1_500_000_000;
    RequestContext {
        action: b.text(ACTIONS),
        principal_arn: principal_arn.to_owned(),
        principal_account: principal_account.to_owned(),
        service_principal: b
            .byte()
            .is_multiple_of(8)
            .then(|| "cognito-idp.amazonaws.com".to_owned()),
        identity_arn: identity.to_owned(),
        recipients,
        from_address: b.text(ADDRESSES),
        from_display_name: b.opt_text(&["John Doe", "Invoices", ""]),
        feedback_address: b.opt_text(ADDRESSES),
        api_version: b.text(&["1", "2", "3"]),
        source_ip,
        current_time: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
        secure_transport: b.byte().is_multiple_of(2),
        user_agent: b.opt_text(&["aws-cli/2.15.0", "Boto3/1.34"]),
        source_account: b.opt_text(&["111122223333", "444455556666"]),
        source_arn: b.opt_text(&[
            "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc",
            "arn:aws:ses:eu-west-1:111122223333:identity/shop.example",
        ]),
        principal_org_id: b.opt_text(&["o-exampleorg", "o-other"]),
    }
}

/// Runs one fuzz input: parse as a policy, evaluate against a request derived from the bytes,
/// and check the invariants listed in the module docs. Panics on a violated invariant; returns
/// whether the document was accepted as a policy.
pub fn fuzz_one(data: &[u8]) -> bool {
    let (doc, seed) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let text = String::from_utf8_lossy(doc);
    let identity = IDENTITIES
        .iter()
        .copied()
        .find(|id| text.contains(id))
        .unwrap_or(IDENTITIES[0]);

    let policy = match Policy::parse("fuzz", &text, identity) {
        Ok(policy) => policy,
        Err(err) => {
            assert!(!err.message.is_empty());
            let ses = SesError::from(err);
            assert_eq!(ses.code, ErrorCode::InvalidPolicy);
            return false;
        }
    };
    assert!(text.len() <= MAX_POLICY_SIZE, "over-size policy accepted");
    let _ = policy.warnings();

    let ctx = request(seed, identity);
    let policies = [policy];
    let full = evaluate(&policies, &ctx, OWNER);
    let fast = decide(&policies, &ctx, OWNER);
    assert_eq!(full.outcome(), fast, "decide and evaluate disagree");
    assert_eq!(full.trace.len(), 1);
    assert_eq!(
        full.trace[0].statements.len(),
        policies[0].statements().len()
    );
    if let Some(s) = full.reason.statement() {
        let st = &full.trace[0].statements[s.statement];
        assert!(st.applies, "deciding statement does not apply");
        let want = if matches!(full.reason, Reason::ExplicitDeny(_)) {
            crate::Effect::Deny
        } else {
            crate::Effect::Allow
        };
        assert_eq!(st.effect, want);
    }

    let again = Policy::parse("fuzz", policies[0].minified(), identity)
        .unwrap_or_else(|e| panic!("minified form refused: {e}"));
    assert_eq!(decide(&[again], &ctx, OWNER).decision, fast.decision);

    let deny_all = format!(
        r#"{{"Statement":{{"Effect":"Deny","Principal":"*","Action":"*","Resource":"{identity}"}}}}"#
    );
    let deny_all = Policy::parse("deny-all", &deny_all, identity)
        .unwrap_or_else(|e| panic!("deny-all refused: {e}"));
    // A service caller matches Principal "*" too, so the Deny always applies.
    let [p] = policies;
    let both = [p, deny_all];
    assert_eq!(decide(&both, &ctx, OWNER).decision, Decision::Deny);
    let reversed = [both[1].clone(), both[0].clone()];
    assert!(matches!(
        decide(&reversed, &ctx, OWNER).reason,
        Reason::ExplicitDeny(_)
    ));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_runs_a_policy_and_a_seed() {
        let doc = br#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ses:Send*","Resource":"arn:aws:ses:eu-west-1:111122223333:identity/shop.example"}}"#;
        let mut input = doc.to_vec();
        input.push(0xFF);
        input.extend_from_slice(&[1, 2, 3, 4, 5]);
        assert!(fuzz_one(&input));
        assert!(!fuzz_one(b""));
        assert!(!fuzz_one(&[0xFF; 10]));
        assert!(!fuzz_one(&vec![b' '; MAX_POLICY_SIZE + 1]));
    }
}
