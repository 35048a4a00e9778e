#!/usr/bin/env python3
"""Projection load (reliability review X05): N keep-alive connections post
POST /api/v1/assess?projection=true&draws=2000 to `kobalt serve` for S seconds;
prints throughput, status counts, latency percentiles and the server's peak
RSS and thread count. Not a timed test; run it by hand:

    bench/projection-load.py [seconds=30] [connections=200] [draws=2000]

It builds and starts the release server itself (in $CARGO_TARGET_DIR or
target/). Only the standard library is used: asyncio streams, /proc.

Result on the 2-core development machine (2026-12-07, release build, 30 s,
200 connections, draws=2000; before the change: 22 req/s, 23 % 408, p99
14.5 s, 549 threads, 1.15 GB peak RSS):

    RESULT_PLACEHOLDER
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter

BODY = (
    b'{"evaluation_date":"2026-11-22","guideline":"nhg","language":"en",'
    b'"person":{"age_years":71,"sex":"male"},"conditions":[{"id":"type_2_diabetes"}],'
    b'"medications":[{"id":"metformin","years":9,"dose_mg_per_day":2000}],'
    b'"symptoms":[{"id":"numbness","present":true,"weeks":30,"course":"gradual"},'
    b'{"id":"fatigue","present":true}],'
    b'"labs":[{"analyte":"b12_total","value":162,"unit":"pmol/L"},{"analyte":"mcv","value":96,"unit":"fL"}]}'
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    """(VmRSS kB, VmHWM kB, threads) of the server."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    return int(fields["VmRSS"]), int(fields["VmHWM"]), int(fields["Threads"])


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.lower() == "content-length":
            length = int(value)
        elif key.lower() == "connection" and "close" in value.lower():
            close = True
    await reader.readexactly(length)
    return status, close


async def worker(port, path, deadline, statuses, latencies):
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    reader = writer = None
    while time.monotonic() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.monotonic()
            writer.write(request)
            await writer.drain()
            status, close = await asyncio.wait_for(read_response(reader), 30)
            latencies.append(time.monotonic() - started)
            statuses[status] += 1
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            statuses[type(e).__name__] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def sample(pid, deadline, peak):
    while time.monotonic() < deadline:
        rss, _, threads = proc_status(pid)
        peak["rss"] = max(peak["rss"], rss)
        peak["threads"] = max(peak["threads"], threads)
        await asyncio.sleep(0.25)


async def run(port, pid, seconds, connections, draws):
    path = f"/api/v1/assess?projection=true&draws={draws}"
    statuses, latencies, peak = Counter(), [], {"rss": 0, "threads": 0}
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(
        sample(pid, deadline, peak),
        *(worker(port, path, deadline, statuses, latencies) for _ in range(connections)),
    )
    return statuses, latencies, peak, time.monotonic() - started


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    draws = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "kobalt-cli"], cwd=root, check=True)
    port = free_port()
    server = subprocess.Popen(
        [os.path.join(target, "release", "kobalt"), "serve", "--addr", f"127.0.0.1:{port}"],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        rss0, _, threads0 = proc_status(server.pid)
        statuses, latencies, peak, elapsed = asyncio.run(
            run(port, server.pid, seconds, connections, draws)
        )
        time.sleep(2)
        rss_after, hwm, threads_after = proc_status(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0

    answered = sum(v for k, v in statuses.items() if isinstance(k, int))
    ok = statuses.get(200, 0)
    print(f"{connections} connections, {seconds} s, draws={draws}")
    print(f"responses {answered} ({answered / elapsed:.1f}/s), 200: {ok} ({ok / elapsed:.1f}/s), "
          f"statuses {dict(statuses)}")
    print(f"latency p50 {pct(50):.2f} s, p90 {pct(90):.2f} s, p99 {pct(99):.2f} s, max {pct(100):.2f} s")
    print(f"server RSS {rss0 / 1024:.1f} MB at start, peak {max(hwm, peak['rss']) / 1024:.1f} MB, "
          f"{rss_after / 1024:.1f} MB 2 s after; threads {threads0} -> peak {peak['threads']} -> {threads_after}")


if __name__ == "__main__":
    main()
