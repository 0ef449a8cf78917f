#!/usr/bin/env bash
# PostgreSQL stopped under load (issue 14). CALLS calls are up through an application
# (number 5000 answers `dial extension 102`, a SIPp phone that streams PCMU back; the
# callers stream PCMU too, so every call is relayed both ways) and one measuring call
# (rtp-probe, extension to extension) runs; then PostgreSQL itself is stopped
# (`pg_ctlcluster ... stop -m fast`) for OUTAGE seconds while new calls keep arriving,
# and started again. Half of the calls end during the outage, half after it.
#
# Measures: the audio of the calls up across the outage (packets relayed per second, the
# probe's loss and gaps), what the new calls got, and whether every call record and
# status callback was written once the database was back (none in progress, one
# `completed` event per call).
#
# It stops the machine's PostgreSQL cluster: run it where nothing else needs it meanwhile.
# usage: bench/db_outage.sh   env: CALLS=100 OUTAGE=10 CLUSTER="15 main"
#        PG=postgres://postgres@127.0.0.1:5432 (a role that may create databases)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="${CALLS:-100}"
OUTAGE="${OUTAGE:-10}"
CLUSTER="${CLUSTER:-15 main}"
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
SCEN="$PWD/bench/sipp"
HALF=$((CALLS / 2))

need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need sipp sip-tester
need sox sox
need psql postgresql-client
command -v pg_ctlcluster >/dev/null || { echo "pg_ctlcluster (Debian's postgresql-common) is needed to stop PostgreSQL" >&2; exit 1; }
cargo build --release -q -p switchboard-api -p switchboard-bench
BIN="$PWD/target/release/switchboard"
PROBE="$PWD/target/release/rtp-probe"
WORK="$(mktemp -d)"
cd "$WORK"
sox -n -r 8000 -c 1 -e u-law -t raw tone.ul synth 10 sine 440
KEY="bench-admin:0123456789abcdef"
DB="sb_outage_$$"
PID=""
HOOK=""
cleanup() {
  # SIPp runs in subshells too: every SIPp on this run's scenarios.
  pkill -f -- "-sf $SCEN/" 2>/dev/null || true
  pkill -P $$ rtp-probe 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  [ -n "$HOOK" ] && kill "$HOOK" 2>/dev/null
  # shellcheck disable=SC2086
  pg_ctlcluster $CLUSTER start >/dev/null 2>&1 || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
}
trap cleanup EXIT
psql -q "$PG/postgres" -c "CREATE DATABASE $DB"

# The application: /voice answers `dial 102`; every request is kept in events.jsonl.
cat > hook.py <<'PY'
import json, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
lock = threading.Lock()
log = open("events.jsonl", "a")
DIAL = json.dumps([{"verb": "dial", "targets": [{"type": "extension", "number": "102"}]}]).encode()
class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        with lock:
            log.write(json.dumps({"path": self.path, "body": body}) + "\n")
            log.flush()
        reply = DIAL if self.path == "/voice" else b"{}"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), App)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 hook.py > hook.port &
HOOK=$!
until [ -s hook.port ]; do sleep 0.05; done
HOOK_URL="http://127.0.0.1:$(cat hook.port)"

env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
  SWITCHBOARD_RTP_PORTS=20000-29999 SWITCHBOARD_DATA_DIR="$WORK/data" SWITCHBOARD_ADMIN_KEY="$KEY" \
  SWITCHBOARD_SIP_FLOOD_LIMIT=0 DATABASE_URL="$PG/$DB" SWITCHBOARD_LOG=warn "$BIN" >out 2>err &
