//! Sending-authorization policies through the official SDKs (`aws-sdk-ses`, `aws-sdk-sesv2`)
//! against a live gateway with SigV4: the policy APIs of both fronts over one store, and the
//! policy check on every send (ses-spec §1.7, §1.8, §2.6, §4).

mod common;

use aws_sdk_ses as ses;
use aws_sdk_ses::error::ProvideErrorMetadata;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::{Body, Content, Destination, Message, RawMessage};
use aws_sdk_sesv2 as sesv2;
use common::{ACCESS_KEY, ACCOUNT, PRINCIPAL, SECRET_KEY, TestServer};

const DOMAIN_ARN: &str = "arn:aws:ses:us-east-1:123456789012:identity/shop.example";

/// The seed of the project: deny both send actions to anyone when any recipient is at
/// example.com (written with insignificant whitespace, which the store removes).
const SEED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyTestDomains",
      "Effect": "Deny",
      "Principal": "*",
      "Action": ["ses:SendEmail", "ses:SendRawEmail"],
      "Resource": "arn:aws:ses:us-east-1:123456789012:identity/shop.example",
      "Condition": {"ForAnyValue:StringLike": {"ses:Recipients": "*@example.com"}}
    }
  ]
}"#;

/// [`SEED`] without the whitespace (what SES gives back).
const SEED_MINIFIED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyTestDomains","Effect":"Deny","Principal":"*","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:us-east-1:123456789012:identity/shop.example","Condition":{"ForAnyValue:StringLike":{"ses:Recipients":"*@example.com"}}}]}"#;

const PARTNER_KEY: &str = "AKIDPARTNERACCOUNT01";
const PARTNER_SECRET: &str = "partner/Secret+Key/0123456789abcdefghij";
const PARTNER: &str = "arn:aws:iam::999988887777:user/partner";

fn v1_as(server: &TestServer, key: &str, secret: &str) -> ses::Client {
    server.ses_v1_as(key, secret, 0)
}

fn v1(server: &TestServer) -> ses::Client {
    server.ses_v1()
}

fn v2(server: &TestServer) -> sesv2::Client {
    server.ses_v2()
}

/// A signed server whose account is [`ACCOUNT`], with a second credential in another account.
async fn two_account_server() -> TestServer {
    TestServer::start(&format!(
        "account_id = \"{ACCOUNT}\"\nidentities = [\"shop.example\"]\n\
         [[credentials]]\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nprincipal = \"{PRINCIPAL}\"\n\
         [[credentials]]\naccess_key_id = \"{PARTNER_KEY}\"\nsecret_access_key = \"{PARTNER_SECRET}\"\nprincipal = \"{PARTNER}\"\n"
    ))
    .await
}

fn message(subject: &str) -> Message {
    Message::builder()
        .subject(Content::builder().data(subject).build().expect("subject"))
        .body(
            Body::builder()
                .text(Content::builder().data("hi").build().expect("text"))
                .build(),
        )
        .build()
}

async fn send_v1(
    client: &ses::Client,
    from: &str,
    to: &[&str],
    source_arn: Option<&str>,
) -> Result<String, ses::error::SdkError<ses::operation::send_email::SendEmailError>> {
    let mut destination = Destination::builder();
    for address in to {
        destination = destination.to_addresses(*address);
    }
    client
        .send_email()
        .source(from)
        .destination(destination.build())
        .message(message("policy test"))
        .set_source_arn(source_arn.map(str::to_string))
        .send()
        .await
        .map(|out| out.message_id().to_string())
}

fn denied_text(principal: &str, action: &str, identity_arn: &str) -> String {
    format!(
        "User `{principal}' is not authorized to perform `{action}' on resource `{identity_arn}'"
    )
}

async fn put_policy(server: &TestServer, identity: &str, name: &str, document: &str) {
    v1(server)
        .put_identity_policy()
        .identity(identity)
        .policy_name(name)
        .policy(document)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {name}: {:?}", e.into_service_error()));
}

async fn sent_last_24_hours(server: &TestServer) -> f64 {
    v1(server)
        .get_send_quota()
        .send()
        .await
        .expect("quota")
        .sent_last24_hours()
}

