"""The SMTP door end to end: Python's smtplib against the release binary's listener, with
STARTTLS (a certificate made here with the openssl CLI) and AUTH with the SES SMTP password."""

import base64
import hashlib
import hmac
import smtplib
import ssl
import subprocess
from email.message import EmailMessage

import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, SIGNED_CONFIG, Server, free_port
from test_policies import put_seed


def ses_smtp_password(secret, region):
    """AWS's documented derivation (the SES developer guide's smtp_credentials_generate.py)."""
    def sign(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    signature = sign(("AWS4" + secret).encode("utf-8"), "11111111")
    for part in (region, "ses", "aws4_request", "SendRawEmail"):
        signature = sign(signature, part)
    return base64.b64encode(bytes([0x04]) + signature).decode("utf-8")


@pytest.fixture
def smtp_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    port = free_port()
    config = f'smtp_listen = "127.0.0.1:{port}"\n' + SIGNED_CONFIG + f"""
[smtp]
tls_cert = "{cert}"
tls_key = "{key}"
"""
    srv = Server(tmp_path, config).start()
    srv.smtp_port = port
    yield srv
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


def connect(server):
    client = smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30)
    client.ehlo("client.test")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client.starttls(context=context)
    client.ehlo("client.test")
    return client


def message(to, subject="hello"):
    msg = EmailMessage()
    msg["From"] = "Shop <no-reply@shop.example>"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content("Your code is 123456\n.leading dot line\n")
    return msg


def test_starttls_auth_and_a_send_split_by_the_guard(smtp_server):
    # Before STARTTLS the server offers no AUTH and refuses mail without it.
    plain = smtplib.SMTP("127.0.0.1", smtp_server.smtp_port, timeout=30)
    code, features = plain.ehlo("client.test")
    assert code == 250
    assert b"STARTTLS" in features and b"AUTH" not in features
    assert plain.verify("someone@shop.example")[0] == 252, "never confirms a mailbox"
    code, _ = plain.mail("no-reply@shop.example")
    assert code == 530
    plain.quit()

    client = connect(smtp_server)
    client.login(ACCESS_KEY, ses_smtp_password(SECRET_KEY, REGION))
    refused = client.sendmail(
        "no-reply@shop.example",
        ["ann@customer.org", "qa@example.com"],
        message(["ann@customer.org", "qa@example.com"]).as_bytes(),
    )
    assert refused == {}
    client.quit()

    listing = smtp_server.get_json("/api/v1/messages")["messages"]
    assert len(listing) == 1
    one = smtp_server.get_json(f"/api/v1/messages/{listing[0]['id']}")
    assert one["operation"] == "SendRawEmail"
    assert one["principal"].endswith(":user/member-service")
    decided = {r["address"]: r["decision"] for r in one["recipients"]}
    assert decided == {"ann@customer.org": "deliver", "qa@example.com": "capture"}
    assert ".leading dot line" in one["text"], "dot-unstuffed exactly once"


def test_the_secret_key_also_works_and_a_wrong_one_does_not(smtp_server):
    client = connect(smtp_server)
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.login(ACCESS_KEY, "not-the-password")
    assert refused.value.smtp_code == 535
    client.login(ACCESS_KEY, SECRET_KEY)
    client.quit()


def test_a_policy_denial_and_the_recipient_limit_get_ses_replies(smtp_server):
    put_seed(smtp_server)
    client = connect(smtp_server)
    client.login(ACCESS_KEY, ses_smtp_password(SECRET_KEY, REGION))
    with pytest.raises(smtplib.SMTPDataError) as denied:
        client.sendmail("no-reply@shop.example", ["a@example.com"], message(["a@example.com"]).as_bytes())
    assert denied.value.smtp_code == 554
    assert denied.value.smtp_error.decode().startswith("Access denied: User `arn:aws:iam::")
    assert "ses:SendRawEmail" in denied.value.smtp_error.decode()

    many = [f"r{i}@customer.org" for i in range(60)]
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused)) as limit:
        client.sendmail("no-reply@shop.example", many, message(many[:1]).as_bytes())
    assert "Recipient count exceeds 50." in str(limit.value)
    client.quit()
    # The denial was recorded; nothing was accepted for the 60-recipient message.
    listing = smtp_server.get_json("/api/v1/messages")["messages"]
    assert [m["decision"] for m in listing] == ["deny"]
