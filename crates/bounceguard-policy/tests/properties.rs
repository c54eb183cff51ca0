//! Property tests over random policy sets and requests built from a menu of statement parts:
//! an applying explicit Deny always wins, and neither statement order nor policy order changes
//! the decision (or the kind of reason).

use std::net::IpAddr;

use bounceguard_policy::{Decision, Policy, Reason, RequestContext, decide, evaluate};
use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{Value, json};

const ID: &str = "arn:aws:ses:eu-west-1:111122223333:identity/shop.example";
const OWNER: &str = "111122223333";

fn principals() -> Vec<(&'static str, Value)> {
    vec![
        ("Principal", json!("*")),
        ("Principal", json!({"AWS": "444455556666"})),
        (
            "Principal",
            json!({"AWS": "arn:aws:iam::444455556666:user/intern"}),
        ),
        (
            "Principal",
            json!({"AWS": ["111122223333", "arn:aws:iam::444455556666:role/sender"]}),
        ),
        ("Principal", json!({"Service": "cognito-idp.amazonaws.com"})),
        (
            "NotPrincipal",
            json!({"AWS": ["arn:aws:iam::444455556666:user/bob", "444455556666"]}),
        ),
    ]
}

fn actions() -> Vec<(&'static str, Value)> {
    vec![
        ("Action", json!("ses:SendEmail")),
        ("Action", json!(["ses:SendEmail", "ses:SendRawEmail"])),
        ("Action", json!("ses:Send*")),
        ("Action", json!("*")),
        ("NotAction", json!("ses:SendRawEmail")),
    ]
}

