"""Reputation end to end (issue 6), on SQLite and PostgreSQL: 1,000 sends through boto3, then 60
bounce notifications through the signed SNS endpoint → GetAccount says PROBATION, the guard holds
a send to a new address and lets one to an address with a Delivery through, the AWS CLI finds the
bounced addresses on the suppression list; simulator sends create SES's events and leave the rates
alone."""

import json

from test_sns import bounce_notification, post_sns, sign, sns_server  # noqa: F401 (fixture)


def delivery_notification(sns_id, mail_id, address):
    event = {
        "eventType": "Delivery",
        "delivery": {
            "timestamp": "2026-12-01T10:30:02.000Z",
            "processingTimeMillis": 900,
            "recipients": [address],
            "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "a8-1.smtp-out.amazonses.com",
        },
        "mail": {
            "timestamp": "2026-12-01T10:30:00.011Z",
            "source": "no-reply@shop.example",
            "messageId": mail_id,
            "destination": [address],
        },
    }
    envelope = bounce_notification(sns_id, mail_id, address)
    envelope["Message"] = json.dumps(event)
    return envelope


def send(ses, to):
    out = ses.send_email(
        FromEmailAddress="no-reply@shop.example",
        Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello."}}}},
    )
    return out["MessageId"]


def decisions(srv, message_id):
    recipients = srv.get_json(f"/api/v1/messages/{message_id}")["recipients"]
    return [(r["address"], r["decision"], r["rule"]) for r in recipients]


def test_bounces_put_the_account_on_probation_and_the_guard_holds_new_addresses(sns_server):
    srv, key = sns_server
    ses = srv.boto3("sesv2")
    sent = []  # (MessageId, address), 50 recipients per request as SES allows
    for batch in range(20):
        to = [f"user{batch * 50 + i}@customer.org" for i in range(50)]
        message_id = send(ses, to)
        sent += [(message_id, address) for address in to]
    assert ses.get_account()["EnforcementStatus"] == "HEALTHY"

    # user0 had a delivery; 60 others hard-bounce (through signed SNS notifications).
    status, _ = post_sns(srv, sign(key, delivery_notification("sns-d-0", *sent[0]), "2"))
    assert status == 200
    bounced = sent[940:]
    for n, (message_id, address) in enumerate(bounced):
        status, text = post_sns(srv, sign(key, bounce_notification(f"sns-b-{n}", message_id, address), "2"))
        assert status == 200, text

    # 60 / 1,000 = 6 %: SES's review threshold (5 %) is crossed.
    account = ses.get_account()
    assert account["EnforcementStatus"] == "PROBATION"
    report = srv.get_json("/api/v1/reputation")
    assert report["window"] == {
        "sends": 1000, "hard_bounces": 60, "complaints": 0,
        "bounce_rate": 0.06, "complaint_rate": 0.0,
    }
    # Under 5 %: 60 / (1000 + n) < 0.05 ⇔ n > 200 → 201 clean deliveries.
    assert report["clean_sends_to_under_5_percent"] == 201

    # The guard: a new address is held, the delivered one flows.
    new = send(ses, ["newcomer@customer.org"])
    assert decisions(srv, new) == [("newcomer@customer.org", "hold", "reputation")]
    known = send(ses, [sent[0][1]])
    assert decisions(srv, known)[0][1] == "deliver"
    assert srv.get_json("/api/v1/held")["held"][0]["message_id"] == new

    # Every bounced address is on the account suppression list (the AWS CLI reads it).
    for _, address in (bounced[0], bounced[-1]):
        got = json.loads(srv.aws("sesv2", "get-suppressed-destination", "--email-address", address).stdout)
        assert got["SuppressedDestination"]["Reason"] == "BOUNCE"
    listed = ses.list_suppressed_destinations(PageSize=100)["SuppressedDestinationSummaries"]
    assert sorted(d["EmailAddress"] for d in listed) == sorted(a for _, a in bounced)


def test_simulator_sends_create_events_and_leave_the_rates_alone(sns_server):
    srv, _ = sns_server
    ses = srv.boto3("sesv2")
    before = srv.get_json("/api/v1/reputation")["window"]
    message_id = send(ses, [
        "success@simulator.amazonses.com",
        "bounce@simulator.amazonses.com",
        "complaint@simulator.amazonses.com",
        "suppressionlist@simulator.amazonses.com",
    ])
    events = srv.get_json(f"/api/v1/messages/{message_id}/events")["events"]
    seen = sorted((e["type"], e["recipient"], e["bounce_subtype"]) for e in events)
    assert seen == [
        ("Bounce", "bounce@simulator.amazonses.com", "General"),
        ("Bounce", "suppressionlist@simulator.amazonses.com", "Suppressed"),
        ("Complaint", "complaint@simulator.amazonses.com", None),
        ("Delivery", "complaint@simulator.amazonses.com", None),
        ("Delivery", "success@simulator.amazonses.com", None),
    ]
    assert srv.get_json("/api/v1/reputation")["window"] == before
    assert ses.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []
