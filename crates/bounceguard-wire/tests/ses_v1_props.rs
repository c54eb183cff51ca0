//! Properties of the v1 decoder: it never panics, whatever the bytes, and what a form serializer
//! writes is what the parser reads.

use bounceguard_core::{Operation, SendAction};
use bounceguard_wire::ses_v1::{Action, QueryParams, decode, encode_error};
use proptest::prelude::*;

/// Parameter names the decoder looks at, so random pairs reach deep code paths.
const NAMES: &[&str] = &[
    "Action",
    "Version",
    "Source",
    "Destination.ToAddresses",
    "Destination.ToAddresses.member.1",
    "Destination.ToAddresses.member.2",
    "Destination.CcAddresses.member.1",
    "Destination.BccAddresses",
    "Destination.BccAddresses.member.1",
    "Message.Subject.Data",
    "Message.Subject.Charset",
    "Message.Body.Text.Data",
    "Message.Body.Html.Data",
    "Message.Body.Html.Charset",
    "ReplyToAddresses.member.1",
    "ReturnPath",
    "Tags.member.1.Name",
    "Tags.member.1.Value",
    "Tags.member.2.Name",
    "RawMessage.Data",
    "Destinations.member.1",
    "Destinations",
    "EmailAddress",
    "Domain",
    "Identity",
    "Identities.member.1",
    "Identities",
    "IdentityType",
    "MaxItems",
    "NextToken",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(NAMES).prop_map(str::to_string),
        1 => "[A-Za-z.]{0,12}(member|entry)?\\.[0-9x]{0,3}",
        1 => any::<String>(),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => proptest::sample::select(
            Action::ALL.iter().map(|a| a.name()).chain(["2010-12-01", "a@x.org", "Ann <a@x.org>", "aGk=", "", "0", "1000", "Domain"]).collect::<Vec<_>>()
        ).prop_map(str::to_string),
        1 => "[a-z@.<> +%=&]{0,16}",
        1 => any::<String>(),
    ]
}

fn encode(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// Every error must still be answerable as XML a client can parse.
fn assert_error_is_well_formed(err: &bounceguard_core::SesError) {
    let xml = encode_error(err, "r");
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("error XML not well-formed: {e}\n{xml}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = decode(&body) {
            assert_error_is_well_formed(&e);
        }
    }

    #[test]
    fn decode_never_panics_on_pairs(
        action in proptest::sample::select(Action::ALL.to_vec()),
        pairs in proptest::collection::vec((name(), value()), 0..24),
    ) {
        let mut all = vec![("Action".to_string(), action.name().to_string())];
        all.extend(pairs);
        match decode(&encode(&all)) {
            Ok(Operation::Send(request)) => {
                if request.action == SendAction::SendEmail {
                    prop_assert!((1..=50).contains(&request.recipients.len()));
                }
            }
            Ok(Operation::ListIdentities { max_items: Some(n), .. }) => {
                prop_assert!((1..=1000).contains(&n));
            }
            Ok(_) => {}
            Err(e) => assert_error_is_well_formed(&e),
        }
    }

    #[test]
    fn parser_reads_what_a_serializer_writes(
        pairs in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..16),
    ) {
        let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| !k.is_empty()).collect();
        let params = QueryParams::parse(&encode(&pairs)).expect("serializer output parses");
        for (k, v) in &pairs {
            prop_assert_eq!(params.optional(k).expect("single"), Some(v.as_str()));
        }
    }

    #[test]
    fn list_comes_back_in_order_whatever_the_wire_order(
        items in proptest::collection::vec(any::<String>(), 1..30),
        seed in any::<u64>(),
    ) {
        let mut pairs: Vec<(String, String)> = items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("L.member.{}", i + 1), v.clone()))
            .collect();
        // A deterministic shuffle driven by the seed.
        let n = pairs.len();
        let mut state = seed | 1;
        for i in (1..n).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            pairs.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let params = QueryParams::parse(&encode(&pairs)).expect("parses");
        let list = params.list("L").expect("valid").expect("present");
        prop_assert_eq!(list, items.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
