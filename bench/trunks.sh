#!/usr/bin/env bash
# Trunks benchmark (issue 12): four Switchboard servers interconnected by the example
# script (examples/multi-site/provision.sh: trunks registering to and probing each
# other, prefix routes), then
#   - INVITE → first RTP of an IVR's announcement on server 2, called directly on
#     server 2 and from server 1 through one trunk hop (2 + 700): the hop's added
#     latency;
#   - calls per second from server 1 to a SIPp phone on server 2 (2 + 102), media
#     relayed by both servers, with all four servers running.
# Everything on loopback, release build, SQLite. Prints figures for BENCHMARKS.md.
#
# usage: bench/trunks.sh   env: CPS=200 CPS_SECONDS=60 PROBE_CALLS=200
set -euo pipefail
cd "$(dirname "$0")/.."
CPS="${CPS:-200}"
CPS_SECONDS="${CPS_SECONDS:-60}"
PROBE_CALLS="${PROBE_CALLS:-200}"
SCEN="$PWD/bench/sipp"
PROVISION="$PWD/examples/multi-site/provision.sh"

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
PIDS=()
cleanup() { pkill -P $$ sipp 2>/dev/null || true; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

HTTP=(); SIP=()
RTP=("20000-29999" "30000-39999" "40000-44999" "45000-49999")
for n in 0 1 2 3; do
  mkdir -p "s$n"
  env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
    SWITCHBOARD_RTP_PORTS="${RTP[$n]}" SWITCHBOARD_DATA_DIR="$WORK/s$n" SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 \
    SWITCHBOARD_LOG=warn "$BIN" >"s$n/out" 2>"s$n/err" &
  PIDS+=($!)
done
for n in 0 1 2 3; do
  until grep -q '^listening on ' "s$n/out" 2>/dev/null; do sleep 0.05; done
  HTTP+=("$(sed -n 's/^listening on //p' "s$n/out")")
  SIP+=("$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' "s$n/out")")
done
api() { local n=$1; shift; curl -sf -u "$KEY" -H 'content-type: application/json' "${HTTP[$n]}$1" ${2:+-d "$2"}; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sipp_result() { grep -E "Successful call|Failed call" "$1" | awk '{print $1, $2, $NF}' | tr '\n' ' '; }

SWITCHBOARD_KEY="$KEY" KEEPALIVE=5 "$PROVISION" \
  "${HTTP[0]}=${SIP[0]}" "${HTTP[1]}=${SIP[1]}" "${HTTP[2]}=${SIP[2]}" "${HTTP[3]}=${SIP[3]}" > provision.out
# Every trunk of every server registered.
for n in 0 1 2 3; do
  until [ "$(api "$n" /v1/trunks | python3 -c 'import json,sys; print(sum(t["status"]["registration"]["state"] == "registered" for t in json.load(sys.stdin)["data"]))')" = 3 ]; do sleep 0.2; done
done

# Server 2: an IVR whose announcement is a 1 s tone, on number 700.
python3 -c "
import math, struct, wave
w = wave.open('second.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000)))"
curl -sf -u "$KEY" -H 'content-type: audio/wav' --data-binary @second.wav "${HTTP[1]}/v1/recordings?name=second" >/dev/null
api 1 /v1/ivrs '{"name":"Tone","announcement":{"recording":"second"}}' >/dev/null
api 1 /v1/numbers '{"number":"700","destination":"ivr:Tone"}' >/dev/null

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## INVITE to first RTP of server 2's IVR announcement, idle ($PROBE_CALLS calls one after the other, each)"
echo "direct, on server 2 (103 dials 700):                 $("$FIRST" "${SIP[1]}" 103 Phone-2-103 700 "$PROBE_CALLS")"
echo "one trunk hop, from server 1 (103 dials 2 + 700):    $("$FIRST" "${SIP[0]}" 103 Phone-1-103 2700 "$PROBE_CALLS")"
echo "direct again:                                        $("$FIRST" "${SIP[1]}" 103 Phone-2-103 700 "$PROBE_CALLS")"
echo

echo "## $CPS calls/s for ${CPS_SECONDS}s from server 1 to a phone on server 2 (2 + 102; 2 s calls, PCMU both ways, relayed by both servers)"
printf 'SEQUENTIAL\n102;[authentication username=102 password=Phone-2-102]\n' > reg.csv
sipp -sf "$SCEN/register_load.xml" -inf reg.csv "${SIP[1]}" -i 127.0.0.1 -p 51000 -m 1 -nostdin >/dev/null 2>&1
sipp -sf "$SCEN/uas_stream.xml" "${SIP[1]}" -i 127.0.0.1 -p 51000 -mp 52000 -nostdin > uas.out 2>&1 &
sleep 0.5
T1_0=$(ticks "${PIDS[0]}"); T2_0=$(ticks "${PIDS[1]}")
sipp -sf "$SCEN/uac_load.xml" -s 2102 -au 101 -ap Phone-1-101 -key caller 101 "${SIP[0]}" -i 127.0.0.1 -p 53000 -mp 54000 \
  -r "$CPS" -l 5000 -m $((CPS * CPS_SECONDS)) -d 2000 -nostdin > cps.out 2>&1 || true
T1_1=$(ticks "${PIDS[0]}"); T2_1=$(ticks "${PIDS[1]}")
echo "sipp -sf uac_load.xml -s 2102 -r $CPS -m $((CPS * CPS_SECONDS)) -d 2000 (INVITE, 407, authenticated INVITE; server 1 → trunk → server 2 → 102; 200, ACK, RTP, BYE)"
echo "result: $(grep -E 'Call Rate' cps.out | tail -1 | awk '{print $(NF-1), $NF}') average; $(sipp_result cps.out)"
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$@"; }
echo "server 2 records: $(count "$WORK/s1/switchboard.db" "SELECT count(*) FROM calls WHERE direction = 'inbound' AND trunk = 'server1' AND status = 'completed'") completed calls in from trunk server1"
hz=$(getconf CLK_TCK)
awk -v a=$((T1_1 - T1_0)) -v b=$((T2_1 - T2_0)) -v hz="$hz" -v s="$CPS_SECONDS" 'BEGIN {
  printf "CPU over the run: server 1 %.0f%% of one core, server 2 %.0f%% of one core\n", 100 * a / hz / s, 100 * b / hz / s }'
echo "RSS after: server 1 $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/${PIDS[0]}/status"), server 2 $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/${PIDS[1]}/status")"
