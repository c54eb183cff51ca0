"""Sending-authorization policies with the unmodified AWS CLI against the release binary.

The seed of the project: a policy denying ses:SendEmail and ses:SendRawEmail when any recipient
matches *@example.com, put with `aws ses put-identity-policy`, then tried with `aws ses send-email`.
"""

import json
import re

from conftest import ACCOUNT, PRINCIPAL, REGION

IDENTITY_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example"
MESSAGE_ID = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$")

SEED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyTestDomains",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Resource": IDENTITY_ARN,
            "Condition": {"ForAnyValue:StringLike": {"ses:Recipients": "*@example.com"}},
        }
    ],
}


def denied_line(operation, code, action):
    return (
        f"An error occurred ({code}) when calling the {operation} operation: "
        f"User `{PRINCIPAL}' is not authorized to perform `{action}' on resource `{IDENTITY_ARN}'"
    )


def put_seed(server):
    path = server.tmp / "seed.json"
    path.write_text(json.dumps(SEED, indent=2))
    server.aws(
        "ses", "put-identity-policy",
        "--identity", "shop.example",
        "--policy-name", "seed",
        "--policy", f"file://{path}",
    )


def stderr_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.strip()]


def test_seed_policy_with_the_aws_cli(server):
    put_seed(server)
    listed = json.loads(server.aws("ses", "list-identity-policies", "--identity", "shop.example").stdout)
    assert listed["PolicyNames"] == ["seed"]
    got = json.loads(
        server.aws("ses", "get-identity-policies", "--identity", "shop.example", "--policy-names", "seed").stdout
    )
    assert json.loads(got["Policies"]["seed"]) == SEED
    assert " " not in got["Policies"]["seed"], "stored minified"

    # The seed's first command: refused with SES's exact text.
    denied = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example",
        "--to", "a@example.com",
        "--subject", "Verify your account",
        "--text", "Your code is 123456",
        check=False,
    )
    assert denied.returncode != 0
    assert stderr_lines(denied) == [denied_line("SendEmail", "AccessDenied", "ses:SendEmail")], denied.stderr

    # The second: accepted, with a MessageId (to a domain that is not a reserved test domain,
    # so it is decided `deliver` and counts).
    allowed = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example",
        "--to", "a@customer.org",
        "--subject", "Verify your account",
        "--text", "Your code is 123456",
    )
    message_id = json.loads(allowed.stdout)["MessageId"]
    assert MESSAGE_ID.match(message_id), message_id

    # One denied recipient among allowed ones denies the request.
    mixed = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example",
        "--to", "a@example.org", "b@example.com", "c@example.net",
        "--subject", "x", "--text", "y",
        check=False,
    )
    assert mixed.returncode != 0
    assert stderr_lines(mixed) == [denied_line("SendEmail", "AccessDenied", "ses:SendEmail")], mixed.stderr

    # Nothing denied counts: only the allowed recipient is in the quota.
    quota = json.loads(server.aws("ses", "get-send-quota").stdout)
    assert quota["SentLast24Hours"] == 1.0

    # The denials are recorded with the deciding statement; LocalStack's listing shows only
    # the mail that was sent.
    listing = server.get_json("/api/v1/messages")["messages"]
    assert [m["decision"] for m in listing] == ["deny", "deliver", "deny"]
    denial = server.get_json(f"/api/v1/messages/{listing[0]['id']}")
    assert {r["decision"] for r in denial["recipients"]} == {"deny"}
    assert denial["recipients"][0]["reason"] == 'policy "seed" statement 0 (Sid "DenyTestDomains"): explicit deny'
    sent = server.get_json("/_aws/ses")["messages"]
    assert [m["Id"] for m in sent] == [message_id]


def test_sesv2_and_raw_sends_obey_the_same_policy(server):
    put_seed(server)
    content = json.dumps({"Simple": {"Subject": {"Data": "v2"}, "Body": {"Text": {"Data": "hi"}}}})
    denied = server.aws(
        "sesv2", "send-email",
        "--from-email-address", "Shop <no-reply@shop.example>",
        "--destination", json.dumps({"ToAddresses": ["a@example.org"], "CcAddresses": ["b@example.com"]}),
        "--content", content,
        check=False,
    )
    assert denied.returncode != 0
    assert stderr_lines(denied) == [denied_line("SendEmail", "AccessDeniedException", "ses:SendEmail")], denied.stderr
    allowed = server.aws(
        "sesv2", "send-email",
        "--from-email-address", "Shop <no-reply@shop.example>",
        "--destination", json.dumps({"ToAddresses": ["a@example.org"]}),
        "--content", content,
    )
    assert MESSAGE_ID.match(json.loads(allowed.stdout)["MessageId"])

    raw = server.tmp / "raw.json"
    raw.write_text(json.dumps({
        "Data": "From: no-reply@shop.example\r\nTo: a@example.com\r\nSubject: raw\r\n\r\nbody\r\n"
    }))
    denied = server.aws("ses", "send-raw-email", "--raw-message", f"file://{raw}", check=False)
    assert denied.returncode != 0
    assert stderr_lines(denied) == [denied_line("SendRawEmail", "AccessDenied", "ses:SendRawEmail")], denied.stderr
    raw.write_text(json.dumps({
        "Data": "From: no-reply@shop.example\r\nTo: a@example.org\r\nSubject: raw\r\n\r\nbody\r\n"
    }))
    allowed = server.aws("ses", "send-raw-email", "--raw-message", f"file://{raw}")
    assert MESSAGE_ID.match(json.loads(allowed.stdout)["MessageId"])

    # Policy management through v2 sees the v1-written policy; deleting it lifts the denial.
    got = json.loads(server.aws("sesv2", "get-email-identity-policies", "--email-identity", "shop.example").stdout)
    assert list(got["Policies"]) == ["seed"]
    server.aws("sesv2", "delete-email-identity-policy", "--email-identity", "shop.example", "--policy-name", "seed")
    out = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example", "--to", "a@example.com",
        "--subject", "x", "--text", "y",
    )
    assert MESSAGE_ID.match(json.loads(out.stdout)["MessageId"])


def test_invalid_policy_is_refused_with_the_reason(server):
    bad = dict(SEED)
    bad["Statement"] = [dict(SEED["Statement"][0], Condition={"StringEquals": {"AWS:SourceAccount": ACCOUNT}})]
    path = server.tmp / "bad.json"
    path.write_text(json.dumps(bad))
    out = server.aws(
        "ses", "put-identity-policy",
        "--identity", "shop.example", "--policy-name", "bad", "--policy", f"file://{path}",
        check=False,
    )
    assert out.returncode != 0
    assert stderr_lines(out) == [
        "An error occurred (InvalidPolicy) when calling the PutIdentityPolicy operation: "
        "Unknown or unapplicable condition field 'AWS:SourceAccount'."
    ], out.stderr
