//! Policies: per identity, its sending-authorization policies as stored, each with the lint
//! result (`bounceguard policy lint`: refused by SES, or accepted with warnings), and the
//! what-if form, which runs the identity's stored policies through the simulate API's code
//! ([`crate::policy_tool::simulate`]) for a request described in the form.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::access::Visitor;
use super::pages::{Layout, render_status, store_failure};
use crate::http::AppState;
use crate::policy_tool::{NamedDocument, parse_documents};

/// Identities listed on the page.
const MAX_IDENTITIES: u32 = 1000;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/policies", get(page))
        .route("/ui/policies/simulate", post(simulate))
}

struct PolicyView {
    name: String,
    document: String,
    /// `None`: SES accepts it; `Some(reason)`: it is refused.
    invalid: Option<String>,
    warnings: Vec<String>,
}

struct IdentityView {
    name: String,
    arn: String,
    policies: Vec<PolicyView>,
}

/// The what-if form's fields.
#[derive(Debug, Clone, Deserialize)]
struct WhatIf {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    identity: String,
    #[serde(default = "default_action")]
    action: String,
    #[serde(default)]
    principal_arn: String,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    recipients: String,
    #[serde(default = "default_api")]
    api_version: String,
}

fn default_action() -> String {
    "ses:SendEmail".into()
}

fn default_api() -> String {
    "2".into()
}

/// The evaluation shown under the form.
struct Outcome {
    decision: String,
    reason: String,
    statement: String,
    trace: String,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    layout: Layout,
    identities: Vec<IdentityView>,
    form: WhatIf,
    outcome: Option<Outcome>,
    error: Option<String>,
}

fn lint(identity_arn: &str, name: &str, document: &str) -> PolicyView {
    let pretty = serde_json::from_str::<serde_json::Value>(document)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| document.to_string());
    let named = NamedDocument {
        name: name.to_string(),
        document: document.to_string(),
    };
    let (invalid, warnings) =
        match parse_documents(std::slice::from_ref(&named), Some(identity_arn)) {
            Ok(policies) => (None, policies.iter().flat_map(|p| p.warnings()).collect()),
            Err(e) => (Some(e.error.message.clone()), Vec::new()),
        };
    PolicyView {
        name: name.to_string(),
        document: pretty,
        invalid,
        warnings,
    }
}

async fn identities(state: &AppState) -> Result<Vec<IdentityView>, bounceguard_store::StoreError> {
    let store = state.gateway.store();
    let mut out = Vec::new();
    for identity in store.list_identities(None, None, MAX_IDENTITIES).await? {
        let arn = state.gateway.config().identity_arn(&identity.name);
        let policies = store
            .list_identity_policies(&identity.name)
            .await?
            .into_iter()
            .map(|p| lint(&arn, &p.name, &p.document))
            .collect();
        out.push(IdentityView {
            name: identity.name,
            arn,
            policies,
        });
    }
    Ok(out)
}

fn empty_form(state: &AppState) -> WhatIf {
    WhatIf {
        csrf: None,
        identity: String::new(),
        action: default_action(),
        principal_arn: format!(
            "arn:aws:iam::{}:user/app",
            state.gateway.config().account_id
        ),
        from_address: String::new(),
        recipients: String::new(),
        api_version: default_api(),
    }
}

async fn page(State(state): State<AppState>, Extension(visitor): Extension<Visitor>) -> Response {
    let identities = match identities(&state).await {
        Ok(identities) => identities,
        Err(e) => return store_failure(&visitor, e),
    };
    let form = empty_form(&state);
    render_status(
        &PoliciesPage {
            layout: Layout::new("policies", &visitor),
            identities,
            form,
            outcome: None,
            error: None,
        },
        StatusCode::OK,
    )
}

/// The account of an IAM ARN (`arn:aws:iam::123456789012:user/x` → `123456789012`).
fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

async fn simulate(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<WhatIf>,
) -> Response {
    if let Err(refused) = visitor.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let identities = match identities(&state).await {
        Ok(identities) => identities,
        Err(e) => return store_failure(&visitor, e),
    };
    let identity = form.identity.trim();
    let Some(chosen) = identities.iter().find(|i| i.name == identity) else {
        return render_status(
            &PoliciesPage {
                layout: Layout::new("policies", &visitor),
                identities,
                form,
                outcome: None,
                error: Some("Choose an identity.".into()),
            },
            StatusCode::BAD_REQUEST,
        );
    };
    let store = state.gateway.store();
    let documents = match store.list_identity_policies(&chosen.name).await {
        Ok(p) => p,
        Err(e) => return store_failure(&visitor, e),
    };
    let recipients: Vec<&str> = form
        .recipients
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    let body = json!({
        "policies": documents
            .iter()
            .map(|p| json!({"name": p.name, "document": p.document}))
            .collect::<Vec<_>>(),
        "request": {
            "action": form.action.trim(),
            "principal_arn": form.principal_arn.trim(),
            "principal_account": arn_account(form.principal_arn.trim()),
            "identity_arn": chosen.arn,
            "recipients": recipients,
            "from_address": form.from_address.trim(),
            "api_version": form.api_version.trim(),
            "current_time": chrono::Utc::now().to_rfc3339(),
        }
    });
    let account = state.gateway.config().account_id.clone();
    let (outcome, error, status) =
        match crate::policy_tool::simulate(body.to_string().as_bytes(), &account) {
            Ok(answer) => (
                Some(Outcome {
                    decision: answer["decision"]
                        .as_str()
                        .map_or_else(|| answer["decision"].to_string(), str::to_string),
                    reason: answer["reason_text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    statement: answer["deciding_statement"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    trace: serde_json::to_string_pretty(&answer["trace"]).unwrap_or_default(),
                }),
                None,
                StatusCode::OK,
            ),
            Err(e) => (
                None,
                Some(
                    e["message"]
                        .as_str()
                        .unwrap_or("the request was refused")
                        .to_string(),
                ),
                StatusCode::BAD_REQUEST,
            ),
        };
    render_status(
        &PoliciesPage {
            layout: Layout::new("policies", &visitor),
            identities,
            form,
            outcome,
            error,
        },
        status,
    )
}
