#!/usr/bin/env bash
# SIP core benchmark (issue 3): REGISTER rate, concurrent relayed calls (CPU, memory,
# per-socket drops, loss and added jitter measured by rtp-probe), and call setup rate.
# Everything runs on this machine over loopback: Switchboard (release build, SQLite),
# SIPp as callers and callees, rtp-probe. Prints figures for BENCHMARKS.md.
#
# usage: bench/sip_core.sh   env: CALLS=1000 HOLD=60 CPS=300 CPS_SECONDS=60 REG_RATE=2000
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="${CALLS:-1000}"
HOLD="${HOLD:-60}"
CPS="${CPS:-300}"
CPS_SECONDS="${CPS_SECONDS:-60}"
REG_RATE="${REG_RATE:-2000}"
SCEN="$PWD/bench/sipp"

need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need sipp sip-tester
need sox sox
cargo build --release -q -p switchboard-api -p switchboard-bench
BIN="$PWD/target/release/switchboard"
PROBE="$PWD/target/release/rtp-probe"
WORK="$(mktemp -d)"
cd "$WORK"
sox -n -r 8000 -c 1 -e u-law -t raw tone.ul synth 10 sine 440
KEY="bench-admin:0123456789abcdef"
PID=""
cleanup() { pkill -P $$ sipp 2>/dev/null || true; if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

start_server() {
  [ -n "$PID" ] && { kill "$PID"; wait "$PID" 2>/dev/null || true; }
  rm -rf data; : > out
  env -i PATH="$PATH" SWITCHBOARD_HTTP_ADDR=127.0.0.1:0 SWITCHBOARD_SIP_ADDR=127.0.0.1:0 \
    SWITCHBOARD_RTP_PORTS=20000-29999 SWITCHBOARD_DATA_DIR="$WORK/data" SWITCHBOARD_ADMIN_KEY="$KEY" SWITCHBOARD_SIP_FLOOD_LIMIT=0 \
    SWITCHBOARD_LOG=warn "$BIN" >out 2>err &
  PID=$!
  until grep -q '^listening on ' out 2>/dev/null; do sleep 0.05; done
  HTTP="$(sed -n 's/^listening on //p' out)"
  SIP="$(sed -n 's/^sip listening on \([^ ]*\).*/\1/p' out)"
}
ext() { curl -sf -u "$KEY" -H 'content-type: application/json' "$HTTP/v1/extensions" \
  -d "{\"number\":\"$1\",\"name\":\"Load $1\",\"password\":\"password$1\"}" >/dev/null; }
metric() { curl -sf -u "$KEY" "$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
hz() { getconf CLK_TCK; }
socket_drops() {
  ls -l "/proc/$PID/fd" 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | grep -o '[0-9]*' | sort > inodes
  awk 'NR > 1 {print $10, $13}' /proc/net/udp | sort > udp
  join inodes udp | awk '{d += $2; n++} END {printf "%d sockets, %d drops", n, d}'
}
sipp_result() { grep -E "Successful call|Failed call" "$1" | awk '{print $1, $2, $(NF-1) == "|" ? $NF : $NF}' | tr '\n' ' '; }
register() { # number port
  printf 'SEQUENTIAL\n%s;[authentication username=%s password=password%s]\n' "$1" "$1" "$1" > "reg$1.csv"
  sipp -sf "$SCEN/register_load.xml" -inf "reg$1.csv" "$SIP" -i 127.0.0.1 -p "$2" -m 1 -nostdin >/dev/null 2>&1
}

echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo

echo "## REGISTER with digest auth: $REG_RATE/s for 30 s"
start_server
python3 - "$HTTP" "$KEY" <<'PY'
import sys, json, base64, urllib.request, concurrent.futures
http, key = sys.argv[1], sys.argv[2]
auth = "Basic " + base64.b64encode(key.encode()).decode()
def mk(n):
    req = urllib.request.Request(http + "/v1/extensions", data=json.dumps({"number": str(n), "name": f"User {n}", "password": f"password{n}"}).encode(), headers={"content-type": "application/json", "authorization": auth})
    return urllib.request.urlopen(req).status
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    assert set(ex.map(mk, range(10000, 11000))) == {201}
with open("users.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(10000, 11000):
        f.write(f"{n};[authentication username={n} password=password{n}]\n")
PY
T0=$(ticks)
sipp -sf "$SCEN/register_load.xml" -inf users.csv "$SIP" -i 127.0.0.1 -p 40000 -r "$REG_RATE" -rp 1000 -m $((REG_RATE * 30)) -l 4000 -nostdin > reg.out 2>&1 || true
T1=$(ticks)
echo "sipp -sf register_load.xml -r $REG_RATE -m $((REG_RATE * 30)) (1000 users, 401 challenge then authenticated REGISTER)"
echo "result: $(grep -E 'Call Rate' reg.out | tail -1 | awk '{print $(NF-1), $NF}') achieved; $(sipp_result reg.out)"
echo "server CPU: $(awk -v t=$((T1 - T0)) -v hz="$(hz)" 'BEGIN {printf "%.1f s over 30 s (%.0f%% of one core)", t / hz, 100 * t / hz / 30}'); RSS after: $(rss_mb) MB"
echo

echo "## $CALLS concurrent calls, media relayed (PCMU, 50 packets/s each way), held ${HOLD}s"
start_server
for n in 101 102 103 104; do ext "$n"; done
echo "idle probe (one call, 10 s): $(nice -n -15 "$PROBE" "$SIP" 103 password103 104 password104 10)"
register 102 41000
sipp -sf "$SCEN/uas_stream.xml" "$SIP" -i 127.0.0.1 -p 41000 -mp 42000 -nostdin > uas.out 2>&1 &
sleep 0.5
IDLE_RSS=$(rss_mb)
sipp -sf "$SCEN/uac_load.xml" -s 102 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 43000 -mp 44000 \
  -r 100 -l "$CALLS" -m "$CALLS" -d $((HOLD * 1000 + 20000)) -nostdin > uac.out 2>&1 &
UAC=$!
# Every call up — or, if SIPp gave one up (a lost packet under load), as many as are up
# once SIPp has placed them all (its rate places them in CALLS/100 s).
SETUP_DEADLINE=$(( $(date +%s) + CALLS / 100 + 30 ))
until [ "$(metric switchboard_calls_active)" -ge "$CALLS" ] || [ "$(date +%s)" -ge "$SETUP_DEADLINE" ]; do sleep 0.5; done
[ "$(metric switchboard_calls_active)" -ge "$CALLS" ] || echo "warning: only $(metric switchboard_calls_active) of $CALLS calls up (see SIPp's failed calls below)"
sleep 3
T0=$(ticks); R0=$(metric switchboard_rtp_packets_relayed_total); D0=$(metric switchboard_rtp_packets_dropped_total)
# The probe is the measuring instrument: at a higher priority, its own scheduling
# delays (on 2 cores shared with two SIPp) do not count against the relay.
T_START=$(date +%s.%N)
# Three probe calls: each has its own phase against SIPp's playback threads, which send
# the packets of many calls at the same instant.
PROBES=""
for i in 1 2 3; do
  PROBES="$PROBES
  probe $i: $(nice -n -15 "$PROBE" "$SIP" 103 password103 104 password104 15)"
done
T1=$(ticks); R1=$(metric switchboard_rtp_packets_relayed_total); D1=$(metric switchboard_rtp_packets_dropped_total)
WINDOW=$(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
PROBE_PLAIN="$("$PROBE" "$SIP" 103 password103 104 password104 10)"
LOADED_RSS=$(rss_mb)
echo "active calls: $(metric switchboard_calls_active) (+1 probe); RTP ports in use: $(metric switchboard_rtp_ports_in_use)"
awk -v t=$((T1 - T0)) -v hz="$(hz)" -v r=$((R1 - R0)) -v d=$((D1 - D0)) -v c="$CALLS" -v s="$WINDOW" 'BEGIN {
  printf "relayed: %.0f packets/s (expected %d); not relayed by us: %d\n", r / s, c * 100, d
  printf "server CPU: %.1f%% of one core = %.3f%% of a core per call (%.2f us CPU per relayed packet)\n", 100 * t / hz / s, 100 * t / hz / s / c, 1e6 * t / hz / r
}'
echo "server socket drops: $(socket_drops)"
awk -v a="$IDLE_RSS" -v b="$LOADED_RSS" -v c="$CALLS" 'BEGIN {printf "RSS: %.1f MB idle, %.1f MB with the calls = %.0f KB per call\n", a, b, 1024 * (b - a) / c}'
echo "probe calls under load (15 s each, nice -15):$PROBES"
echo "probe under load (10 s, normal priority, its own scheduling included): $PROBE_PLAIN"
wait "$UAC" 2>/dev/null || true
echo "calls: $(sipp_result uac.out)"
echo

echo "## call setup rate: $CPS calls/s for ${CPS_SECONDS}s (2 s calls with media)"
start_server
for n in 101 102; do ext "$n"; done
register 102 45000
pkill -P $$ sipp 2>/dev/null || true
sipp -sf "$SCEN/uas_stream.xml" "$SIP" -i 127.0.0.1 -p 45000 -mp 46000 -nostdin > uas2.out 2>&1 &
sleep 0.5
T0=$(ticks)
sipp -sf "$SCEN/uac_load.xml" -s 102 -au 101 -ap password101 -key caller 101 "$SIP" -i 127.0.0.1 -p 47000 -mp 48000 \
  -r "$CPS" -l 5000 -m $((CPS * CPS_SECONDS)) -d 2000 -nostdin > cps.out 2>&1 || true
T1=$(ticks)
echo "sipp -sf uac_load.xml -r $CPS -m $((CPS * CPS_SECONDS)) -d 2000 (INVITE, 407, authenticated INVITE, 200, ACK, RTP, BYE)"
echo "result: $(grep -E 'Call Rate' cps.out | tail -1 | awk '{print $(NF-1), $NF}') average; $(sipp_result cps.out)"
echo "server: answered $(metric switchboard_calls_answered_total) of $(metric switchboard_calls_total); CPU $(awk -v t=$((T1 - T0)) -v hz="$(hz)" -v s="$CPS_SECONDS" 'BEGIN {printf "%.0f%% of one core", 100 * t / hz / s}'); RSS $(rss_mb) MB"
