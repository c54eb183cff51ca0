//! `ses_v2` identity operations: CreateEmailIdentity body, List query, Get/Delete labels.

use bounceguard_core::{ErrorCode, Operation};
use bounceguard_wire::ses_v2::{
    create_email_identity, delete_email_identity, get_account, get_email_identity,
    list_email_identities,
};

fn err<T: std::fmt::Debug>(result: Result<T, bounceguard_core::SesError>) -> (ErrorCode, String) {
    match result {
        Ok(v) => panic!("accepted: {v:?}"),
        Err(e) => (e.code, e.message),
    }
}

#[test]
fn create_reads_the_identity_and_ignores_the_rest() {
    let op = create_email_identity(
        br#"{"EmailIdentity":"shop.example","Tags":[{"Key":"k","Value":"v"}],
             "DkimSigningAttributes":{"NextSigningKeyLength":"RSA_2048_BIT"},
             "ConfigurationSetName":"tx"}"#,
    )
    .expect("valid");
    assert_eq!(
        op,
        Operation::CreateEmailIdentity {
            identity: "shop.example".into()
        }
    );
    let op = create_email_identity(br#"{"EmailIdentity":"ann@example.org"}"#).expect("valid");
    assert_eq!(
        op,
        Operation::CreateEmailIdentity {
            identity: "ann@example.org".into()
        }
    );
}

#[test]
fn create_refuses_missing_and_malformed_identities() {
    let (code, text) = err(create_email_identity(b"{}"));
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(
        text,
        "1 validation error detected: Value null at 'emailIdentity' failed to satisfy constraint: Member must not be null"
    );
    let (code, text) = err(create_email_identity(
        br#"{"EmailIdentity":"a b@example.org"}"#,
    ));
    assert_eq!(code, ErrorCode::InvalidParameterValue);
    assert_eq!(text, "Local address contains control or whitespace");
    let (_, text) = err(create_email_identity(
        br#"{"EmailIdentity":"Ann <ann@example.org>"}"#,
    ));
    assert_eq!(text, "Invalid email address Ann <ann@example.org>.");
    let (_, text) = err(create_email_identity(
        br#"{"EmailIdentity":"bad_domain.example"}"#,
    ));
    assert_eq!(text, "Invalid domain name bad_domain.example.");
    let (code, _) = err(create_email_identity(b"not json"));
    assert_eq!(code, ErrorCode::ValidationError);
}

#[test]
fn get_and_delete_take_the_decoded_label() {
    assert_eq!(
        get_email_identity("ann@example.org").expect("valid"),
        Operation::GetEmailIdentity {
            identity: "ann@example.org".into()
        }
    );
    assert_eq!(
        delete_email_identity("shop.example").expect("valid"),
        Operation::DeleteEmailIdentity {
            identity: "shop.example".into()
        }
    );
    let (code, _) = err(get_email_identity(""));
    assert_eq!(code.v2_code(), "BadRequestException");
    assert_eq!(get_account(), Operation::GetAccount);
}

#[test]
fn list_reads_next_token_and_page_size() {
    assert_eq!(
        list_email_identities(None).expect("valid"),
        Operation::ListEmailIdentities {
            next_token: None,
            page_size: None
        }
    );
    assert_eq!(
        list_email_identities(Some("PageSize=1000&NextToken=abc%3D%3D&Other=x")).expect("valid"),
        Operation::ListEmailIdentities {
            next_token: Some("abc==".into()),
            page_size: Some(1000)
        }
    );
    assert_eq!(
        list_email_identities(Some("PageSize=1")).expect("valid"),
        Operation::ListEmailIdentities {
            next_token: None,
            page_size: Some(1)
        }
    );
}

#[test]
fn list_refuses_page_sizes_out_of_range() {
    for bad in ["0", "1001", "-1"] {
        let (code, text) = err(list_email_identities(Some(&format!("PageSize={bad}"))));
        assert_eq!(code.v2_code(), "BadRequestException", "{bad}");
        assert!(
            text.starts_with(&format!("Invalid PageSize {bad}")),
            "{text}"
        );
    }
    let (code, text) = err(list_email_identities(Some("PageSize=ten")));
    assert_eq!(code, ErrorCode::ValidationError);
    assert_eq!(text, "Invalid PageSize ten: it must be an integer.");
}

#[test]
fn list_email_identities_json_body_of_newer_sdks() {
    use bounceguard_core::Operation;
    use bounceguard_wire::ses_v2::list_email_identities_json;
    assert_eq!(
        list_email_identities_json(br#"{"NextToken":"abc","PageSize":2,"Filter":{"K":"V"}}"#)
            .expect("valid"),
        Operation::ListEmailIdentities {
            next_token: Some("abc".into()),
            page_size: Some(2)
        }
    );
    assert_eq!(
        list_email_identities_json(b"").expect("empty body"),
        Operation::ListEmailIdentities {
            next_token: None,
            page_size: None
        }
    );
    let e = list_email_identities_json(br#"{"PageSize":0}"#).expect_err("zero");
    assert_eq!(
        e.message,
        "Invalid PageSize 0: it must be between 1 and 1000."
    );
    assert!(list_email_identities_json(b"{").is_err());
}
