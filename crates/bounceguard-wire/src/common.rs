//! Checks shared by the v1 and v2 fronts: recipients, the 50-recipient limit, message tags.

use bounceguard_core::address::Mailbox;
use bounceguard_core::{MessageTag, Recipient, RecipientKind, SesError};

/// SES's limit on recipients per message, across To, Cc and Bcc (ses-spec §9).
pub const MAX_RECIPIENTS: usize = 50;

/// Longest tag name or value SES accepts (observed; the model says 256).
pub const MAX_TAG_LEN: usize = 255;

/// Parses one destination list; one malformed address rejects the whole call.
pub fn parse_recipients(
    addresses: &[String],
    kind: RecipientKind,
) -> Result<Vec<Recipient>, SesError> {
    addresses
        .iter()
        .map(|original| {
            Ok(Recipient {
                original: original.clone(),
                mailbox: Mailbox::parse(original)?,
                kind,
            })
        })
        .collect()
}

/// Refuses more than [`MAX_RECIPIENTS`] recipients with SES's text.
pub fn check_recipient_count(count: usize) -> Result<(), SesError> {
    if count > MAX_RECIPIENTS {
        return Err(SesError::invalid(format!(
            "Recipient count exceeds {MAX_RECIPIENTS}."
        )));
    }
    Ok(())
}

/// Validates message tags with the messages recorded against real AWS (ses-spec §1.3).
pub fn validate_tags(tags: &[MessageTag]) -> Result<(), SesError> {
    for tag in tags {
        if tag.name.is_empty() {
            return Err(SesError::invalid("The tag name must be specified."));
        }
        if tag.value.is_empty() {
            return Err(SesError::invalid("The tag value must be specified."));
        }
        if tag.name.len() > MAX_TAG_LEN {
            return Err(SesError::invalid("Tag name cannot exceed 255 characters."));
        }
        if tag.value.len() > MAX_TAG_LEN {
            return Err(SesError::invalid("Tag value cannot exceed 255 characters."));
        }
        let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        // The `ses:` prefix marks SES's own tags and is not part of the validated name (LocalStack's
        // AWS-recorded behaviour).
        let bare = tag.name.strip_prefix("ses:").unwrap_or(&tag.name);
        if !bare.chars().all(name_ok) {
            return Err(SesError::invalid(format!(
                "Invalid tag name <{}>: only alphanumeric ASCII characters, '_',  '-' are allowed.",
                tag.name
            )));
        }
        let value_ok = |c: char| name_ok(c) || c == '.' || c == '@';
        if !tag.value.chars().all(value_ok) {
            return Err(SesError::invalid(format!(
                "Invalid tag value <{}>: only alphanumeric ASCII characters, '_',  '-' , '.', '@' are allowed.",
                tag.value
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, value: &str) -> MessageTag {
        MessageTag {
            name: name.into(),
            value: value.into(),
        }
    }

    fn tag_error(name: &str, value: &str) -> String {
        validate_tags(&[tag(name, value)])
            .expect_err("invalid")
            .message
    }

    #[test]
    fn tag_messages_match_aws_recordings() {
        assert!(validate_tags(&[tag("campaign", "jan-24"), tag("who", "a.b@c")]).is_ok());
        assert_eq!(tag_error("", "v"), "The tag name must be specified.");
        assert_eq!(tag_error("n", ""), "The tag value must be specified.");
        assert_eq!(
            tag_error("a b", "v"),
            "Invalid tag name <a b>: only alphanumeric ASCII characters, '_',  '-' are allowed."
        );
        assert_eq!(
            tag_error("n", "v!"),
            "Invalid tag value <v!>: only alphanumeric ASCII characters, '_',  '-' , '.', '@' are allowed."
        );
        assert_eq!(
            tag_error(&"n".repeat(256), "v"),
            "Tag name cannot exceed 255 characters."
        );
    }

    #[test]
    fn fifty_recipients_pass_and_fifty_one_fail() {
        assert!(check_recipient_count(50).is_ok());
        let e = check_recipient_count(51).expect_err("over the limit");
        assert_eq!(e.message, "Recipient count exceeds 50.");
        assert_eq!(e.code, bounceguard_core::ErrorCode::InvalidParameterValue);
    }

    #[test]
    fn one_bad_address_rejects_the_list() {
        let list = vec!["a@x.org".to_string(), "broken".to_string()];
        let e = parse_recipients(&list, RecipientKind::To).expect_err("bad address");
        assert_eq!(e.message, "Missing final '@domain'");
    }
}
