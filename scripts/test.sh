#!/usr/bin/env bash
# The one test command: installs what the tests need, starts those services, runs every suite.
#
#   scripts/test.sh
#
# - PostgreSQL server (Debian's `postgresql`), started on a free 127.0.0.1 port in a temp dir;
#   its URL is exported as TEST_DATABASE_URL for the store tests and the e2e suite.
# - A Python venv (.venv) with the AWS CLI, boto3, moto, dnslib and pytest
#   (tests/e2e/requirements.txt).
# - moto's server on a free 127.0.0.1 port (the stand-in SES upstream), exported as TEST_MOTO_URL.
# - One build shared by every suite: `cargo test` builds the test binaries and
#   target/debug/bounceguard, which the end-to-end suite then drives. Debug, not release: the
#   suites test behaviour, not speed (speed is in benches/), and an optimised build of this
#   dependency graph alone takes most of CI's time on two cores.
# Plain `cargo test` still works alone for everything that needs no outside service.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages -------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ] || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  log "installing PostgreSQL and python3-venv"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql python3-venv >/dev/null
fi
PG_BIN=$(pg_bin)

# --- Python tools ----------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r tests/e2e/requirements.txt
export PATH="$ROOT/.venv/bin:$PATH"

# --- PostgreSQL ------------------------------------------------------------------------------
PG_DIR=$(mktemp -d /tmp/bounceguard-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    chown -R postgres "$PG_DIR"
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}
MOTO_PID=
stop_services() {
  [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null || true
  run_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_services EXIT
log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
run_pg "'$PG_BIN/initdb' -D '$PG_DIR/data' -A trust -U postgres" >/dev/null
run_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/log' -w -o \"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

# --- moto (SES stand-in upstream) --------------------------------------------------------------
MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting moto_server on 127.0.0.1:$MOTO_PORT"
.venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$PG_DIR/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$MOTO_PORT/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
export TEST_MOTO_URL="http://127.0.0.1:$MOTO_PORT"

# --- Rust ------------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo test --workspace (one build for every suite)"
cargo test --workspace --locked

# --- End to end ------------------------------------------------------------------------------
log "end-to-end: AWS CLI, boto3 and smtplib against target/debug/bounceguard"
export BOUNCEGUARD_BIN="$ROOT/target/debug/bounceguard"
python -m pytest tests/e2e -q -p no:cacheprovider

# --- Browser (dashboard) ------------------------------------------------------------------------
# Debian's chromium driven by playwright-core (tests/browser, pinned in its package-lock.json);
# screenshots go to a temp dir that is printed, never into the repository.
if ! command -v chromium >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing chromium (and node/npm if missing)"
  as_root apt-get update -qq
  command -v npm >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
log "browser: the dashboard in headless Chromium against target/debug/bounceguard"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
BROWSER_ARTIFACTS=$(mktemp -d /tmp/bounceguard-browser.XXXXXX) CHROMIUM=$(command -v chromium) \
  node --test tests/browser/dashboard.test.mjs