PID=$!
until grep -q '^listening on ' out 2>/dev/null; do sleep 0.05; done
HTTP="$(sed -n 's/^listening on //p' out)"
SIP="$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' out)"
api() { curl -sf -u "$KEY" -H 'content-type: application/json' "$HTTP$1" ${2:+-d "$2"}; }
metric() { curl -sf -u "$KEY" "$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
sipp_result() { grep -E "Successful call|Failed call" "$1" | awk '{print $1, $2, $NF}' | tr '\n' ' '; }
now() { date +%s.%N; }

for n in 101 102 103 104; do
  api /v1/extensions "{\"number\":\"$n\",\"name\":\"Load $n\",\"password\":\"password$n\"}" >/dev/null
done
APP_ID="$(api /v1/applications "{\"name\":\"Outage\",\"voice_url\":\"$HOOK_URL/voice\",\"status_callback\":\"$HOOK_URL/status\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
api /v1/numbers "{\"number\":\"5000\",\"application_id\":\"$APP_ID\"}" >/dev/null
printf 'SEQUENTIAL\n102;[authentication username=102 password=password102]\n' > reg.csv
sipp -sf "$SCEN/register_load.xml" -inf reg.csv "$SIP" -i 127.0.0.1 -p 41000 -m 1 -nostdin >/dev/null 2>&1
sipp -sf "$SCEN/uas_stream.xml" "$SIP" -i 127.0.0.1 -p 41000 -mp 42000 -nostdin > uas.out 2>&1 &
sleep 0.5

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); PostgreSQL $(psql -tA "$PG/postgres" -c 'SHOW server_version')"
echo
echo "## $CALLS calls up through an application, PostgreSQL stopped for ${OUTAGE}s"
# Group A ends during the outage, group B after it.
call_group() { # name port media_port hold_ms count
  sipp -sf "$SCEN/uac_load.xml" -s 5000 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p "$2" -mp "$3" \
    -r 50 -l "$5" -m "$5" -d "$4" -trace_err -error_file "$1.err" -nostdin > "$1.out" 2>&1
}
call_group a 43000 44000 $(( (OUTAGE / 2 + 6) * 1000 )) "$HALF" &
GA=$!
call_group b 45000 46000 $(( (OUTAGE + 25) * 1000 )) "$((CALLS - HALF))" &
GB=$!
DEADLINE=$(( $(date +%s) + 30 ))
until [ "$(metric switchboard_calls_active)" -ge "$CALLS" ] || [ "$(date +%s)" -ge "$DEADLINE" ]; do sleep 0.2; done
echo "calls up before the outage: $(metric switchboard_calls_active) (expected $CALLS)"
nice -n -15 "$PROBE" "$SIP" 103 password103 104 password104 $((OUTAGE + 8)) > probe.json &
PROBE_PID=$!
sleep 3

R0=$(metric switchboard_rtp_packets_relayed_total); T0=$(now)
# shellcheck disable=SC2086
pg_ctlcluster $CLUSTER stop -m fast
STOPPED=$(now)
echo "PostgreSQL stopped ($(awk -v a="$T0" -v b="$STOPPED" 'BEGIN {printf "%.1f", b - a}') s to stop)"
# New calls during the outage: 2 per second.
sipp -sf "$SCEN/uac_load.xml" -s 5000 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r 2 -l 100 -m $((OUTAGE * 2 - 2)) -d 2000 -trace_err -error_file new.err -nostdin > new.out 2>&1 &
NEW=$!
# An API request meanwhile (in the background: it waits for the pool's 3 s acquire
# timeout before its 503).
curl -s -o api_during -w '%{http_code} in %{time_total} s' -u "$KEY" "$HTTP/v1/calls?limit=1" > api_status &
CURL=$!
until_after() { sleep "$(awk -v t="$1" -v n="$(now)" 'BEGIN {d = t - n; printf "%.3f", (d > 0 ? d : 0)}')"; }
until_after "$(awk -v a="$STOPPED" -v o="$OUTAGE" 'BEGIN {printf "%.3f", a + o / 2}')"
R1=$(metric switchboard_rtp_packets_relayed_total); T1=$(now)
UP_MID=$(metric switchboard_calls_active)
until_after "$(awk -v a="$STOPPED" -v o="$OUTAGE" 'BEGIN {printf "%.3f", a + o}')"
# shellcheck disable=SC2086
pg_ctlcluster $CLUSTER start
BACK=$(now)
echo "PostgreSQL started again after $(awk -v a="$STOPPED" -v b="$BACK" 'BEGIN {printf "%.1f", b - a}') s"
awk -v r=$((R1 - R0)) -v a="$T0" -v b="$T1" -v c="$CALLS" 'BEGIN {
  printf "relayed in the first half of the outage (every call up): %.0f packets/s (expected %d: 50/s each way per call and the measuring call)\n", r / (b - a), (c + 1) * 100 }'
echo "calls up in the middle of the outage: $UP_MID (the measuring call and group A's included)"
wait "$CURL" || true
echo "API during the outage: GET /v1/calls answered $(cat api_status)"
wait "$NEW" || true
echo "new calls during the outage: $(sipp_result new.out); SIP answers to them that SIPp did not expect: $(grep -ho 'SIP/2.0 [0-9]\{3\} [A-Za-z ]*' new.err 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ';' || true)"
wait "$PROBE_PID" || true
echo "measuring call across the outage (rtp-probe, $((OUTAGE + 8)) s, nice -15): $(cat probe.json)"
wait "$GA" || true
wait "$GB" || true
echo "group A (ended during the outage): $(sipp_result a.out)"
echo "group B (ended after it): $(sipp_result b.out)"

# Records and callbacks: give the retry queue a few seconds.
sleep 5
python3 - "$HTTP" "$KEY" <<'PY'
import base64, collections, json, sys, urllib.request
http, key = sys.argv[1], sys.argv[2]
auth = "Basic " + base64.b64encode(key.encode()).decode()
def get(path):
    req = urllib.request.Request(http + path, headers={"authorization": auth})
    return json.load(urllib.request.urlopen(req))
calls, cursor = [], None
while True:
    page = get("/v1/calls?limit=500" + (f"&cursor={cursor}" if cursor else ""))
    calls += page["data"]
    cursor = page.get("next_cursor")
    if not cursor:
        break
by_status = collections.Counter(c["status"] for c in calls)
app_calls = {c["sid"] for c in calls if c["to"] == "5000"}
events = [json.loads(l) for l in open("events.jsonl")]
completed = collections.Counter(e["body"].get("call_sid") for e in events
                                if e["path"] == "/status" and e["body"].get("event") == "completed")
told = {sid for sid, n in completed.items()}
print(f"call records: {len(calls)} ({dict(by_status)}); in progress: {by_status.get('in-progress', 0)}")
print(f"calls to 5000: {len(app_calls)}; `completed` status callbacks: {sum(completed.values())} "
      f"for {len(told)} calls; calls without one: {len(app_calls - told)}; told twice: "
      f"{sum(1 for n in completed.values() if n > 1)}")
PY
echo "server log: $(grep -c 'kept, and' err || true) writes kept for later; warnings and errors by source:"
sed 's/\x1b\[[0-9;]*m//g' err | grep -E ' (WARN|ERROR) ' | awk '{print $2, $3}' | sort | uniq -c | sort -rn
