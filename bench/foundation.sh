#!/usr/bin/env bash
# Foundation benchmark (issue 2): release binary size, start-to-ready time, idle memory,
# and GET /v1/extensions/{number} requests per second with wrk on loopback, against
# SQLite and PostgreSQL. Not a test: it prints figures for BENCHMARKS.md.
#
# usage: bench/foundation.sh            (PostgreSQL from SWITCHBOARD_TEST_POSTGRES_URL
#                                        or postgres://postgres@127.0.0.1:5432/postgres)
# env:   DURATION=10s CONNECTIONS=32 THREADS=2 RUNS=20
set -euo pipefail
cd "$(dirname "$0")/.."
PG_ADMIN="${SWITCHBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
RUNS="${RUNS:-20}"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

cargo build --release -p switchboard-api --quiet
BIN="$PWD/target/release/switchboard"

echo "## machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## release binary"
echo "size $(stat -c %s "$BIN") bytes ($(numfmt --to=iec-i --suffix=B "$(stat -c %s "$BIN")"))"
echo
echo "## start to ready ($RUNS runs each) and idle RSS"
python3 bench/startup.py "$BIN" --postgres "$PG_ADMIN" --runs "$RUNS"
echo

KEY="bench-admin:0123456789abcdef"
BASIC="Basic $(printf %s "$KEY" | base64)"
load() { # name, database url (empty for SQLite)
  local name="$1" url="$2" data out pid addr token
  data="$(mktemp -d)"
  out="$data/stdout"
  env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_DATA_DIR="$data" \
    SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 SWITCHBOARD_LOG=warn ${url:+DATABASE_URL="$url"} \
    "$BIN" >"$out" 2>"$data/stderr" &
  pid=$!
  until grep -q '^listening on ' "$out" 2>/dev/null; do sleep 0.05; done
  addr="$(sed -n 's/^listening on //p' "$out")"
  curl -sf -u "$KEY" -H 'content-type: application/json' "$addr/v1/extensions" \
    -d '{"number":"58101","name":"Djaouad","password":"s3cret-Passw0rd","email":"djaouad@example.com","voicemail":{"enabled":true,"pin":"4321"}}' >/dev/null
  token="$(curl -sf -H 'content-type: application/json' "$addr/v1/auth/token" \
    -d "{\"key_id\":\"${KEY%%:*}\",\"secret\":\"${KEY#*:}\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  for auth in "$BASIC" "Bearer $token"; do
    echo "### $name, ${auth%% *} auth: wrk -t$THREADS -c$CONNECTIONS -d$DURATION $addr/v1/extensions/58101"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: $auth" "$addr/v1/extensions/58101" \
      | grep -E 'Requests/sec|Latency|50%|99%|requests in|Non-2xx|Socket errors'
  done
  echo "RSS after load: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  echo
}

echo "## GET /v1/extensions/{number}"
load sqlite ""
db="sb_bench_load_$$"
psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
load postgres "${PG_ADMIN%/*}/$db"
psql "$PG_ADMIN" -qc "DROP DATABASE $db WITH (FORCE)"
