//! Reading and writing MIME messages (owned by the MIME/v2 helper; signatures are the contract).

use bounceguard_core::{ApiVersion, SendRequest, SesError};

/// The parameters of a raw send that come from outside the message itself.
#[derive(Debug, Clone, Default)]
pub struct RawSendParams {
    /// `Source` (v1) or `FromEmailAddress` (v2), when given.
    pub source: Option<String>,
    /// `Destinations` (v1) or the v2 `Destination` lists flattened, when given.
    pub destinations: Option<Vec<String>>,
    /// `SourceArn` / `FromEmailAddressIdentityArn`.
    pub source_arn: Option<String>,
    /// `FromArn`.
    pub from_arn: Option<String>,
    /// `ReturnPathArn` / `FeedbackForwardingEmailAddressIdentityArn`.
    pub return_path_arn: Option<String>,
    /// `ConfigurationSetName`.
    pub configuration_set: Option<String>,
    /// Message tags given as parameters.
    pub tags: Vec<bounceguard_core::MessageTag>,
}

/// Builds the [`SendRequest`] of a raw send from the decoded MIME bytes and the parameters,
/// applying SES's rules (ses-spec §1.4).
pub fn raw_send(
    _api: ApiVersion,
    _data: bytes::Bytes,
    _params: RawSendParams,
) -> Result<SendRequest, SesError> {
    Err(SesError::internal())
}
