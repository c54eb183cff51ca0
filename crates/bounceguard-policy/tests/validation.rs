//! Every refusal of `Policy::parse`, with its exact text, and the limits.
//!
//! SES's own texts are used where one is known (`Unknown or unapplicable condition field '…'.`,
//! ses-spec §1.7); the others follow the `Policy has … : <what> (statement N, Sid "X")` shape.

use bounceguard_core::{ErrorCode, SesError};
use bounceguard_policy::{MAX_POLICY_NAME_LEN, MAX_POLICY_SIZE, Policy, PolicyError};

const ID: &str = "arn:aws:ses:eu-west-1:111122223333:identity/shop.example";

fn parse(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse("p", doc, ID)
}

/// A one-statement policy whose statement is `{"Sid":"S", <fields>}` plus the usual elements
/// unless `fields` overrides them.
fn stmt(fields: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S",{fields}}}]}}"#)
}

const OK: &str = r#""Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"arn:aws:ses:eu-west-1:111122223333:identity/shop.example""#;

fn with_condition(condition: &str) -> String {
    stmt(&format!(r#"{OK},"Condition":{condition}"#))
}

#[test]
fn document_level_refusals() {
    let cases: &[(&str, &str)] = &[
        ("[]", "Policy must be a JSON object, not an array."),
        (
            "{",
            "Policy is not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        (
            r#"{"Statement":[],"Statement":[]}"#,
            "Policy is not valid JSON: duplicate member 'Statement' at line 1 column 27",
        ),
        (
            r#"{"Version":"2012-10-17"}"#,
            "Policy is missing required element: Statement.",
        ),
        (
            r#"{"Statement":[]}"#,
            "Policy must contain at least one statement.",
        ),
        (
            r#"{"Statement":"x"}"#,
            "Policy has an invalid Statement: a string is neither an object nor a list.",
        ),
        (
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            r#"Policy has an invalid version: '2020-01-01' (use "2012-10-17" or "2008-10-17")."#,
        ),
        (
            r#"{"Id":7,"Statement":[]}"#,
            "Policy has an invalid Id: a number is not a string.",
        ),
        (
            r#"{"Statment":[]}"#,
            "Policy has an invalid element: 'Statment'.",
        ),
    ];
    for (doc, want) in cases {
        let err = parse(doc).expect_err(doc);
        assert_eq!(err.message, *want, "{doc}");
        assert_eq!(err.statement, None, "{doc}");
    }
}

#[test]
fn statement_level_refusals() {
    let r = r#""Resource":"arn:aws:ses:eu-west-1:111122223333:identity/shop.example""#;
    let cases: Vec<(String, &str)> = vec![
        (
            r#"{"Statement":["x"]}"#.into(),
            "Policy has an invalid statement: a statement must be an object, not a string (statement 0)",
        ),
        (
            stmt(&format!(r#"{OK},"Foo":1"#)),
            r#"Policy has an invalid statement: unknown element 'Foo' (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(r#"{OK},"NotResource":"x""#)),
            r#"Policy has invalid resource: NotResource is not supported; name the identity in Resource (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(r#""Principal":"*","Action":"ses:SendEmail",{r}"#)),
            r#"Policy is missing a required element: Effect (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(
                r#""Effect":"allow","Principal":"*","Action":"ses:SendEmail",{r}"#
            )),
            r#"Policy has an invalid effect: 'allow' (use "Allow" or "Deny") (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(r#""Effect":"Allow","Action":"ses:SendEmail",{r}"#)),
            r#"Policy is missing a required element: Principal (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(
                r#""Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"ses:SendEmail",{r}"#
            )),
            r#"Policy has an invalid principal: Principal and NotPrincipal cannot both be present (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(r#""Effect":"Allow","Principal":"*",{r}"#)),
            r#"Policy is missing a required element: Action (statement 0, Sid "S")"#,
        ),
        (
            stmt(&format!(
                r#""Effect":"Allow","Principal":"*","Action":"ses:SendEmail","NotAction":"ses:SendRawEmail",{r}"#
            )),
            r#"Policy has an invalid action: Action and NotAction cannot both be present (statement 0, Sid "S")"#,
        ),
        (
            stmt(r#""Effect":"Allow","Principal":"*","Action":"ses:SendEmail""#),
            r#"Policy is missing a required element: Resource (statement 0, Sid "S")"#,
        ),
        (
            r#"{"Statement":[{"Sid":5}]}"#.into(),
            "Policy has an invalid statement: Sid must be a string, not a number (statement 0)",
        ),
    ];
    for (doc, want) in &cases {
        let err = parse(doc).expect_err(doc);
        assert_eq!(err.message, *want, "{doc}");
        assert_eq!(err.statement, Some(0), "{doc}");
    }
}

#[test]
fn duplicate_sid_is_refused_at_the_second_statement() {
    let doc =
        format!(r#"{{"Statement":[{{"Sid":"A",{OK}}},{{"Sid":"B",{OK}}},{{"Sid":"A",{OK}}}]}}"#);
    let err = parse(&doc).expect_err("duplicate");
    assert_eq!(
        err.message,
        r#"Policy has a duplicate statement id: "A" is used twice (statement 2, Sid "A")"#
    );
    assert_eq!(err.statement, Some(2));
    // Statements without Sid (or with an empty one) never clash.
    let doc = format!(r#"{{"Statement":[{{{OK}}},{{{OK}}},{{"Sid":"",{OK}}},{{"Sid":"",{OK}}}]}}"#);
    assert!(parse(&doc).is_ok());
}

#[test]
fn principal_refusals() {
    let with = |p: &str| {
        stmt(&format!(
            r#""Effect":"Allow","Principal":{p},"Action":"ses:SendEmail","Resource":"{ID}""#
        ))
    };
    let cases: &[(&str, &str)] = &[
        (
            r#""123456789012""#,
            r#"Policy has an invalid principal: Principal must be "*" or an object with AWS or Service, not '123456789012' (statement 0, Sid "S")"#,
        ),
        (
            "{}",
            r#"Policy has an invalid principal: Principal must be "*" or an object with AWS or Service, not an empty object (statement 0, Sid "S")"#,
        ),
        (
            r#"{"AWS":"arn:aws:iam::123456789012:user/*"}"#,
            r#"Policy has an invalid principal: 'arn:aws:iam::123456789012:user/*' is not an account id, account root, IAM user, IAM role or assumed-role ARN (statement 0, Sid "S")"#,
        ),
        (
            r#"{"AWS":"1234"}"#,
            r#"Policy has an invalid principal: '1234' is not an account id, account root, IAM user, IAM role or assumed-role ARN (statement 0, Sid "S")"#,
        ),
        (
            r#"{"AWS":[]}"#,
            r#"Policy has an invalid principal: Principal.AWS must be a string or a non-empty list of strings (statement 0, Sid "S")"#,
        ),
        (
            r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
            r#"Policy has an invalid principal: Principal type 'Federated' is not supported (AWS or Service) (statement 0, Sid "S")"#,
        ),
        (
            r#"{"Service":"Cognito IDP"}"#,
            r#"Policy has an invalid principal: 'Cognito IDP' is not a service principal (statement 0, Sid "S")"#,
        ),
    ];
    for (p, want) in cases {
        let err = parse(&with(p)).expect_err(p);
        assert_eq!(err.message, *want, "{p}");
    }
}

#[test]
fn action_refusals() {
    let with = |a: &str| {
        stmt(&format!(
            r#""Effect":"Allow","Principal":"*","Action":{a},"Resource":"{ID}""#
        ))
    };
    let cases: &[(&str, &str)] = &[
        (
            r#""s3:GetObject""#,
            r#"Policy has an invalid action: 's3:GetObject' is not an SES action (statement 0, Sid "S")"#,
        ),
        (
            r#""SendEmail""#,
            r#"Policy has an invalid action: 'SendEmail' is not of the form ses:Action (statement 0, Sid "S")"#,
        ),
        (
            r#""ses:Send Email""#,
            r#"Policy has an invalid action: 'ses:Send Email' is not a valid action name (statement 0, Sid "S")"#,
        ),
        (
            r#""ses:""#,
            r#"Policy has an invalid action: 'ses:' is not a valid action name (statement 0, Sid "S")"#,
        ),
        (
            "[]",
            r#"Policy has an invalid action: Action is an empty list (statement 0, Sid "S")"#,
        ),
        (
            r#"["ses:SendEmail", 5]"#,
            r#"Policy has an invalid action: Action entries must be strings, not a number (statement 0, Sid "S")"#,
        ),
    ];
    for (a, want) in cases {
        let err = parse(&with(a)).expect_err(a);
        assert_eq!(err.message, *want, "{a}");
    }
    // Accepted: any ses: action name, wildcards, upper-case service prefix, "*".
    for a in [
        r#""SES:SendEmail""#,
        r#""ses:*""#,
        r#""*""#,
        r#"["ses:Send?mail","ses:CreateEmailIdentityPolicy"]"#,
    ] {
        assert!(parse(&with(a)).is_ok(), "{a}");
    }
}

#[test]
fn resource_must_be_exactly_the_identity() {
    let with = |r: &str| {
        stmt(&format!(
            r#""Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":{r}"#
        ))
    };
    let cases: &[(&str, &str)] = &[
        (
            r#""*""#,
            r#"Policy has invalid resource: '*' is not the identity the policy is attached to (arn:aws:ses:eu-west-1:111122223333:identity/shop.example) (statement 0, Sid "S")"#,
        ),
        (
            r#""arn:aws:ses:eu-west-1:111122223333:identity/other.example""#,
            r#"Policy has invalid resource: 'arn:aws:ses:eu-west-1:111122223333:identity/other.example' is not the identity the policy is attached to (arn:aws:ses:eu-west-1:111122223333:identity/shop.example) (statement 0, Sid "S")"#,
        ),
        (
            r#"["arn:aws:ses:eu-west-1:111122223333:identity/shop.example","arn:aws:ses:eu-west-1:111122223333:identity/other.example"]"#,
            r#"Policy has invalid resource: a policy names exactly one resource, the identity it is attached to (statement 0, Sid "S")"#,
        ),
        (
            "[]",
            r#"Policy has invalid resource: Resource is an empty list (statement 0, Sid "S")"#,
        ),
        (
            "7",
            r#"Policy has invalid resource: Resource must be a string, not a number (statement 0, Sid "S")"#,
        ),
    ];
    for (r, want) in cases {
        let err = parse(&with(r)).expect_err(r);
        assert_eq!(err.message, *want, "{r}");
    }
    assert!(
        parse(&with(&format!(r#"["{ID}"]"#))).is_ok(),
        "a list of one is fine"
    );
}

#[test]
fn condition_refusals() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"StringEquals":{"AWS:SourceAccount":"111122223333"}}"#,
            "Unknown or unapplicable condition field 'AWS:SourceAccount'.",
        ),
        (
            r#"{"StringEquals":{"aws:username":"bob"}}"#,
            "Unknown or unapplicable condition field 'aws:username'.",
        ),
        (
            r#"{"StringEquals":{"ses:Recipient":"a@b"}}"#,
            "Unknown or unapplicable condition field 'ses:Recipient'.",
        ),
        (
            r#"{"StringEqualz":{"ses:FromAddress":"a@b"}}"#,
            r#"Policy has an invalid condition: unknown operator 'StringEqualz' (statement 0, Sid "S")"#,
        ),
        (
            r#"{"ForAnyValue:Null":{"ses:Recipients":"true"}}"#,
            r#"Policy has an invalid condition: unknown operator 'ForAnyValue:Null' (statement 0, Sid "S")"#,
        ),
        (
            r#"{"NullIfExists":{"ses:Recipients":"true"}}"#,
            r#"Policy has an invalid condition: unknown operator 'NullIfExists' (statement 0, Sid "S")"#,
        ),
        (
            r#"[]"#,
            r#"Policy has an invalid condition: Condition must be an object, not an array (statement 0, Sid "S")"#,
        ),
        (
            r#"{"StringEquals":"x"}"#,
            r#"Policy has an invalid condition: StringEquals must map keys to values, not a string (statement 0, Sid "S")"#,
        ),
        (
            r#"{"StringEquals":{}}"#,
            r#"Policy has an invalid condition: StringEquals names no key (statement 0, Sid "S")"#,
        ),
        (
            r#"{"StringEquals":{"ses:FromAddress":[]}}"#,
            r#"Policy has an invalid condition: StringEquals ses:FromAddress needs a string, number, boolean or a non-empty list of them (statement 0, Sid "S")"#,
        ),
        (
            r#"{"StringEquals":{"ses:FromAddress":{"a":1}}}"#,
            r#"Policy has an invalid condition: StringEquals ses:FromAddress needs a string, number, boolean or a non-empty list of them (statement 0, Sid "S")"#,
        ),
        (
            r#"{"NumericLessThan":{"aws:EpochTime":"soon"}}"#,
            r#"Policy has an invalid condition: NumericLessThan value 'soon' for aws:EpochTime is not a number (statement 0, Sid "S")"#,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"next year"}}"#,
            r#"Policy has an invalid condition: DateLessThan value 'next year' for aws:CurrentTime is not an ISO 8601 date or epoch seconds (statement 0, Sid "S")"#,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
            r#"Policy has an invalid condition: Bool value 'yes' for aws:SecureTransport is not true or false (statement 0, Sid "S")"#,
        ),
        (
            r#"{"Null":{"ses:FromDisplayName":"maybe"}}"#,
            r#"Policy has an invalid condition: Null value 'maybe' for ses:FromDisplayName is not true or false (statement 0, Sid "S")"#,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#,
            r#"Policy has an invalid condition: IpAddress value '10.0.0.0/33' for aws:SourceIp is not an IP address or CIDR block (statement 0, Sid "S")"#,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:ses"}}"#,
            r#"Policy has an invalid condition: ArnLike value 'arn:aws:ses' for aws:SourceArn is not an ARN (statement 0, Sid "S")"#,
        ),
    ];
    for (c, want) in cases {
        let err = parse(&with_condition(c)).expect_err(c);
        assert_eq!(err.message, *want, "{c}");
        assert_eq!(err.statement, Some(0), "{c}");
    }
}

#[test]
fn every_operator_family_is_accepted_with_its_variants() {
    let ops = [
        ("StringEquals", "ses:FromAddress", r#""a@b""#),
        ("StringNotEqualsIgnoreCase", "ses:FromAddress", r#""a@b""#),
        ("ForAllValues:StringLike", "ses:Recipients", r#"["*@b"]"#),
        (
            "ForAnyValue:StringNotLikeIfExists",
            "ses:Recipients",
            r#""*@b""#,
        ),
        (
            "NumericGreaterThanEqualsIfExists",
            "aws:EpochTime",
            "1700000000",
        ),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            r#""2024-01-01T00:00:00Z""#,
        ),
        ("BoolIfExists", "aws:SecureTransport", "true"),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#"["10.0.0.0/8","2001:db8::/32"]"#,
        ),
        (
            "ArnNotEquals",
            "aws:SourceArn",
            r#""arn:aws:cognito-idp:*:111122223333:userpool/*""#,
        ),
        ("Null", "aws:SourceArn", "false"),
        ("StringEquals", "aws:sourceaccount", r#""111122223333""#),
    ];
    for (op, key, value) in ops {
        let doc = with_condition(&format!(r#"{{"{op}":{{"{key}":{value}}}}}"#));
        assert!(parse(&doc).is_ok(), "{op} {key}: {:?}", parse(&doc).err());
    }
}

#[test]
fn size_limit_is_4096_bytes() {
    let base = stmt(OK);
    // Pad with whitespace, which SES does not strip before counting (the limit is on the input).
    let pad = |n: usize| format!("{}{}", base, " ".repeat(n - base.len()));
    assert!(parse(&pad(MAX_POLICY_SIZE)).is_ok(), "exactly 4096 bytes");
    let err = parse(&pad(MAX_POLICY_SIZE + 1)).expect_err("4097 bytes");
    assert_eq!(
        err.message,
        "Policy exceeds the maximum size of 4096 bytes."
    );
    assert_eq!(MAX_POLICY_NAME_LEN, 64);
}

#[test]
fn refusals_map_to_invalid_policy() {
    let err = parse("[]").expect_err("refused");
    let ses = SesError::from(err);
    assert_eq!(ses.code, ErrorCode::InvalidPolicy);
    assert_eq!(ses.code.v1_code(), "InvalidPolicy");
    assert_eq!(ses.code.v1_status(), 400);
}

#[test]
fn minified_keeps_member_order_and_drops_whitespace() {
    let doc =
        format!("{{ \"Version\" : \"2012-10-17\",\n  \"Statement\" : {{ \"Sid\":\"S\", {OK} }} }}");
    let p = parse(&doc).expect("valid");
    assert_eq!(
        p.minified(),
        format!(r#"{{"Version":"2012-10-17","Statement":{{"Sid":"S",{OK}}}}}"#)
    );
}

#[test]
fn lint_warnings_point_at_likely_mistakes() {
    let doc = stmt(&format!(
        r#""Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"{ID}","Condition":{{"StringEquals":{{"ses:FromAddress":"*@shop.example"}},"StringLike":{{"ses:FeedbackAddress":"marketing+.*@example.com"}},"ForAllValues:StringLike":{{"ses:Recipients":"*@partner.example"}}}}"#
    ));
    let p = parse(&doc).expect("SES accepts all of these");
    assert_eq!(
        p.warnings(),
        [
            r#"ses:FromAddress: StringEquals compares '*@shop.example' literally; use StringLike for wildcards (statement 0, Sid "S")"#,
            r#"ses:FeedbackAddress: 'marketing+.*@example.com' is not a regex: only * and ? are wildcards, '.' and '+' are literal (statement 0, Sid "S")"#,
            r#"ForAllValues:StringLike under Allow is also true when ses:Recipients is missing or empty; add a Null condition (statement 0, Sid "S")"#,
        ]
    );
    let clean = with_condition(
        r#"{"ForAllValues:StringLike":{"ses:Recipients":"*@partner.example"},"Null":{"ses:Recipients":"false"},"StringLike":{"ses:FromAddress":"news+*@shop.example"}}"#,
    );
    assert_eq!(
        parse(&clean).expect("valid").warnings(),
        Vec::<String>::new()
    );
    let bare = with_condition(r#"{"StringLike":{"ses:Recipients":"*@example.com"}}"#);
    assert_eq!(
        parse(&bare).expect("valid").warnings(),
        [
            r#"ses:Recipients is multi-valued: write ForAnyValue:StringLike or ForAllValues:StringLike (statement 0, Sid "S")"#
        ]
    );
}
