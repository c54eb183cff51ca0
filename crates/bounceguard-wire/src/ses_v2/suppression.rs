//! SES v2 account suppression list and its bulk import jobs (ses-spec §2.4 and §6; botocore
//! `sesv2` 2019-09-27). Standalone decode and encode functions; the service routes:
//!
//! | Operation | HTTP | Decoder |
//! |---|---|---|
//! | PutSuppressedDestination | `PUT /v2/email/suppression/addresses` | [`put_suppressed_destination`] (body) |
//! | GetSuppressedDestination | `GET /v2/email/suppression/addresses/{EmailAddress}` | [`get_suppressed_destination`] (label) |
//! | DeleteSuppressedDestination | `DELETE /v2/email/suppression/addresses/{EmailAddress}` | [`delete_suppressed_destination`] (label) |
//! | ListSuppressedDestinations | `GET /v2/email/suppression/addresses` | [`list_suppressed_destinations`] (query) |
//! | PutAccountSuppressionAttributes | `PUT /v2/email/account/suppression` | [`put_account_suppression_attributes`] (body) |
//! | CreateImportJob | `POST /v2/email/import-jobs` | [`create_import_job`] (body) |
//! | GetImportJob | `GET /v2/email/import-jobs/{JobId}` | [`get_import_job`] (label) |
//! | ListImportJobs | `POST /v2/email/import-jobs/list` | [`list_import_jobs`] (body) |
//!
//! List query members: `Reason` (repeated), `StartDate`, `EndDate` (timestamps; the SDKs send
//! RFC 3339 such as `2024-01-15T10:30:00Z`, the model docs speak of Unix time, so both are
//! read), `NextToken`, `PageSize`. Outputs' timestamps are epoch seconds as JSON numbers
//! (`1705314600.0`), the rest-json default.
//!
//! Decisions where SES's behaviour is not documented:
//! - A reason other than `BOUNCE`/`COMPLAINT` in PutSuppressedDestination: the text ses-spec
//!   §2.4 quotes. In the list filter and in PutAccountSuppressionAttributes, the same wording
//!   for their members (`reasons`, `suppressedReasons`).
//! - `PageSize` outside 1–1000: `BadRequestException` (the maximum is unconfirmed, §2.4; 1000
//!   is this gateway's, as for ListEmailIdentities).
//! - NextToken is opaque: URL-safe base64 of `s1:` + the last address of the page. Anything
//!   else is `InvalidNextTokenException` `The NextToken is invalid.` (text ours).
//! - A timestamp that is neither RFC 3339 nor a number: `BadRequestException` (text ours).
//! - The address is passed on as sent (not trimmed, not normalised): the service normalises
//!   (ses-spec §2.4: trimmed, domain lower-cased) and answers NotFound with [`not_found`], whose
//!   text is the one floci reports.
//! - The reason enum is this module's own [`Reason`]: the wire crate does not depend on the
//!   guard crate that defines the service's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bounceguard_core::{ErrorCode, SesError};
use serde::{Deserialize, Serialize};

use super::{MAX_PAGE_SIZE, not_null, parse_body, validation};

/// The enum rule AWS prints for a suppression reason.
const REASON_RULE: &str = "Member must satisfy enum value set: [BOUNCE, COMPLAINT]";

/// Prefix inside a NextToken, so that a token of another list is refused.
const TOKEN_PREFIX: &str = "s1:";

/// Why an address is on the list (`SuppressionListReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Reason {
    /// `BOUNCE`.
    Bounce,
    /// `COMPLAINT`.
    Complaint,
}

impl Reason {
    /// Parses the SES word (exact case, as the API's enum).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "BOUNCE" => Some(Self::Bounce),
            "COMPLAINT" => Some(Self::Complaint),
            _ => None,
        }
    }
}

/// `SuppressionListImportAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ImportAction {
    /// Put the addresses on the list.
    Put,
    /// Take them off.
    Delete,
}

/// `DataFormat` of an import data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DataFormat {
    /// `address,REASON` lines.
    Csv,
    /// Newline-delimited JSON objects.
    Json,
}

