#!/usr/bin/env bash
# Load test of POST /api/v1/assess on loopback (target on a 2-core machine: at least 10,000
# assessments/s with p99 under 10 ms). Needs wrk (Debian package `wrk`); installs it when missing.
# Usage: bench/load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
connections="${2:-32}"
command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null; }
cargo build -q --release -p kobalt-cli
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./target/release/kobalt serve --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# The request: a 71-year-old man on metformin for 9 years with numbness and a grey-zone B12 (the kind of case
# a GP sees most; the same as the vignette the README's figures were measured with).
body='{"evaluation_date":"2026-11-22","guideline":"nhg","language":"en","person":{"age_years":71,"sex":"male"},"conditions":[{"id":"type_2_diabetes"}],"medications":[{"id":"metformin","years":9,"dose_mg_per_day":2000}],"symptoms":[{"id":"numbness","present":true,"weeks":30,"course":"gradual"},{"id":"fatigue","present":true}],"labs":[{"analyte":"b12_total","value":162,"unit":"pmol/L"},{"analyte":"mcv","value":96,"unit":"fL"}]}'
script=$(mktemp)
cat > "$script" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
# One wrk thread: the server gets both cores' worth of the machine that is left.
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$script" "http://127.0.0.1:$port/api/v1/assess"
rm -f "$script"
