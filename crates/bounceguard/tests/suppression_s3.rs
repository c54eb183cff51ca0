//! Suppression import jobs from S3 (CreateImportJob, ses-spec §6) through the official v2 SDK,
//! with moto's S3 (`moto_server`) as the bucket.
//!
//! The moto URL comes from `TEST_MOTO_URL`. Without it the S3 tests print "skipping moto" and
//! pass, unless `CI` is set: then they fail, because the test script is meant to start moto.
//! The gateway reads S3 with an explicit test credential ([`bounceguard::service::Gateway::use_s3_source`]); the
//! standard credential chain is exercised by the end-to-end test with the real binary.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3 as s3;
use aws_sdk_sesv2 as sesv2;
use bounceguard::config::Config;
use bounceguard::service::suppression::import::STALE_MESSAGE;
use bounceguard_store::{ImportAction, ImportJobRecord, ImportJobStatus};
use sesv2::types::{
    DataFormat, ImportDataSource, ImportDestination, JobStatus, SuppressionListDestination,
    SuppressionListImportAction, SuppressionListReason,
};

mod common;

use common::TestServer;

fn moto_url() -> Option<String> {
    match std::env::var("TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_owned()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but TEST_MOTO_URL is not: the test script must start moto_server")
        }
        _ => {
            eprintln!("skipping moto: TEST_MOTO_URL is not set");
            None
        }
    }
}

/// A bucket name this run alone uses on a shared moto server.
fn bucket_name(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("bg-{what}-{}-{nanos}", std::process::id())
}

/// The test server (a fresh SQLite file), its import jobs reading S3 from `moto` (if given).
async fn start(moto: Option<&str>) -> TestServer {
    let mut toml = "identities = [\"sender@shop.example\"]\n".to_string();
    if let Some(url) = moto {
        toml.push_str(&format!("[s3]\nendpoint_url = \"{url}\"\n"));
    }
    let server = TestServer::start(&toml).await;
    assert_eq!(
        server.config.s3_settings().force_path_style,
        moto.is_some(),
        "path style follows endpoint_url"
    );
    if let Some(url) = moto {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(s3::config::Credentials::new(
                "AKIDMOTO", "secret", None, None, "test",
            ))
            .load()
            .await;
        assert!(
            server
                .gateway()
                .use_s3_source(bounceguard_s3::S3Source::from_sdk_config(&sdk, true))
        );
    }
    server
}

