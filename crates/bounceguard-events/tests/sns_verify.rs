//! SNS envelope parsing and signature verification (ses-spec §7.2) with a self-made certificate
//! configured as trusted (tests/fixtures/sns/README.md). SignatureVersion 2 messages are signed
//! here with the fixture key; SignatureVersion 1 ones were signed once with the openssl CLI.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use bounceguard_events::{
    CertFetcher, EventDetail, FetchError, FetchFuture, NoFetch, SesEvent, SnsError, SnsMessageType,
    SnsVerifier, check_signing_cert_url, parse_envelope,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const TRUSTED_URL: &str = "https://certs.test.invalid/SimpleNotificationService-test.pem";
const AWS_URL: &str = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem";

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).expect("fixture is JSON")
}

/// Runs a future that never waits for I/O (all fetchers here answer at once).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A fetcher that serves fixed PEM bytes (or an error) and counts the calls.
struct CountingFetcher {
    calls: AtomicUsize,
    urls: Mutex<Vec<String>>,
    answer: Result<Vec<u8>, FetchError>,
}

impl CountingFetcher {
    fn new(answer: Result<Vec<u8>, FetchError>) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            urls: Mutex::new(Vec::new()),
            answer,
        })
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl CertFetcher for CountingFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut urls) = self.urls.lock() {
            urls.push(url.to_owned());
        }
        let answer = self.answer.clone();
        Box::pin(async move { answer })
    }
}

fn trusted_verifier(fetcher: Arc<CountingFetcher>) -> SnsVerifier {
    SnsVerifier::new(fetcher)
        .with_trusted_cert(TRUSTED_URL, &fixture_bytes("sns/cert.pem"))
        .expect("fixture cert parses")
}

