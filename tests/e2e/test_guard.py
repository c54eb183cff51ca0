"""The recipient guard end to end: boto3 and the AWS CLI against the release binary, with
`[dns] check = true` pointed at a real DNS server (dnslib) serving a test zone on 127.0.0.1."""

import json
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
from dnslib import MX, QTYPE, RCODE, RR, SOA, A
from dnslib.server import BaseResolver, DNSServer

from conftest import SIGNED_CONFIG, Server, binary

ZONE = "bg-e2e.net"


class GuardZone(BaseResolver):
    """good: an MX; nullmx: RFC 7505 null MX; aonly: no MX but an A record (implicit MX);
    missing: NXDOMAIN; slow: answers after the gateway's timeout (a DNS outage)."""

    def __init__(self):
        self.queries = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name, qtype))
        soa = RR(ZONE, QTYPE.SOA, ttl=60, rdata=SOA(f"ns.{ZONE}", f"hostmaster.{ZONE}", (1, 60, 60, 60, 60)))
        if name == f"slow.{ZONE}":
            time.sleep(3)
            return reply
        if name in (f"good.{ZONE}", f"staging.{ZONE}") and qtype == "MX":
            reply.add_answer(RR(name, QTYPE.MX, ttl=300, rdata=MX(f"mx.good.{ZONE}", 10)))
        elif name == f"nullmx.{ZONE}" and qtype == "MX":
            reply.add_answer(RR(name, QTYPE.MX, ttl=300, rdata=MX(".", 0)))
        elif name == f"aonly.{ZONE}" and qtype == "A":
            reply.add_answer(RR(name, QTYPE.A, ttl=300, rdata=A("192.0.2.10")))
        elif name in (f"good.{ZONE}", f"staging.{ZONE}", f"nullmx.{ZONE}", f"aonly.{ZONE}", f"mx.good.{ZONE}"):
            reply.add_auth(soa)  # the name exists, no record of this type (NoData)
        else:
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(soa)
        return reply


def free_udp_and_tcp_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


@pytest.fixture
def zone():
    resolver = GuardZone()
    port = free_udp_and_tcp_port()
    servers = [
        DNSServer(resolver, port=port, address="127.0.0.1", tcp=False),
        DNSServer(resolver, port=port, address="127.0.0.1", tcp=True),
    ]
    for s in servers:
        s.start_thread()
    yield port, resolver
    for s in servers:
        s.stop()


@pytest.fixture
def guarded(tmp_path, zone):
    port, resolver = zone
    # Top-level keys first: after SIGNED_CONFIG's [[credentials]] they would belong to it.
    config = f'mailboxes = ["hoge@staging.{ZONE}"]\n' + SIGNED_CONFIG + f"""
[[routes]]
name = "staging"
domain = "staging.{ZONE}"
action = "deliver"
only_known = true

[dns]
check = true
servers = ["127.0.0.1:{port}"]
timeout_ms = 700
"""
    srv = Server(tmp_path, config).start()
    srv.zone = resolver
    yield srv
    code = srv.stop()
    assert code == 0, f"unclean shutdown ({code}): {srv.log.read_text()}"


def post_json(server, path, body):
    req = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def decisions(server, message_id):
    one = server.get_json(f"/api/v1/messages/{message_id}")
    return {r["address"]: (r["decision"], r["rule"], r["reason"]) for r in one["recipients"]}


def test_one_send_is_captured_delivered_and_held_per_recipient(guarded):
    ses = guarded.boto3("ses")
    out = ses.send_email(
        Source="no-reply@shop.example",
        Destination={"ToAddresses": ["a@example.com", f"b@good.{ZONE}", f"c@missing.{ZONE}"]},
        Message={"Subject": {"Data": "signup"}, "Body": {"Text": {"Data": "code 123"}}},
    )
    message_id = out["MessageId"]

    # The capture API shows the message with the first recipient captured.
    listing = guarded.get_json("/api/v1/messages")["messages"]
    assert [m["id"] for m in listing] == [message_id]
    assert listing[0]["decision"] == "mixed"

    log = decisions(guarded, message_id)
    assert log["a@example.com"][:2] == ("capture", "default:reserved")
    assert log[f"b@good.{ZONE}"][:2] == ("deliver", "default:deliver")
    assert f"MX mx.good.{ZONE}" in log[f"b@good.{ZONE}"][2]
    assert log[f"c@missing.{ZONE}"][:2] == ("hold", "dns:no-mail-domain")
    assert log[f"c@missing.{ZONE}"][2].startswith("would hard-bounce")
    assert "NXDOMAIN" in log[f"c@missing.{ZONE}"][2]
    # The reserved test domain was never looked up; the MX domain was, once.
    asked = {name for name, _ in guarded.zone.queries}
    assert "example.com" not in asked
    assert f"good.{ZONE}" in asked

    # Only the delivered recipient counts.
    quota = ses.get_send_quota()
    assert quota["SentLast24Hours"] == 1.0

    # `bounceguard why` prints the same log from the store, beside the running server.
    why = subprocess.run(
        [binary(), "why", "--config", str(guarded.config), message_id],
        capture_output=True, text=True, timeout=60,
        env={"BOUNCEGUARD_DATABASE": guarded.database, "PATH": "/usr/bin:/bin"},
    )
    assert why.returncode == 0, why.stderr
    rows = [line.split()[:4] for line in why.stdout.splitlines() if ZONE in line or "example.com" in line]
    assert rows == [
        ["a@example.com", "to", "capture", "default:reserved"],
        [f"b@good.{ZONE}", "to", "deliver", "default:deliver"],
        [f"c@missing.{ZONE}", "to", "hold", "dns:no-mail-domain"],
    ]


