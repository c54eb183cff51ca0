#!/usr/bin/env bash
# SNS endpoint load benchmark: SES bounce notifications applied per second with durability,
# through the real HTTP endpoint (POST /sns): SNS signature (v2, RSA-2048 SHA-256) verified per
# message, the SES event stored once per SNS MessageId, the bounce's send outcome marked and the
# address put on the suppression list, all committed before the 200. The issue's target is
# 10,000 notifications/s.
#
#   benches/sns_load.sh [NOTIFICATIONS] [CONNECTIONS] [sqlite|postgres://…]   (defaults 20000 64 sqlite)
#
# BIN_DIR=dir runs the `bounceguard` and `sns_load` binaries found there instead of building
# (e.g. a copy of an older build, for a baseline under the same conditions). PERF_OUT=file
# records the server with `perf record -g` while the driver runs.
#
# The notifications are signed beforehand (Python `cryptography`, from .venv, with a key and a
# self-signed certificate made per run and configured as [[sns.trusted_certs]]), each once with
# its own SNS MessageId; benches/src/bin/sns_load.rs posts them over keep-alive connections.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-20000}
CONNECTIONS=${2:-64}
DATABASE=${3:-sqlite}
PYTHON=${PYTHON:-.venv/bin/python}

if [ -n "${BIN_DIR:-}" ]; then
  BIN=$BIN_DIR
else
  cargo build --release -q -p bounceguard -p bounceguard-benches
  BIN=${CARGO_TARGET_DIR:-target}/release
fi
WORK=$(mktemp -d /tmp/bounceguard-sns-bench.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

TOPIC=arn:aws:sns:us-east-1:123456789012:ses-events
CERT_URL=https://certs.bench.invalid/SimpleNotificationService-bench.pem
"$PYTHON" - "$WORK" "$COUNT" "$TOPIC" "$CERT_URL" <<'PY'
import base64, datetime, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
work, count, topic, cert_url = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.bench.bounceguard.invalid")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
open(f"{work}/cert.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
with open(f"{work}/notifications.jsonl", "w") as out:
    for i in range(count):
        address = f"user{i:07d}@customer.org"
        event = {"eventType": "Bounce",
                 "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                            "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                                                   "status": "5.1.1",
                                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
                            "timestamp": "2026-12-01T10:30:05.120Z", "feedbackId": f"fb-{i:07d}"},
                 "mail": {"timestamp": "2026-12-01T10:30:00.011Z", "source": "no-reply@shop.example",
                          "messageId": f"0100018d-bench-{i:07d}-000000", "destination": [address]}}
        envelope = {"Type": "Notification", "MessageId": f"sns-bench-{i:07d}", "TopicArn": topic,
                    "Subject": "Amazon SES Email Event Notification", "Message": json.dumps(event),
                    "Timestamp": "2026-12-01T10:30:06.000Z",
                    "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}
        text = "".join(f"{k}\n{envelope[k]}\n" for k in fields)
        signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        envelope.update(SignatureVersion="2", Signature=base64.b64encode(signature).decode(),
                        SigningCertURL=cert_url)
        out.write(json.dumps(envelope) + "\n")
PY

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$DATABASE" = sqlite ]; then DATABASE="sqlite://$WORK/bench.db"; fi
cat > "$WORK/bg.toml" <<TOML
listen = "127.0.0.1:$PORT"
database = "$DATABASE"
region = "us-east-1"
[sns]
topics = ["$TOPIC"]
[[sns.trusted_certs]]
url = "$CERT_URL"
pem_file = "$WORK/cert.pem"
TOML
RUST_LOG=warn "$BIN/bounceguard" serve --config "$WORK/bg.toml" 2>"$WORK/bg.log" & PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done

echo "machine: $(nproc) cores, $(uname -r); $COUNT notifications, $CONNECTIONS connections, $(echo "$DATABASE" | cut -d: -f1)"
PERF_PID=
if [ -n "${PERF_OUT:-}" ]; then
  perf record -q ${PERF_ARGS:--g} -p "$PID" -o "$PERF_OUT" 2>/dev/null & PERF_PID=$!
  sleep 0.5
fi
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
SERVER_BEFORE=$(cpu_ticks "$PID")
DRIVER_START=$(date +%s.%N)
TIMEFORMAT="driver CPU %U s user + %S s system over %R s"; time "$BIN/sns_load" "127.0.0.1:$PORT" /sns "$CONNECTIONS" "$WORK/notifications.jsonl"
DRIVER_END=$(date +%s.%N)
SERVER_AFTER=$(cpu_ticks "$PID")
if [ -n "$PERF_PID" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU the server used while the driver ran (user + system, all threads), per notification.
awk -v t="$((SERVER_AFTER - SERVER_BEFORE))" -v hz="$(getconf CLK_TCK)" -v n="$COUNT" \
    -v s="$DRIVER_START" -v e="$DRIVER_END" 'BEGIN {
  printf "server CPU %.2f s over %.2f s wall (%.2f cores), %.0f us per notification\n", \
    t / hz, e - s, t / hz / (e - s), t / hz / n * 1e6 }'
suppressed=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^bounceguard_events_total\{type="Bounce"\}/ {print $2}')
echo "Bounce events applied (from /metrics): $suppressed"
