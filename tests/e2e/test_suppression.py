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


def test_an_s3_import_job_with_the_aws_cli(tmp_path):
    """`aws s3 cp` a CSV to moto's S3, `aws sesv2 create-import-job` on bounceguard (which reads
    the object with the standard credential chain and `[s3] endpoint_url`), poll
    `get-import-job` to COMPLETED, and the imported address is suppressed on the next send."""
    import os
    import uuid

    import pytest

    moto = os.environ.get("TEST_MOTO_URL")
    if not moto:
        if os.environ.get("CI"):
            pytest.fail("TEST_MOTO_URL unset in CI")
        pytest.skip("TEST_MOTO_URL unset")
    moto_env = dict(os.environ)
    moto_env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    })
    moto_env.pop("AWS_PROFILE", None)
    bucket = "bg-e2e-" + uuid.uuid4().hex[:12]
    data = tmp_path / "list.csv"
    data.write_text("imported@customer.org,BOUNCE\nsecond@customer.org,COMPLAINT\nnot an address,BOUNCE\n")

    def s3(*args):
        subprocess.run(["aws", "--endpoint-url", moto, *args], check=True, capture_output=True,
                       env=moto_env, timeout=60)

    s3("s3", "mb", f"s3://{bucket}")
    s3("s3", "cp", str(data), f"s3://{bucket}/imports/list.csv")

    server_env = {k: moto_env[k] for k in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    config = SIGNED_CONFIG + f'\n[s3]\nendpoint_url = "{moto}"\nregion = "us-east-1"\n'
    server = Server(tmp_path, config, env=server_env).start()
    try:
        created = json.loads(server.aws(
            "sesv2", "create-import-job",
            "--import-destination", '{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}}',
            "--import-data-source", json.dumps({"S3Url": f"s3://{bucket}/imports/list.csv", "DataFormat": "CSV"}),
        ).stdout)
        job_id = created["JobId"]
        deadline = time.time() + 20
        while True:
            job = json.loads(server.aws("sesv2", "get-import-job", "--job-id", job_id).stdout)
            if job["JobStatus"] in ("COMPLETED", "FAILED"):
                break
            assert time.time() < deadline, job
            time.sleep(0.1)
        assert job["JobStatus"] == "COMPLETED", job
        assert (job["ProcessedRecordsCount"], job["FailedRecordsCount"]) == (2, 1)
        assert job["FailureInfo"]["ErrorMessage"].startswith("1 records failed: line 3: "), job

        got = json.loads(server.aws(
            "sesv2", "get-suppressed-destination", "--email-address", "second@customer.org",
        ).stdout)
        assert got["SuppressedDestination"]["Reason"] == "COMPLAINT"
        message_id = send(server, ["imported@customer.org"])
        [(decision, rule, _)] = decisions(server, message_id)
        assert (decision, rule) == ("suppress", "suppression:BOUNCE")

        # A key that does not exist: the job fails and says why.
        created = json.loads(server.aws(
            "sesv2", "create-import-job",
            "--import-destination", '{"SuppressionListDestination":{"SuppressionListImportAction":"DELETE"}}',
            "--import-data-source", json.dumps({"S3Url": f"s3://{bucket}/missing.csv", "DataFormat": "CSV"}),
        ).stdout)
        deadline = time.time() + 20
        while True:
            job = json.loads(server.aws("sesv2", "get-import-job", "--job-id", created["JobId"]).stdout)
            if job["JobStatus"] in ("COMPLETED", "FAILED"):
                break
            assert time.time() < deadline, job
            time.sleep(0.1)
        assert job["JobStatus"] == "FAILED"
        assert job["FailureInfo"]["ErrorMessage"] == (
            f'the object "missing.csv" does not exist in the bucket "{bucket}"'
        )
    finally:
        code = server.stop()
    assert code == 0, server.log.read_text()
