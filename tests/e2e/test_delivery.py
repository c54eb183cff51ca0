"""Real delivery through the official SDK: bounceguard with `[delivery] transport = "ses"` in
front of moto's SES server (the stand-in upstream), driven by boto3."""

import json
import os
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import SIGNED_CONFIG, Server


def moto_url():
    url = os.environ.get("TEST_MOTO_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_MOTO_URL unset in CI")
        pytest.skip("TEST_MOTO_URL unset")
    return url


MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


def moto_raw_messages(url):
    with urllib.request.urlopen(url + "/moto-api/data.json", timeout=10) as r:
        data = json.loads(r.read())
    # moto 5.2.1: a list of {"id", "source", "destinations", "raw_data"}.
    return {m["id"]: m for m in data["ses"]["RawMessage"]}


def ses_config(url, routes=""):
    """The signed config with `[delivery] transport = "ses"` at moto; `routes` go before the
    tables."""
    return SIGNED_CONFIG + routes + f"""
[delivery]
transport = "ses"
region = "us-east-1"
endpoint_url = "{url}"
max_attempts = 1

[dns]
check = false
"""


@pytest.fixture
def ses_server(tmp_path):
    url = moto_url()
    moto = boto3.client(
        "sesv2", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    moto.create_email_identity(EmailIdentity="no-reply@shop.example")
    srv = Server(tmp_path, ses_config(url), env=MOTO_ENV).start()
    srv.moto = url
    yield srv
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


def test_deliver_recipients_reach_moto_and_captured_ones_do_not(ses_server):
    ses = ses_server.boto3("ses")
    out = ses.send_email(
        Source="no-reply@shop.example",
        Destination={"ToAddresses": ["ann@customer.org"], "BccAddresses": ["qa@example.com"]},
        Message={"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "Shipped."}}},
    )
    message_id = out["MessageId"]

    sent = moto_raw_messages(ses_server.moto)
    assert message_id in sent, "the client got SES's (moto's) own MessageId"
    upstream = sent[message_id]
    assert upstream["source"] == "no-reply@shop.example"
    assert "ann@customer.org" in upstream["destinations"]
    assert "qa@example.com" not in upstream["destinations"], "a captured recipient reached SES"
    assert "Subject: Your order" in upstream["raw_data"]

    # The record carries the same MessageId, so SES's notifications join up later.
    one = ses_server.get_json(f"/api/v1/messages/{message_id}")
    decided = {r["address"]: r["decision"] for r in one["recipients"]}
    assert decided == {"ann@customer.org": "deliver", "qa@example.com": "capture"}


def test_only_captured_recipients_never_call_ses(ses_server):
    before = set(moto_raw_messages(ses_server.moto))
    out = ses_server.boto3("sesv2").send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": ["qa@example.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )
    assert set(moto_raw_messages(ses_server.moto)) == before
    one = ses_server.get_json(f"/api/v1/messages/{out['MessageId']}")
    assert one["recipients"][0]["decision"] == "capture"


def test_an_upstream_error_reaches_the_client_with_ses_code(ses_server):
    # Verified here (shop.example) but not in the upstream account: SES refuses it.
    with pytest.raises(ClientError) as refused:
        ses_server.boto3("ses").send_email(
            Source="billing@shop.example",
            Destination={"ToAddresses": ["ann@customer.org"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "MessageRejected"
    assert "billing@shop.example" in error["Message"]
    assert ses_server.get_json("/api/v1/messages")["messages"] == []
