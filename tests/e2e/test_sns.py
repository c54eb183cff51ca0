"""The SNS endpoint and /metrics end to end, on SQLite and PostgreSQL: boto3 sends, SNS messages
signed here with the `cryptography` package (an RSA key and a self-signed certificate made per
test, configured as `[[sns.trusted_certs]]`) are POSTed to /sns as SNS would, and the AWS CLI reads
the suppression list. The string to sign follows ses-spec §7.2; SignatureVersion 1 is RSA PKCS#1
v1.5 with SHA-1, 2 the same with SHA-256."""

import base64
import datetime
import json
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from conftest import SIGNED_CONFIG, Server, postgres_url

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ses-events"
CERT_URL = "https://certs.test.invalid/SimpleNotificationService-e2e.pem"
NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]


def make_signer(tmp_path):
    """An RSA-2048 key and its self-signed certificate (written to tmp_path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.e2e.bounceguard.invalid")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "sns-cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, path


def sign(key, envelope, version):
    text = "".join(f"{k}\n{envelope[k]}\n" for k in NOTIFICATION_FIELDS if k in envelope)
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(text.encode(), padding.PKCS1v15(), digest)
    return dict(
        envelope,
        SignatureVersion=version,
        Signature=base64.b64encode(signature).decode(),
        SigningCertURL=CERT_URL,
    )


def bounce_notification(sns_id, mail_id, address):
    event = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
            "timestamp": "2026-12-01T10:30:05.120Z",
            "feedbackId": f"feedback-{sns_id}",
        },
        "mail": {
            "timestamp": "2026-12-01T10:30:00.011Z",
            "source": "no-reply@shop.example",
            "messageId": mail_id,
            "destination": [address],
        },
    }
    return {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(event),
        "Timestamp": "2026-12-01T10:30:06.000Z",
        "UnsubscribeURL": "https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }


def post_sns(server, envelope):
    req = urllib.request.Request(
        server.url + "/sns",
        data=json.dumps(envelope).encode(),
        method="POST",
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": envelope["Type"],
            "User-Agent": "Amazon Simple Notification Service Agent",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics(server):
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as r:
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def sns_server(request, tmp_path):
    key, cert = make_signer(tmp_path)
    database = postgres_url() if request.param == "postgres" else None
    config = SIGNED_CONFIG + (
        f'\n[sns]\ntopics = ["{TOPIC}"]\n'
        f'[[sns.trusted_certs]]\nurl = "{CERT_URL}"\npem_file = "{cert}"\n'
    )
    srv = Server(tmp_path, config, database=database).start()
    yield srv, key
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_bounce_is_applied_once_and_suppresses_the_address(sns_server, version):
    server, key = sns_server
    ses = server.boto3("sesv2")
    address = f"gone-v{version}@customer.org"
    mail_id = ses.send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": [address]},
        Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}},
    )["MessageId"]
    envelope = sign(key, bounce_notification(f"e2e-sns-{version}", mail_id, address), version)

    answers = [post_sns(server, envelope) for _ in range(3)]
    assert answers == [(200, "applied Bounce\n"), (200, "already applied\n"), (200, "already applied\n")]

    found = json.loads(
        server.aws("sesv2", "get-suppressed-destination", "--email-address", address).stdout
    )
    assert found["SuppressedDestination"]["Reason"] == "BOUNCE"
    report = server.get_json("/api/v1/reputation")
    # One eligible send, one hard bounce: 100 %.
    assert (report["window"]["sends"], report["window"]["hard_bounces"]) == (1, 1)
    m = metrics(server)
    assert m['bounceguard_sends_total{decision="deliver"}'] == 1
    assert m['bounceguard_events_total{type="Bounce"}'] == 1
    assert m["bounceguard_bounce_rate"] == 1.0
    assert m["bounceguard_reputation_level"] == 3


def test_tampered_and_unsigned_messages_are_refused_and_change_nothing(sns_server):
    server, key = sns_server
    ses = server.boto3("sesv2")
    address = "victim@customer.org"
    mail_id = ses.send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": [address]},
        Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}},
    )["MessageId"]
    genuine = sign(key, bounce_notification("e2e-sns-refused", mail_id, address), "2")
    tampered = dict(genuine, Message=genuine["Message"].replace("5.1.1", "5.1.2"))
    unsigned = bounce_notification("e2e-sns-refused", mail_id, address)
    foreign = dict(genuine, SigningCertURL="https://169.254.169.254/latest/cert.pem")

    assert post_sns(server, tampered) == (403, "forbidden: SNS signature does not verify\n")
    assert post_sns(server, unsigned) == (403, "forbidden: SNS message is not signed\n")
    status, text = post_sns(server, foreign)
    assert (status, text.startswith("forbidden: SigningCertURL is not an SNS certificate URL")) == (403, True)

    proc = server.aws("sesv2", "get-suppressed-destination", "--email-address", address, check=False)
    assert proc.returncode != 0 and "NotFoundException" in proc.stderr
    assert server.get_json("/api/v1/reputation")["window"]["hard_bounces"] == 0
    m = metrics(server)
    assert m['bounceguard_sns_rejected_total{reason="bad_signature"}'] == 1
    assert m['bounceguard_sns_rejected_total{reason="unsigned"}'] == 1
    assert m['bounceguard_sns_rejected_total{reason="foreign_cert_url"}'] == 1
    assert m['bounceguard_events_total{type="Bounce"}'] == 0
