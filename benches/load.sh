#!/usr/bin/env bash
# SendEmail load benchmark: bounceguard (SigV4 verified, capture on, every message durable in
# SQLite) against a bare axum handler returning a fixed SendEmail body, in the same run, and
# against a second baseline, bare_durable: the same bare handler that also appends each request
# body to a file and fdatasyncs it (group commit) before answering — the least any server that
# acknowledges only what is on disk must do.
#
#   benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
#   BOUNCEGUARD_BIN=/path/to/other/bounceguard benches/load.sh …   (compare another build)
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
BG_PORT=$(port); BARE_PORT=$(port); DURABLE_PORT=$(port)
cat > "$WORK/bg.toml" <<TOML
listen = "127.0.0.1:$BG_PORT"
database = "sqlite://$WORK/bench.db"
identities = ["shop.example"]
[[credentials]]
access_key_id = "AKIDBENCHMARK0000001"
secret_access_key = "bench-secret-key"
TOML
RUST_LOG=warn "${BOUNCEGUARD_BIN:-$BIN/bounceguard}" serve --config "$WORK/bg.toml" 2>"$WORK/bg.log" & BG_PID=$!; PIDS+=($BG_PID)
"$BIN/bare_http" "127.0.0.1:$BARE_PORT" 2>"$WORK/bare.log" & BARE_PID=$!; PIDS+=($BARE_PID)
"$BIN/bare_durable" "127.0.0.1:$DURABLE_PORT" "$WORK/durable.log" 2>"$WORK/durable.err" & DURABLE_PID=$!; PIDS+=($DURABLE_PID)
for p in $BG_PORT $BARE_PORT $DURABLE_PORT; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" -X GET && break; sleep 0.1; done
done
"$BIN/sign_request" "127.0.0.1:$BG_PORT" AKIDBENCHMARK0000001 bench-secret-key us-east-1 > "$WORK/send.lua"
# Same body and headers for the bare handler (it ignores them).
sed "s/127.0.0.1:$BG_PORT/127.0.0.1:$BARE_PORT/" "$WORK/send.lua" > "$WORK/bare.lua"
sed "s/127.0.0.1:$BG_PORT/127.0.0.1:$DURABLE_PORT/" "$WORK/send.lua" > "$WORK/durable.lua"

# A signed request must be accepted before we measure anything.
check=$(wrk -t1 -c1 -d1s -s "$WORK/send.lua" "http://127.0.0.1:$BG_PORT/" | grep -c "Non-2xx" || true)
[ "$check" = 0 ] || { echo "bounceguard refused the signed request:" >&2; cat "$WORK/bg.log" >&2; exit 1; }

# CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# rps PORT SCRIPT PID: prints "requests/s server-CPU-µs-per-request". The CPU a server spends per
# request is the steadier figure on a shared machine: it does not move with what else runs.
rps() {
  local before after out
  before=$(cpu "$3")
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$2" "http://127.0.0.1:$1/" | tee -a "$WORK/wrk.txt")
  after=$(cpu "$3")
  grep -q Non-2xx <<<"$out" && echo "ERR $(grep Non-2xx <<<"$out")" >&2
  python3 - "$before" "$after" <<PY
import re, sys
out = """$out"""
rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
print(f"{rate:.0f} {(float(sys.argv[2]) - float(sys.argv[1])) * 1e6 / total:.1f}")
PY
}
echo "machine: $(nproc) cores, $(uname -r); wrk -t1 -c$CONNECTIONS -d${DURATION}s"
for round in 1 2; do
  read -r a acpu < <(rps "$BARE_PORT" "$WORK/bare.lua" "$BARE_PID")
  read -r d dcpu < <(rps "$DURABLE_PORT" "$WORK/durable.lua" "$DURABLE_PID")
  read -r b bcpu < <(rps "$BG_PORT" "$WORK/send.lua" "$BG_PID")
  printf 'round %s: bare axum %s req/s (%s µs CPU/request); bare+fdatasync %s req/s (%s µs, %.1f %% of bare); bounceguard SendEmail %s req/s (%s µs CPU/request), ratio %.1f %%\n' \
    "$round" "$a" "$acpu" "$d" "$dcpu" "$(python3 -c "print($d / $a * 100)")" "$b" "$bcpu" "$(python3 -c "print($b / $a * 100)")"
done
stored=$(python3 - "$WORK/bench.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])
PY
)
echo "messages durably stored by bounceguard: $stored"
curl -s "http://127.0.0.1:$BG_PORT/metrics" | python3 -c '
import sys
m = dict(l.rsplit(" ", 1) for l in sys.stdin if l.startswith("bounceguard_store_commit"))
commits, sends = float(m["bounceguard_store_commits_total"]), float(m["bounceguard_store_committed_sends_total"])
print(f"bounceguard group commit: {sends:.0f} sends in {commits:.0f} transactions, {sends / max(commits, 1):.1f} per group")
' || echo "(this bounceguard build has no writer counters in /metrics)"
grep -E "Latency|50%|99%" "$WORK/wrk.txt" | sed 's/^/  /'
