//! SES v2 account suppression list: route → authenticate → decode (`ses_v2::suppression`) →
//! the gateway → encode. Routes as in the wire module's table.
//!
//! Bulk import jobs: CreateImportJob records the job and starts it in the background (the
//! gateway reads the S3Url with the `[s3]` settings, `service::suppression::import`);
//! GetImportJob and ListImportJobs answer from the store.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use bounceguard_core::SesError;
use bounceguard_guard::SuppressionReason;
use bounceguard_store::{ImportAction, ImportJobRecord, SuppressionQuery};
use bounceguard_suppression::import::ImportFormat;
use bounceguard_wire::ses_v2::suppression::{
    self as wire, DataFormat, ImportJob, Reason, SuppressedDestination, SuppressionRequest,
};
use http::StatusCode;

use super::ses_v2::{error_response, json};
use super::{AppState, authenticate, request_id};

/// The suppression routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/email/suppression/addresses",
            put(put_destination).get(list_destinations),
        )
        .route(
            "/v2/email/suppression/addresses/{address}",
            get(get_destination).delete(delete_destination),
        )
        .route("/v2/email/account/suppression", put(put_attributes))
        .route("/v2/email/import-jobs", post(create_job))
        .route("/v2/email/import-jobs/list", post(list_jobs))
        .route("/v2/email/import-jobs/{job}", get(get_job))
}

fn reason_of(r: Reason) -> SuppressionReason {
    match r {
        Reason::Bounce => SuppressionReason::Bounce,
        Reason::Complaint => SuppressionReason::Complaint,
    }
}

fn wire_reason(r: SuppressionReason) -> Reason {
    match r {
        SuppressionReason::Bounce => Reason::Bounce,
        SuppressionReason::Complaint => Reason::Complaint,
    }
}

fn store_failure(e: bounceguard_store::StoreError) -> SesError {
    tracing::error!(error = %e, "store failure");
    SesError::internal()
}

/// Decodes with `decode`, executes, answers 200 with the encoded body or the v2 error.
async fn run(
    state: AppState,
    request: Request,
    decode: impl FnOnce(&[u8], Option<&str>) -> Result<SuppressionRequest, SesError>,
) -> Response {
    let request_id = request_id();
    let result = async {
        let (parts, body, _caller) = authenticate(&state, request).await?;
        let decoded = decode(&body, parts.uri.query())?;
        execute(&state, decoded).await
    }
    .await;
    match result {
        Ok(body) => json(StatusCode::OK, body, &request_id),
        Err(error) => error_response(&error, &request_id),
    }
}

