"""The SES front door, driven by the unmodified AWS CLI and boto3 against the release binary."""

import base64
import json
import re
import signal
import subprocess
import os

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, PRINCIPAL, REGION, Server, SIGNED_CONFIG, binary

MESSAGE_ID = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$")


def test_cli_send_email_is_listed_by_the_capture_api(server):
    out = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example",
        "--to", "ann@example.org",
        "--subject", "Verify your account",
        "--text", "Your code is 123456",
    )
    message_id = json.loads(out.stdout)["MessageId"]
    assert MESSAGE_ID.match(message_id), message_id

    listing = server.get_json("/api/v1/messages")["messages"]
    assert listing[0]["id"] == message_id
    assert listing[0]["to"] == ["ann@example.org"]
    assert listing[0]["subject"] == "Verify your account"

    one = server.get_json(f"/api/v1/messages/{message_id}")
    assert "Your code is 123456" in one["text"]
    assert one["principal"] == PRINCIPAL
    # A reserved test domain: captured by the built-in default route, never sent.
    assert one["recipients"][0]["decision"] == "capture"
    assert one["recipients"][0]["rule"] == "default:reserved"


def test_cli_sesv2_and_quota(server):
    out = server.aws(
        "sesv2", "send-email",
        "--from-email-address", "Shop <no-reply@shop.example>",
        # Not reserved test domains: decided `deliver`, so they count in the quota.
        "--destination", json.dumps({"ToAddresses": ["a@customer.org"], "CcAddresses": ["b@customer.org"]}),
        "--content", json.dumps({"Simple": {"Subject": {"Data": "v2 hello"}, "Body": {"Text": {"Data": "hi"}}}}),
    )
    message_id = json.loads(out.stdout)["MessageId"]
    assert MESSAGE_ID.match(message_id)
    quota = json.loads(server.aws("ses", "get-send-quota").stdout)
    assert quota["SentLast24Hours"] == 2.0
    account = json.loads(server.aws("sesv2", "get-account").stdout)
    assert account["EnforcementStatus"] == "HEALTHY"
    assert account["SendQuota"]["SentLast24Hours"] == 2.0


def test_cli_error_texts(server):
    out = server.aws(
        "ses", "send-email",
        "--from", "someone@unverified.example",
        "--to", "ann@example.org",
        "--subject", "x", "--text", "y",
        check=False,
    )
    assert out.returncode != 0
    assert (
        "An error occurred (MessageRejected) when calling the SendEmail operation: "
        "Email address is not verified. The following identities failed the check in region "
        f"{REGION.upper()}: someone@unverified.example"
    ) in out.stderr
    out = server.aws("ses", "get-send-quota", secret="wrong-secret", check=False)
    assert "An error occurred (SignatureDoesNotMatch) when calling the GetSendQuota operation" in out.stderr