#[tokio::test]
async fn v1_policy_apis_round_trip() {
    let server = TestServer::signed().await;
    let ses = v1(&server);
    // Identity by ARN on the way in; the document comes back minified.
    ses.put_identity_policy()
        .identity(DOMAIN_ARN)
        .policy_name("seed")
        .policy(SEED)
        .send()
        .await
        .expect("put by ARN");
    // Upsert: the same name again replaces.
    put_policy(&server, "shop.example", "seed", SEED).await;
    put_policy(
        &server,
        "shop.example",
        "allow-all",
        &SEED
            .replace("Deny", "Allow")
            .replace("DenyTestDomains", "AllowAll"),
    )
    .await;

    let list = ses
        .list_identity_policies()
        .identity("shop.example")
        .send()
        .await
        .expect("list");
    assert_eq!(list.policy_names(), ["allow-all", "seed"]);

    let got = ses
        .get_identity_policies()
        .identity("shop.example")
        .policy_names("seed")
        .policy_names("no-such-policy")
        .send()
        .await
        .expect("get");
    let policies = got.policies();
    assert_eq!(
        policies.len(),
        1,
        "unknown names are left out: {policies:?}"
    );
    assert_eq!(policies["seed"], SEED_MINIFIED);

    // Delete succeeds whether or not the policy exists.
    for _ in 0..2 {
        ses.delete_identity_policy()
            .identity(DOMAIN_ARN)
            .policy_name("seed")
            .send()
            .await
            .expect("delete");
    }
    let list = ses
        .list_identity_policies()
        .identity("shop.example")
        .send()
        .await
        .expect("list");
    assert_eq!(list.policy_names(), ["allow-all"]);

    // PutIdentityPolicy does not require the identity to exist (floci-reported, ses-spec §1.7).
    put_policy(
        &server,
        "not-yet.example",
        "p",
        &SEED.replace("shop.example", "not-yet.example"),
    )
    .await;
    let empty = ses
        .get_identity_policies()
        .identity("unknown.example")
        .set_policy_names(Some(vec![]))
        .send()
        .await
        .expect("get on an unknown identity");
    assert!(empty.policies().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn v1_refusals_carry_ses_codes_and_the_engines_text() {
    let server = TestServer::signed().await;
    let ses = v1(&server);
    let put = |name: &str, document: String| {
        ses.put_identity_policy()
            .identity("shop.example")
            .policy_name(name)
            .policy(document)
            .send()
    };
    let err = put("bad", SEED.replace("ses:Recipients", "AWS:SourceAccount"))
        .await
        .expect_err("unknown condition key")
        .into_service_error();
    assert!(err.is_invalid_policy_exception(), "{err:?}");
    assert_eq!(err.code(), Some("InvalidPolicy"));
    assert_eq!(
        err.message(),
        Some("Unknown or unapplicable condition field 'AWS:SourceAccount'.")
    );

    let err = put("other", SEED.replace("shop.example", "other.example"))
        .await
        .expect_err("resource of another identity")
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidPolicy"));
    let expected = bounceguard_policy::Policy::parse(
        "other",
        &SEED.replace("shop.example", "other.example"),
        DOMAIN_ARN,
    )
    .expect_err("engine refuses it too");
    assert_eq!(err.message(), Some(expected.message.as_str()));

    let err = put("has space", SEED.to_string())
        .await
        .expect_err("bad name")
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(
        err.message(),
        Some(
            "PolicyName is invalid. Policy names must only include alpha-numeric characters, dashes, and underscores."
        )
    );

    for i in 0..20 {
        put(&format!("p{i}"), SEED.to_string())
            .await
            .expect("20 policies fit");
    }
    let err = put("p20", SEED.to_string())
        .await
        .expect_err("21st policy")
        .into_service_error();
    assert_eq!(err.code(), Some("LimitExceeded"));
    assert_eq!(
        err.message(),
        Some(
            "Number of policies for shop.example exceeds max allowed number of policies per resource"
        )
    );
    // Replacing one of the twenty is still fine.
    put("p3", SEED.to_string())
        .await
        .expect("replace at the limit");

    let err = ses
        .list_identity_policies()
        .identity("arn:aws:ses:eu-west-1:123456789012:identity/shop.example")
        .send()
        .await
        .expect_err("ARN of another region")
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    server.stop().await;
}

#[tokio::test]
async fn v2_policy_apis_with_typed_errors() {
    let server = TestServer::signed().await;
    let v2 = v2(&server);
    v2.create_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("seed")
        .policy(SEED)
        .send()
        .await
        .expect("create");
    let err = v2
        .create_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("seed")
        .policy(SEED)
        .send()
        .await
        .expect_err("create twice")
        .into_service_error();
    assert!(err.is_already_exists_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Policy <seed> already exists"));

    // GetEmailIdentity carries the identity's policies, as SES's does.
    let got = v2
        .get_email_identity()
        .email_identity("shop.example")
        .send()
        .await
        .expect("get identity");
    let policies = got.policies().expect("policies");
    assert_eq!(policies.len(), 1);
    let stored: serde_json::Value =
        serde_json::from_str(&policies["seed"]).expect("policy document is JSON");
    let sent: serde_json::Value = serde_json::from_str(SEED).expect("seed is JSON");
    assert_eq!(stored, sent);

    // One store: v1 sees what v2 wrote.
    let list = v1(&server)
        .list_identity_policies()
        .identity("shop.example")
        .send()
        .await
        .expect("v1 list");
    assert_eq!(list.policy_names(), ["seed"]);

    let got = v2
        .get_email_identity_policies()
        .email_identity("shop.example")
        .send()
        .await
        .expect("get");
    assert_eq!(
        got.policies().map(|p| p["seed"].as_str()),
        Some(SEED_MINIFIED)
    );

    let updated = SEED.replace("*@example.com", "*@example.net");
    v2.update_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("seed")
        .policy(&updated)
        .send()
        .await
        .expect("update");
    let got = v2
        .get_email_identity_policies()
        .email_identity("shop.example")
        .send()
        .await
        .expect("get");
    assert!(
        got.policies()
            .is_some_and(|p| p["seed"].contains("*@example.net")),
        "{got:?}"
    );

    let err = v2
        .update_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("missing")
        .policy(SEED)
        .send()
        .await
        .expect_err("update a missing policy")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Policy <missing> does not exist"));

    let err = v2
        .create_email_identity_policy()
        .email_identity("unknown.example")
        .policy_name("p")
        .policy(SEED.replace("shop.example", "unknown.example"))
        .send()
        .await
        .expect_err("unknown identity")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");
    let err = v2
        .get_email_identity_policies()
        .email_identity("unknown.example")
        .send()
        .await
        .expect_err("unknown identity")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");

    let err = v2
        .create_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("bad")
        .policy(SEED.replace("ses:Recipients", "AWS:SourceAccount"))
        .send()
        .await
        .expect_err("invalid policy")
        .into_service_error();
    assert!(err.is_bad_request_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some("Unknown or unapplicable condition field 'AWS:SourceAccount'.")
    );

    v2.delete_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("seed")
        .send()
        .await
        .expect("delete");
    let err = v2
        .delete_email_identity_policy()
        .email_identity("shop.example")
        .policy_name("seed")
        .send()
        .await
        .expect_err("delete twice")
        .into_service_error();
    assert!(err.is_not_found_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Policy <seed> does not exist"));

    // Deleting an identity deletes its policies: a re-created identity starts without them.
    v2.create_email_identity()
        .email_identity("corp.example")
        .send()
        .await
        .expect("create identity");
    v2.create_email_identity_policy()
        .email_identity("corp.example")
        .policy_name("p")
        .policy(SEED.replace("shop.example", "corp.example"))
        .send()
        .await
        .expect("create policy");
    v2.delete_email_identity()
        .email_identity("corp.example")
        .send()
        .await
        .expect("delete identity");
    v2.create_email_identity()
        .email_identity("corp.example")
        .send()
        .await
        .expect("re-create identity");
    let got = v2
        .get_email_identity_policies()
        .email_identity("corp.example")
        .send()
        .await
        .expect("get");
    assert!(got.policies().is_none_or(|p| p.is_empty()), "{got:?}");
    server.stop().await;
}

#[tokio::test]
async fn the_seed_policy_is_enforced_on_every_send() {
    let server = TestServer::signed().await;
    put_policy(&server, "shop.example", "seed", SEED).await;
    let ses = v1(&server);

    // The seed's first command: denied with SES's exact text and HTTP 403.
    let err = send_v1(&ses, "no-reply@shop.example", &["a@example.com"], None)
        .await
        .expect_err("denied");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendEmail", DOMAIN_ARN).as_str())
    );
    // The second: allowed (to a domain that is not a reserved test domain, so it is decided
    // `deliver` and counts; a@example.org would be captured and count nowhere).
    let id = send_v1(&ses, "no-reply@shop.example", &["a@customer.org"], None)
        .await
        .expect("allowed");
    assert!(id.ends_with("-000000"), "{id}");
    // One denied recipient among allowed ones denies the whole request.
    let err = send_v1(
        &ses,
        "Shop <no-reply@shop.example>",
        &["a@example.org", "b@example.com", "c@example.net"],
        None,
    )
    .await
    .expect_err("mixed request");
    assert_eq!(err.into_service_error().code(), Some("AccessDenied"));

    // v1 raw: checked as ses:SendRawEmail.
    let mime = "From: no-reply@shop.example\r\nTo: a@example.com\r\nSubject: raw\r\n\r\nbody\r\n";
    let err = ses
        .send_raw_email()
        .raw_message(
            RawMessage::builder()
                .data(Blob::new(mime))
                .build()
                .expect("raw"),
        )
        .send()
        .await
        .expect_err("raw denied");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendRawEmail", DOMAIN_ARN).as_str())
    );

    // v2 simple and raw: AccessDeniedException, 403, the same text.
    let v2 = v2(&server);
    let err = v2
        .send_email()
        .from_email_address("no-reply@shop.example")
        .destination(
            sesv2::types::Destination::builder()
                .bcc_addresses("hidden@example.com")
                .to_addresses("a@example.org")
                .build(),
        )
        .content(
            sesv2::types::EmailContent::builder()
                .simple(
                    sesv2::types::Message::builder()
                        .subject(
                            sesv2::types::Content::builder()
                                .data("v2")
                                .build()
                                .expect("subject"),
                        )
                        .body(
                            sesv2::types::Body::builder()
                                .text(
                                    sesv2::types::Content::builder()
                                        .data("hi")
                                        .build()
                                        .expect("text"),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("v2 denied (a Bcc recipient counts)");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendEmail", DOMAIN_ARN).as_str())
    );
    let err = v2
        .send_email()
        .content(
            sesv2::types::EmailContent::builder()
                .raw(
                    sesv2::types::RawMessage::builder()
                        .data(sesv2::primitives::Blob::new(mime))
                        .build()
                        .expect("raw"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("v2 raw denied")
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendRawEmail", DOMAIN_ARN).as_str())
    );

    // Only the one allowed recipient counts against the quota.
    assert_eq!(sent_last_24_hours(&server).await, 1.0);
    let statistics = ses.get_send_statistics().send().await.expect("statistics");
    let attempts: i64 = statistics
        .send_data_points()
        .iter()
        .map(|p| p.delivery_attempts())
        .sum();
    assert_eq!(attempts, 1);

    // Denials are recorded with the deciding statement, but LocalStack's listing shows only
    // what was sent.
    let listing = server.get_json("/api/v1/messages").await;
    let messages = listing["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 6, "one sent, five denied");
    let denied: Vec<&serde_json::Value> = messages
        .iter()
        .filter(|m| m["decision"] == "deny")
        .collect();
    assert_eq!(denied.len(), 5);
    let first = denied.last().expect("the first denial");
    let id = first["id"].as_str().expect("id");
    assert!(id.starts_with("denied-"), "{id}");
    let one = server.get_json(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(one["recipients"][0]["decision"], "deny");
    assert_eq!(
        one["recipients"][0]["reason"],
        "policy \"seed\" statement 0 (Sid \"DenyTestDomains\"): explicit deny"
    );
    assert_eq!(one["recipients"][0]["rule"], "policy:explicit-deny");
    let localstack = server.get_json("/_aws/ses").await;
    let sent = localstack["messages"].as_array().expect("messages");
    assert_eq!(sent.len(), 1, "{localstack}");
    server.stop().await;
}

#[tokio::test]
async fn the_address_identity_takes_precedence_and_source_arn_chooses() {
    let server = TestServer::signed().await;
    put_policy(&server, "shop.example", "seed", SEED).await;
    let ses = v1(&server);
    ses.verify_email_identity()
        .email_address("vip@shop.example")
        .send()
        .await
        .expect("verify address");
    // The address identity exists and has no policy: the domain's policy does not apply.
    send_v1(&ses, "vip@shop.example", &["a@example.com"], None)
        .await
        .expect("address identity without a policy");
    // With a policy of its own, the denial names the address identity.
    let vip_arn = "arn:aws:ses:us-east-1:123456789012:identity/vip@shop.example";
    put_policy(
        &server,
        "vip@shop.example",
        "vip",
        &SEED.replace(DOMAIN_ARN, vip_arn),
    )
    .await;
    let err = send_v1(&ses, "vip@shop.example", &["a@example.com"], None)
        .await
        .expect_err("denied by the address policy")
        .into_service_error();
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendEmail", vip_arn).as_str())
    );
    // SourceArn names the identity to check: the domain's, here.
    ses.delete_identity_policy()
        .identity("vip@shop.example")
        .policy_name("vip")
        .send()
        .await
        .expect("delete");
    send_v1(&ses, "vip@shop.example", &["a@example.com"], None)
        .await
        .expect("no policy on the address again");
    let err = send_v1(
        &ses,
        "vip@shop.example",
        &["a@example.com"],
        Some(DOMAIN_ARN),
    )
    .await
    .expect_err("the domain named by SourceArn")
    .into_service_error();
    assert_eq!(
        err.message(),
        Some(denied_text(PRINCIPAL, "ses:SendEmail", DOMAIN_ARN).as_str())
    );
    // A SourceArn that does not cover the sender is refused.
    let err = send_v1(
        &ses,
        "vip@shop.example",
        &["a@example.org"],
        Some("arn:aws:ses:us-east-1:123456789012:identity/other.example"),
    )
    .await
    .expect_err("foreign SourceArn")
    .into_service_error();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    server.stop().await;
}

#[tokio::test]
async fn a_cross_account_caller_needs_an_allow_naming_it() {
    let server = two_account_server().await;
    let partner = v1_as(&server, PARTNER_KEY, PARTNER_SECRET);
    // No policy at all: the owner's callers may send, another account may not.
    send_v1(
        &v1(&server),
        "no-reply@shop.example",
        &["a@example.org"],
        None,
    )
    .await
    .expect("owner account");
    let err = send_v1(&partner, "no-reply@shop.example", &["a@example.org"], None)
        .await
        .expect_err("implicit deny");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(
        err.message(),
        Some(denied_text(PARTNER, "ses:SendEmail", DOMAIN_ARN).as_str())
    );

    // An Allow naming the partner lets it send, within its conditions.
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Partner","Effect":"Allow",
        "Principal":{{"AWS":"{PARTNER}"}},"Action":"ses:SendEmail","Resource":"{DOMAIN_ARN}",
        "Condition":{{"ForAllValues:StringLike":{{"ses:Recipients":"*@example.org"}}}}}}]}}"#
    );
    put_policy(&server, "shop.example", "partner", &allow).await;
    send_v1(
        &partner,
        "no-reply@shop.example",
        &["a@example.org"],
        Some(DOMAIN_ARN),
    )
    .await
    .expect("allowed by the statement naming the partner");
    let err = send_v1(&partner, "no-reply@shop.example", &["a@example.net"], None)
        .await
        .expect_err("outside the Allow's condition")
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    let listing = server.get_json("/api/v1/messages").await;
    let newest = &listing["messages"][0];
    let one = server
        .get_json(&format!(
            "/api/v1/messages/{}",
            newest["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(one["principal"], PARTNER);
    assert_eq!(
        one["recipients"][0]["reason"],
        "no statement applies; the caller is not in the identity's account: implicit deny"
    );
    server.stop().await;
}
