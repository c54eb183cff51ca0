//! The recipient guard through the public interface: routes, the built-in test-domain capture,
//! the allow-list with `+` aliases, the DNS check (with a fake lookup; the real resolver path is
//! tested in bounceguard-dns against hickory-server, and end to end in tests/e2e), the decision
//! log, the validation API and GetEmailAddressInsights — driven by the official SDKs.

mod common;

use std::sync::Arc;

use aws_sdk_sesv2 as sesv2;
use bounceguard_dns::{DomainVerdict, MxLookup, StaticLookup, Via};
use common::TestServer;
use serde_json::{Value, json};

const GUARD: &str = r#"
identities = ["sender@shop.example"]
mailboxes = ["hoge@company.com"]

[[routes]]
name = "blocked"
match = "*@blocked.example.org"
action = "deny"

[[routes]]
name = "staging"
domain = "company.com"
action = "deliver"
only_known = true

[[routes]]
name = "sink"
domain = "sink.net"
action = "hold"
"#;

/// The decision log of a message: (address, decision, rule, reason) per recipient.
async fn log(server: &TestServer, id: &str) -> Vec<(String, String, String, String)> {
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    message["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .map(|r| {
            assert!(
                r["decided"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{r}"
            );
            (
                r["address"].as_str().unwrap_or_default().to_string(),
                r["decision"].as_str().unwrap_or_default().to_string(),
                r["rule"].as_str().unwrap_or_default().to_string(),
                r["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn sent_last_24h(server: &TestServer) -> f64 {
    let quota = server
        .ses_v1()
        .get_send_quota()
        .send()
        .await
        .expect("GetSendQuota");
    quota.sent_last24_hours()
}

#[tokio::test]
async fn one_message_is_split_per_recipient_and_each_decision_is_logged() {
    let server = TestServer::start(GUARD).await;
    let id = server
        .send_v2(&[
            "a@example.com",
            "hoge+signup-1@Company.COM",
            "fuga@company.com",
            "x@sink.net",
            "someone@elsewhere.org",
        ])
        .await
        .expect("accepted with one MessageId");
    let log = log(&server, &id).await;
    let decided: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|(a, d, r, _)| (a.as_str(), d.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        decided,
        vec![
            ("a@example.com", "capture", "default:reserved"),
            ("hoge+signup-1@Company.COM", "deliver", "route:2"),
            ("fuga@company.com", "hold", "allowlist"),
            ("x@sink.net", "hold", "route:3"),
            ("someone@elsewhere.org", "deliver", "default:deliver"),
        ]
    );
    assert!(
        log[1].3.contains("alias of known mailbox hoge@company.com"),
        "{}",
        log[1].3
    );
    assert!(log[2].3.starts_with("unknown mailbox"), "{}", log[2].3);
    // The canonical form sits next to the original: domain lower-cased, local part kept
    // (SES compares local parts case-sensitively; `[normalize] lowercase_local` changes that).
    let message = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(
        message["recipients"][1]["normalized"],
        "hoge+signup-1@company.com"
    );
    // Only the two delivered recipients count against the quota; capture and hold never do.
    assert_eq!(sent_last_24h(&server).await, 2.0);
    server.stop().await;
}

#[tokio::test]
async fn a_deny_route_refuses_the_request_naming_the_route_and_records_it() {
    let server = TestServer::start(GUARD).await;
    let error = server
        .send_v2(&["ok@elsewhere.org", "qa@blocked.example.org"])
        .await
        .expect_err("denied");
    assert!(error.starts_with("MessageRejected: "), "{error}");
    assert!(error.contains("qa@blocked.example.org"), "{error}");
    assert!(error.contains("route 1 \"blocked\""), "{error}");
    // v1 answers the same code.
    let v1 = server
        .ses_v1()
        .send_email()
        .source("sender@shop.example")
        .destination(
            aws_sdk_ses::types::Destination::builder()
                .to_addresses("qa@blocked.example.org")
                .build(),
        )
        .message(common::v1_text("s", "b"))
        .send()
        .await
        .expect_err("denied");
    assert_eq!(
        v1.into_service_error().meta().code(),
        Some("MessageRejected")
    );
    // Both refusals are in the decision log; nothing was counted.
    let listed = server.get_json("/api/v1/messages").await;
    let messages = listed["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    let first = messages
        .iter()
        .find(|m| m["to"].as_array().is_some_and(|to| to.len() == 2))
        .expect("the two-recipient request");
    let id = first["id"].as_str().expect("id");
    let log = log(&server, id).await;
    assert_eq!(log[0].1, "deny");
    assert!(
        log[0].3.starts_with("not sent: the request was refused"),
        "{}",
        log[0].3
    );
    assert_eq!((log[1].1.as_str(), log[1].2.as_str()), ("deny", "route:1"));
    assert_eq!(sent_last_24h(&server).await, 0.0);
    server.stop().await;
}

fn mx(host: &str) -> DomainVerdict {
    DomainVerdict::Deliverable {
        via: Via::Mx(vec![host.to_string()]),
    }
}

#[tokio::test]
async fn the_domain_check_holds_what_would_hard_bounce_and_fails_open() {
    let lookup: Arc<dyn MxLookup> = Arc::new(
        StaticLookup::new(DomainVerdict::Unknown {
            reason: "resolver timeout after 2000 ms".into(),
        })
        .with("mx.example-mail.net", mx("mx1.example-mail.net"))
        .with(
            "gone.example-mail.net",
            DomainVerdict::NoMailDomain {
                reason: "NXDOMAIN".into(),
            },
        )
        .with("nullmx.example-mail.net", DomainVerdict::NullMx),
    );
    let server =
        TestServer::start_with_dns("identities = [\"sender@shop.example\"]\n", lookup).await;
    let id = server
        .send_v2(&[
            "a@example.com",
            "b@mx.example-mail.net",
            "c@gone.example-mail.net",
            "d@nullmx.example-mail.net",
            "e@flaky.example-mail.net",
        ])
        .await
        .expect("one MessageId for all");
    let log = log(&server, &id).await;
    let decided: Vec<(&str, &str)> = log
        .iter()
        .map(|(_, d, r, _)| (d.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        decided,
        vec![
            ("capture", "default:reserved"),
            ("deliver", "default:deliver"),
            ("hold", "dns:no-mail-domain"),
            ("hold", "dns:null-mx"),
            ("deliver", "default:deliver"),
        ]
    );
    assert!(
        log[1]
            .3
            .contains("[DNS: deliverable: MX mx1.example-mail.net]"),
        "{}",
        log[1].3
    );
    assert!(log[2].3.starts_with("would hard-bounce"), "{}", log[2].3);
    assert!(log[2].3.contains("NXDOMAIN"), "{}", log[2].3);
    assert!(log[4].3.contains("fail-open"), "{}", log[4].3);
    // Quota: the MX domain and the fail-open one were attempted; captured and held were not.
    assert_eq!(sent_last_24h(&server).await, 2.0);

    // The validation API gives the same answers.
    let body = json!({"addresses": [
        "b@mx.example-mail.net", "c@gone.example-mail.net", "a@example.com", "not an address"
    ]});
    let response = server
        .http(
            "POST",
            "/api/v1/addresses/validate",
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let results: Value = serde_json::from_slice(&response.body).expect("json");
    let verdicts: Vec<&str> = results["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["verdict"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        verdicts,
        ["deliverable", "no-mail-domain", "test-domain", "invalid"]
    );
    assert_eq!(results["results"][3]["normalized"], Value::Null);

    // GetEmailAddressInsights through the official v2 SDK.
    let insights = server
        .ses_v2()
        .get_email_address_insights()
        .email_address("c@gone.example-mail.net")
        .send()
        .await
        .expect("insights");
    let validation = insights.mailbox_validation().expect("MailboxValidation");
    let evaluations = validation.evaluations().expect("Evaluations");
    use sesv2::types::EmailAddressInsightsConfidenceVerdict as V;
    let verdict = |v: Option<&sesv2::types::EmailAddressInsightsVerdict>| {
        v.and_then(|v| v.confidence_verdict().cloned())
    };
    assert_eq!(verdict(validation.is_valid()), Some(V::Low));
    assert_eq!(verdict(evaluations.has_valid_syntax()), Some(V::High));
    assert_eq!(verdict(evaluations.has_valid_dns_records()), Some(V::Low));
    let good = server
        .ses_v2()
        .get_email_address_insights()
        .email_address("postmaster@mx.example-mail.net")
        .send()
        .await
        .expect("insights");
    let evaluations = good
        .mailbox_validation()
        .and_then(|v| v.evaluations())
        .expect("Evaluations");
    assert_eq!(verdict(evaluations.has_valid_dns_records()), Some(V::High));
    assert_eq!(verdict(evaluations.is_role_address()), Some(V::High));
    server.stop().await;
}

#[tokio::test]
async fn the_validation_api_answers_a_thousand_addresses_in_order_and_refuses_more() {
    let server = TestServer::start(GUARD).await;
    let addresses: Vec<String> = (0..1000)
        .map(|i| match i % 4 {
            0 => format!("user{i}@example.com"),
            1 => format!("hoge+{i}@company.com"),
            2 => format!("nobody{i}@company.com"),
            _ => format!("bad{i}@@company.com"),
        })
        .collect();
    let body = json!({ "addresses": addresses }).to_string();
    let response = server
        .http("POST", "/api/v1/addresses/validate", &[], body.as_bytes())
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer: Value = serde_json::from_slice(&response.body).expect("json");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), 1000);
    for (i, (result, address)) in results.iter().zip(&addresses).enumerate() {
        assert_eq!(result["address"], address.as_str());
        let expected = ["test-domain", "deliverable", "unknown-mailbox", "invalid"][i % 4];
        assert_eq!(result["verdict"], expected, "{result}");
    }
    assert_eq!(results[1]["normalized"], "hoge+1@company.com");

    let too_many = json!({ "addresses": vec!["a@example.com"; 1001] }).to_string();
    let response = server
        .http(
            "POST",
            "/api/v1/addresses/validate",
            &[],
            too_many.as_bytes(),
        )
        .await;
    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("at most 1000"),
        "{}",
        response.text()
    );
    let response = server
        .http(
            "POST",
            "/api/v1/addresses/validate",
            &[],
            b"{\"addresses\": 5}",
        )
        .await;
    assert_eq!(response.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_recipient_refuses_the_whole_request_as_ses_does() {
    let server = TestServer::start(GUARD).await;
    let error = server
        .send_v2(&["ok@example.com", "b\u{e9}@example.com"])
        .await
        .expect_err("refused");
    assert!(
        error.starts_with("InvalidParameterValue") || error.starts_with("BadRequestException"),
        "{error}"
    );
    let listed = server.get_json("/api/v1/messages").await;
    assert_eq!(listed["messages"].as_array().map(Vec::len), Some(0));
    server.stop().await;
}
