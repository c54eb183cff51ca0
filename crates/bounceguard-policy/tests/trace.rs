//! The what-if trace and its JSON form (what `POST /api/v1/policy/simulate` will return).

use bounceguard_policy::{Policy, RequestContext, evaluate};
use serde_json::json;

const ID: &str = "arn:aws:ses:ap-northeast-1:111122223333:identity/sender@shop.example";
const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyExampleDotCom","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:ap-northeast-1:111122223333:identity/sender@shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}}]}"#;

fn ctx(recipients: &[&str]) -> RequestContext {
    serde_json::from_value(json!({
        "action": "ses:SendEmail",
        "principal_arn": "arn:aws:iam::111122223333:user/app",
        "principal_account": "111122223333",
        "identity_arn": ID,
        "recipients": recipients,
        "from_address": "sender@shop.example",
        "api_version": "1",
        "current_time": "2024-06-01T12:00:00Z"
    }))
    .expect("a request needs only these fields")
}

#[test]
fn seed_denial_serializes_with_the_deciding_statement_and_each_condition() {
    let policies = [Policy::parse("block-example", SEED, ID).expect("valid")];
    let eval = evaluate(
        &policies,
        &ctx(&["ok@partner.example", "test@example.com"]),
        "111122223333",
    );
    assert_eq!(
        serde_json::to_value(&eval).expect("serializes"),
        json!({
            "decision": "Deny",
            "reason": {"kind": "ExplicitDeny", "policy": "block-example", "statement": 0, "sid": "DenyExampleDotCom"},
            "trace": [{
                "policy": "block-example",
                "statements": [{
                    "index": 0,
                    "sid": "DenyExampleDotCom",
                    "effect": "Deny",
                    "principal_matched": true,
                    "action_matched": true,
                    "resource_matched": true,
                    "conditions": [{
                        "operator": "ForAnyValue:StringLike",
                        "key": "ses:Recipients",
                        "values": ["*@example.com"],
                        "matched": true
                    }],
                    "applies": true
                }]
            }]
        })
    );
    assert_eq!(
        eval.reason.to_string(),
        r#"explicit deny by policy "block-example" statement 0 (Sid "DenyExampleDotCom")"#
    );
}

#[test]
fn same_account_allow_serializes_as_a_bare_kind() {
    let policies = [Policy::parse("block-example", SEED, ID).expect("valid")];
    let eval = evaluate(&policies, &ctx(&["ok@partner.example"]), "111122223333");
    let v = serde_json::to_value(&eval).expect("serializes");
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["reason"], json!({"kind": "SameAccount"}));
    assert_eq!(
        v["trace"][0]["statements"][0]["conditions"][0]["matched"],
        false
    );
    assert_eq!(v["trace"][0]["statements"][0]["applies"], false);
}

#[test]
fn the_trace_does_not_short_circuit() {
    // The principal does not match, yet every condition is still evaluated and reported.
    let doc = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"444455556666"}},"Action":"ses:SendEmail","Resource":"{ID}","Condition":{{"StringEquals":{{"ses:ApiVersion":"1"}},"Bool":{{"aws:SecureTransport":"true"}}}}}}]}}"#
    );
    let policies = [Policy::parse("p", &doc, ID).expect("valid")];
    let eval = evaluate(&policies, &ctx(&["a@b.example"]), "999999999999");
    let st = &eval.trace[0].statements[0];
    assert!(!st.principal_matched);
    assert_eq!(st.conditions.len(), 2);
    assert_eq!(st.conditions[0].key, "ses:ApiVersion");
    assert!(st.conditions[0].matched);
    assert_eq!(st.conditions[1].operator, "Bool");
    assert!(
        !st.conditions[1].matched,
        "secure_transport defaults to false"
    );
    assert_eq!(eval.decision.to_string(), "Deny");
}
