#!/usr/bin/env bash
# SMTP door load benchmark: messages accepted per second over CONNECTIONS SMTP connections
# (EHLO, AUTH PLAIN, then MAIL/RCPT/DATA back to back; then again with PIPELINING) against HTTP SendRawEmail (SigV4 verified)
# over as many keep-alive connections, on the same server of the same release build, capture on,
# every message durable in SQLite. Both are driven by benches/src/bin/smtp_load.rs.
#
#   benches/smtp_load.sh [DURATION_SECONDS] [CONNECTIONS]     (defaults 15 and 16)
#
# Builds with -j 1 (the machine is shared); runs two rounds of HTTP, SMTP, pipelined SMTP and
# prints each with the load average (other builds share the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-16}

cargo build --release -j 1 -q -p bounceguard -p bounceguard-benches
BIN=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d /tmp/bounceguard-smtp-bench.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(port); SMTP_PORT=$(port)
KEY=AKIDBENCHMARK0000001; SECRET=bench-secret-key; REGION=us-east-1
cat > "$WORK/bg.toml" <<TOML
listen = "127.0.0.1:$HTTP_PORT"
smtp_listen = "127.0.0.1:$SMTP_PORT"
database = "sqlite://$WORK/bench.db"
region = "$REGION"
identities = ["shop.example"]
[[credentials]]
access_key_id = "$KEY"
secret_access_key = "$SECRET"
[smtp]
# No TLS on either side: the HTTP front is plain HTTP too.
allow_plain_auth = true
TOML
RUST_LOG=warn "$BIN/bounceguard" serve --config "$WORK/bg.toml" 2>"$WORK/bg.log" & PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" && break; sleep 0.1; done

# Both fronts must accept the message before anything is measured.
"$BIN/smtp_load" http "127.0.0.1:$HTTP_PORT" 1 1 "$KEY" "$SECRET" "$REGION" >/dev/null \
  || { echo "HTTP SendRawEmail refused:" >&2; cat "$WORK/bg.log" >&2; exit 1; }
"$BIN/smtp_load" smtp "127.0.0.1:$SMTP_PORT" 1 1 "$KEY" "$SECRET" >/dev/null \
  || { echo "SMTP refused:" >&2; cat "$WORK/bg.log" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -r); $CONNECTIONS connections, ${DURATION}s per run"
rate() { echo "$1" | awk '{print $2}'; }
for round in 1 2; do
  h=$("$BIN/smtp_load" http "127.0.0.1:$HTTP_PORT" "$CONNECTIONS" "$DURATION" "$KEY" "$SECRET" "$REGION")
  echo "round $round: $h"
  s=$("$BIN/smtp_load" smtp "127.0.0.1:$SMTP_PORT" "$CONNECTIONS" "$DURATION" "$KEY" "$SECRET")
  echo "round $round: $s"
  p=$("$BIN/smtp_load" smtp-pipelined "127.0.0.1:$SMTP_PORT" "$CONNECTIONS" "$DURATION" "$KEY" "$SECRET")
  echo "round $round: $p"
  python3 -c "import sys; h, s, p = map(float, sys.argv[1:]); print(f'round $round: SMTP / HTTP = {s / h * 100:.1f} %, pipelined SMTP / HTTP = {p / h * 100:.1f} %')" \
    "$(rate "$h")" "$(rate "$s")" "$(rate "$p")"
  echo "round $round: load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
stored=$(python3 - "$WORK/bench.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])
PY
)
echo "messages durably stored by bounceguard: $stored"
