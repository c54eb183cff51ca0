//! The XML SES v1 answers with (ses-spec §1.3–§1.8), written with quick-xml's `Writer`.
//!
//! Shape: `<{Op}Response xmlns="…2010-12-01/"><{Op}Result>…</{Op}Result><ResponseMetadata>
//! <RequestId>…</RequestId></ResponseMetadata></{Op}Response>`, indented by two spaces like
//! AWS's samples, no XML declaration, and a final line end. Element names and their order follow
//! botocore's model (`botocore/data/ses/2010-12-01/service-2.json`), checked for: the
//! `resultWrapper` of each operation, VerifyEmailAddress having no output (so no Result element),
//! `ListIdentitiesResponse` (Identities, NextToken), `IdentityVerificationAttributes`
//! (VerificationStatus, VerificationToken), `SendDataPoint` (Timestamp, DeliveryAttempts,
//! Bounces, Complaints, Rejects), `GetIdentityPoliciesResult` (`Policies`, a map written as
//! `entry`/`key`/`value` as in ses-spec §1.7), `ListIdentityPoliciesResult` (`PolicyNames`, a
//! `member` list). GetSendQuota follows the order of AWS's sample in ses-spec §1.5
//! (SentLast24Hours, Max24HourSend, MaxSendRate); clients read fields by name.
//!
//! Text is escaped for `<`, `>` and `&` (quotes need no escaping in element text), and
//! characters XML 1.0 cannot carry (most C0 controls, U+FFFE, U+FFFF) become U+FFFD, so a client
//! can always parse the answer even when an error message quotes hostile input.
//!
//! The timestamp formatting (days to a civil date) is hand-written because the wire crate has no
//! date crate; it is the well-known days-from-civil inverse (H. Hinnant's `civil_from_days`).

use std::borrow::Cow;
use std::io;

use bounceguard_core::stats::SendDataPoint;
use bounceguard_core::{Identity, IdentityType, Output, SendQuota, SesError};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use super::XML_NAMESPACE;

/// The success body for `op_name` (an `Operation::name()` or `Action::name()`).
///
/// Outputs that v1 has no element for (the v2-only `EmailIdentity` and `Account`) give an empty
/// Result element; the service never pairs them with a v1 action.
pub fn encode_output(op_name: &str, output: &Output, request_id: &str) -> String {
    render(|xml| {
        let response = format!("{op_name}Response");
        xml.open_root(&response)?;
        // VerifyEmailAddress is the one operation here without an output shape.
        if op_name != "VerifyEmailAddress" {
            let result = format!("{op_name}Result");
            if result_is_empty(output) {
                xml.empty(&result)?;
            } else {
                xml.open(&result)?;
                write_result(xml, output)?;
                xml.close(&result)?;
            }
        }
        xml.open("ResponseMetadata")?;
        xml.leaf("RequestId", request_id)?;
        xml.close("ResponseMetadata")?;
        xml.close(&response)
    })
}

/// The `ErrorResponse` body for `err` (ses-spec §1.8); the HTTP status is `err.code.v1_status()`.
pub fn encode_error(err: &SesError, request_id: &str) -> String {
    render(|xml| {
        xml.open_root("ErrorResponse")?;
        xml.open("Error")?;
        xml.leaf("Type", err.code.fault())?;
        xml.leaf("Code", err.code.v1_code())?;
        xml.leaf("Message", &err.message)?;
        xml.close("Error")?;
        xml.leaf("RequestId", request_id)?;
        xml.close("ErrorResponse")
    })
}

/// Whether the Result element of `output` has no children.
fn result_is_empty(output: &Output) -> bool {
    matches!(
        output,
        Output::Empty
            | Output::EmailIdentity(_)
            | Output::EmailIdentityDetails(..)
            | Output::Account(_)
    )
}

fn write_result(xml: &mut Xml, output: &Output) -> io::Result<()> {
    match output {
        Output::MessageId(id) => xml.leaf("MessageId", id),
        Output::VerificationToken(token) => xml.leaf("VerificationToken", token),
        Output::Identities {
            identities,
            next_token,
        } => {
            if identities.is_empty() {
                xml.empty("Identities")?;
            } else {
                xml.open("Identities")?;
                for identity in identities {
                    xml.leaf("member", &identity.name)?;
                }
                xml.close("Identities")?;
            }
            match next_token {
                Some(token) => xml.leaf("NextToken", token),
                None => Ok(()),
            }
        }
        Output::VerificationAttributes(identities) => write_verification(xml, identities),
        Output::SendQuota(quota) => write_quota(xml, quota),
        Output::SendStatistics(points) => write_statistics(xml, points),
        Output::Policies(policies) => write_policies(xml, policies),
        Output::PolicyNames(names) => {
            if names.is_empty() {
                xml.empty("PolicyNames")
            } else {
                xml.open("PolicyNames")?;
                for name in names {
                    xml.leaf("member", name)?;
                }
                xml.close("PolicyNames")
            }
        }
        Output::Empty
        | Output::EmailIdentity(_)
        | Output::EmailIdentityDetails(..)
        | Output::Account(_) => Ok(()),
    }
}

/// `<Policies><entry><key>name</key><value>document</value></entry>…</Policies>` (ses-spec §1.7).
fn write_policies(xml: &mut Xml, policies: &[(String, String)]) -> io::Result<()> {
    if policies.is_empty() {
        return xml.empty("Policies");
    }
    xml.open("Policies")?;
    for (name, document) in policies {
        xml.open("entry")?;
        xml.leaf("key", name)?;
        xml.leaf("value", document)?;
        xml.close("entry")?;
    }
    xml.close("Policies")
}

