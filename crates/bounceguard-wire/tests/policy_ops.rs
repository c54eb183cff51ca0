//! The identity-policy operations on both fronts (ses-spec §1.7, §2.2, §2.6): decoding the
//! requests botocore sends and encoding the answers in the shapes of botocore's models.

use bounceguard_core::{ErrorCode, Operation, Output};
use bounceguard_wire::{ses_v1, ses_v2};

const REQUEST_ID: &str = "5e0a6c1d-7f1b-4a2c-9d3e-8b7a6c5d4e3f";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn v1(pairs: &[(&str, &str)]) -> Result<Operation, bounceguard_core::SesError> {
    ses_v1::decode(&form(pairs))
}

#[test]
fn v1_policy_actions_decode() {
    assert_eq!(
        v1(&[
            ("Action", "PutIdentityPolicy"),
            ("Version", "2010-12-01"),
            (
                "Identity",
                "arn:aws:ses:us-east-1:123456789012:identity/shop.example"
            ),
            ("PolicyName", "partner-send"),
            ("Policy", DOC),
        ]),
        Ok(Operation::PutIdentityPolicy {
            identity: "arn:aws:ses:us-east-1:123456789012:identity/shop.example".into(),
            policy_name: "partner-send".into(),
            policy: DOC.into(),
        })
    );
    assert_eq!(
        v1(&[
            ("Action", "GetIdentityPolicies"),
            ("Identity", "shop.example"),
            ("PolicyNames.member.2", "b"),
            ("PolicyNames.member.1", "a"),
        ]),
        Ok(Operation::GetIdentityPolicies {
            identity: "shop.example".into(),
            policy_names: vec!["a".into(), "b".into()],
        })
    );
    // botocore sends an empty list as `PolicyNames=`.
    assert_eq!(
        v1(&[
            ("Action", "GetIdentityPolicies"),
            ("Identity", "shop.example"),
            ("PolicyNames", ""),
        ]),
        Ok(Operation::GetIdentityPolicies {
            identity: "shop.example".into(),
            policy_names: vec![],
        })
    );
    assert_eq!(
        v1(&[("Action", "ListIdentityPolicies"), ("Identity", "a@x.org")]),
        Ok(Operation::ListIdentityPolicies {
            identity: "a@x.org".into()
        })
    );
    assert_eq!(
        v1(&[
            ("Action", "DeleteIdentityPolicy"),
            ("Identity", "shop.example"),
            ("PolicyName", "gone"),
        ]),
        Ok(Operation::DeleteIdentityPolicy {
            identity: "shop.example".into(),
            policy_name: "gone".into(),
        })
    );
}

#[test]
fn v1_policy_actions_refuse_missing_parameters_and_too_many_names() {
    let missing = |pairs: &[(&str, &str)], name: &str| {
        let err = v1(pairs).expect_err("refused");
        assert_eq!(err.code, ErrorCode::MissingParameter, "{pairs:?}");
        assert_eq!(
            err.message,
            format!("The request must contain the parameter {name}.")
        );
    };
    missing(
        &[
            ("Action", "PutIdentityPolicy"),
            ("Identity", "x"),
            ("PolicyName", "p"),
        ],
        "Policy",
    );
    missing(
        &[
            ("Action", "PutIdentityPolicy"),
            ("Identity", "x"),
            ("Policy", DOC),
        ],
        "PolicyName",
    );
    missing(
        &[("Action", "GetIdentityPolicies"), ("Identity", "x")],
        "PolicyNames",
    );
    missing(&[("Action", "ListIdentityPolicies")], "Identity");
    missing(
        &[("Action", "DeleteIdentityPolicy"), ("Identity", "x")],
        "PolicyName",
    );

    let keys: Vec<String> = (1..=21)
        .map(|i| format!("PolicyNames.member.{i}"))
        .collect();
    let mut pairs = vec![("Action", "GetIdentityPolicies"), ("Identity", "x")];
    pairs.extend(keys.iter().map(|k| (k.as_str(), "p")));
    let err = v1(&pairs).expect_err("21 names");
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    assert_eq!(
        err.message,
        "At most 20 policies can be retrieved at a time."
    );
    pairs.pop();
    assert!(v1(&pairs).is_ok(), "20 names are fine");
}