def test_boto3_identities_raw_send_and_errors(server):
    ses = server.boto3("ses")
    ses.verify_email_identity(EmailAddress="qa@corp.example")
    token = ses.verify_domain_identity(Domain="corp.example")["VerificationToken"]
    assert token
    names = sorted(ses.list_identities()["Identities"])
    assert names == ["corp.example", "qa@corp.example", "shop.example"]
    attrs = ses.get_identity_verification_attributes(Identities=["corp.example"])["VerificationAttributes"]
    assert attrs["corp.example"]["VerificationStatus"] == "Success"
    assert attrs["corp.example"]["VerificationToken"] == token

    raw = (
        "From: QA <qa@corp.example>\r\nTo: x@example.org\r\nBcc: hidden@example.org\r\n"
        "Subject: raw from boto3\r\n\r\nbody\r\n"
    )
    message_id = ses.send_raw_email(RawMessage={"Data": raw})["MessageId"]
    one = server.get_json(f"/api/v1/messages/{message_id}")
    assert [r["address"] for r in one["recipients"]] == ["x@example.org", "hidden@example.org"]
    assert one["raw"] == raw

    with pytest.raises(ClientError) as e:
        ses.send_email(
            Source="qa@corp.example",
            Destination={"ToAddresses": [f"u{i}@example.org" for i in range(51)]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert e.value.response["Error"]["Message"] == "Recipient count exceeds 50."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    v2 = server.boto3("sesv2")
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_email_identity(EmailIdentity="nobody@nowhere.example")

    bad = server.boto3("ses", secret="not-the-secret")
    with pytest.raises(ClientError) as e:
        bad.send_email(
            Source="qa@corp.example",
            Destination={"ToAddresses": ["a@example.org"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # The refused request left nothing behind.
    ids = [m["id"] for m in server.get_json("/api/v1/messages")["messages"]]
    assert ids == [message_id]


def test_localstack_compatible_endpoint(server):
    ses = server.boto3("ses")
    first = ses.send_email(
        Source="no-reply@shop.example",
        Destination={"ToAddresses": ["ann@example.org"], "CcAddresses": ["cc@example.org"]},
        Message={"Subject": {"Data": "ls one"}, "Body": {"Text": {"Data": "plain"}, "Html": {"Data": "<b>html</b>"}}},
    )["MessageId"]
    second = ses.send_raw_email(
        Source="other@shop.example",
        Destinations=["bob@example.org"],
        RawMessage={"Data": "From: other@shop.example\r\nSubject: ls two\r\n\r\nraw body\r\n"},
    )["MessageId"]

    messages = server.get_json("/_aws/ses")["messages"]
    assert [m["Id"] for m in messages] == [first, second]
    m = messages[0]
    assert m["Source"] == "no-reply@shop.example"
    assert m["Region"] == REGION
    assert m["Destination"]["ToAddresses"] == ["ann@example.org"]
    assert m["Destination"]["CcAddresses"] == ["cc@example.org"]
    assert m["Subject"] == "ls one"
    assert m["Body"]["text_part"].strip() == "plain"
    assert m["Body"]["html_part"].strip() == "<b>html</b>"
    assert "raw body" in messages[1]["RawData"]

    only = server.get_json(f"/_aws/ses?id={second}")["messages"]
    assert [x["Id"] for x in only] == [second]
    by_source = server.get_json("/_aws/ses?email=no-reply@shop.example")["messages"]
    assert [x["Id"] for x in by_source] == [first]

    status, _ = server.request("DELETE", f"/_aws/ses?id={first}")
    assert status == 204
    assert [x["Id"] for x in server.get_json("/_aws/ses")["messages"]] == [second]
    status, _ = server.request("DELETE", "/_aws/ses")
    assert status == 204
    assert server.get_json("/api/v1/messages")["messages"] == []


def test_acknowledged_sends_survive_a_restart(tmp_path):
    srv = Server(tmp_path, SIGNED_CONFIG).start()
    ses = srv.boto3("ses")
    ids = [
        ses.send_email(
            Source="no-reply@shop.example",
            Destination={"ToAddresses": [f"user{i}@example.org"]},
            Message={"Subject": {"Data": f"n{i}"}, "Body": {"Text": {"Data": "t"}}},
        )["MessageId"]
        for i in range(20)
    ]
    # SIGKILL: no graceful flush. Every acknowledged send must still be there.
    assert srv.stop(signal.SIGKILL) == -signal.SIGKILL
    srv.start()
    stored = [m["id"] for m in srv.get_json("/api/v1/messages?limit=100")["messages"]]
    assert sorted(stored) == sorted(ids)
    assert srv.stop() == 0


def test_sends_acknowledged_under_concurrent_load_survive_kill_9(tmp_path):
    """Sixteen clients send as fast as they can; the server is SIGKILLed mid-stream. Every
    MessageId a client got back was committed (group commit answers only after COMMIT), so each
    one is there after the restart; sends cut off by the kill may or may not be."""
    import threading
    import time

    srv = Server(tmp_path, SIGNED_CONFIG).start()
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n, ses):
        i = 0
        while not stop.is_set():
            try:
                mid = ses.send_email(
                    Source="no-reply@shop.example",
                    Destination={"ToAddresses": [f"load{n}-{i}@example.org"]},
                    Message={"Subject": {"Data": f"c{n}-{i}"}, "Body": {"Text": {"Data": "t"}}},
                )["MessageId"]
            except Exception:
                return  # the server is gone
            with lock:
                acknowledged.append(mid)
            i += 1

    # Clients made here: making boto3 clients is not thread-safe.
    threads = [threading.Thread(target=client, args=(n, srv.boto3("ses"))) for n in range(16)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 300:
                break
        time.sleep(0.05)
    assert srv.stop(signal.SIGKILL) == -signal.SIGKILL
    stop.set()
    for t in threads:
        t.join(timeout=30)
    with lock:
        sent = list(acknowledged)
    assert len(sent) >= 300, f"only {len(sent)} sends acknowledged before the kill"
    srv.start()
    stored = set()
    cursor = ""
    while True:
        page = srv.get_json(f"/api/v1/messages?limit=1000{cursor}")
        stored.update(m["id"] for m in page["messages"])
        if page["next_before"] is None:
            break
        cursor = f"&before={page['next_before']}"
    missing = [m for m in sent if m not in stored]
    assert missing == [], f"{len(missing)} of {len(sent)} acknowledged sends lost"
    assert srv.stop() == 0


def test_refuses_to_serve_open_off_loopback(tmp_path):
    env = dict(os.environ)
    env["BOUNCEGUARD_LISTEN"] = "0.0.0.0:0"
    env["BOUNCEGUARD_DATABASE"] = f"sqlite://{tmp_path / 'x.db'}"
    proc = subprocess.run([binary(), "serve"], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode != 0
    assert "refusing to serve without authentication" in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_default_serve_creates_sqlite_in_working_directory(tmp_path):
    srv = Server(tmp_path, "", database=False).start()
    assert (tmp_path / "bounceguard.db").exists()
    log = srv.log.read_text()
    assert "listening on http://127.0.0.1:" in log
    assert "transport capture" in log
    assert srv.stop() == 0


def test_the_start_log_says_where_the_dashboard_is_and_who_may_use_it(tmp_path):
    (tmp_path / "open").mkdir()
    open_srv = Server(tmp_path / "open", "").start()
    try:
        assert f"dashboard at {open_srv.url}/ui/ (open: loopback listener, no admin_token)" in open_srv.log.read_text()
    finally:
        assert open_srv.stop() == 0
    (tmp_path / "token").mkdir()
    token_srv = Server(tmp_path / "token", 'admin_token = "t0ken"\n').start()
    try:
        assert f"dashboard at {token_srv.url}/ui/ (admin_token required)" in token_srv.log.read_text()
        status, _ = token_srv.request("GET", "/ui/")
        assert status == 401
    finally:
        assert token_srv.stop() == 0