/// A decoded suppression-list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionRequest {
    /// PutSuppressedDestination.
    PutSuppressedDestination {
        /// The address as sent.
        email_address: String,
        /// Why.
        reason: Reason,
    },
    /// GetSuppressedDestination.
    GetSuppressedDestination {
        /// The address as sent (path label, percent-decoded).
        email_address: String,
    },
    /// DeleteSuppressedDestination.
    DeleteSuppressedDestination {
        /// The address as sent (path label, percent-decoded).
        email_address: String,
    },
    /// ListSuppressedDestinations.
    ListSuppressedDestinations {
        /// Only these reasons; empty means all.
        reasons: Vec<Reason>,
        /// Only entries updated at or after this time (ms since the epoch).
        start_ms: Option<i64>,
        /// Only entries updated before this time (ms since the epoch).
        end_ms: Option<i64>,
        /// Continue after this address (decoded from NextToken).
        after: Option<String>,
        /// Entries per page (1–1000), if given.
        page_size: Option<u32>,
    },
    /// PutAccountSuppressionAttributes.
    PutAccountSuppressionAttributes {
        /// The reasons to suppress; empty turns the list off for sending.
        suppressed_reasons: Vec<Reason>,
    },
    /// CreateImportJob into the suppression list.
    CreateImportJob {
        /// Put or delete.
        action: ImportAction,
        /// Where the data is (`s3://bucket/key`).
        s3_url: String,
        /// CSV or JSON.
        data_format: DataFormat,
    },
    /// GetImportJob.
    GetImportJob {
        /// The JobId (path label).
        job_id: String,
    },
    /// ListImportJobs.
    ListImportJobs {
        /// `SUPPRESSION_LIST` or `CONTACT_LIST`, if given.
        import_destination_type: Option<String>,
        /// The token of the previous page, as sent (the service keeps job tokens).
        next_token: Option<String>,
        /// Jobs per page (1–1000), if given.
        page_size: Option<u32>,
    },
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutDestinationBody {
    email_address: Option<String>,
    reason: Option<String>,
}

/// PutSuppressedDestination: `{"EmailAddress": "…", "Reason": "BOUNCE"|"COMPLAINT"}`.
pub fn put_suppressed_destination(body: &[u8]) -> Result<SuppressionRequest, SesError> {
    let input: PutDestinationBody = parse_body(body)?;
    let email_address = input
        .email_address
        .ok_or_else(|| not_null("emailAddress"))?;
    let reason = input.reason.ok_or_else(|| not_null("reason"))?;
    let reason = Reason::parse(&reason).ok_or_else(|| validation(None, "reason", REASON_RULE))?;
    Ok(SuppressionRequest::PutSuppressedDestination {
        email_address,
        reason,
    })
}

/// GetSuppressedDestination: the `{EmailAddress}` path label, percent-decoded.
pub fn get_suppressed_destination(label: &str) -> Result<SuppressionRequest, SesError> {
    Ok(SuppressionRequest::GetSuppressedDestination {
        email_address: address_label(label)?,
    })
}

/// DeleteSuppressedDestination: the `{EmailAddress}` path label, percent-decoded.
pub fn delete_suppressed_destination(label: &str) -> Result<SuppressionRequest, SesError> {
    Ok(SuppressionRequest::DeleteSuppressedDestination {
        email_address: address_label(label)?,
    })
}

/// ListSuppressedDestinations: the raw query string (`Reason` repeated, `StartDate`, `EndDate`,
/// `NextToken`, `PageSize`).
pub fn list_suppressed_destinations(query: Option<&str>) -> Result<SuppressionRequest, SesError> {
    let mut reasons = Vec::new();
    let mut start_ms = None;
    let mut end_ms = None;
    let mut after = None;
    let mut page_size = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "Reason" | "Reasons" | "Reasons.member" => {
                let reason = Reason::parse(&value)
                    .ok_or_else(|| validation(None, "reasons", REASON_RULE))?;
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
            "StartDate" if start_ms.is_none() => {
                start_ms = Some(timestamp_ms(&value, "StartDate")?)
            }
            "EndDate" if end_ms.is_none() => end_ms = Some(timestamp_ms(&value, "EndDate")?),
            "NextToken" if after.is_none() => after = Some(decode_next_token(&value)?),
            "PageSize" if page_size.is_none() => page_size = Some(page_size_text(&value)?),
            _ => {}
        }
    }
    Ok(SuppressionRequest::ListSuppressedDestinations {
        reasons,
        start_ms,
        end_ms,
        after,
        page_size,
    })
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountSuppressionBody {
    suppressed_reasons: Option<Vec<String>>,
}

