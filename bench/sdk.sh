#!/usr/bin/env bash
# SDK overhead benchmark (issue 13): what the SDKs add to each webhook round trip —
# verify the signature of a typical request, decode it, build and serialise the answer
# (a gather with a spoken prompt, then a say) — in microseconds per request, Rust
# (release build) and Python (standard library), on this machine.
#
# usage: bench/sdk.sh   env: ITERATIONS=200000
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS="${ITERATIONS:-200000}"
cargo build --release -q -p switchboard-bench --bin sdk-overhead
echo "## machine"
echo "$(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## Rust (switchboard-sdk, release)"
target/release/sdk-overhead "$ITERATIONS"
echo
echo "## Python $(python3 -c 'import sys; print(sys.version.split()[0])') (switchboard-voice)"
PYTHONPATH=sdk/python python3 - "$ITERATIONS" <<'PY'
import hashlib, hmac, json, sys, time
from switchboard_voice import Document, Gather, verify_signature
n = int(sys.argv[1]) // 4
secret = "whsec_0123456789abcdef0123456789abcdef"
body = json.dumps({"call_sid": "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0", "direction": "inbound", "from": "58101", "to": "5000",
    "caller_name": "Djaouad", "call_status": "in-progress", "parent_call_sid": None, "trunk": None,
    "sip": {"call_id": "a84b4c76e66710@192.168.212.20", "headers": {"user-agent": "baresip"}}, "digits": "1"}).encode()
t = int(time.time())
header = f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
verify = decode = build = 0.0
start = time.perf_counter()
for _ in range(n):
    a = time.perf_counter(); verify_signature(secret, header, body)
    b = time.perf_counter(); call = json.loads(body)
    c = time.perf_counter()
    answer = Document().gather(Gather(num_digits=1, action="/menu").say("Press 1 for sales")).say(f"You pressed {call['digits']}").to_json()
    d = time.perf_counter()
    verify += b - a; decode += c - b; build += d - c
total = time.perf_counter() - start
us = lambda s: round(s * 1e6 / n, 2)
print(json.dumps({"iterations": n, "us_per_request": us(total), "verify_us": us(verify), "decode_us": us(decode), "build_and_serialise_us": us(build)}))
PY
