#!/usr/bin/env bash
# Suppression import job from S3 (CreateImportJob): rows per second from the job's own
# CreatedTimestamp to CompletedTimestamp, with moto's S3 as the bucket and SQLite as the store.
#
#   benches/s3_import.sh [ROWS]            # default 100000 rows, 1 % malformed
#
# Builds the release binary unless BOUNCEGUARD_BIN names one. Uses TEST_MOTO_URL when set,
# else starts .venv/bin/moto_server (scripts/test.sh creates the venv with the AWS CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
export PATH="$(pwd)/.venv/bin:$PATH"
if [ -z "${BOUNCEGUARD_BIN:-}" ]; then
  cargo build --release -j 1 -q -p bounceguard
  BOUNCEGUARD_BIN=${CARGO_TARGET_DIR:-target}/release/bounceguard
fi
WORK=$(mktemp -d /tmp/bounceguard-s3bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_MAX_ATTEMPTS=1
MOTO=${TEST_MOTO_URL:-}
if [ -z "$MOTO" ]; then
  MOTO_PORT=$(port)
  moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 & PIDS+=($!)
  MOTO="http://127.0.0.1:$MOTO_PORT"
  for _ in $(seq 1 100); do curl -sf "$MOTO/moto-api/" >/dev/null && break; sleep 0.1; done
fi

python3 - "$ROWS" "$WORK/list.csv" <<'PY'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(rows):
        f.write(f"broken line {i}\n" if i % 100 == 99 else f"user{i}@bench{i % 997}.example,BOUNCE\n")
PY
BUCKET="bg-bench-$$"
aws --endpoint-url "$MOTO" s3 mb "s3://$BUCKET" >/dev/null
aws --endpoint-url "$MOTO" s3 cp "$WORK/list.csv" "s3://$BUCKET/list.csv" >/dev/null

BG_PORT=$(port)
cat > "$WORK/bg.toml" <<TOML
listen = "127.0.0.1:$BG_PORT"
database = "sqlite://$WORK/bench.db"
[s3]
endpoint_url = "$MOTO"
TOML
"$BOUNCEGUARD_BIN" serve --config "$WORK/bg.toml" 2>"$WORK/server.log" & PIDS+=($!)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$BG_PORT/healthz" >/dev/null && break; sleep 0.1; done

SES=(aws --endpoint-url "http://127.0.0.1:$BG_PORT" --output json sesv2)
JOB=$("${SES[@]}" create-import-job \
  --import-destination '{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}}' \
  --import-data-source "{\"S3Url\":\"s3://$BUCKET/list.csv\",\"DataFormat\":\"CSV\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["JobId"])')
while :; do
  OUT=$("${SES[@]}" get-import-job --job-id "$JOB")
  STATUS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["JobStatus"])' "$OUT")
  [ "$STATUS" = COMPLETED ] || [ "$STATUS" = FAILED ] && break
  sleep 0.2
done
python3 - "$OUT" <<'PY'
import json, sys
job = json.loads(sys.argv[1])
secs = job["CompletedTimestamp"] - job["CreatedTimestamp"]
done = job["ProcessedRecordsCount"] + job["FailedRecordsCount"]
print(f"{job['JobStatus']}: processed {job['ProcessedRecordsCount']}, failed {job['FailedRecordsCount']}, "
      f"{secs:.2f} s, {done / secs:,.0f} rows/s")
PY
