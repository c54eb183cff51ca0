//! `ses_v2::encode_output` / `encode_error`: exact JSON bodies, snapshotted and reviewed against
//! the botocore sesv2 2019-09-27 model (member names, enum strings, number types).

use bounceguard_core::{Account, ErrorCode, Identity, IdentityType, Output, SendQuota, SesError};
use bounceguard_wire::ses_v2::{CONTENT_TYPE, encode_error, encode_output};
use serde_json::Value;

fn body(op: &str, output: &Output) -> String {
    String::from_utf8(encode_output(op, output)).expect("UTF-8 JSON")
}

fn identity(name: &str) -> Identity {
    Identity {
        name: name.into(),
        identity_type: IdentityType::of(name),
        verification_token: None,
        created_ms: 1_705_314_600_000,
    }
}

#[test]
fn send_email() {
    let id = "0100018d0c1f2a3b-5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f-000000";
    let json = body("SendEmail", &Output::MessageId(id.into()));
    insta::assert_snapshot!(json);
    // A v2 raw send is named SendRawEmail by the domain; the body is the same.
    assert_eq!(body("SendRawEmail", &Output::MessageId(id.into())), json);
}

#[test]
fn create_email_identity() {
    insta::assert_snapshot!(
        "create_email_identity_address",
        body(
            "CreateEmailIdentity",
            &Output::EmailIdentity(identity("ann@example.org"))
        )
    );
    insta::assert_snapshot!(
        "create_email_identity_domain",
        body(
            "CreateEmailIdentity",
            &Output::EmailIdentity(identity("shop.example"))
        )
    );
}

#[test]
fn get_email_identity() {
    insta::assert_snapshot!(body(
        "GetEmailIdentity",
        &Output::EmailIdentity(identity("shop.example"))
    ));
}

#[test]
fn list_email_identities() {
    insta::assert_snapshot!(
        "list_email_identities_with_token",
        body(
            "ListEmailIdentities",
            &Output::Identities {
                identities: vec![identity("ann@example.org"), identity("shop.example")],
                next_token: Some("tok-2".into()),
            }
        )
    );
    let last_page = body(
        "ListEmailIdentities",
        &Output::Identities {
            identities: vec![],
            next_token: None,
        },
    );
    assert_eq!(
        last_page, r#"{"EmailIdentities":[]}"#,
        "no NextToken member"
    );
}

#[test]
fn delete_email_identity() {
    assert_eq!(body("DeleteEmailIdentity", &Output::Empty), "{}");
}

#[test]
fn get_account() {
    let json = body(
        "GetAccount",
        &Output::Account(Account {
            enforcement_status: "HEALTHY".into(),
            production_access_enabled: false,
            sending_enabled: true,
            send_quota: SendQuota {
                max_24_hour_send: 200.0,
                max_send_rate: 1.0,
                sent_last_24_hours: 17.0,
            },
            suppressed_reasons: vec!["BOUNCE".into(), "COMPLAINT".into()],
        }),
    );
    insta::assert_snapshot!(json);
    // The SDKs read the quota as doubles: JSON numbers, never strings.
    let value: Value = serde_json::from_str(&json).expect("JSON");
    assert!(value["SendQuota"]["Max24HourSend"].is_f64());
    assert!(value["SendQuota"]["SentLast24Hours"].is_f64());
}

#[test]
fn errors_carry_the_v2_code_status_and_message() {
    let (status, kind, json) = encode_error(&SesError::rejected(
        "Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@shop.example",
    ));
    assert_eq!((status, kind), (400, "MessageRejected"));
    insta::assert_snapshot!(String::from_utf8(json).expect("UTF-8"));

    let cases = [
        (ErrorCode::InvalidParameterValue, 400, "BadRequestException"),
        (ErrorCode::ValidationError, 400, "BadRequestException"),
        (ErrorCode::NotFound, 404, "NotFoundException"),
        (ErrorCode::Throttling, 429, "TooManyRequestsException"),
        (ErrorCode::AccessDenied, 403, "AccessDeniedException"),
        (
            ErrorCode::InternalFailure,
            500,
            "InternalServiceErrorException",
        ),
    ];
    for (code, expected_status, expected_kind) in cases {
        let (status, kind, json) = encode_error(&SesError::new(code, "text with \"quotes\""));
        assert_eq!((status, kind), (expected_status, expected_kind), "{code:?}");
        let value: Value = serde_json::from_slice(&json).expect("JSON");
        assert_eq!(
            value,
            serde_json::json!({"message": "text with \"quotes\""})
        );
    }
    assert_eq!(CONTENT_TYPE, "application/json");
}
