"""The account suppression list end to end: the unmodified AWS CLI against the release binary,
and two server instances on one PostgreSQL database."""

import json
import subprocess
import time

from conftest import SIGNED_CONFIG, Server, binary, postgres_url


def decisions(server, message_id):
    one = server.get_json(f"/api/v1/messages/{message_id}")
    return [(r["decision"], r["rule"], r["reason"]) for r in one["recipients"]]


def send(server, to):
    out = server.aws(
        "ses", "send-email",
        "--from", "no-reply@shop.example",
        "--to", *to,
        "--subject", "hello", "--text", "body",
    )
    return json.loads(out.stdout)["MessageId"]


def test_cli_put_then_send_is_accepted_but_suppressed(server):
    server.aws(
        "sesv2", "put-suppressed-destination",
        "--email-address", "bounced@customer.org",
        "--reason", "BOUNCE",
    )
    got = json.loads(server.aws(
        "sesv2", "get-suppressed-destination", "--email-address", "bounced@customer.org",
    ).stdout)
    assert got["SuppressedDestination"]["Reason"] == "BOUNCE"

    message_id = send(server, ["bounced@customer.org"])
    assert message_id.endswith("-000000")
    [(decision, rule, reason)] = decisions(server, message_id)
    assert (decision, rule) == ("suppress", "suppression:BOUNCE")
    assert "(BOUNCE)" in reason
    # Nothing was delivered: LocalStack's listing shows only what the transport took.
    listed = json.loads(server.aws("sesv2", "list-suppressed-destinations").stdout)
    assert [d["EmailAddress"] for d in listed["SuppressedDestinationSummaries"]] == ["bounced@customer.org"]

    missing = server.aws(
        "sesv2", "get-suppressed-destination", "--email-address", "nobody@customer.org", check=False,
    )
    assert missing.returncode != 0
    assert "NotFoundException" in missing.stderr

    account = json.loads(server.aws("sesv2", "get-account").stdout)
    assert sorted(account["SuppressionAttributes"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]


def test_two_instances_on_one_postgres_agree_within_a_second(tmp_path):
    database = postgres_url()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Server(tmp_path / "a", SIGNED_CONFIG, database=database).start()
    second = Server(tmp_path / "b", SIGNED_CONFIG, database=database).start()
    try:
        first.aws(
            "sesv2", "put-suppressed-destination",
            "--email-address", "shared@customer.org", "--reason", "COMPLAINT",
        )
        deadline = time.monotonic() + 1.0
        while True:
            message_id = send(second, ["shared@customer.org"])
            [(decision, rule, _)] = decisions(second, message_id)
            if decision == "suppress":
                assert rule == "suppression:COMPLAINT"
                break
            assert time.monotonic() < deadline, "the second instance did not see the entry within 1 s"
            time.sleep(0.05)
    finally:
        assert first.stop() == 0
        assert second.stop() == 0


def test_the_cli_beside_a_running_sqlite_server_is_honoured_within_a_second(server):
    if not server.database.startswith("sqlite"):
        return  # the PostgreSQL case is the two-instance test above
    env = {"BOUNCEGUARD_DATABASE": server.database, "PATH": "/usr/bin:/bin"}
    added = subprocess.run(
        [binary(), "suppression", "add", "cli@customer.org", "--reason", "COMPLAINT"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert added.returncode == 0, added.stderr
    deadline = time.monotonic() + 1.0
    while True:
        [(decision, rule, _)] = decisions(server, send(server, ["cli@customer.org"]))
        if decision == "suppress":
            assert rule == "suppression:COMPLAINT"
            break
        assert time.monotonic() < deadline, "the running server did not see the CLI's entry within 1 s"
        time.sleep(0.05)