fn conditions() -> Vec<Option<Value>> {
    vec![
        None,
        Some(json!({"ForAnyValue:StringLike": {"ses:Recipients": "*@example.com"}})),
        Some(json!({"ForAllValues:StringLike": {"ses:Recipients": ["*@partner.example"]}})),
        Some(json!({"StringLike": {"ses:FromAddress": "invoices*@shop.example"}})),
        Some(json!({"StringNotEquals": {"ses:FromDisplayName": "Shop"}})),
        Some(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
        Some(json!({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}})),
        Some(json!({"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}})),
        Some(json!({"Bool": {"aws:SecureTransport": false}})),
        Some(json!({"Null": {"ses:Recipients": "false"}, "NumericEquals": {"ses:ApiVersion": 2}})),
        Some(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:cognito-idp:*:111122223333:userpool/*"}}),
        ),
    ]
}

/// One statement from indices into the menus.
fn statement(deny: bool, p: usize, a: usize, c: usize) -> Value {
    let (pk, pv) = principals().swap_remove(p);
    let (ak, av) = actions().swap_remove(a);
    let mut s = json!({
        "Effect": if deny { "Deny" } else { "Allow" },
        "Resource": ID,
    });
    s[pk] = pv;
    s[ak] = av;
    if let Some(cond) = conditions().swap_remove(c) {
        s["Condition"] = cond;
    }
    s
}

fn arb_statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        0..principals().len(),
        0..actions().len(),
        0..conditions().len(),
    )
        .prop_map(|(d, p, a, c)| statement(d, p, a, c))
}

/// Policy sets as lists of statement lists (1–3 policies of 1–4 statements).
fn arb_policy_set() -> impl Strategy<Value = Vec<Vec<Value>>> {
    prop::collection::vec(prop::collection::vec(arb_statement(), 1..5), 1..4)
}

fn arb_request() -> impl Strategy<Value = RequestContext> {
    let callers = prop::sample::select(vec![
        ("arn:aws:iam::111122223333:user/app", "111122223333", false),
        (
            "arn:aws:iam::444455556666:user/intern",
            "444455556666",
            false,
        ),
        ("arn:aws:iam::444455556666:user/bob", "444455556666", false),
        (
            "arn:aws:sts::444455556666:assumed-role/sender/s1",
            "444455556666",
            false,
        ),
        ("arn:aws:iam::999988887777:user/x", "999988887777", false),
        ("cognito-idp.amazonaws.com", "", true),
    ]);
    let recipients = prop::collection::vec(
        prop::sample::select(vec![
            "a@example.com",
            "b@partner.example",
            "c@shop.example",
            "D@EXAMPLE.COM",
        ]),
        0..4,
    );
    (
        callers,
        recipients,
        prop::sample::select(vec!["invoices@shop.example", "news@shop.example", ""]),
        prop::option::of(prop::sample::select(vec!["Shop", "Other"])),
        prop::option::of(prop::sample::select(vec![
            "203.0.113.9",
            "198.51.100.1",
            "2001:db8::1",
        ])),
        1_600_000_000i64..1_800_000_000,
        any::<bool>(),
        prop::sample::select(vec![
            "ses:SendEmail",
            "ses:SendRawEmail",
            "ses:GetSendQuota",
        ]),
        prop::sample::select(vec!["1", "2"]),
        prop::option::of(prop::sample::select(vec![
            "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/p",
            "arn:aws:cognito-idp:eu-west-1:999988887777:userpool/p",
        ])),
    )
        .prop_map(
            |((arn, acct, svc), rcpts, from, name, ip, secs, tls, action, api, source_arn)| {
                RequestContext {
                    action: action.to_owned(),
                    principal_arn: arn.to_owned(),
                    principal_account: acct.to_owned(),
                    service_principal: svc.then(|| arn.to_owned()),
                    identity_arn: ID.to_owned(),
                    recipients: rcpts.into_iter().map(str::to_owned).collect(),
                    from_address: from.to_owned(),
                    from_display_name: name.map(str::to_owned),
                    feedback_address: None,
                    api_version: api.to_owned(),
                    source_ip: ip.and_then(|s| s.parse::<IpAddr>().ok()),
                    current_time: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
                    secure_transport: tls,
                    user_agent: None,
                    source_account: None,
                    source_arn: source_arn.map(str::to_owned),
                    principal_org_id: None,
                }
            },
        )
}

fn compile(set: &[Vec<Value>]) -> Vec<Policy> {
    set.iter()
        .enumerate()
        .map(|(i, statements)| {
            let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
            Policy::parse(&format!("p{i}"), &doc, ID).expect("menu statements are valid")
        })
        .collect()
}

fn reason_kind(r: &Reason<'_>) -> &'static str {
    match r {
        Reason::ExplicitDeny(_) => "ExplicitDeny",
        Reason::ExplicitAllow(_) => "ExplicitAllow",
        Reason::SameAccount => "SameAccount",
        Reason::ImplicitDeny => "ImplicitDeny",
    }
}

/// A deterministic Fisher–Yates shuffle driven by `seed`.
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (*seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

/// A Deny statement built to apply to `ctx`: its own action, everyone, and a condition the
/// request satisfies (picked by `flavour`).
fn matching_deny(ctx: &RequestContext, flavour: u8) -> Value {
    let condition = match flavour % 4 {
        0 => None,
        1 => Some(json!({"StringEquals": {"ses:ApiVersion": ctx.api_version}})),
        2 => Some(json!({"Bool": {"aws:SecureTransport": ctx.secure_transport}})),
        _ => Some(json!({"ForAllValues:StringLike": {"ses:Recipients": "*"}})),
    };
    let mut s = json!({"Effect": "Deny", "Principal": "*", "Action": ctx.action, "Resource": ID});
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn an_applying_explicit_deny_always_wins(
        mut set in arb_policy_set(),
        ctx in arb_request(),
        flavour in any::<u8>(),
        policy_slot in any::<prop::sample::Index>(),
        statement_slot in any::<prop::sample::Index>(),
    ) {
        let deny = matching_deny(&ctx, flavour);
        let p = policy_slot.index(set.len());
        let at = statement_slot.index(set[p].len() + 1);
        set[p].insert(at, deny);
        let policies = compile(&set);
        let eval = evaluate(&policies, &ctx, OWNER);
        prop_assert_eq!(eval.decision, Decision::Deny);
        prop_assert!(matches!(eval.reason, Reason::ExplicitDeny(_)), "{}", eval.reason);
        prop_assert_eq!(decide(&policies, &ctx, OWNER), eval.outcome());
    }

    #[test]
    fn order_of_statements_and_policies_never_changes_the_decision(
        set in arb_policy_set(),
        ctx in arb_request(),
        mut seed in any::<u64>(),
    ) {
        let before = compile(&set);
        let want = evaluate(&before, &ctx, OWNER);
        let mut shuffled = set.clone();
        for statements in &mut shuffled {
            shuffle(statements, &mut seed);
        }
        shuffle(&mut shuffled, &mut seed);
        let after = compile(&shuffled);
        let got = evaluate(&after, &ctx, OWNER);
        prop_assert_eq!(got.decision, want.decision);
        prop_assert_eq!(reason_kind(&got.reason), reason_kind(&want.reason));
        prop_assert_eq!(decide(&after, &ctx, OWNER), got.outcome());
    }
}
