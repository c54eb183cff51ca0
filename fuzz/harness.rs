//! The checks the fuzz targets run on each input, shared with the wire crate's corpus replay
//! test (`crates/bounceguard-wire/tests/fuzz_corpus.rs` includes this file), so `cargo test`
//! runs every corpus file through exactly the code the fuzzer ran.
//!
//! Beyond "does not panic", each input checks invariants: every error can be encoded as
//! well-formed XML (error texts quote client input), a decoded SendEmail has 1–50 recipients,
//! and a raw message decoded through the form is byte-for-byte the one given, with the same
//! outcome as calling `mime::raw_send` directly.

#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bounceguard_core::{ApiVersion, Content, Operation, SendAction, SesError};
use bounceguard_wire::mime::{self, RawSendParams};
use bounceguard_wire::ses_v1;

/// Arbitrary bytes as a whole v1 request body.
pub fn ses_v1_query(data: &[u8]) {
    match ses_v1::decode_request(data) {
        Ok(request) => {
            check_operation(&request.operation);
            // Whatever was decoded, a success answer for it must be well-formed too.
            let xml = ses_v1::encode_output(
                request.action.name(),
                &bounceguard_core::Output::Empty,
                "fuzz",
            );
            assert_well_formed(&xml);
        }
        Err(err) => assert_error_encodes(&err),
    }
}

/// Arbitrary bytes as a raw MIME message: through a SendRawEmail form, and straight into
/// `mime::raw_send`; both must agree.
pub fn send_raw_email(data: &[u8]) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", "SendRawEmail");
    form.append_pair("Version", "2010-12-01");
    form.append_pair("RawMessage.Data", &STANDARD.encode(data));
    let body = form.finish();

    let via_form = ses_v1::decode(body.as_bytes());
    let direct = mime::raw_send(
        ApiVersion::V1,
        bytes::Bytes::copy_from_slice(data),
        RawSendParams::default(),
    );
    match (&via_form, &direct) {
        (Ok(Operation::Send(request)), Ok(direct)) => {
            assert_eq!(request.as_ref(), direct, "form and direct raw send differ");
            assert_eq!(request.action, SendAction::SendRawEmail);
            assert_eq!(
                request.content,
                Content::Raw(bytes::Bytes::copy_from_slice(data))
            );
            assert!(
                (1..=50).contains(&request.recipients.len()),
                "{} recipients",
                request.recipients.len()
            );
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "form and direct raw send fail differently");
            assert_error_encodes(a);
        }
        _ => panic!("form gave {via_form:?}, direct gave {direct:?}"),
    }
}

fn check_operation(operation: &Operation) {
    match operation {
        Operation::Send(request) => {
            assert_eq!(request.api, ApiVersion::V1);
            if request.action == SendAction::SendEmail {
                assert!(
                    (1..=50).contains(&request.recipients.len()),
                    "{} recipients",
                    request.recipients.len()
                );
            }
        }
        Operation::ListIdentities {
            max_items: Some(n), ..
        } => assert!((1..=1000).contains(n)),
        Operation::GetIdentityVerificationAttributes { identities } => {
            assert!(identities.len() <= ses_v1::MAX_VERIFICATION_IDENTITIES);
        }
        _ => {}
    }
}

fn assert_error_encodes(err: &SesError) {
    let xml = ses_v1::encode_error(err, "fuzz");
    assert_well_formed(&xml);
}

fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("XML not well-formed: {e}\n{xml}"),
        }
    }
}