#[test]
fn v1_get_identity_policies_is_the_spec_example_shape() {
    // ses-spec §1.7: Policies is a map of entry/key/value; the value is the document as text.
    let xml = ses_v1::encode_output(
        "GetIdentityPolicies",
        &Output::Policies(vec![("partner-send".into(), DOC.into())]),
        REQUEST_ID,
    );
    let expected = format!(
        r#"<GetIdentityPoliciesResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <GetIdentityPoliciesResult>
    <Policies>
      <entry>
        <key>partner-send</key>
        <value>{DOC}</value>
      </entry>
    </Policies>
  </GetIdentityPoliciesResult>
  <ResponseMetadata>
    <RequestId>{REQUEST_ID}</RequestId>
  </ResponseMetadata>
</GetIdentityPoliciesResponse>
"#
    );
    assert_eq!(xml, expected);

    // The model marks Policies required: an empty map is still written.
    let xml = ses_v1::encode_output("GetIdentityPolicies", &Output::Policies(vec![]), "r");
    assert!(
        xml.contains(
            "<GetIdentityPoliciesResult>\n    <Policies/>\n  </GetIdentityPoliciesResult>"
        ),
        "{xml}"
    );
}

#[test]
fn v1_list_and_write_results() {
    let xml = ses_v1::encode_output(
        "ListIdentityPolicies",
        &Output::PolicyNames(vec!["a".into(), "b".into()]),
        "r",
    );
    assert!(
        xml.contains(
            "<ListIdentityPoliciesResult>\n    <PolicyNames>\n      <member>a</member>\n      <member>b</member>\n    </PolicyNames>\n  </ListIdentityPoliciesResult>"
        ),
        "{xml}"
    );
    let xml = ses_v1::encode_output("ListIdentityPolicies", &Output::PolicyNames(vec![]), "r");
    assert!(xml.contains("<PolicyNames/>"), "{xml}");
    // Put and Delete have empty output shapes with a result wrapper.
    for op in ["PutIdentityPolicy", "DeleteIdentityPolicy"] {
        let xml = ses_v1::encode_output(op, &Output::Empty, "r");
        assert!(
            xml.starts_with(&format!(
                "<{op}Response xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n  <{op}Result/>\n"
            )),
            "{xml}"
        );
    }
}

#[test]
fn v2_policy_operations_decode() {
    let body = format!(
        r#"{{"Policy":{}}}"#,
        serde_json::to_string(DOC).expect("json")
    );
    assert_eq!(
        ses_v2::create_email_identity_policy("shop.example", "p1", body.as_bytes()),
        Ok(Operation::CreateEmailIdentityPolicy {
            identity: "shop.example".into(),
            policy_name: "p1".into(),
            policy: DOC.into(),
        })
    );
    assert_eq!(
        ses_v2::update_email_identity_policy("a@x.org", "p1", body.as_bytes()),
        Ok(Operation::UpdateEmailIdentityPolicy {
            identity: "a@x.org".into(),
            policy_name: "p1".into(),
            policy: DOC.into(),
        })
    );
    assert_eq!(
        ses_v2::get_email_identity_policies("shop.example"),
        Ok(Operation::GetEmailIdentityPolicies {
            identity: "shop.example".into()
        })
    );
    assert_eq!(
        ses_v2::delete_email_identity_policy("shop.example", "p1"),
        Ok(Operation::DeleteEmailIdentityPolicy {
            identity: "shop.example".into(),
            policy_name: "p1".into(),
        })
    );
}

#[test]
fn v2_policy_operations_refuse_missing_members() {
    let err =
        ses_v2::create_email_identity_policy("shop.example", "p1", b"{}").expect_err("no Policy");
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null"
    );
    let err = ses_v2::update_email_identity_policy("shop.example", "p1", br#"{"Policy":""}"#)
        .expect_err("empty Policy");
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert!(err.message.contains("at 'policy'"), "{}", err.message);
    let err = ses_v2::delete_email_identity_policy("shop.example", "").expect_err("empty name");
    assert!(err.message.contains("at 'policyName'"), "{}", err.message);
    let err = ses_v2::get_email_identity_policies("").expect_err("empty identity");
    assert!(
        err.message.contains("at 'emailIdentity'"),
        "{}",
        err.message
    );
    let err = ses_v2::create_email_identity_policy("shop.example", "p1", br#"{"Policy":{}}"#)
        .expect_err("Policy must be a string");
    assert!(
        err.message.starts_with("Could not parse request body"),
        "{}",
        err.message
    );
}

#[test]
fn v2_policies_map_holds_documents_as_strings() {
    let body = ses_v2::encode_output(
        "GetEmailIdentityPolicies",
        &Output::Policies(vec![("b".into(), DOC.into()), ("a".into(), "{}".into())]),
    );
    let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        value,
        serde_json::json!({"Policies": {"a": "{}", "b": DOC}})
    );
    for op in [
        "CreateEmailIdentityPolicy",
        "UpdateEmailIdentityPolicy",
        "DeleteEmailIdentityPolicy",
    ] {
        assert_eq!(ses_v2::encode_output(op, &Output::Empty), b"{}");
    }
}