fn moto_s3(url: &str) -> s3::Client {
    let config = s3::Config::builder()
        .behavior_version(s3::config::BehaviorVersion::latest())
        .region(s3::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .force_path_style(true)
        .credentials_provider(s3::config::Credentials::new(
            "AKIDMOTO", "secret", None, None, "test",
        ))
        .build();
    s3::Client::from_conf(config)
}

async fn put_object(client: &s3::Client, bucket: &str, key: &str, body: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(s3::primitives::ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("put object");
}

async fn create_job(
    client: &sesv2::Client,
    url: &str,
    action: SuppressionListImportAction,
    format: DataFormat,
) -> String {
    client
        .create_import_job()
        .import_destination(
            ImportDestination::builder()
                .suppression_list_destination(
                    SuppressionListDestination::builder()
                        .suppression_list_import_action(action)
                        .build()
                        .expect("destination"),
                )
                .build(),
        )
        .import_data_source(
            ImportDataSource::builder()
                .s3_url(url)
                .data_format(format)
                .build()
                .expect("data source"),
        )
        .send()
        .await
        .expect("CreateImportJob")
        .job_id()
        .expect("JobId")
        .to_string()
}

/// Polls GetImportJob until the job has ended (COMPLETED or FAILED), at most 20 s.
async fn finished(
    client: &sesv2::Client,
    job_id: &str,
) -> sesv2::operation::get_import_job::GetImportJobOutput {
    let started = Instant::now();
    loop {
        let job = client
            .get_import_job()
            .job_id(job_id)
            .send()
            .await
            .expect("GetImportJob");
        match job.job_status() {
            Some(JobStatus::Completed | JobStatus::Failed) => return job,
            other => assert!(
                matches!(other, Some(JobStatus::Created | JobStatus::Processing)),
                "unexpected status {other:?}"
            ),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "job {job_id} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reason_of(client: &sesv2::Client, address: &str) -> Option<SuppressionListReason> {
    match client
        .get_suppressed_destination()
        .email_address(address)
        .send()
        .await
    {
        Ok(out) => out.suppressed_destination().map(|d| d.reason().clone()),
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_not_found_exception(), "{e:?}");
            None
        }
    }
}

#[tokio::test]
async fn csv_and_json_jobs_put_and_delete_addresses_with_counts_and_failures() {
    let Some(moto) = moto_url() else { return };
    let s3 = moto_s3(&moto);
    let bucket = bucket_name("imports");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    // Five lines, two bad: line 2 has no valid address, line 4 a lower-case reason.
    put_object(
        &s3,
        &bucket,
        "lists/put.csv",
        "ann@customer.org,BOUNCE\nnot-an-address,BOUNCE\nBob@Customer.ORG,COMPLAINT\ncat@customer.org,bounce\ndan@customer.org,COMPLAINT\n",
    )
    .await;
    let server = start(Some(&moto)).await;
    let client = server.ses_v2();
    let url = format!("s3://{bucket}/lists/put.csv");

    let id = create_job(
        &client,
        &url,
        SuppressionListImportAction::Put,
        DataFormat::Csv,
    )
    .await;
    let job = finished(&client, &id).await;
    assert_eq!(job.job_status(), Some(&JobStatus::Completed), "{job:?}");
    assert_eq!(job.processed_records_count(), Some(3));
    assert_eq!(job.failed_records_count(), Some(2));
    let info = job
        .failure_info()
        .and_then(|f| f.error_message())
        .expect("FailureInfo for the bad lines");
    assert!(info.starts_with("2 records failed: line 2: "), "{info}");
    assert!(info.contains("line 4: unknown reason \"bounce\""), "{info}");
    assert_eq!(
        job.import_data_source().map(|s| s.s3_url()),
        Some(url.as_str())
    );
    assert!(job.completed_timestamp().is_some());

    // The entries are on the list (domain lower-cased as the API does) and in the index.
    assert_eq!(
        reason_of(&client, "ann@customer.org").await,
        Some(SuppressionListReason::Bounce)
    );
    assert_eq!(
        reason_of(&client, "Bob@customer.org").await,
        Some(SuppressionListReason::Complaint)
    );
    assert_eq!(
        reason_of(&client, "dan@customer.org").await,
        Some(SuppressionListReason::Complaint)
    );
    assert_eq!(reason_of(&client, "cat@customer.org").await, None);
    let index = server.gateway().suppression_index();
    assert!(index.lookup("ann@customer.org").is_some());
    assert!(index.lookup("dan@customer.org").is_some());
    let source = server
        .store()
        .get_suppressed("ann@customer.org")
        .await
        .expect("get")
        .expect("entry");
    assert_eq!(source.source, format!("import:{id}"));

    // The same job again changes nothing: same counts, the entry's time is unchanged.
    let before = source.last_update_ms;
    let again = create_job(
        &client,
        &url,
        SuppressionListImportAction::Put,
        DataFormat::Csv,
    )
    .await;
    let job = finished(&client, &again).await;
    assert_eq!(job.job_status(), Some(&JobStatus::Completed));
    assert_eq!(
        (job.processed_records_count(), job.failed_records_count()),
        (Some(3), Some(2))
    );
    let after = server
        .store()
        .get_suppressed("ann@customer.org")
        .await
        .expect("get")
        .expect("entry");
    assert_eq!(after.last_update_ms, before);
    assert_eq!(after.source, format!("import:{id}"), "first import kept");
    assert_eq!(server.store().count_suppressed().await.expect("count"), 3);

    // A JSON DELETE job takes two of them off again.
    put_object(
        &s3,
        &bucket,
        "lists/delete.json",
        "{\"emailAddress\":\"ann@customer.org\"}\n{\"emailAddress\":\"Bob@customer.org\"}\n{\"email\":\"x@y.org\"}\n",
    )
    .await;
    let id = create_job(
        &client,
        &format!("s3://{bucket}/lists/delete.json"),
        SuppressionListImportAction::Delete,
        DataFormat::Json,
    )
    .await;
    let job = finished(&client, &id).await;
    assert_eq!(job.job_status(), Some(&JobStatus::Completed), "{job:?}");
    assert_eq!(
        (job.processed_records_count(), job.failed_records_count()),
        (Some(2), Some(1))
    );
    assert_eq!(reason_of(&client, "ann@customer.org").await, None);
    assert_eq!(reason_of(&client, "Bob@customer.org").await, None);
    assert_eq!(
        reason_of(&client, "dan@customer.org").await,
        Some(SuppressionListReason::Complaint)
    );
    assert!(index.lookup("ann@customer.org").is_none());
    assert!(index.lookup("dan@customer.org").is_some());

    // ListImportJobs shows all three.
    let listed = client
        .list_import_jobs()
        .send()
        .await
        .expect("ListImportJobs");
    assert_eq!(listed.import_jobs().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_missing_key_or_bucket_fails_the_job_with_a_message() {
    let Some(moto) = moto_url() else { return };
    let s3 = moto_s3(&moto);
    let bucket = bucket_name("missing");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let server = start(Some(&moto)).await;
    let client = server.ses_v2();

    let id = create_job(
        &client,
        &format!("s3://{bucket}/no/such.csv"),
        SuppressionListImportAction::Put,
        DataFormat::Csv,
    )
    .await;
    let job = finished(&client, &id).await;
    assert_eq!(job.job_status(), Some(&JobStatus::Failed));
    assert_eq!(
        job.failure_info().and_then(|f| f.error_message()),
        Some(
            format!("the object \"no/such.csv\" does not exist in the bucket \"{bucket}\"")
                .as_str()
        )
    );
    assert_eq!(job.processed_records_count(), Some(0));

    let id = create_job(
        &client,
        &format!("s3://{bucket}-gone/list.csv"),
        SuppressionListImportAction::Delete,
        DataFormat::Csv,
    )
    .await;
    let job = finished(&client, &id).await;
    assert_eq!(job.job_status(), Some(&JobStatus::Failed));
    assert_eq!(
        job.failure_info().and_then(|f| f.error_message()),
        Some(format!("the bucket \"{bucket}-gone\" does not exist").as_str())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_job_left_in_progress_by_a_stopped_server_is_failed() {
    let server = start(None).await;
    let now = chrono::Utc::now().timestamp_millis();
    let job = |id: &str, created_ms: i64| ImportJobRecord {
        id: id.to_string(),
        action: ImportAction::Put,
        data_format: "CSV".to_string(),
        source_url: "s3://b/k.csv".to_string(),
        status: ImportJobStatus::Processing,
        processed_count: 10_000,
        failed_count: 0,
        error_message: None,
        created_ms,
        completed_ms: None,
    };
    // One from a server that stopped a minute ago, one that is still running (created just now,
    // fresh heartbeat). The running one must not look stale even for an instant: the server's
    // own sweep (at start and every 15 s) may run between any two of these calls. That an old
    // job is kept alive by its heartbeat alone is the store test's job
    // (bounceguard-store/tests/suppression.rs).
    let store = server.store();
    assert!(
        store
            .create_import_job(&job("crashed", now - 60_000))
            .await
            .expect("create")
    );
    assert!(
        store
            .create_import_job(&job("running", now))
            .await
            .expect("create")
    );
    assert!(
        store
            .heartbeat_import_job("running", now)
            .await
            .expect("heartbeat")
    );

    // The sync task sweeps too (at start and periodically), so the count may already be taken.
    let swept = server
        .gateway()
        .fail_stale_import_jobs()
        .await
        .expect("sweep");
    assert!(swept <= 1, "{swept}");
    assert_eq!(
        server
            .gateway()
            .fail_stale_import_jobs()
            .await
            .expect("sweep"),
        0
    );
    let client = server.ses_v2();
    let crashed = client
        .get_import_job()
        .job_id("crashed")
        .send()
        .await
        .expect("GetImportJob");
    assert_eq!(crashed.job_status(), Some(&JobStatus::Failed));
    assert_eq!(
        crashed.failure_info().and_then(|f| f.error_message()),
        Some(STALE_MESSAGE)
    );
    assert_eq!(crashed.processed_records_count(), Some(10_000));
    assert!(crashed.completed_timestamp().is_some());
    let running = client
        .get_import_job()
        .job_id("running")
        .send()
        .await
        .expect("GetImportJob");
    assert_eq!(running.job_status(), Some(&JobStatus::Processing));
    server.stop().await;
}

#[test]
fn s3_settings_come_from_the_s3_section_or_the_environment() {
    use bounceguard_s3::S3Settings;
    let load = |toml: &str, env: &[(&str, &str)]| {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_toml_and_env(toml, &env)
    };
    // Nothing set: the gateway's region, the region's own endpoint, virtual-hosted style.
    let config = load("region = \"eu-west-1\"\n", &[]).expect("config");
    assert_eq!(
        config.s3_settings(),
        S3Settings {
            region: "eu-west-1".to_string(),
            endpoint_url: None,
            force_path_style: false,
        }
    );
    // The environment takes TOML syntax, as for the other sections.
    let config = load(
        "",
        &[(
            "BOUNCEGUARD_S3",
            "{endpoint_url = \"http://127.0.0.1:9000\", region = \"us-west-2\"}",
        )],
    )
    .expect("config");
    assert_eq!(
        config.s3_settings(),
        S3Settings {
            region: "us-west-2".to_string(),
            endpoint_url: Some("http://127.0.0.1:9000".to_string()),
            force_path_style: true,
        }
    );
    // Path style can be turned off for an endpoint that wants virtual-hosted buckets.
    let config = load(
        "[s3]\nendpoint_url = \"https://s3.example\"\nforce_path_style = false\n",
        &[],
    )
    .expect("config");
    assert!(!config.s3_settings().force_path_style);
    // A misspelt key is refused, not ignored.
    assert!(load("[s3]\nendpoint = \"https://s3.example\"\n", &[]).is_err());
}