/// The canonical string, written out from ses-spec §7.2 independently of the crate.
fn string_to_sign(v: &Value) -> String {
    let fields: &[&str] = if v["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    let mut out = String::new();
    for name in fields {
        if let Some(value) = v.get(*name).and_then(Value::as_str) {
            out.push_str(&format!("{name}\n{value}\n"));
        }
    }
    out
}

/// Signs `v` as SignatureVersion 2 with the fixture key and sets the signature fields.
fn sign_v2(mut v: Value, cert_url: &str) -> Value {
    let key = RsaKeyPair::from_pkcs8(&fixture_bytes("sns/key.pk8.der")).expect("fixture key");
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        string_to_sign(&v).as_bytes(),
        &mut sig,
    )
    .expect("signs");
    v["SignatureVersion"] = json!("2");
    v["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(sig));
    v["SigningCertURL"] = json!(cert_url);
    v
}

fn notification(subject: Option<&str>) -> Value {
    let mut v = json!({
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-events",
        "Message": String::from_utf8(fixture_bytes("ses/send-event-publishing.json")).expect("utf-8"),
        "Timestamp": "2024-01-15T10:30:06.000Z",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
    });
    if let Some(subject) = subject {
        v["Subject"] = json!(subject);
    }
    v
}

fn confirmation(kind: &str) -> Value {
    json!({
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b3",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-events",
        "Message": "You have chosen to subscribe to the topic.\nTo confirm, visit the SubscribeURL.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:111122223333:ses-events&Token=2336412f37",
        "Timestamp": "2024-01-15T09:00:00.000Z"
    })
}

fn verify(verifier: &SnsVerifier, v: &Value) -> Result<(), SnsError> {
    let envelope = parse_envelope(v.to_string().as_bytes())?;
    block_on(verifier.verify(&envelope))
}

#[test]
fn v1_notification_fixture_verifies_and_carries_the_ses_event() {
    let fetcher = CountingFetcher::new(Err(FetchError("no".into())));
    let verifier = trusted_verifier(fetcher.clone());
    let body = fixture_bytes("sns/notification-v1.json");
    let envelope = parse_envelope(&body).expect("parses");
    assert_eq!(envelope.message_type, SnsMessageType::Notification);
    assert_eq!(envelope.message_id, "6c3f1c3e-1a2b-5c4d-8e9f-0a1b2c3d4e5f");
    assert_eq!(
        envelope.subject.as_deref(),
        Some("Amazon SES Email Event Notification")
    );
    assert_eq!(envelope.signature_version.as_deref(), Some("1"));
    assert_eq!(block_on(verifier.verify(&envelope)), Ok(()));
    // The Message is the unescaped SES JSON.
    let event = SesEvent::from_json(&envelope.message).expect("SES event");
    assert!(matches!(event.detail, EventDetail::Bounce(_)));
    assert_eq!(fetcher.calls(), 0, "a trusted certificate is never fetched");
}

#[test]
fn v1_subscription_confirmation_fixture_verifies() {
    let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
    let v = fixture_json("sns/subscription-v1.json");
    let envelope = parse_envelope(v.to_string().as_bytes()).expect("parses");
    assert_eq!(
        envelope.message_type,
        SnsMessageType::SubscriptionConfirmation
    );
    assert!(
        envelope
            .subscribe_url
            .as_deref()
            .is_some_and(|u| u.contains("ConfirmSubscription"))
    );
    assert_eq!(block_on(verifier.verify(&envelope)), Ok(()));
    assert_eq!(verifier.verify_cached(&envelope), Some(Ok(())));
}

#[test]
fn v2_messages_of_every_type_verify() {
    let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
    let messages = [
        notification(Some("Amazon SES Email Event Notification")),
        notification(None),
        confirmation("SubscriptionConfirmation"),
        confirmation("UnsubscribeConfirmation"),
    ];
    for message in messages {
        let signed = sign_v2(message, TRUSTED_URL);
        assert_eq!(verify(&verifier, &signed), Ok(()), "{signed}");
    }
}

#[test]
fn string_to_sign_matches_the_spec_rule() {
    let v = notification(Some("Hi"));
    let envelope = parse_envelope(v.to_string().as_bytes()).expect("parses");
    assert_eq!(envelope.string_to_sign(), string_to_sign(&v));
    assert!(envelope.string_to_sign().ends_with("Type\nNotification\n"));
    let c = confirmation("UnsubscribeConfirmation");
    let envelope = parse_envelope(c.to_string().as_bytes()).expect("parses");
    assert_eq!(envelope.string_to_sign(), string_to_sign(&c));
}

#[test]
fn tampering_any_signed_field_is_refused() {
    let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
    let v2 = sign_v2(
        notification(Some("Amazon SES Email Event Notification")),
        TRUSTED_URL,
    );
    let v1 = fixture_json("sns/notification-v1.json");
    for signed in [v2, v1] {
        assert_eq!(verify(&verifier, &signed), Ok(()));
        for field in ["Message", "MessageId", "Subject", "Timestamp", "TopicArn"] {
            let mut tampered = signed.clone();
            let old = tampered[field].as_str().expect("string field").to_owned();
            tampered[field] = json!(format!("{old}x"));
            assert_eq!(
                verify(&verifier, &tampered),
                Err(SnsError::BadSignature),
                "{field}"
            );
        }
        let mut no_subject = signed.clone();
        no_subject
            .as_object_mut()
            .expect("object")
            .remove("Subject");
        assert_eq!(verify(&verifier, &no_subject), Err(SnsError::BadSignature));
        // Fields outside the signature may change.
        let mut unsub = signed.clone();
        unsub["UnsubscribeURL"] = json!("https://elsewhere.invalid/");
        assert_eq!(verify(&verifier, &unsub), Ok(()));
        // A v2 signature presented as v1 (and vice versa) does not verify.
        let mut version = signed.clone();
        let other = if signed["SignatureVersion"] == "1" {
            "2"
        } else {
            "1"
        };
        version["SignatureVersion"] = json!(other);
        assert_eq!(verify(&verifier, &version), Err(SnsError::BadSignature));
    }
    let mut confirmation = sign_v2(confirmation("SubscriptionConfirmation"), TRUSTED_URL);
    confirmation["SubscribeURL"] =
        json!("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=evil");
    assert_eq!(
        verify(&verifier, &confirmation),
        Err(SnsError::BadSignature)
    );
}

#[test]
fn a_signature_from_another_key_is_refused() {
    let verifier = SnsVerifier::new(Arc::new(NoFetch))
        .with_trusted_cert(TRUSTED_URL, &fixture_bytes("sns/other-cert.pem"))
        .expect("cert");
    let signed = sign_v2(notification(None), TRUSTED_URL);
    assert_eq!(verify(&verifier, &signed), Err(SnsError::BadSignature));
    let mut garbage = signed.clone();
    garbage["Signature"] = json!("not base64!!");
    assert_eq!(verify(&verifier, &garbage), Err(SnsError::BadSignature));
}

#[test]
fn unsigned_messages_are_refused() {
    let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
    let signed = sign_v2(notification(None), TRUSTED_URL);
    for field in ["Signature", "SignatureVersion", "SigningCertURL"] {
        let mut unsigned = signed.clone();
        unsigned.as_object_mut().expect("object").remove(field);
        assert_eq!(
            verify(&verifier, &unsigned),
            Err(SnsError::Unsigned),
            "{field}"
        );
    }
    let mut empty = signed.clone();
    empty["Signature"] = json!("");
    assert_eq!(verify(&verifier, &empty), Err(SnsError::Unsigned));
    let mut v3 = signed;
    v3["SignatureVersion"] = json!("3");
    assert_eq!(
        verify(&verifier, &v3),
        Err(SnsError::UnsupportedSignatureVersion("3".into()))
    );
}

#[test]
fn a_foreign_cert_url_is_refused_without_fetching() {
    let fetcher = CountingFetcher::new(Ok(fixture_bytes("sns/cert.pem")));
    let verifier = trusted_verifier(fetcher.clone());
    for url in [
        "https://evil.example/SimpleNotificationService-1.pem",
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.example/x.pem",
        "https://169.254.169.254/latest/meta-data.pem",
    ] {
        let signed = sign_v2(notification(None), url);
        assert_eq!(
            verify(&verifier, &signed),
            Err(SnsError::ForeignCertUrl(url.to_owned())),
            "{url}"
        );
    }
    assert_eq!(fetcher.calls(), 0, "no fetch for a foreign URL");
}

#[test]
fn an_aws_cert_url_is_fetched_once_and_cached() {
    let fetcher = CountingFetcher::new(Ok(fixture_bytes("sns/cert.pem")));
    let verifier = SnsVerifier::new(fetcher.clone());
    let signed = sign_v2(notification(None), AWS_URL);
    let envelope = parse_envelope(signed.to_string().as_bytes()).expect("parses");
    assert_eq!(verifier.verify_cached(&envelope), None, "not cached yet");
    assert_eq!(block_on(verifier.verify(&envelope)), Ok(()));
    assert_eq!(block_on(verifier.verify(&envelope)), Ok(()));
    assert_eq!(verifier.verify_cached(&envelope), Some(Ok(())));
    assert_eq!(fetcher.calls(), 1);
    assert_eq!(verifier.cached_count(), 1);
    assert_eq!(
        fetcher.urls.lock().expect("lock").as_slice(),
        [AWS_URL.to_owned()]
    );
}

#[test]
fn fetch_failures_and_bad_certificates_are_reported_and_not_cached() {
    let signed = sign_v2(notification(None), AWS_URL);
    let failing = CountingFetcher::new(Err(FetchError("timeout".into())));
    let verifier = SnsVerifier::new(failing.clone());
    assert_eq!(
        verify(&verifier, &signed),
        Err(SnsError::CertFetch("timeout".into()))
    );
    let garbage = CountingFetcher::new(Ok(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
    ));
    let verifier = SnsVerifier::new(garbage.clone());
    assert!(matches!(
        verify(&verifier, &signed),
        Err(SnsError::BadCertificate(_))
    ));
    assert_eq!(verifier.cached_count(), 0);
    assert!(matches!(
        SnsVerifier::new(Arc::new(NoFetch)).with_trusted_cert("x", b"nope"),
        Err(SnsError::BadCertificate(_))
    ));
    // SNS signs with RSA; a certificate with another key type is refused up front.
    assert!(matches!(
        SnsVerifier::new(Arc::new(NoFetch)).with_trusted_cert("x", &fixture_bytes("sns/ec-cert.pem")),
        Err(SnsError::BadCertificate(m)) if m.contains("RSA")
    ));
}

#[test]
fn signing_cert_url_rule() {
    let ok = [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.us-gov-west-1.amazonaws.com/a.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
        "https://sns.us-east-1.amazonaws.com:443/a.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM/a.pem",
    ];
    for url in ok {
        assert_eq!(check_signing_cert_url(url), Ok(()), "{url}");
    }
    let refused = [
        "http://sns.us-east-1.amazonaws.com/a.pem",
        "https://sns.us-east-1.amazonaws.com:8443/a.pem",
        "https://user@sns.us-east-1.amazonaws.com/a.pem",
        "https://user:pw@sns.us-east-1.amazonaws.com/a.pem",
        "https://sns.us-east-1.amazonaws.com/a.pem?x=1",
        "https://sns.us-east-1.amazonaws.com/a.pem#f",
        "https://sns.us-east-1.amazonaws.com/a.txt",
        "https://sns.us-east-1.amazonaws.com/",
        "https://sns.amazonaws.com/a.pem",
        "https://sns..amazonaws.com/a.pem",
        "https://sns.evil.example.amazonaws.com/a.pem",
        "https://sns.us-east-1.amazonaws.com./a.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/a.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/a.pem",
        "https://s3.us-east-1.amazonaws.com/a.pem",
        "https://sns.us-east-1-.amazonaws.com/a.pem",
        "https://sns.1us.amazonaws.com/a.pem",
        "https://54.239.0.1/a.pem",
        "https://[::1]/a.pem",
        "sns.us-east-1.amazonaws.com/a.pem",
        "",
    ];
    for url in refused {
        assert_eq!(
            check_signing_cert_url(url),
            Err(SnsError::ForeignCertUrl(url.to_owned())),
            "{url}"
        );
    }
}

#[test]
fn unparsable_envelopes_are_told_apart_from_unsigned_ones() {
    for body in [
        &b"not json"[..],
        b"{}",
        br#"{"Type":"Other","MessageId":"1","TopicArn":"a","Message":"m","Timestamp":"t"}"#,
        br#"{"Type":"Notification","TopicArn":"a","Message":"m","Timestamp":"t"}"#,
    ] {
        assert!(
            matches!(parse_envelope(body), Err(SnsError::Unparsable(_))),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let mut no_token = confirmation("SubscriptionConfirmation");
    no_token.as_object_mut().expect("object").remove("Token");
    assert!(matches!(
        parse_envelope(no_token.to_string().as_bytes()),
        Err(SnsError::Unparsable(m)) if m.contains("Token")
    ));
    let mut no_url = confirmation("UnsubscribeConfirmation");
    no_url
        .as_object_mut()
        .expect("object")
        .remove("SubscribeURL");
    assert!(matches!(
        parse_envelope(no_url.to_string().as_bytes()),
        Err(SnsError::Unparsable(m)) if m.contains("SubscribeURL")
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_envelope_parser(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let verifier = SnsVerifier::new(Arc::new(NoFetch));
        if let Ok(envelope) = parse_envelope(&body) {
            let _ = envelope.string_to_sign();
            let _ = verifier.verify_cached(&envelope);
        }
    }

    #[test]
    fn mutated_envelopes_never_panic_and_never_verify(
        pos in 0usize..4096,
        byte in any::<u8>(),
        trunc in 0usize..4096,
    ) {
        let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
        let original = sign_v2(notification(Some("S")), TRUSTED_URL).to_string().into_bytes();
        let mut body = original.clone();
        let pos = pos % body.len();
        body[pos] = byte;
        body.truncate(trunc.max(1).min(body.len()));
        if let Ok(envelope) = parse_envelope(&body) {
            let result = block_on(verifier.verify(&envelope));
            let same = parse_envelope(&original).expect("original parses");
            // Either the mutation left the signed content intact, or it is refused.
            if envelope.string_to_sign() != same.string_to_sign()
                || envelope.signature != same.signature
            {
                prop_assert!(result.is_err());
            }
        }
    }
}

#[test]
fn the_verifier_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let verifier = trusted_verifier(CountingFetcher::new(Err(FetchError("no".into()))));
    assert_send_sync(&verifier);
    let envelope = parse_envelope(
        sign_v2(notification(None), TRUSTED_URL)
            .to_string()
            .as_bytes(),
    )
    .expect("parses");
    let future = verifier.verify(&envelope);
    assert_send(&future);
    assert_eq!(block_on(future), Ok(()));
}
