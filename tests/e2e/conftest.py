"""End-to-end harness: starts the release binary on a free port and drives it with real clients.

The binary comes from $BOUNCEGUARD_BIN (scripts/test.sh sets it to target/release/bounceguard).
Each server gets its own temp dir, config file and database; it is stopped with SIGTERM and must
exit 0 (clean shutdown is part of what is tested).
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

ACCESS_KEY = "AKIDE2EBOUNCEGUARD01"
SECRET_KEY = "e2e/Secret+Key/0123456789abcdefghijklmn"
PRINCIPAL = "arn:aws:iam::123456789012:user/member-service"
ACCOUNT = "123456789012"
REGION = "ap-northeast-1"


def binary():
    path = os.environ.get("BOUNCEGUARD_BIN")
    if not path:
        pytest.fail("BOUNCEGUARD_BIN is not set: run scripts/test.sh")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running bounceguard process."""

    def __init__(self, tmp_path, config_text="", database=None, env=None):
        self.tmp = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = tmp_path / "bounceguard.toml"
        self.config.write_text(config_text)
        # database=False leaves the default (./bounceguard.db in the server's working directory).
        self.database = f"sqlite://{tmp_path / 'bg.db'}" if database is None else database
        self.log = tmp_path / "server.log"
        self.extra_env = env or {}
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update(
            {
                "BOUNCEGUARD_LISTEN": f"127.0.0.1:{self.port}",
                "RUST_LOG": "info",
            }
        )
        if self.database:
            env["BOUNCEGUARD_DATABASE"] = self.database
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [binary(), "serve", "--config", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),
            env=env,
            cwd=self.tmp,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc = None
        raise AssertionError(f"server did not become healthy: {self.log.read_text()}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            code = self.proc.wait(timeout=30)
            self.proc = None
            return code
        return None

    def get_json(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def request(self, method, path):
        req = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def aws(self, *args, secret=SECRET_KEY, check=True):
        """Runs the unmodified AWS CLI against this server; returns the CompletedProcess."""
        env = dict(os.environ)
        env.update(
            {
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": str(self.tmp / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.tmp / "no-aws-credentials"),
                "AWS_MAX_ATTEMPTS": "1",
            }
        )
        env.pop("AWS_PROFILE", None)
        proc = subprocess.run(
            ["aws", "--endpoint-url", self.url, "--output", "json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
        return proc

    def boto3(self, service, secret=SECRET_KEY):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )


SIGNED_CONFIG = f"""
account_id = "{ACCOUNT}"
region = "{REGION}"
identities = ["shop.example"]

[[credentials]]
access_key_id = "{ACCESS_KEY}"
secret_access_key = "{SECRET_KEY}"
principal = "{PRINCIPAL}"
"""


def postgres_url():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL unset in CI")
        pytest.skip("TEST_DATABASE_URL unset")
    import subprocess as sp

    name = "bg_e2e_" + uuid.uuid4().hex[:12]
    sp.run(["psql", base, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    """A SigV4-enforcing server on each storage backend."""
    database = postgres_url() if request.param == "postgres" else None
    srv = Server(tmp_path, SIGNED_CONFIG, database=database).start()
    yield srv
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


@pytest.fixture
def sqlite_server(tmp_path):
    srv = Server(tmp_path, SIGNED_CONFIG).start()
    yield srv
    srv.stop()
