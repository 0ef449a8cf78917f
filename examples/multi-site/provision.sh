#!/usr/bin/env bash
# A multi-site PBX: N Switchboard servers (2 to 9), each with its own phones, every
# server reaching the users of every other by dialling the other's number and the
# user's three digits (server 2's extension 101 is `2101` from anywhere else) — the
# interconnected servers of an Elastix/FreePBX course, provisioned only through the
# REST API.
#
# On each server N it creates:
#   - extensions 101, 102 and 103 (passwords `Phone-<server>-<ext>`, e.g. Phone-2-101);
#   - for every other server M, trunk `serverM`: it registers to M as user `serverN`
#     (the "register string"), M's calls authenticate to it as user `serverM` (the
#     "peer user"), the same trunk password everywhere, OPTIONS every few seconds, and
#     M's calls reach what a phone of N reaches (`inbound_reach: internal`);
#   - for every other server M, outbound route `to-serverM`: prefix M, pattern XXX,
#     through trunk `serverM`.
#
# Usage:
#   SWITCHBOARD_KEY=<key_id>:<secret> examples/multi-site/provision.sh \
#       http://127.0.0.1:8081=127.0.0.1:5061 http://127.0.0.1:8082=127.0.0.1:5062 ...
# Each argument is one server, numbered from 1 in order: its API URL, `=`, and the
# address its SIP listens on (as the others reach it). SWITCHBOARD_KEY must be an admin
# key of every server (start them with the same SWITCHBOARD_ADMIN_KEY); or leave it
# unset and give each server's key in its URL (`http://<key_id>:<secret>@host:port`).
#
# Settings (environment):
#   SWITCHBOARD_KEY   admin API key, `key_id:secret`
#   TRUNK_SECRET      the trunks' password (default `Same-Secret-everywhere-1`)
#   TRUNK_TRANSPORT   udp or tcp (default udp)
#   KEEPALIVE         seconds between OPTIONS (default 5)
#
# Try it on one machine: start four servers (each with its own database, HTTP and SIP
# ports, and RTP port range), run this script, register a softphone as 101 on server 1
# (password Phone-1-101) and another as 101 on server 2 (Phone-2-101), and dial 2101.
set -euo pipefail

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 9 ] || die "give 2 to 9 servers as <api-url>=<sip-host>:<sip-port>"
command -v curl >/dev/null || die "curl is needed"

SECRET="${TRUNK_SECRET:-Same-Secret-everywhere-1}"
TRANSPORT="${TRUNK_TRANSPORT:-udp}"
KEEPALIVE="${KEEPALIVE:-5}"

urls=(); hosts=(); ports=()
for server in "$@"; do
  url="${server%%=*}"; sip="${server#*=}"
  [ "$url" != "$server" ] || die "$server: expected <api-url>=<sip-host>:<sip-port>"
  urls+=("${url%/}"); hosts+=("${sip%:*}"); ports+=("${sip##*:}")
done

# POSTs JSON $3 to $2 on server $1; a resource that already exists is fine (run twice).
post() {
  local n=$1 path=$2 body=$3 out code
  out=$(mktemp)
  local auth=()
  if [ -n "${SWITCHBOARD_KEY:-}" ]; then auth=(-u "$SWITCHBOARD_KEY"); fi
  code=$(curl -sS -o "$out" -w '%{http_code}' "${auth[@]}" \
    -H 'content-type: application/json' -d "$body" "${urls[$n]}$path") \
    || { rm -f "$out"; die "server $((n + 1)): cannot reach it"; }
  case "$code" in
    201) ;;
    401) rm -f "$out"; die "server $((n + 1)): the admin key was refused (SWITCHBOARD_KEY, or key_id:secret in the URL)" ;;
    409) echo "  (already there: $path $(printf '%s' "$body" | head -c 60)…)" ;;
    *) cat "$out" >&2; rm -f "$out"; die "server $((n + 1)): POST $path answered $code" ;;
  esac
  rm -f "$out"
}

count=${#urls[@]}
for ((n = 0; n < count; n++)); do
  me=$((n + 1))
  echo "server $me (SIP ${hosts[$n]}:${ports[$n]})"
  for ext in 101 102 103; do
    post "$n" /v1/extensions \
      "{\"number\": \"$ext\", \"name\": \"User $ext of server $me\", \"password\": \"Phone-$me-$ext\"}"
  done
  for ((m = 0; m < count; m++)); do
    [ "$m" -ne "$n" ] || continue
    peer=$((m + 1))
    post "$n" /v1/trunks "{
      \"name\": \"server$peer\", \"host\": \"${hosts[$m]}\", \"port\": ${ports[$m]},
      \"transport\": \"$TRANSPORT\",
      \"username\": \"server$me\", \"password\": \"$SECRET\", \"register\": true,
      \"options_interval\": $KEEPALIVE,
      \"inbound_username\": \"server$peer\", \"inbound_password\": \"$SECRET\",
      \"inbound_reach\": \"internal\"}"
    post "$n" /v1/outbound-routes "{
      \"name\": \"to-server$peer\", \"trunks\": [\"server$peer\"],
      \"dial_patterns\": [{\"prefix\": \"$peer\", \"match_pattern\": \"XXX\"}]}"
  done
done
echo "done: from any server, dial <server number> + <extension> (e.g. 2101)"