/// PutAccountSuppressionAttributes: `{"SuppressedReasons": ["BOUNCE", …]}`; absent means none.
pub fn put_account_suppression_attributes(body: &[u8]) -> Result<SuppressionRequest, SesError> {
    let input: AccountSuppressionBody = parse_body(body)?;
    let mut suppressed_reasons = Vec::new();
    for text in input.suppressed_reasons.unwrap_or_default() {
        let reason = Reason::parse(&text).ok_or_else(|| {
            validation(
                Some(&format!("[{text}]")),
                "suppressedReasons",
                &format!("Member must satisfy constraint: [{REASON_RULE}]"),
            )
        })?;
        if !suppressed_reasons.contains(&reason) {
            suppressed_reasons.push(reason);
        }
    }
    Ok(SuppressionRequest::PutAccountSuppressionAttributes { suppressed_reasons })
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateImportJobBody {
    import_destination: Option<ImportDestinationBody>,
    import_data_source: Option<ImportDataSourceBody>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportDestinationBody {
    suppression_list_destination: Option<SuppressionListDestinationBody>,
    contact_list_destination: Option<serde::de::IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SuppressionListDestinationBody {
    suppression_list_import_action: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportDataSourceBody {
    s3_url: Option<String>,
    data_format: Option<String>,
}

/// CreateImportJob: `{"ImportDestination": {"SuppressionListDestination":
/// {"SuppressionListImportAction": "PUT"|"DELETE"}}, "ImportDataSource": {"S3Url": "s3://…",
/// "DataFormat": "CSV"|"JSON"}}`. A contact-list destination is refused (this gateway keeps no
/// contact lists; text ours).
pub fn create_import_job(body: &[u8]) -> Result<SuppressionRequest, SesError> {
    let input: CreateImportJobBody = parse_body(body)?;
    let destination = input
        .import_destination
        .ok_or_else(|| not_null("importDestination"))?;
    let source = input
        .import_data_source
        .ok_or_else(|| not_null("importDataSource"))?;
    let action = match destination.suppression_list_destination {
        Some(list) => {
            let action = list.suppression_list_import_action.ok_or_else(|| {
                not_null("importDestination.suppressionListDestination.suppressionListImportAction")
            })?;
            match action.as_str() {
                "PUT" => ImportAction::Put,
                "DELETE" => ImportAction::Delete,
                _ => {
                    return Err(validation(
                        Some(&action),
                        "importDestination.suppressionListDestination.suppressionListImportAction",
                        "Member must satisfy enum value set: [DELETE, PUT]",
                    ));
                }
            }
        }
        None if destination.contact_list_destination.is_some() => {
            return Err(SesError::new(
                ErrorCode::InvalidParameterValue,
                "Contact list import jobs are not supported by this gateway.",
            ));
        }
        None => {
            return Err(SesError::new(
                ErrorCode::InvalidParameterValue,
                "ImportDestination must contain SuppressionListDestination.",
            ));
        }
    };
    let s3_url = source
        .s3_url
        .ok_or_else(|| not_null("importDataSource.s3Url"))?;
    if !s3_url.starts_with("s3://") {
        return Err(validation(
            Some(&s3_url),
            "importDataSource.s3Url",
            "Member must satisfy regular expression pattern: ^s3:\\/\\/([^\\/]+)\\/(.*?([^\\/]+)\\/?)$",
        ));
    }
    let format = source
        .data_format
        .ok_or_else(|| not_null("importDataSource.dataFormat"))?;
    let data_format = match format.as_str() {
        "CSV" => DataFormat::Csv,
        "JSON" => DataFormat::Json,
        _ => {
            return Err(validation(
                Some(&format),
                "importDataSource.dataFormat",
                "Member must satisfy enum value set: [CSV, JSON]",
            ));
        }
    };
    Ok(SuppressionRequest::CreateImportJob {
        action,
        s3_url,
        data_format,
    })
}

/// GetImportJob: the `{JobId}` path label.
pub fn get_import_job(label: &str) -> Result<SuppressionRequest, SesError> {
    if label.is_empty() {
        return Err(validation(
            Some(""),
            "jobId",
            "Member must have length greater than or equal to 1",
        ));
    }
    Ok(SuppressionRequest::GetImportJob {
        job_id: label.to_string(),
    })
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListImportJobsBody {
    import_destination_type: Option<String>,
    next_token: Option<String>,
    page_size: Option<i64>,
}

/// ListImportJobs: `{"ImportDestinationType": "SUPPRESSION_LIST"|"CONTACT_LIST", "NextToken",
/// "PageSize"}`, all optional.
pub fn list_import_jobs(body: &[u8]) -> Result<SuppressionRequest, SesError> {
    let input: ListImportJobsBody = parse_body(body)?;
    if let Some(kind) = &input.import_destination_type
        && kind != "SUPPRESSION_LIST"
        && kind != "CONTACT_LIST"
    {
        return Err(validation(
            Some(kind),
            "importDestinationType",
            "Member must satisfy enum value set: [CONTACT_LIST, SUPPRESSION_LIST]",
        ));
    }
    let page_size = match input.page_size {
        None => None,
        Some(n) => Some(page_size_number(n)?),
    };
    Ok(SuppressionRequest::ListImportJobs {
        import_destination_type: input.import_destination_type,
        next_token: input.next_token,
        page_size,
    })
}

/// A path label naming an address; empty is refused like a missing member.
fn address_label(label: &str) -> Result<String, SesError> {
    if label.is_empty() {
        return Err(not_null("emailAddress"));
    }
    Ok(label.to_string())
}

fn page_size_number(n: i64) -> Result<u32, SesError> {
    match u32::try_from(n) {
        Ok(n @ 1..=MAX_PAGE_SIZE) => Ok(n),
        _ => Err(SesError::invalid(format!(
            "Invalid PageSize {n}: it must be between 1 and {MAX_PAGE_SIZE}."
        ))),
    }
}

fn page_size_text(text: &str) -> Result<u32, SesError> {
    match text.parse::<i64>() {
        Ok(n) => page_size_number(n),
        Err(_) => Err(SesError::new(
            ErrorCode::ValidationError,
            format!("Invalid PageSize {text}: it must be an integer."),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// NextToken and timestamps
// ---------------------------------------------------------------------------------------------

/// The NextToken that continues a listing after `address` (the last one of the page).
pub fn encode_next_token(address: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{address}"))
}

/// The address a NextToken continues after; `InvalidNextTokenException` for anything this
/// module did not issue.
pub fn decode_next_token(token: &str) -> Result<String, SesError> {
    let invalid = || SesError::new(ErrorCode::InvalidNextToken, "The NextToken is invalid.");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    match text.strip_prefix(TOKEN_PREFIX) {
        Some(address) if !address.is_empty() => Ok(address.to_string()),
        _ => Err(invalid()),
    }
}

/// A query timestamp in ms since the epoch: RFC 3339 (`2024-01-15T10:30:00Z`,
/// `2024-01-15T10:30:00.250+01:00`) or epoch seconds (`1705314600`, `1705314600.5`).
fn timestamp_ms(text: &str, member: &str) -> Result<i64, SesError> {
    let bad = || {
        SesError::new(
            ErrorCode::ValidationError,
            format!("Invalid {member} {text}: expected an ISO 8601 date-time or Unix time."),
        )
    };
    if let Ok(seconds) = text.parse::<f64>() {
        if !seconds.is_finite() || seconds.abs() > 1e14 {
            return Err(bad());
        }
        // Bounded above, so the conversion cannot saturate.
        return Ok((seconds * 1000.0).round() as i64);
    }
    rfc3339_ms(text).ok_or_else(bad)
}

/// Hand-written RFC 3339 reader (the wire crate has no date dependency): `YYYY-MM-DDTHH:MM:SS`,
/// optional fraction, then `Z` or `±HH:MM`.
fn rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &text[start..i.min(start + 3)];
        millis = digits.parse::<i64>().ok()? * 10_i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let minutes = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// GetSuppressedDestination / DeleteSuppressedDestination of an address not on the list:
/// 404 `NotFoundException` with the text floci reports (ses-spec §2.4).
pub fn not_found(email_address: &str) -> SesError {
    SesError::new(
        ErrorCode::NotFound,
        format!("Email address {email_address} does not exist on your suppression list."),
    )
}

/// GetImportJob of an unknown id: 404 `NotFoundException` (text ours).
pub fn import_job_not_found(job_id: &str) -> SesError {
    SesError::new(
        ErrorCode::NotFound,
        format!("Import job {job_id} does not exist."),
    )
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// One entry, as the service found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedDestination {
    /// The address (as stored: normalised).
    pub email_address: String,
    /// Why.
    pub reason: Reason,
    /// When it was added or its reason last changed, ms since the epoch.
    pub last_update_ms: i64,
    /// The MessageId, for entries added from an event.
    pub message_id: Option<String>,
    /// The FeedbackId, for entries added from an event.
    pub feedback_id: Option<String>,
}

/// One import job, as the service keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// The JobId.
    pub job_id: String,
    /// Put or delete.
    pub action: ImportAction,
    /// The S3Url.
    pub s3_url: String,
    /// CSV or JSON.
    pub data_format: DataFormat,
    /// `CREATED`, `PROCESSING`, `COMPLETED`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// When the job was created, ms since the epoch.
    pub created_ms: i64,
    /// When it ended, if it has.
    pub completed_ms: Option<i64>,
    /// Records processed.
    pub processed_records: i64,
    /// Records refused.
    pub failed_records: i64,
    /// Why the job failed, if it did.
    pub error_message: Option<String>,
}

fn seconds(ms: i64) -> f64 {
    // Timestamps fit an f64 exactly to the millisecond for the next 280,000 years.
    ms as f64 / 1000.0
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Attributes<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DestinationOut<'a> {
    email_address: &'a str,
    reason: Reason,
    last_update_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Attributes<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetDestinationOut<'a> {
    suppressed_destination: DestinationOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SummaryOut<'a> {
    email_address: &'a str,
    reason: Reason,
    last_update_time: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListDestinationsOut<'a> {
    suppressed_destination_summaries: Vec<SummaryOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SuppressionListDestinationOut {
    suppression_list_import_action: ImportAction,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportDestinationOut {
    suppression_list_destination: SuppressionListDestinationOut,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportDataSourceOut<'a> {
    s3_url: &'a str,
    data_format: DataFormat,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FailureInfoOut<'a> {
    error_message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportJobOut<'a> {
    job_id: &'a str,
    import_destination: ImportDestinationOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_data_source: Option<ImportDataSourceOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_info: Option<FailureInfoOut<'a>>,
    job_status: &'a str,
    created_timestamp: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_timestamp: Option<f64>,
    processed_records_count: i64,
    failed_records_count: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListImportJobsOut<'a> {
    import_jobs: Vec<ImportJobOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateImportJobOut<'a> {
    job_id: &'a str,
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// The body of PutSuppressedDestination, DeleteSuppressedDestination and
/// PutAccountSuppressionAttributes: `{}`.
pub fn encode_empty() -> Vec<u8> {
    b"{}".to_vec()
}

/// GetSuppressedDestination's body; `Attributes` only when an event added the entry.
pub fn encode_get_suppressed_destination(entry: &SuppressedDestination) -> Vec<u8> {
    let attributes =
        (entry.message_id.is_some() || entry.feedback_id.is_some()).then_some(Attributes {
            message_id: entry.message_id.as_deref(),
            feedback_id: entry.feedback_id.as_deref(),
        });
    to_json(&GetDestinationOut {
        suppressed_destination: DestinationOut {
            email_address: &entry.email_address,
            reason: entry.reason,
            last_update_time: seconds(entry.last_update_ms),
            attributes,
        },
    })
}

/// ListSuppressedDestinations' body; `next_token` from [`encode_next_token`].
pub fn encode_list_suppressed_destinations(
    entries: &[SuppressedDestination],
    next_token: Option<&str>,
) -> Vec<u8> {
    to_json(&ListDestinationsOut {
        suppressed_destination_summaries: entries
            .iter()
            .map(|e| SummaryOut {
                email_address: &e.email_address,
                reason: e.reason,
                last_update_time: seconds(e.last_update_ms),
            })
            .collect(),
        next_token,
    })
}

/// CreateImportJob's body: `{"JobId": "…"}`.
pub fn encode_create_import_job(job_id: &str) -> Vec<u8> {
    to_json(&CreateImportJobOut { job_id })
}

fn job_out(job: &ImportJob, with_source: bool) -> ImportJobOut<'_> {
    ImportJobOut {
        job_id: &job.job_id,
        import_destination: ImportDestinationOut {
            suppression_list_destination: SuppressionListDestinationOut {
                suppression_list_import_action: job.action,
            },
        },
        import_data_source: with_source.then_some(ImportDataSourceOut {
            s3_url: &job.s3_url,
            data_format: job.data_format,
        }),
        failure_info: job
            .error_message
            .as_deref()
            .map(|error_message| FailureInfoOut { error_message }),
        job_status: &job.status,
        created_timestamp: seconds(job.created_ms),
        completed_timestamp: job.completed_ms.map(seconds),
        processed_records_count: job.processed_records,
        failed_records_count: job.failed_records,
    }
}

/// GetImportJob's body.
pub fn encode_get_import_job(job: &ImportJob) -> Vec<u8> {
    to_json(&job_out(job, true))
}

/// ListImportJobs' body (`ImportJobSummary` has no data source).
pub fn encode_list_import_jobs(jobs: &[ImportJob], next_token: Option<&str>) -> Vec<u8> {
    let mut summaries: Vec<ImportJobOut<'_>> = jobs.iter().map(|j| job_out(j, false)).collect();
    for summary in &mut summaries {
        summary.failure_info = None;
    }
    to_json(&ListImportJobsOut {
        import_jobs: summaries,
        next_token,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(result: Result<SuppressionRequest, SesError>) -> SesError {
        result.unwrap_err()
    }

    #[test]
    fn put_decodes_and_refuses_an_unknown_reason_with_the_spec_text() {
        assert_eq!(
            put_suppressed_destination(br#"{"EmailAddress":"a@x.com","Reason":"COMPLAINT"}"#)
                .unwrap(),
            SuppressionRequest::PutSuppressedDestination {
                email_address: "a@x.com".to_string(),
                reason: Reason::Complaint,
            }
        );
        let e = err(put_suppressed_destination(
            br#"{"EmailAddress":"a@x.com","Reason":"bounce"}"#,
        ));
        assert_eq!(e.code.v2_code(), "BadRequestException");
        assert_eq!(e.code.v2_status(), 400);
        assert_eq!(
            e.message,
            "1 validation error detected: Value at 'reason' failed to satisfy constraint: Member must satisfy enum value set: [BOUNCE, COMPLAINT]"
        );
        let e = err(put_suppressed_destination(br#"{"Reason":"BOUNCE"}"#));
        assert!(e.message.contains("'emailAddress'"), "{}", e.message);
        let e = err(put_suppressed_destination(b"{not json"));
        assert_eq!(e.code.v2_code(), "BadRequestException");
    }

    #[test]
    fn not_found_has_the_floci_text_and_status_404() {
        let e = not_found("a@x.com");
        assert_eq!(
            (e.code.v2_status(), e.code.v2_code()),
            (404, "NotFoundException")
        );
        assert_eq!(
            e.message,
            "Email address a@x.com does not exist on your suppression list."
        );
        let (status, code, body) = super::super::encode_error(&e);
        assert_eq!((status, code), (404, "NotFoundException"));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"message":"Email address a@x.com does not exist on your suppression list."}"#
        );
    }

    #[test]
    fn list_reads_repeated_reasons_dates_token_and_page_size() {
        let token = encode_next_token("m@x.com");
        let query = format!(
            "Reason=BOUNCE&Reason=COMPLAINT&Reason=BOUNCE&StartDate=2024-01-15T10%3A30%3A00Z\
             &EndDate=1705314600.5&NextToken={token}&PageSize=20"
        );
        assert_eq!(
            list_suppressed_destinations(Some(&query)).unwrap(),
            SuppressionRequest::ListSuppressedDestinations {
                reasons: vec![Reason::Bounce, Reason::Complaint],
                // 2024-01-15T10:30:00Z = 1705314600 s (19737 days × 86400 + 37800).
                start_ms: Some(1_705_314_600_000),
                end_ms: Some(1_705_314_600_500),
                after: Some("m@x.com".to_string()),
                page_size: Some(20),
            }
        );
        assert_eq!(
            list_suppressed_destinations(None).unwrap(),
            SuppressionRequest::ListSuppressedDestinations {
                reasons: vec![],
                start_ms: None,
                end_ms: None,
                after: None,
                page_size: None,
            }
        );
        let e = err(list_suppressed_destinations(Some("NextToken=garbage!")));
        assert_eq!(
            (e.code.v2_code(), e.code.v2_status()),
            ("InvalidNextTokenException", 400)
        );
        let other = URL_SAFE_NO_PAD.encode("x1:m@x.com");
        let e = err(list_suppressed_destinations(Some(&format!(
            "NextToken={other}"
        ))));
        assert_eq!(e.code, ErrorCode::InvalidNextToken);
        assert_eq!(
            err(list_suppressed_destinations(Some("PageSize=0")))
                .code
                .v2_code(),
            "BadRequestException"
        );
        assert_eq!(
            err(list_suppressed_destinations(Some("PageSize=1001")))
                .code
                .v2_code(),
            "BadRequestException"
        );
        assert_eq!(
            err(list_suppressed_destinations(Some("Reason=SPAM")))
                .code
                .v2_code(),
            "BadRequestException"
        );
        assert_eq!(
            err(list_suppressed_destinations(Some("StartDate=yesterday"))).code,
            ErrorCode::ValidationError
        );
    }

    #[test]
    fn rfc3339_offsets_and_fractions() {
        // 1970-01-01T00:00:00Z is 0; an offset of +01:00 is an hour earlier in UTC.
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(rfc3339_ms("1969-12-31T23:59:59.9Z"), Some(-100));
        // 2000-03-01 is day 11017 (leap year 2000 has Feb 29).
        assert_eq!(
            rfc3339_ms("2000-03-01T00:00:00.123456Z"),
            Some(11_017 * 86_400_000 + 123)
        );
        assert_eq!(rfc3339_ms("2024-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339_ms("2024-01-01T00:00:00"), None);
        assert_eq!(rfc3339_ms("2024-01-01T00:00:00Zjunk"), None);
    }

    #[test]
    fn account_attributes_and_import_jobs_decode() {
        assert_eq!(
            put_account_suppression_attributes(br#"{"SuppressedReasons":["COMPLAINT"]}"#).unwrap(),
            SuppressionRequest::PutAccountSuppressionAttributes {
                suppressed_reasons: vec![Reason::Complaint]
            }
        );
        assert_eq!(
            put_account_suppression_attributes(b"").unwrap(),
            SuppressionRequest::PutAccountSuppressionAttributes {
                suppressed_reasons: vec![]
            }
        );
        let e = err(put_account_suppression_attributes(
            br#"{"SuppressedReasons":["NOPE"]}"#,
        ));
        assert!(e.message.contains("'suppressedReasons'"), "{}", e.message);

        let body = br#"{"ImportDestination":{"SuppressionListDestination":{"SuppressionListImportAction":"DELETE"}},"ImportDataSource":{"S3Url":"s3://b/k.csv","DataFormat":"CSV"}}"#;
        assert_eq!(
            create_import_job(body).unwrap(),
            SuppressionRequest::CreateImportJob {
                action: ImportAction::Delete,
                s3_url: "s3://b/k.csv".to_string(),
                data_format: DataFormat::Csv,
            }
        );
        let e = err(create_import_job(
            br#"{"ImportDestination":{"ContactListDestination":{"ContactListName":"c","ContactListImportAction":"PUT"}},"ImportDataSource":{"S3Url":"s3://b/k","DataFormat":"CSV"}}"#,
        ));
        assert_eq!(e.code.v2_code(), "BadRequestException");
        let e = err(create_import_job(
            br#"{"ImportDestination":{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}},"ImportDataSource":{"S3Url":"https://b/k","DataFormat":"CSV"}}"#,
        ));
        assert!(e.message.contains("s3Url"), "{}", e.message);
        assert_eq!(
            list_import_jobs(br#"{"ImportDestinationType":"SUPPRESSION_LIST","PageSize":5}"#)
                .unwrap(),
            SuppressionRequest::ListImportJobs {
                import_destination_type: Some("SUPPRESSION_LIST".to_string()),
                next_token: None,
                page_size: Some(5),
            }
        );
        assert!(list_import_jobs(br#"{"ImportDestinationType":"X"}"#).is_err());
        assert!(get_import_job("").is_err());
        assert!(get_suppressed_destination("").is_err());
    }

    #[test]
    fn outputs_have_sess_member_names_and_epoch_seconds() {
        let entry = SuppressedDestination {
            email_address: "a@x.com".to_string(),
            reason: Reason::Bounce,
            last_update_ms: 1_705_314_600_000,
            message_id: Some("m-1".to_string()),
            feedback_id: Some("f-1".to_string()),
        };
        assert_eq!(
            String::from_utf8(encode_get_suppressed_destination(&entry)).unwrap(),
            r#"{"SuppressedDestination":{"EmailAddress":"a@x.com","Reason":"BOUNCE","LastUpdateTime":1705314600.0,"Attributes":{"MessageId":"m-1","FeedbackId":"f-1"}}}"#
        );
        let plain = SuppressedDestination {
            message_id: None,
            feedback_id: None,
            reason: Reason::Complaint,
            last_update_ms: 1_705_314_600_250,
            ..entry
        };
        assert_eq!(
            String::from_utf8(encode_get_suppressed_destination(&plain)).unwrap(),
            r#"{"SuppressedDestination":{"EmailAddress":"a@x.com","Reason":"COMPLAINT","LastUpdateTime":1705314600.25}}"#
        );
        assert_eq!(
            String::from_utf8(encode_list_suppressed_destinations(&[plain], Some("tok"))).unwrap(),
            r#"{"SuppressedDestinationSummaries":[{"EmailAddress":"a@x.com","Reason":"COMPLAINT","LastUpdateTime":1705314600.25}],"NextToken":"tok"}"#
        );
        assert_eq!(
            String::from_utf8(encode_list_suppressed_destinations(&[], None)).unwrap(),
            r#"{"SuppressedDestinationSummaries":[]}"#
        );
        let job = ImportJob {
            job_id: "j-1".to_string(),
            action: ImportAction::Put,
            s3_url: "s3://b/k.csv".to_string(),
            data_format: DataFormat::Csv,
            status: "COMPLETED".to_string(),
            created_ms: 1_000,
            completed_ms: Some(2_500),
            processed_records: 10,
            failed_records: 1,
            error_message: None,
        };
        assert_eq!(
            String::from_utf8(encode_get_import_job(&job)).unwrap(),
            r#"{"JobId":"j-1","ImportDestination":{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}},"ImportDataSource":{"S3Url":"s3://b/k.csv","DataFormat":"CSV"},"JobStatus":"COMPLETED","CreatedTimestamp":1.0,"CompletedTimestamp":2.5,"ProcessedRecordsCount":10,"FailedRecordsCount":1}"#
        );
        assert_eq!(
            String::from_utf8(encode_list_import_jobs(&[job], None)).unwrap(),
            r#"{"ImportJobs":[{"JobId":"j-1","ImportDestination":{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}},"JobStatus":"COMPLETED","CreatedTimestamp":1.0,"CompletedTimestamp":2.5,"ProcessedRecordsCount":10,"FailedRecordsCount":1}]}"#
        );
        assert_eq!(
            String::from_utf8(encode_create_import_job("j-9")).unwrap(),
            r#"{"JobId":"j-9"}"#
        );
        assert_eq!(encode_empty(), b"{}");
    }

    #[test]
    fn next_token_round_trips_any_address() {
        for address in ["a@x.com", "\"odd, one\"@x.com", "ü@x.com"] {
            assert_eq!(
                decode_next_token(&encode_next_token(address)).unwrap(),
                address
            );
        }
        assert!(decode_next_token(&encode_next_token("")).is_err());
    }
}
