//! Replays the case table in `tests/fixtures/cases.json` (see its `about` for the format).
//!
//! Each case is parsed, evaluated with [`evaluate`] (full trace) and [`decide`] (fast path),
//! and checked against its expected decision, reason, deciding statement and condition results.
//! All failures are collected and reported together.

use bounceguard_policy::{Policy, Reason, RequestContext, decide, evaluate};
use serde_json::{Map, Value};

const FIXTURE: &str = include_str!("fixtures/cases.json");

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).expect("serializable"),
    }
}

fn run_case(case: &Value, defaults: &Value) -> Result<(), String> {
    let identity = case
        .get("identity")
        .or_else(|| defaults.get("identity"))
        .and_then(Value::as_str)
        .ok_or("no identity")?;
    let owner = defaults["owner"].as_str().ok_or("no owner")?;

    let mut request: Map<String, Value> = defaults["request"]
        .as_object()
        .cloned()
        .ok_or("no defaults.request")?;
    request.insert("identity_arn".into(), identity.into());
    if let Some(overrides) = case.get("request").and_then(Value::as_object) {
        for (k, v) in overrides {
            request.insert(k.clone(), v.clone());
        }
    }
    let ctx: RequestContext =
        serde_json::from_value(Value::Object(request)).map_err(|e| format!("bad request: {e}"))?;

    let named: Vec<(String, String)> = match (case.get("policy"), case.get("policies")) {
        (Some(doc), None) => vec![("p".to_owned(), text(doc))],
        (None, Some(Value::Array(list))) => list
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("p").to_owned(),
                    text(&p["document"]),
                )
            })
            .collect(),
        _ => return Err("needs exactly one of policy / policies".into()),
    };
    let policies: Vec<Policy> = named
        .iter()
        .map(|(name, doc)| {
            Policy::parse(name, doc, identity).map_err(|e| format!("policy {name} refused: {e}"))
        })
        .collect::<Result<_, _>>()?;

    let eval = evaluate(&policies, &ctx, owner);
    let fast = decide(&policies, &ctx, owner);
    if eval.outcome() != fast {
        return Err(format!(
            "decide {fast:?} differs from evaluate {:?}",
            eval.outcome()
        ));
    }

    let expect = &case["expect"];
    let want_decision = expect["decision"].as_str().ok_or("no expect.decision")?;
    if eval.decision.to_string() != want_decision {
        return Err(format!(
            "decision {} (reason: {}), expected {want_decision}",
            eval.decision, eval.reason
        ));
    }
    let (kind, stmt) = match eval.reason {
        Reason::ExplicitDeny(s) => ("ExplicitDeny", Some(s)),
        Reason::ExplicitAllow(s) => ("ExplicitAllow", Some(s)),
        Reason::SameAccount => ("SameAccount", None),
        Reason::ImplicitDeny => ("ImplicitDeny", None),
    };
    let want_reason = expect["reason"].as_str().ok_or("no expect.reason")?;
    if kind != want_reason {
        return Err(format!("reason {}, expected {want_reason}", eval.reason));
    }
    if let Some(sid) = expect.get("sid").and_then(Value::as_str)
        && stmt.and_then(|s| s.sid) != Some(sid)
    {
        return Err(format!("reason {}, expected Sid {sid}", eval.reason));
    }
    if let Some(index) = expect.get("statement").and_then(Value::as_u64)
        && stmt.map(|s| s.statement as u64) != Some(index)
    {
        return Err(format!(
            "reason {}, expected statement {index}",
            eval.reason
        ));
    }
    if let Some(policy) = expect.get("policy").and_then(Value::as_str)
        && stmt.map(|s| s.policy) != Some(policy)
    {
        return Err(format!("reason {}, expected policy {policy}", eval.reason));
    }
    if let Some(conditions) = expect.get("conditions").and_then(Value::as_object) {
        let index = expect.get("statement").and_then(Value::as_u64).unwrap_or(0) as usize;
        let traced = &eval.trace[0].statements[index].conditions;
        for (name, want) in conditions {
            let got = traced
                .iter()
                .find(|c| format!("{} {}", c.operator, c.key) == *name)
                .ok_or_else(|| format!("no condition '{name}' in statement {index}"))?;
            if Some(got.matched) != want.as_bool() {
                return Err(format!(
                    "condition '{name}' matched={}, expected {want}",
                    got.matched
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn case_table() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("cases.json is JSON");
    let cases = fixture["cases"].as_array().expect("cases array");
    assert!(
        cases.len() >= 60,
        "the table must keep at least 60 cases, has {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        if let Err(e) = run_case(case, &fixture["defaults"]) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_names_its_source() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("cases.json is JSON");
    for case in fixture["cases"].as_array().expect("cases array") {
        let source = case["source"].as_str().unwrap_or("");
        assert!(!source.is_empty(), "case {} has no source", case["name"]);
    }
}
