"""Held mail survives a kill -9 and is released once, through the real SES transport (moto as
the upstream), with the `bounceguard held` CLI beside the running server."""

import json
import os
import signal
import subprocess

import boto3

from conftest import Server, binary
from test_delivery import MOTO_ENV, moto_raw_messages, moto_url, ses_config

HOLD_ROUTE = """
[[routes]]
name = "sink"
domain = "sink.example"
action = "hold"
"""


def held_cli(srv, *args):
    env = dict(os.environ)
    env.update(MOTO_ENV)
    env["BOUNCEGUARD_DATABASE"] = srv.database
    return subprocess.run(
        [binary(), "held", *args, "--config", str(srv.config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_held_mail_survives_kill_9_and_is_released_once(tmp_path):
    url = moto_url()
    boto3.client(
        "sesv2", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ).create_email_identity(EmailIdentity="no-reply@shop.example")
    srv = Server(tmp_path, ses_config(url, HOLD_ROUTE), env=MOTO_ENV).start()
    out = srv.boto3("ses").send_email(
        Source="no-reply@shop.example",
        # Bcc: moto lists header recipients among a raw message's destinations, so only a
        # recipient absent from the headers shows what the envelope held.
        Destination={"ToAddresses": ["ann@customer.org"], "BccAddresses": ["held@sink.example"]},
        Message={"Subject": {"Data": "Held order"}, "Body": {"Text": {"Data": "Wait."}}},
    )
    message_id = out["MessageId"]
    sent = moto_raw_messages(url)
    assert "held@sink.example" not in sent[message_id]["destinations"]
    assert "ann@customer.org" in sent[message_id]["destinations"]

    # The acknowledged send is durable: kill -9, restart, still held.
    assert srv.stop(sig=signal.SIGKILL) == -signal.SIGKILL
    srv.start()
    listed = held_cli(srv, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    held = json.loads(listed.stdout)
    assert [m["message_id"] for m in held] == [message_id]
    assert [r["address"] for r in held[0]["held"]] == ["held@sink.example"]
    assert held[0]["held"][0]["state"] == "held"
    assert srv.get_json("/api/v1/held")["held"][0]["message_id"] == message_id

    before = set(moto_raw_messages(url))
    released = held_cli(srv, "release", message_id, "--json")
    assert released.returncode == 0, released.stderr
    report = json.loads(released.stdout)
    new_id = report["released_as"]
    after = moto_raw_messages(url)
    new = set(after) - before
    assert new == {new_id}, "exactly one delivery, under SES's (moto's) MessageId"
    assert "held@sink.example" in after[new_id]["destinations"]
    released_log = srv.get_json(f"/api/v1/messages/{new_id}")["recipients"]
    assert [(r["address"], r["decision"]) for r in released_log] == [
        ("held@sink.example", "deliver")
    ]
    assert "Subject: Held order" in after[new_id]["raw_data"]

    # Released once: a second release (CLI or API) sends nothing.
    again = held_cli(srv, "release", message_id)
    assert again.returncode == 1
    assert "nothing held" in again.stdout
    status, _ = srv.request("POST", f"/api/v1/held/{message_id}/release")
    assert status == 200
    assert set(moto_raw_messages(url)) == set(after)
    assert held_cli(srv, "list", "--json").stdout.strip() == "[]"
    assert srv.stop() == 0
