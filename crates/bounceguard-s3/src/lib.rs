//! Reads the data source of a suppression-list import job (CreateImportJob's
//! `ImportDataSource.S3Url`, ses-spec §6) from Amazon S3 through the official SDK.
//!
//! The object is streamed: [`S3Source::open`] answers once S3 has sent the response head, and
//! the body is read as it arrives ([`S3Object::into_async_read`]), so an import never holds the
//! whole file. The SDK lives in this crate alone so that the service's edit–test loop does not
//! rebuild it.
//!
//! Credentials come from the standard chain (environment, profile, web identity, container and
//! instance roles); region and endpoint from [`S3Settings`].

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncBufRead;

/// Where the S3 client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// Another endpoint than the region's (a VPC endpoint, MinIO, moto in tests).
    pub endpoint_url: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key` (what
    /// S3-compatible servers on a plain host:port need).
    pub force_path_style: bool,
}

/// A parsed `s3://bucket/key` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket name.
    pub bucket: String,
    /// The object key (may contain `/`).
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket/key`: a non-empty bucket without `/`, then a non-empty key.
    pub fn parse(url: &str) -> Result<Self, S3Error> {
        let invalid = || S3Error::InvalidUrl {
            url: url.to_string(),
        };
        let rest = url.strip_prefix("s3://").ok_or_else(invalid)?;
        let (bucket, key) = rest.split_once('/').ok_or_else(invalid)?;
        if bucket.is_empty() || key.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Why an object could not be read. The texts are meant for `FailureInfo.ErrorMessage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    /// The URL is not `s3://bucket/key`.
    #[error("the S3Url {url:?} is not of the form s3://bucket/key")]
    InvalidUrl {
        /// The URL as given.
        url: String,
    },
    /// The bucket does not exist.
    #[error("the bucket {bucket:?} does not exist")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The bucket exists, the key does not.
    #[error("the object {key:?} does not exist in the bucket {bucket:?}")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// S3 refused the credentials or the policy does not allow `s3:GetObject`.
    #[error("access to {url} was denied: {message}")]
    AccessDenied {
        /// The object's URL.
        url: String,
        /// S3's own text (or its error code).
        message: String,
    },
    /// Anything else: another S3 error, a network failure, no credentials.
    #[error("reading {url} failed: {message}")]
    Other {
        /// The object's URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// An object being read: its size when S3 said it, and the body.
pub struct S3Object {
    /// `Content-Length`, if known.
    pub content_length: Option<u64>,
    body: ByteStream,
}

impl std::fmt::Debug for S3Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Object")
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl S3Object {
    /// The body as a buffered async reader; bytes arrive as S3 sends them. A failure part-way
    /// through surfaces as an I/O error from the reader.
    pub fn into_async_read(self) -> impl AsyncBufRead + Send + Unpin + 'static {
        self.body.into_async_read()
    }
}

/// Opens S3 objects with one SDK client.
#[derive(Debug, Clone)]
pub struct S3Source {
    client: Client,
}

impl S3Source {
    /// Builds the client with the standard credential chain and the given region and endpoint.
    /// No request is made here; credentials are resolved on the first read.
    pub async fn from_env(settings: &S3Settings) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()));
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Self::from_sdk_config(&sdk, settings.force_path_style)
    }

    /// Builds the client from an already loaded SDK config.
    pub fn from_sdk_config(sdk: &SdkConfig, force_path_style: bool) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(force_path_style)
            .build();
        Self {
            client: Client::from_conf(conf),
        }
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Starts reading `url` (GetObject); answers when the response head has arrived.
    pub async fn open(&self, url: &S3Url) -> Result<S3Object, S3Error> {
        let output = self
            .client
            .get_object()
            .bucket(&url.bucket)
            .key(&url.key)
            .send()
            .await
            .map_err(|e| classify(url, &e))?;
        Ok(S3Object {
            content_length: output.content_length().and_then(|n| u64::try_from(n).ok()),
            body: output.body,
        })
    }
}

/// Maps a failed GetObject to an [`S3Error`].
fn classify<R>(url: &S3Url, error: &SdkError<GetObjectError, R>) -> S3Error
where
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let err = context.err();
            if matches!(err, GetObjectError::NoSuchKey(_)) {
                return S3Error::NoSuchKey {
                    bucket: url.bucket.clone(),
                    key: url.key.clone(),
                };
            }
            let code = err.code().unwrap_or_default();
            let message = err.message().unwrap_or(code).to_string();
            match code {
                "NoSuchKey" => S3Error::NoSuchKey {
                    bucket: url.bucket.clone(),
                    key: url.key.clone(),
                },
                "NoSuchBucket" => S3Error::NoSuchBucket {
                    bucket: url.bucket.clone(),
                },
                "AccessDenied"
                | "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "AllAccessDisabled" => S3Error::AccessDenied {
                    url: url.to_string(),
                    message: if message.is_empty() {
                        code.to_string()
                    } else {
                        message
                    },
                },
                _ => S3Error::Other {
                    url: url.to_string(),
                    message: format!("{code}: {message}"),
                },
            }
        }
        other => S3Error::Other {
            url: url.to_string(),
            message: error_chain(other),
        },
    }
}

/// An error and its sources on one line (the SDK's top-level texts say little alone).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_bucket_and_key() {
        assert_eq!(
            S3Url::parse("s3://my-bucket/imports/2026/list.csv"),
            Ok(S3Url {
                bucket: "my-bucket".to_string(),
                key: "imports/2026/list.csv".to_string(),
            })
        );
        for bad in [
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "https://b/k",
            "",
        ] {
            assert!(
                matches!(S3Url::parse(bad), Err(S3Error::InvalidUrl { .. })),
                "{bad:?}"
            );
        }
        let url = S3Url::parse("s3://b/a/b.csv").map(|u| u.to_string());
        assert_eq!(url.as_deref(), Ok("s3://b/a/b.csv"));
    }
}