fn write_verification(xml: &mut Xml, identities: &[Identity]) -> io::Result<()> {
    if identities.is_empty() {
        return xml.empty("VerificationAttributes");
    }
    xml.open("VerificationAttributes")?;
    for identity in identities {
        xml.open("entry")?;
        xml.leaf("key", &identity.name)?;
        xml.open("value")?;
        // The service keeps only identities it treats as verified.
        xml.leaf("VerificationStatus", "Success")?;
        if identity.identity_type == IdentityType::Domain
            && let Some(token) = &identity.verification_token
        {
            xml.leaf("VerificationToken", token)?;
        }
        xml.close("value")?;
        xml.close("entry")?;
    }
    xml.close("VerificationAttributes")
}

fn write_quota(xml: &mut Xml, quota: &SendQuota) -> io::Result<()> {
    xml.leaf("SentLast24Hours", &format_double(quota.sent_last_24_hours))?;
    xml.leaf("Max24HourSend", &format_double(quota.max_24_hour_send))?;
    xml.leaf("MaxSendRate", &format_double(quota.max_send_rate))
}

fn write_statistics(xml: &mut Xml, points: &[SendDataPoint]) -> io::Result<()> {
    if points.is_empty() {
        return xml.empty("SendDataPoints");
    }
    xml.open("SendDataPoints")?;
    for point in points {
        xml.open("member")?;
        xml.leaf("Timestamp", &format_timestamp(point.timestamp_ms))?;
        xml.leaf("DeliveryAttempts", &point.delivery_attempts.to_string())?;
        xml.leaf("Bounces", &point.bounces.to_string())?;
        xml.leaf("Complaints", &point.complaints.to_string())?;
        xml.leaf("Rejects", &point.rejects.to_string())?;
        xml.close("member")?;
    }
    xml.close("SendDataPoints")
}

/// A double as SES prints it: integral values keep `.0` (`200.0`, `-1.0`), others print in
/// shortest form (`0.5`); non-finite values use Java's spellings.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// An ISO 8601 UTC timestamp, `2024-01-15T10:15:00Z`, with `.mmm` only when the milliseconds
/// are not zero.
pub fn format_timestamp(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000);
    let millis = unix_ms.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    if millis == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    }
}

/// Year, month (1–12) and day (1–31) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Keeps only characters XML 1.0 allows in text; the rest become U+FFFD.
fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// A thin layer over quick-xml's indenting writer.
struct Xml {
    writer: Writer<Vec<u8>>,
}

impl Xml {
    fn open_root(&mut self, name: &str) -> io::Result<()> {
        self.writer.write_event(Event::Start(
            BytesStart::new(name).with_attributes([("xmlns", XML_NAMESPACE)]),
        ))
    }

    fn open(&mut self, name: &str) -> io::Result<()> {
        self.writer.write_event(Event::Start(BytesStart::new(name)))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.writer.write_event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str) -> io::Result<()> {
        self.writer.write_event(Event::Empty(BytesStart::new(name)))
    }

    /// `<name>text</name>`, with the text escaped.
    fn leaf(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.open(name)?;
        let escaped = partial_escape(xml_safe(text));
        self.writer
            .write_event(Event::Text(BytesText::from_escaped(escaped)))?;
        self.close(name)
    }
}

/// Runs `body` on a fresh indenting writer and returns the text with a final line end.
fn render(body: impl FnOnce(&mut Xml) -> io::Result<()>) -> String {
    let mut xml = Xml {
        writer: Writer::new_with_indent(Vec::new(), b' ', 2),
    };
    // Writing into a Vec cannot fail, and every piece written is UTF-8 text.
    if body(&mut xml).is_err() {
        return String::new();
    }
    let mut bytes = xml.writer.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_keep_point_zero() {
        assert_eq!(format_double(200.0), "200.0");
        assert_eq!(format_double(-1.0), "-1.0");
        assert_eq!(format_double(0.0), "0.0");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(format_double(14.25), "14.25");
        assert_eq!(format_double(50_000.0), "50000.0");
        assert_eq!(format_double(f64::NAN), "NaN");
        assert_eq!(format_double(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn timestamps_are_iso_utc() {
        // 1705313700 s = 2024-01-15T10:15:00Z (checked with `date -u -d @1705313700`).
        assert_eq!(format_timestamp(1_705_313_700_000), "2024-01-15T10:15:00Z");
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
        // 951782400 s = 2000-02-29T00:00:00Z, a leap day in a year divisible by 400.
        assert_eq!(format_timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(
            format_timestamp(951_782_400_123),
            "2000-02-29T00:00:00.123Z"
        );
        // Extremes do not panic.
        assert!(!format_timestamp(i64::MAX).is_empty());
        assert!(!format_timestamp(i64::MIN).is_empty());
    }

    #[test]
    fn text_is_escaped_and_made_xml_safe() {
        let err = SesError::invalid("a <b> & 'c' \"d\" \u{0}\u{7}\u{FFFF}\tz");
        let body = encode_error(&err, "r");
        assert!(
            body.contains(
                "<Message>a &lt;b&gt; &amp; 'c' \"d\" \u{FFFD}\u{FFFD}\u{FFFD}\tz</Message>"
            ),
            "{body}"
        );
    }
}
