#!/usr/bin/env bash
# PBX routing benchmark (issue 10): how much the built-in apps add to a call. Measures
# INVITE → first RTP of the audio a caller hears, for a plain application call (a number
# whose webhook answers [play 1 s, hangup]) and for the built-in IVR (a number whose
# destination is the IVR, and one reaching it through a day/night switch), idle and
# while 200 calls/s go through an IVR to a ring group whose member answers. Everything
# on loopback, release build, SQLite. Prints figures for BENCHMARKS.md.
#
# usage: bench/pbx_routing.sh   env: CPS=200 CPS_SECONDS=60 PROBE_CALLS=200
set -euo pipefail
cd "$(dirname "$0")/.."
CPS="${CPS:-200}"
CPS_SECONDS="${CPS_SECONDS:-60}"
PROBE_CALLS="${PROBE_CALLS:-200}"
SCEN="$PWD/bench/sipp"

need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need sipp sip-tester
need sox sox
cargo build --release -q -p switchboard-api -p switchboard-bench
BIN="$PWD/target/release/switchboard"
FIRST="$PWD/target/release/first-audio"
WORK="$(mktemp -d)"
cd "$WORK"
sox -n -r 8000 -c 1 -e u-law -t raw tone.ul synth 10 sine 440
KEY="bench-admin:0123456789abcdef"
PID=""
HOOK=""
cleanup() { pkill -P $$ sipp 2>/dev/null || true; [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$HOOK" ] && kill "$HOOK" 2>/dev/null; true; }
trap cleanup EXIT

# The plain application: answers every POST with [play 1 s, hangup].
cat > hook.py <<'PY'
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = b'[{"verb":"play","recording":"second"},{"verb":"hangup"}]'
class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), App)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 hook.py > hook.port &
HOOK=$!
until [ -s hook.port ]; do sleep 0.05; done

env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
  SWITCHBOARD_RTP_PORTS=20000-39999 SWITCHBOARD_DATA_DIR="$WORK/data" SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 \
  SWITCHBOARD_LOG=warn "$BIN" >out 2>err &
PID=$!
until grep -q '^listening on ' out 2>/dev/null; do sleep 0.05; done
HTTP="$(sed -n 's/^listening on //p' out)"
SIP="$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' out)"
api() { curl -sf -u "$KEY" -H 'content-type: application/json' "$HTTP$1" ${2:+-d "$2"}; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
metric() { curl -sf -u "$KEY" "$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
sipp_result() { grep -E "Successful call|Failed call" "$1" | awk '{print $1, $2, $NF}' | tr '\n' ' '; }

api /v1/extensions '{"number":"101","name":"Caller","password":"password101"}' >/dev/null
api /v1/extensions '{"number":"102","name":"Agent","password":"password102"}' >/dev/null
python3 -c "
import math, struct, wave
w = wave.open('second.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000)))"
curl -sf -u "$KEY" -H 'content-type: audio/wav' --data-binary @second.wav "$HTTP/v1/recordings?name=second" >/dev/null
APP_ID="$(api /v1/applications "{\"name\":\"Bench\",\"voice_url\":\"http://127.0.0.1:$(cat hook.port)/voice\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
api /v1/numbers "{\"number\":\"5000\",\"application_id\":\"$APP_ID\"}" >/dev/null
api /v1/ring-groups '{"number":"301","name":"Agents","members":["102"]}' >/dev/null
api /v1/ivrs '{"name":"Menu","announcement":{"recording":"second"},"options":{"1":"ringgroup:301"}}' >/dev/null
api /v1/ivrs '{"name":"Load","announcement":{"recording":"second"},"timeout":1,"max_timeouts":1,"timeout_destination":"ringgroup:301"}' >/dev/null
api /v1/daynight '{"index":0,"name":"Office","day_destination":"ivr:Menu","night_destination":"hangup"}' >/dev/null
api /v1/numbers '{"number":"6000","destination":"ivr:Menu"}' >/dev/null
api /v1/numbers '{"number":"6001","destination":"daynight:0"}' >/dev/null
api /v1/numbers '{"number":"6002","destination":"ivr:Load"}' >/dev/null

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## INVITE to first RTP of the audio heard, idle ($PROBE_CALLS calls one after the other, each)"
echo "plain application call (5000 → webhook [play]): $("$FIRST" "$SIP" 101 password101 5000 "$PROBE_CALLS")"
echo "built-in IVR (6000 → ivr:Menu):                  $("$FIRST" "$SIP" 101 password101 6000 "$PROBE_CALLS")"
echo "day/night then IVR (6001 → daynight:0 → ivr):   $("$FIRST" "$SIP" 101 password101 6001 "$PROBE_CALLS")"
echo "plain application call again:                    $("$FIRST" "$SIP" 101 password101 5000 "$PROBE_CALLS")"
echo

echo "## $CPS calls/s for ${CPS_SECONDS}s through an IVR to a ring group (6002: announcement 1 s, 1 s of silence, ring group 301, its member answers; the caller hangs up after 4 s)"
printf 'SEQUENTIAL\n102;[authentication username=102 password=password102]\n' > reg.csv
sipp -sf "$SCEN/register_load.xml" -inf reg.csv "$SIP" -i 127.0.0.1 -p 41000 -m 1 -nostdin >/dev/null 2>&1
sipp -sf "$SCEN/uas_echo.xml" "$SIP" -i 127.0.0.1 -p 41000 -mp 42000 -rtp_echo -nostdin > uas.out 2>&1 &
sleep 0.5
T0=$(ticks)
sipp -sf "$SCEN/uac_load.xml" -s 6002 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r "$CPS" -l 5000 -m $((CPS * CPS_SECONDS)) -d 4000 -nostdin > load.out 2>&1 &
LOAD=$!
sleep 15
echo "under that load, plain application call ($((PROBE_CALLS / 2)) calls): $("$FIRST" "$SIP" 101 password101 5000 $((PROBE_CALLS / 2)))"
echo "under that load, built-in IVR ($((PROBE_CALLS / 2)) calls):            $("$FIRST" "$SIP" 101 password101 6000 $((PROBE_CALLS / 2)))"
echo "active calls at the end of the probes: $(metric switchboard_calls_active)"
wait "$LOAD" || true
T1=$(ticks)
echo "sipp -sf uac_load.xml -s 6002 -r $CPS -m $((CPS * CPS_SECONDS)) -d 4000: $(grep -E 'Call Rate' load.out | tail -1 | awk '{print $(NF-1), $NF}') average; $(sipp_result load.out)"
# SIPp prints its counts only when it exits: the call records say who answered.
ANSWERED=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM calls WHERE to_number = '102' AND answered_at IS NOT NULL\").fetchone()[0])" "$WORK/data/switchboard.db")
echo "ring group calls answered by 102 (call records): $ANSWERED of $((CPS * CPS_SECONDS))"
echo "server CPU: $(awk -v t=$((T1 - T0)) -v hz="$(getconf CLK_TCK)" -v s="$CPS_SECONDS" 'BEGIN {printf "%.0f%% of one core", 100 * t / hz / s}')"
