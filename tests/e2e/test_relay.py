"""The SMTP relay transport end to end: bounceguard with `[delivery] transport = "smtp"` in front
of a real SMTP server (aiosmtpd on 127.0.0.1), driven by boto3.

The relay records every envelope and the DATA bytes exactly as received. RCPT TO of
`gone@customer.org` is refused with 550 (a mailbox the relay does not know), of
`later@customer.org` with 451 (a temporary failure).
"""

import email

import pytest
from aiosmtpd.controller import Controller
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, SIGNED_CONFIG, Server, free_port

REJECT_550 = "550 5.1.1 <gone@customer.org>: Recipient address rejected: User unknown"
REJECT_451 = "451 4.3.0 <later@customer.org>: Try again later"


class Recorder:
    """An aiosmtpd handler: keeps (mail_from, rcpt_tos, data) of each accepted message."""

    def __init__(self):
        self.messages = []
        self.refused = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "gone@customer.org":
            self.refused.append(address)
            return REJECT_550
        if address == "later@customer.org":
            self.refused.append(address)
            return REJECT_451
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # original_content: the bytes as received, after dot-unstuffing, before any decoding.
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK queued"


@pytest.fixture
def relay():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.recorder = recorder
    yield controller
    controller.stop()


@pytest.fixture
def relay_server(tmp_path, relay):
    config = SIGNED_CONFIG + f"""
[delivery]
transport = "smtp"
relay_url = "smtp://127.0.0.1:{relay.port}"
max_attempts = 1

[dns]
check = false
"""
    srv = Server(tmp_path, config).start()
    yield srv
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


RAW = (
    b"From: Shop <no-reply@shop.example>\r\n"
    b"To: ann@customer.org, bob@partner.net\r\n"
    b"Cc: qa@example.com\r\n"
    b"Subject: Your order\r\n"
    b"Message-ID: <order-1@shop.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Shipped.\r\n"
    b".a line that starts with a dot\r\n"
)


def test_deliver_recipients_reach_the_relay_with_the_same_bytes(relay_server, relay):
    out = relay_server.boto3("ses").send_raw_email(
        Source="no-reply@shop.example",
        Destinations=["ann@customer.org", "bob@partner.net", "qa@example.com"],
        RawMessage={"Data": RAW},
    )
    message_id = out["MessageId"]

    assert len(relay.recorder.messages) == 1
    mail_from, rcpt_tos, data = relay.recorder.messages[0]
    assert mail_from == "no-reply@shop.example"
    assert rcpt_tos == ["ann@customer.org", "bob@partner.net"], "qa@example.com is captured"
    assert data == RAW

    one = relay_server.get_json(f"/api/v1/messages/{message_id}")
    decided = {r["address"]: r["decision"] for r in one["recipients"]}
    assert decided == {
        "ann@customer.org": "deliver",
        "bob@partner.net": "deliver",
        "qa@example.com": "capture",
    }


def test_a_v2_simple_send_goes_out_once_to_the_deliver_recipients(relay_server, relay):
    out = relay_server.boto3("sesv2").send_email(
        FromEmailAddress="Shop <no-reply@shop.example>",
        Destination={"ToAddresses": ["ann@customer.org"], "BccAddresses": ["qa@example.com"]},
        Content={"Simple": {"Subject": {"Data": "Receipt"}, "Body": {"Text": {"Data": "Paid."}}}},
    )
    assert out["MessageId"]
    assert len(relay.recorder.messages) == 1
    mail_from, rcpt_tos, data = relay.recorder.messages[0]
    assert (mail_from, rcpt_tos) == ("no-reply@shop.example", ["ann@customer.org"])
    parsed = email.message_from_bytes(data)
    assert parsed["Subject"] == "Receipt"
    assert "qa@example.com" not in data.decode(), "a Bcc recipient must not show in the message"


def test_a_550_from_the_relay_is_message_rejected_with_its_text(relay_server, relay):
    with pytest.raises(ClientError) as refused:
        relay_server.boto3("ses").send_raw_email(
            Source="no-reply@shop.example",
            Destinations=["ann@customer.org", "gone@customer.org"],
            RawMessage={"Data": RAW},
        )
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "MessageRejected"
    assert "Recipient address rejected: User unknown" in error["Message"]
    assert relay.recorder.refused == ["gone@customer.org"]
    assert relay.recorder.messages == [], "nothing was sent to anyone"

    # The v2 front renders the same error as v2 does.
    with pytest.raises(ClientError) as refused:
        relay_server.boto3("sesv2").send_email(
            FromEmailAddress="no-reply@shop.example",
            Destination={"ToAddresses": ["gone@customer.org"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused.value.response["Error"]["Code"] == "MessageRejected"


def one_attempt(server, service):
    """A boto3 client that never retries (the fixture's `max_attempts: 1` means one *retry*)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_a_451_from_the_relay_is_throttling_once_the_budget_is_spent(relay_server, relay):
    # max_attempts = 1 in [delivery]: bounceguard tries the relay once per request.
    with pytest.raises(ClientError) as refused:
        one_attempt(relay_server, "ses").send_raw_email(
            Source="no-reply@shop.example",
            Destinations=["later@customer.org"],
            RawMessage={"Data": RAW},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "Throttling"
    assert "Try again later" in error["Message"]
    with pytest.raises(ClientError) as refused:
        one_attempt(relay_server, "sesv2").send_email(
            FromEmailAddress="no-reply@shop.example",
            Destination={"ToAddresses": ["later@customer.org"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert refused.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert relay.recorder.messages == []
    assert relay.recorder.refused == ["later@customer.org", "later@customer.org"]
