//! The pieces of a SigV4 canonical request that depend only on the request bytes
//! (`ses-spec.md` §3 step 3): canonical URI, canonical query string and header values.
//!
//! Nothing here can fail: bad percent-escapes stay literal (and so get re-encoded as `%25…`),
//! non-UTF-8 bytes are percent-encoded byte by byte, and header values are used as raw bytes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};
use std::borrow::Cow;

/// Everything but the RFC 3986 unreserved set `A-Za-z0-9-_.~` gets percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Like [`UNRESERVED`], but `/` separates path segments and is kept.
const PATH_SAFE: &AsciiSet = &UNRESERVED.remove(b'/');

/// One decoded query parameter: key and value as bytes.
pub(crate) type QueryPair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Appends the canonical URI for a raw (still percent-encoded) request path.
///
/// Dot segments and empty segments are removed (as botocore and aws-sigv4 do), then the path is
/// encoded once more, keeping `/`: non-S3 services double-encode, so `%40` is signed as `%2540`.
pub(crate) fn write_canonical_uri(out: &mut Vec<u8>, raw_path: &str) {
    let path = normalize_path(raw_path);
    for chunk in percent_encode(path.as_bytes(), PATH_SAFE) {
        out.extend_from_slice(chunk.as_bytes());
    }
}

/// RFC 3986 §5.2.4 "remove dot segments", plus collapsing `//`; the result starts with `/`.
fn normalize_path(raw: &str) -> Cow<'_, str> {
    if raw.is_empty() {
        return Cow::Borrowed("/");
    }
    let needs_work = !raw.starts_with('/')
        || raw.contains("//")
        || raw.split('/').any(|seg| seg == "." || seg == "..");
    if !needs_work {
        return Cow::Borrowed(raw);
    }
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    // A path that names a directory ("/a/", "/a/.", "/a/b/..") keeps its trailing slash.
    let names_directory = raw.ends_with('/') || raw.ends_with("/.") || raw.ends_with("/..");
    if out.is_empty() || (names_directory && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Splits a raw query string into decoded pairs, in order; `+` decodes to a space (as the
/// form-urlencoded reading aws-sigv4 uses), empty pieces between `&&` are skipped.
pub(crate) fn parse_query(raw: &str) -> Vec<QueryPair<'_>> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_component(key), decode_component(value))
        })
        .collect()
}

/// Percent-decodes one query component; invalid escapes are kept literally.
fn decode_component(s: &str) -> Cow<'_, [u8]> {
    if s.contains('+') {
        let spaced: Vec<u8> = s
            .bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect();
        Cow::Owned(percent_decode(&spaced).collect())
    } else {
        percent_decode(s.as_bytes()).into()
    }
}

/// Appends the canonical query string: every pair re-encoded with the unreserved set, sorted by
/// encoded key then encoded value, joined as `k=v&k2=` (an empty value keeps its `=`).
/// `skip_key` (used for `X-Amz-Signature` in presigned requests) is left out.
pub(crate) fn write_canonical_query(
    out: &mut Vec<u8>,
    pairs: &[QueryPair<'_>],
    skip_key: Option<&[u8]>,
) {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .filter(|(key, _)| skip_key != Some(key.as_ref()))
        .map(|(key, value)| {
            (
                percent_encode(key, UNRESERVED).to_string(),
                percent_encode(value, UNRESERVED).to_string(),
            )
        })
        .collect();
    encoded.sort_unstable();
    for (i, (key, value)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
}

/// Appends one header value with leading and trailing spaces removed and inner runs of spaces
/// collapsed to one (spaces only, as aws-sigv4 and S3 do).
pub(crate) fn write_header_value(out: &mut Vec<u8>, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    let mut previous_space = false;
    for &b in &value[start..end] {
        if b == b' ' {
            if previous_space {
                continue;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(raw: &str) -> String {
        let mut out = Vec::new();
        write_canonical_uri(&mut out, raw);
        String::from_utf8(out).unwrap_or_default()
    }

    fn query(raw: &str, skip: Option<&[u8]>) -> String {
        let mut out = Vec::new();
        write_canonical_query(&mut out, &parse_query(raw), skip);
        String::from_utf8(out).unwrap_or_default()
    }

    fn value(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_header_value(&mut out, raw);
        out
    }

    #[test]
    fn uri_is_double_encoded_as_in_the_spec_example() {
        // ses-spec §3: `/v2/email/identities/a%40b.com` is signed as `…/a%2540b.com`.
        assert_eq!(
            uri("/v2/email/identities/a%40b.com"),
            "/v2/email/identities/a%2540b.com"
        );
        assert_eq!(uri("/"), "/");
        assert_eq!(uri(""), "/");
        // `~` is unreserved; other reserved characters get encoded.
        assert_eq!(uri("/a~b/c:d"), "/a~b/c%3Ad");
    }

    #[test]
    fn uri_dot_segments_and_double_slashes_are_removed() {
        assert_eq!(uri("/a/./b/../c"), "/a/c");
        assert_eq!(uri("/a//b"), "/a/b");
        assert_eq!(uri("/../a"), "/a");
        assert_eq!(uri("/a/b/.."), "/a/");
        assert_eq!(uri("/a/."), "/a/");
        assert_eq!(uri("/a/"), "/a/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/.."), "/");
        // `.` inside a segment is an ordinary character.
        assert_eq!(uri("/a.b/..c"), "/a.b/..c");
    }

    #[test]
    fn uri_bad_escapes_and_raw_bytes_never_fail() {
        assert_eq!(uri("/%zz/%"), "/%25zz/%25");
        assert_eq!(uri("/é"), "/%C3%A9");
    }

    #[test]
    fn query_sorted_by_key_then_value_with_empty_values_kept() {
        assert_eq!(query("b=2&a=2&a=1&c", None), "a=1&a=2&b=2&c=");
        // Sorting is on the encoded form: `%2F` sorts before `A`.
        assert_eq!(
            query("PageSize=10&NextToken=a%2Fb", None),
            "NextToken=a%2Fb&PageSize=10"
        );
    }

    #[test]
    fn query_is_reencoded_with_the_unreserved_set() {
        assert_eq!(query("k=a%20b", None), "k=a%20b");
        assert_eq!(query("k=a+b", None), "k=a%20b");
        assert_eq!(query("k=%7e%2a", None), "k=~%2A");
        assert_eq!(query("k=a b:c", None), "k=a%20b%3Ac");
        assert_eq!(query("k=%zz", None), "k=%25zz");
        assert_eq!(query("&&k=1&&", None), "k=1");
    }

    #[test]
    fn query_skips_the_signature_parameter_when_asked() {
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", Some(b"X-Amz-Signature")),
            "X-Amz-Date=1"
        );
    }

    #[test]
    fn header_values_trimmed_and_collapsed() {
        assert_eq!(value(b"  a   b  c "), b"a b c");
        assert_eq!(value(b"   "), b"");
        assert_eq!(value(b"a\tb"), b"a\tb");
        assert_eq!(value(&[0xff, b' ', b' ', 0xfe]), [0xff, b' ', 0xfe]);
    }
}