def test_null_mx_a_fallback_allow_list_and_fail_open(guarded):
    ses = guarded.boto3("sesv2")
    out = ses.send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": [
            f"d@nullmx.{ZONE}", f"e@aonly.{ZONE}", f"hoge+qa1@staging.{ZONE}", f"fuga@staging.{ZONE}",
            "x@company.com", f"f@slow.{ZONE}",
        ]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )
    log = decisions(guarded, out["MessageId"])
    assert log[f"d@nullmx.{ZONE}"][:2] == ("hold", "dns:null-mx")
    assert log[f"e@aonly.{ZONE}"][:2] == ("deliver", "default:deliver")
    assert "A/AAAA fallback" in log[f"e@aonly.{ZONE}"][2]
    # The staging route: a + alias of a known mailbox goes out, an unknown mailbox is held.
    assert log[f"hoge+qa1@staging.{ZONE}"][:2] == ("deliver", "route:1")
    assert "alias of known mailbox" in log[f"hoge+qa1@staging.{ZONE}"][2]
    assert log[f"fuga@staging.{ZONE}"][:2] == ("hold", "allowlist")
    assert log[f"fuga@staging.{ZONE}"][2].startswith("unknown mailbox")
    # company.com is not in the test zone: NXDOMAIN there, so held, not sent.
    assert log["x@company.com"][:2] == ("hold", "dns:no-mail-domain")
    # A resolver that does not answer in time does not block mail: delivered, flagged.
    assert log[f"f@slow.{ZONE}"][:2] == ("deliver", "default:deliver")
    assert "fail-open" in log[f"f@slow.{ZONE}"][2]
    assert "failing open" in guarded.log.read_text() or "fail open" in guarded.log.read_text()


def test_validation_api_and_insights_answer_from_the_same_checks(guarded):
    kinds = [
        ("user{}@example.com", "test-domain"),
        (f"hoge+{{}}@staging.{ZONE}", "deliverable"),
        (f"user{{}}@missing.{ZONE}", "no-mail-domain"),
        (f"user{{}}@nullmx.{ZONE}", "no-mail-domain"),
        ("user{}@@bad", "invalid"),
    ]
    addresses = [kinds[i % 5][0].format(i) for i in range(1000)]
    answer = post_json(guarded, "/api/v1/addresses/validate", {"addresses": addresses})
    results = answer["results"]
    assert len(results) == 1000
    for i, r in enumerate(results):
        assert r["address"] == addresses[i]
        assert r["verdict"] == kinds[i % 5][1], r
    # One lookup per distinct domain, not per address (cached with the record TTL).
    mx_queries = [q for q in guarded.zone.queries if q == (f"staging.{ZONE}", "MX")]
    assert len(mx_queries) == 1, guarded.zone.queries

    v2 = guarded.boto3("sesv2")
    bad = v2.get_email_address_insights(EmailAddress=f"c@missing.{ZONE}")["MailboxValidation"]
    assert bad["IsValid"]["ConfidenceVerdict"] == "LOW"
    assert bad["Evaluations"]["HasValidSyntax"]["ConfidenceVerdict"] == "HIGH"
    assert bad["Evaluations"]["HasValidDnsRecords"]["ConfidenceVerdict"] == "LOW"
    good = v2.get_email_address_insights(EmailAddress=f"postmaster@good.{ZONE}")["MailboxValidation"]
    assert good["Evaluations"]["HasValidDnsRecords"]["ConfidenceVerdict"] == "HIGH"
    assert good["Evaluations"]["IsRoleAddress"]["ConfidenceVerdict"] == "HIGH"


def test_generator_refuses_real_domains_unless_aliasing_a_mailbox():
    refused = subprocess.run(
        [binary(), "addresses", "generate", "--prefix", "loadtest", "--count", "10", "--domain", "company.com"],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "not a reserved test domain" in refused.stderr
    aliases = subprocess.run(
        [binary(), "addresses", "generate", "--prefix", "loadtest", "--count", "100000",
         "--alias-of", "hoge@company.com"],
        capture_output=True, text=True, timeout=60,
    )
    assert aliases.returncode == 0, aliases.stderr
    lines = aliases.stdout.splitlines()
    assert len(lines) == 100000 == len(set(lines))
    assert lines[0] == "hoge+loadtest-000001@company.com"
    assert all(line.startswith("hoge+") and line.endswith("@company.com") for line in lines)
