#!/usr/bin/env python3
"""Projection load (reliability review X05): N keep-alive connections post
POST /api/v1/assess?projection=true&draws=2000 to `kobalt serve` for S seconds;
prints throughput, status counts, latency percentiles and the server's peak
RSS and thread count. Not a timed test; run it by hand:

    bench/projection-load.py [seconds=30] [connections=200] [draws=2000]

It builds and starts the release server itself (in $CARGO_TARGET_DIR or
target/). Only the standard library is used: asyncio streams, /proc.

The request is examples/vegan-tingling.json (a projection is computed for it;
the script checks). Results on the shared 2-core development machine
(2026-12-07, release build, the Python client on the same machine):

    $ bench/projection-load.py 30 200 2000
    200 connections, 30 s, draws=2000
    responses 1794 (53.4/s), 200: 1794 (53.4/s), statuses {200: 1794}
    latency p50 3.70 s, p90 3.90 s, p99 4.05 s, max 4.09 s
    server RSS 13.5 MB at start, peak 47.8 MB, 47.8 MB 2 s after; threads 4 -> peak 9 -> 7

    $ bench/projection-load.py 20 500 2000   # past saturation: 503 after 5 s
    500 connections, 20 s, draws=2000
    responses 2269 (90.8/s), 200: 1352 (54.1/s), statuses {200: 1352, 503: 917}
    latency p50 5.01 s, p90 5.03 s, p99 5.04 s, max 5.06 s
    server RSS 13.3 MB at start, peak 60.7 MB, 60.7 MB 2 s after; threads 4 -> peak 9 -> 7

Before the projection slots (reliability review X05, wrk -c200, same URL):
22 req/s, 23 % 408, p99 14.5 s, 549 threads, 1.15 GB peak RSS (833 MB kept).
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

def request_body(root):
    """The README's vegan with tingling: an assessment with a projection."""
    with open(os.path.join(root, "examples", "vegan-tingling.json"), "rb") as f:
        request = json.load(f)
    return json.dumps(request.get("request", request)).encode()


BODY = b""


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
    global BODY
    BODY = request_body(root)
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
        # The projection is really computed for this request.
        check = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/assess?projection=true&draws={draws}",
            data=BODY, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(check, timeout=10) as reply:
            assert json.load(reply).get("projection"), "no projection in the answer"
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