async fn execute(state: &AppState, request: SuppressionRequest) -> Result<Vec<u8>, SesError> {
    let gateway = &state.gateway;
    match request {
        SuppressionRequest::PutSuppressedDestination {
            email_address,
            reason,
        } => {
            check_address(&email_address)?;
            gateway
                .suppress(&email_address, reason_of(reason), "api", None, None)
                .await?;
            Ok(wire::encode_empty())
        }
        SuppressionRequest::GetSuppressedDestination { email_address } => {
            let canonical = gateway.canonical_address(email_address.trim());
            let record = gateway
                .store()
                .get_suppressed(&canonical)
                .await
                .map_err(store_failure)?
                .ok_or_else(|| wire::not_found(&email_address))?;
            Ok(wire::encode_get_suppressed_destination(
                &SuppressedDestination {
                    email_address: record.address,
                    reason: wire_reason(record.reason),
                    last_update_ms: record.last_update_ms,
                    message_id: record.message_id,
                    feedback_id: record.feedback_id,
                },
            ))
        }
        SuppressionRequest::DeleteSuppressedDestination { email_address } => {
            match gateway.unsuppress(email_address.trim()).await? {
                Some(_) => Ok(wire::encode_empty()),
                None => Err(wire::not_found(&email_address)),
            }
        }
        SuppressionRequest::ListSuppressedDestinations {
            reasons,
            start_ms,
            end_ms,
            after,
            page_size,
        } => {
            let page = gateway
                .store()
                .list_suppressed(&SuppressionQuery {
                    reasons: reasons.into_iter().map(reason_of).collect(),
                    start_ms,
                    end_ms,
                    after,
                    page_size: page_size.unwrap_or(0),
                })
                .await
                .map_err(store_failure)?;
            let entries: Vec<SuppressedDestination> = page
                .entries
                .into_iter()
                .map(|r| SuppressedDestination {
                    email_address: r.address,
                    reason: wire_reason(r.reason),
                    last_update_ms: r.last_update_ms,
                    message_id: r.message_id,
                    feedback_id: r.feedback_id,
                })
                .collect();
            let token = page.next.as_deref().map(wire::encode_next_token);
            Ok(wire::encode_list_suppressed_destinations(
                &entries,
                token.as_deref(),
            ))
        }
        SuppressionRequest::PutAccountSuppressionAttributes { suppressed_reasons } => {
            let reasons: Vec<SuppressionReason> =
                suppressed_reasons.into_iter().map(reason_of).collect();
            gateway.set_suppressed_reasons(&reasons).await?;
            Ok(wire::encode_empty())
        }
        SuppressionRequest::CreateImportJob {
            action,
            s3_url,
            data_format,
        } => {
            let action = match action {
                wire::ImportAction::Put => ImportAction::Put,
                wire::ImportAction::Delete => ImportAction::Delete,
            };
            let format = match data_format {
                DataFormat::Csv => ImportFormat::Csv,
                DataFormat::Json => ImportFormat::Json,
            };
            let id = gateway.create_import_job(action, s3_url, format).await?;
            Ok(wire::encode_create_import_job(&id))
        }
        SuppressionRequest::GetImportJob { job_id } => {
            let job = gateway
                .store()
                .get_import_job(&job_id)
                .await
                .map_err(store_failure)?
                .ok_or_else(|| wire::import_job_not_found(&job_id))?;
            Ok(wire::encode_get_import_job(&import_job(job)))
        }
        SuppressionRequest::ListImportJobs { page_size, .. } => {
            let jobs = gateway
                .store()
                .list_import_jobs(None, None, page_size.unwrap_or(0))
                .await
                .map_err(store_failure)?;
            let jobs: Vec<ImportJob> = jobs.into_iter().map(import_job).collect();
            Ok(wire::encode_list_import_jobs(&jobs, None))
        }
    }
}

/// SES checks the address's syntax before it stores it.
fn check_address(address: &str) -> Result<(), SesError> {
    bounceguard_core::address::Mailbox::parse(address.trim()).map(|_| ())
}

fn import_job(job: ImportJobRecord) -> ImportJob {
    ImportJob {
        job_id: job.id,
        action: match job.action {
            ImportAction::Put => wire::ImportAction::Put,
            ImportAction::Delete => wire::ImportAction::Delete,
        },
        s3_url: job.source_url,
        data_format: if job.data_format == "JSON" {
            DataFormat::Json
        } else {
            DataFormat::Csv
        },
        status: job.status.as_str().to_string(),
        created_ms: job.created_ms,
        completed_ms: job.completed_ms,
        processed_records: job.processed_count,
        failed_records: job.failed_count,
        error_message: job.error_message,
    }
}

async fn put_destination(State(state): State<AppState>, request: Request) -> Response {
    run(state, request, |body, _| {
        wire::put_suppressed_destination(body)
    })
    .await
}

async fn list_destinations(State(state): State<AppState>, request: Request) -> Response {
    run(state, request, |_, query| {
        wire::list_suppressed_destinations(query)
    })
    .await
}

async fn get_destination(
    State(state): State<AppState>,
    Path(address): Path<String>,
    request: Request,
) -> Response {
    run(state, request, move |_, _| {
        wire::get_suppressed_destination(&address)
    })
    .await
}

async fn delete_destination(
    State(state): State<AppState>,
    Path(address): Path<String>,
    request: Request,
) -> Response {
    run(state, request, move |_, _| {
        wire::delete_suppressed_destination(&address)
    })
    .await
}

async fn put_attributes(State(state): State<AppState>, request: Request) -> Response {
    run(state, request, |body, _| {
        wire::put_account_suppression_attributes(body)
    })
    .await
}

async fn create_job(State(state): State<AppState>, request: Request) -> Response {
    run(state, request, |body, _| wire::create_import_job(body)).await
}

async fn list_jobs(State(state): State<AppState>, request: Request) -> Response {
    run(state, request, |body, _| wire::list_import_jobs(body)).await
}

async fn get_job(
    State(state): State<AppState>,
    Path(job): Path<String>,
    request: Request,
) -> Response {
    run(state, request, move |_, _| wire::get_import_job(&job)).await
}
