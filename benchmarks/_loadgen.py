"""Fallback HTTP load generator (used when ``wrk`` is not installed): a separate process, a thread
pool of ``--connections`` workers, each with its own keep-alive ``requests.Session``. Runs for a
bounded ``--duration`` after a discarded ``--warmup`` and prints one JSON line of figures.

    python benchmarks/_loadgen.py --url http://127.0.0.1:8000/api/method/ping --connections 4 --duration 20
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import requests


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def hammer(url, headers, stop_at, latencies, errors, lock):
    session = requests.Session()
    local, bad = [], 0
    while True:
        t0 = time.perf_counter()
        if t0 >= stop_at:
            break
        try:
            r = session.get(url, headers=headers, timeout=10)
            r.content  # noqa: B018  (read the body)
            if not 200 <= r.status_code < 400:
                bad += 1
        except requests.RequestException:
            bad += 1
            continue
        local.append(time.perf_counter() - t0)
    with lock:
        latencies.extend(local)
        errors[0] += bad


def run(url, headers, connections, duration):
    latencies, errors, lock = [], [0], threading.Lock()
    start = time.perf_counter()
    stop_at = start + duration
    threads = [threading.Thread(target=hammer, args=(url, headers, stop_at, latencies, errors, lock), daemon=True)
               for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 30)
    elapsed = time.perf_counter() - start
    return latencies, errors[0], elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--headers", default="{}")
    args = ap.parse_args()
    headers = json.loads(args.headers)
    if args.warmup:
        run(args.url, headers, args.connections, args.warmup)
    lat, errors, elapsed = run(args.url, headers, args.connections, args.duration)
    print(json.dumps({
        "connections": args.connections, "duration_s": args.duration, "requests": len(lat),
        "rps": len(lat) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(lat, 50) * 1000, "p75_ms": percentile(lat, 75) * 1000,
        "p90_ms": percentile(lat, 90) * 1000, "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"), "non_2xx": errors, "socket_errors": "",
    }))


if __name__ == "__main__":
    main()
