#!/usr/bin/env bash
# Application calls benchmark (issue 4): calls to a number whose webhook (a local HTTP
# server) answers [play 1 s, hangup]. Measures the sustained call rate (SIPp), the time
# from INVITE to the first RTP packet of the played audio (first-audio, idle and under
# load), and CPU and memory with many calls playing at once. Everything on loopback,
# release build, SQLite. Prints figures for BENCHMARKS.md.
#
# usage: bench/app_calls.sh   env: CPS=300 CPS_SECONDS=60 CONCURRENT=1000 PROBE_CALLS=200
set -euo pipefail
cd "$(dirname "$0")/.."
CPS="${CPS:-300}"
CPS_SECONDS="${CPS_SECONDS:-60}"
CONCURRENT="${CONCURRENT:-1000}"
PROBE_CALLS="${PROBE_CALLS:-200}"
SCEN="$PWD/bench/sipp"

need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need sipp sip-tester
cargo build --release -q -p switchboard-api -p switchboard-bench
BIN="$PWD/target/release/switchboard"
FIRST="$PWD/target/release/first-audio"
WORK="$(mktemp -d)"
cd "$WORK"
KEY="bench-admin:0123456789abcdef"
PID=""
HOOK=""
cleanup() { pkill -P $$ sipp 2>/dev/null || true; [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$HOOK" ] && kill "$HOOK" 2>/dev/null; true; }
trap cleanup EXIT

# The application: answers every POST with the document in ./document.json.
cat > hook.py <<'PY'
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        # As production web servers do: without it, the body written after the headers
        # waits for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = open("document.json", "rb").read()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), App)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 hook.py > hook.port &
HOOK=$!
until [ -s hook.port ]; do sleep 0.05; done
HOOK_URL="http://127.0.0.1:$(cat hook.port)/voice"

env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
  SWITCHBOARD_RTP_PORTS=20000-29999 SWITCHBOARD_DATA_DIR="$WORK/data" SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 \
  SWITCHBOARD_LOG=warn "$BIN" >out 2>err &
PID=$!
until grep -q '^listening on ' out 2>/dev/null; do sleep 0.05; done
HTTP="$(sed -n 's/^listening on //p' out)"
SIP="$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' out)"
api() { curl -sf -u "$KEY" -H 'content-type: application/json' "$HTTP$1" ${2:+-d "$2"}; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
metric() { curl -sf -u "$KEY" "$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
sipp_result() { grep -E "Successful call|Failed call" "$1" | awk '{print $1, $2, $NF}' | tr '\n' ' '; }

api /v1/extensions '{"number":"101","name":"Load","password":"password101"}' >/dev/null
python3 -c "
import math, struct, wave
w = wave.open('second.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000)))"
curl -sf -u "$KEY" -H 'content-type: audio/wav' --data-binary @second.wav "$HTTP/v1/recordings?name=second" >/dev/null
APP_ID="$(api /v1/applications "{\"name\":\"Bench\",\"voice_url\":\"$HOOK_URL\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
api /v1/numbers "{\"number\":\"5000\",\"application_id\":\"$APP_ID\"}" >/dev/null
echo '[{"verb":"play","recording":"second"},{"verb":"hangup"}]' > document.json

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## INVITE to first RTP of the played audio, idle ($PROBE_CALLS calls one after the other)"
"$FIRST" "$SIP" 101 password101 5000 "$PROBE_CALLS"
echo

echo "## $CPS calls/s for ${CPS_SECONDS}s to a number answering [play 1 s, hangup]"
T0=$(ticks)
sipp -sf "$SCEN/uac_app.xml" -s 5000 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r "$CPS" -l 5000 -m $((CPS * CPS_SECONDS)) -nostdin > cps.out 2>&1 &
LOAD=$!
sleep 10
echo "INVITE to first RTP under that load ($((PROBE_CALLS / 2)) calls): $("$FIRST" "$SIP" 101 password101 5000 $((PROBE_CALLS / 2)))"
wait "$LOAD" || true
T1=$(ticks)
echo "sipp -sf uac_app.xml -r $CPS -m $((CPS * CPS_SECONDS)) (INVITE, 407, authenticated INVITE, 200, ACK, 1 s of audio, BYE from Switchboard)"
echo "result: $(grep -E 'Call Rate' cps.out | tail -1 | awk '{print $(NF-1), $NF}') average; $(sipp_result cps.out)"
echo "server: $(metric switchboard_calls_answered_total) calls answered; CPU $(awk -v t=$((T1 - T0)) -v hz="$(getconf CLK_TCK)" -v s="$CPS_SECONDS" 'BEGIN {printf "%.0f%% of one core", 100 * t / hz / s}'); RSS $(rss_mb) MB"
echo

echo "## $CONCURRENT concurrent calls playing audio (20 ms RTP pacing)"
echo '[{"verb":"play","recording":"second","loop":40},{"verb":"hangup"}]' > document.json
IDLE_RSS=$(rss_mb)
sipp -sf "$SCEN/uac_app.xml" -s 5000 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 49000 -mp 50000 \
  -r 200 -l "$CONCURRENT" -m "$CONCURRENT" -nostdin > many.out 2>&1 &
LOAD=$!
# Every call up — or as many as are up once SIPp has placed them all (one it gave up
# on, a packet lost under load, must not hang the benchmark).
SETUP_DEADLINE=$(( $(date +%s) + CONCURRENT / 200 + 30 ))
until [ "$(metric switchboard_calls_active)" -ge "$CONCURRENT" ] || [ "$(date +%s)" -ge "$SETUP_DEADLINE" ]; do sleep 0.5; done
[ "$(metric switchboard_calls_active)" -ge "$CONCURRENT" ] || echo "warning: only $(metric switchboard_calls_active) of $CONCURRENT calls up (see SIPp's failed calls below)"
sleep 3
T0=$(ticks); S0=$(date +%s.%N)
sleep 10
T1=$(ticks); S1=$(date +%s.%N)
echo "active calls: $(metric switchboard_calls_active); RTP ports in use: $(metric switchboard_rtp_ports_in_use)"
echo "one more call, its played audio received for 15 s (probe at nice -15, like bench/sip_core.sh): $(nice -n -15 "$FIRST" "$SIP" 101 password101 5000 1 15)"
awk -v t=$((T1 - T0)) -v hz="$(getconf CLK_TCK)" -v a="$S0" -v b="$S1" -v c="$CONCURRENT" 'BEGIN {
  s = b - a; printf "server CPU: %.1f%% of one core = %.3f%% of a core per playing call\n", 100 * t / hz / s, 100 * t / hz / s / c }'
awk -v a="$IDLE_RSS" -v b="$(rss_mb)" -v c="$CONCURRENT" 'BEGIN {printf "RSS: %.1f MB before, %.1f MB with the calls = %.0f KB per call\n", a, b, 1024 * (b - a) / c}'
wait "$LOAD" || true
echo "calls: $(sipp_result many.out)"
