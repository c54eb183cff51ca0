#!/usr/bin/env bash
# SendEmail load benchmark: bounceguard (SigV4 verified, capture on, every message durable in
# SQLite) against a bare axum handler returning a fixed SendEmail body, in the same run.
#
#   benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs wrk (apt-get install wrk). Runs A/B/A/B rounds and prints each round and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNECTIONS=${2:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release -q -p bounceguard -p bounceguard-benches
BIN=target/release
WORK=$(mktemp -d /tmp/bounceguard-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
BG_PORT=$(port); BARE_PORT=$(port)
cat > "$WORK/bg.toml" <<TOML
listen = "127.0.0.1:$BG_PORT"
database = "sqlite://$WORK/bench.db"
identities = ["shop.example"]
[[credentials]]
access_key_id = "AKIDBENCHMARK0000001"
secret_access_key = "bench-secret-key"
TOML
RUST_LOG=warn "$BIN/bounceguard" serve --config "$WORK/bg.toml" 2>"$WORK/bg.log" & PIDS+=($!)
"$BIN/bare_http" "127.0.0.1:$BARE_PORT" 2>"$WORK/bare.log" & PIDS+=($!)
for p in $BG_PORT $BARE_PORT; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" -X GET && break; sleep 0.1; done
done
"$BIN/sign_request" "127.0.0.1:$BG_PORT" AKIDBENCHMARK0000001 bench-secret-key us-east-1 > "$WORK/send.lua"
# Same body and headers for the bare handler (it ignores them).
sed "s/127.0.0.1:$BG_PORT/127.0.0.1:$BARE_PORT/" "$WORK/send.lua" > "$WORK/bare.lua"

# A signed request must be accepted before we measure anything.
check=$(wrk -t1 -c1 -d1s -s "$WORK/send.lua" "http://127.0.0.1:$BG_PORT/" | grep -c "Non-2xx" || true)
[ "$check" = 0 ] || { echo "bounceguard refused the signed request:" >&2; cat "$WORK/bg.log" >&2; exit 1; }

rps() { wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$2" "http://127.0.0.1:$1/" | tee -a "$WORK/wrk.txt" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "ERR " $0 > "/dev/stderr"}'; }
echo "machine: $(nproc) cores, $(uname -r); wrk -t1 -c$CONNECTIONS -d${DURATION}s"
declare -a A B
for round in 1 2; do
  a=$(rps "$BARE_PORT" "$WORK/bare.lua"); b=$(rps "$BG_PORT" "$WORK/send.lua")
  A+=("$a"); B+=("$b")
  printf 'round %s: bare axum %s req/s, bounceguard SendEmail %s req/s, ratio %.1f %%\n' "$round" "$a" "$b" "$(python3 -c "print($b / $a * 100)")"
done
stored=$(python3 - "$WORK/bench.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])
PY
)
echo "messages durably stored by bounceguard: $stored"
grep -E "Latency|50%|99%" "$WORK/wrk.txt" | sed 's/^/  /'
