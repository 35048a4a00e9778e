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
port=18090
./target/release/kobalt serve --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
body=$(python3 -c 'import json,sys; print(json.dumps(json.load(open("../shared/vignettes/v05-metformin-grey-zone.json"))["request"]))')
script=$(mktemp)
cat > "$script" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
# One wrk thread: the server gets both cores' worth of the machine that is left.
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$script" "http://127.0.0.1:$port/api/v1/assess"
rm -f "$script"
