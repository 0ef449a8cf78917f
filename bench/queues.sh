#!/usr/bin/env bash
# Queue benchmark (issue 11). (1) WAIT callers waiting at once in a queue nobody serves,
# hearing its music: the server's CPU (% of one core) and memory per waiting caller.
# (2) Hand-off: HANDOFF callers wait in a queue served by one agent (SIPp: answers,
# hangs up after 300 ms, wrap-up 0); the time from the agent's BYE to the next caller's
# INVITE reaching it, p50/p99 (the hand-off callers send no RTP: the RTP timeout is
# raised so that none is hung up while waiting). Everything on loopback, release build,
# SQLite. The server's log stays in the work folder printed at the end.
#
# usage: bench/queues.sh   env: WAIT=500 HANDOFF=200 LOG=warn
set -euo pipefail
cd "$(dirname "$0")/.."
WAIT="${WAIT:-500}"
HANDOFF="${HANDOFF:-200}"
LOG="${LOG:-warn}"
SCEN="$PWD/bench/sipp"
TESTS="$PWD/tests/sipp"

need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need sipp sip-tester
need sox sox
cargo build --release -q -p switchboard-api
BIN="$PWD/target/release/switchboard"
WORK="$(mktemp -d)"
cd "$WORK"
sox -n -r 8000 -c 1 -e u-law -t raw tone.ul synth 10 sine 440
KEY="bench-admin:0123456789abcdef"
PID=""
cleanup() { pkill -P $$ sipp 2>/dev/null || true; [ -n "$PID" ] && kill "$PID" 2>/dev/null; true; }
trap cleanup EXIT

env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
  SWITCHBOARD_RTP_PORTS=20000-39999 SWITCHBOARD_DATA_DIR="$WORK/data" SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 \
  SWITCHBOARD_RTP_TIMEOUT=600 SWITCHBOARD_LOG="$LOG" "$BIN" >out 2>err &
PID=$!
until grep -q '^listening on ' out 2>/dev/null; do sleep 0.05; done
HTTP="$(sed -n 's/^listening on //p' out)"
SIP="$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' out)"
api() { curl -sf -u "$KEY" -H 'content-type: application/json' "$HTTP$1" ${2:+-d "$2"}; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
count() { curl -sf -u "$KEY" "$HTTP/v1/queues/$1/callers" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))'; }

api /v1/extensions '{"number":"101","name":"Caller","password":"password101"}' >/dev/null
api /v1/extensions '{"number":"102","name":"Agent","password":"password102"}' >/dev/null
python3 -c "
import math, struct, wave
w = wave.open('music.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 500 * i / 8000))) for i in range(80000)))"
curl -sf -u "$KEY" -H 'content-type: audio/wav' --data-binary @music.wav "$HTTP/v1/recordings?name=music" >/dev/null
api /v1/queues '{"name":"hold","number":"400","music":"music","members":[{"member":"102","dynamic":true}]}' >/dev/null
api /v1/queues '{"name":"handoff","number":"401","music":"music","wrap_up_time":0,"retry_delay":0,"members":[{"member":"102"}]}' >/dev/null

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo

echo "## $WAIT callers waiting at once in queue 'hold' (music: a 10 s recording, looped; nobody logged in)"
sleep 1
RSS0=$(rss_kib)
sipp -sf "$SCEN/uac_load.xml" -s 400 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r 100 -l "$WAIT" -m "$WAIT" -d 90000 -nostdin > wait.out 2>&1 &
LOAD=$!
for _ in $(seq 1 120); do [ "$(count hold)" -ge "$WAIT" ] && break; sleep 0.5; done
echo "waiting callers (GET /v1/queues/hold/callers): $(count hold)"
sleep 5
T0=$(ticks); S0=$(date +%s.%N)
sleep 20
T1=$(ticks); S1=$(date +%s.%N)
RSS1=$(rss_kib)
echo "server CPU while they wait: $(awk -v t=$((T1 - T0)) -v hz="$(getconf CLK_TCK)" -v a="$S0" -v b="$S1" 'BEGIN {printf "%.0f%% of one core", 100 * t / hz / (b - a)}')"
echo "server memory: $((RSS0 / 1024)) MiB before, $((RSS1 / 1024)) MiB with them: $(( (RSS1 - RSS0) / WAIT )) KiB per waiting caller"
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
for _ in $(seq 1 60); do [ "$(count hold)" -eq 0 ] && break; sleep 1; done
echo

echo "## hand-off: $HANDOFF callers in queue 'handoff', one agent answering and hanging up after 300 ms"
printf 'SEQUENTIAL\n102;[authentication username=102 password=password102]\n' > reg.csv
sipp -sf "$SCEN/register_load.xml" -inf reg.csv "$SIP" -i 127.0.0.1 -p 41000 -m 1 -nostdin >/dev/null 2>&1
sipp -sf "$SCEN/uas_brief.xml" "$SIP" -i 127.0.0.1 -p 41000 -mp 42000 -m "$HANDOFF" -trace_msg \
  -message_file agent.log -timeout 300s -nostdin > agent.out 2>&1 &
AGENT=$!
sleep 0.5
sipp -sf "$TESTS/uac_wait_bye.xml" -s 401 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r 50 -l "$HANDOFF" -m "$HANDOFF" -nostdin > handoff.out 2>&1 &
CALLERS=$!
wait "$AGENT" || true
wait "$CALLERS" || true
python3 - agent.log <<'PY'
import re, sys
blocks = open(sys.argv[1], errors="replace").read().split("----------------------------------------------- ")
events = []
for b in blocks[1:]:
    stamp, _, rest = b.partition("\n")
    m = re.match(r"\d{4}-\d\d-\d\d (\d\d):(\d\d):(\d\d\.\d+)", stamp)
    if not m:
        continue
    t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    lines = [l for l in rest.splitlines() if l.strip()]
    if len(lines) < 2:
        continue
    kind = "sent" if "message sent" in lines[0] else "received"
    events.append((t, kind, lines[1].split(" ")[0]))
gaps, last_bye = [], None
for t, kind, first in events:
    if kind == "sent" and first == "BYE":
        last_bye = t
    elif kind == "received" and first == "INVITE" and last_bye is not None:
        gaps.append((t - last_bye) * 1000)
        last_bye = None
gaps.sort()
if not gaps:
    print("no hand-offs measured"); sys.exit(0)
p = lambda q: gaps[min(len(gaps) - 1, int(q * len(gaps)))]
print(f"agent's BYE -> next caller's INVITE at the agent, {len(gaps)} hand-offs: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {gaps[-1]:.1f} ms")
PY
echo "work folder (server log: err): $WORK"
echo "queue stats: $(curl -sf -u "$KEY" "$HTTP/v1/queues/handoff/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("answered", s["answered"], "of", s["offered"], "- average wait", round(s["average_wait"], 1), "s")')"
