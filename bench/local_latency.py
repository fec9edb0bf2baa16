"""Latency of each route through the local stack (`make dev` must be running).

Sends a bounded number of sequential requests per route to 127.0.0.1 and prints percentiles. It
measures the local stack (cargo lambda watch, debug builds, dynoxide), not AWS: use it to compare
changes, not to predict production numbers.

    make bench              # 200 requests per route against http://127.0.0.1:9000
    BENCH_REQUESTS=1000 DEV_PORT=9100 API_KEY=... make bench
"""

import json
import os
import statistics
import sys
import time

import requests

PORT = os.environ.get("DEV_PORT") or "9000"
KEY = os.environ.get("API_KEY") or "local-dev-key"
REQUESTS = int(os.environ.get("BENCH_REQUESTS") or "200")
BASE = f"http://127.0.0.1:{PORT}/api/v1"


def measure(session, name, send):
    samples = []
    for i in range(REQUESTS):
        start = time.perf_counter()
        reply = send(session, i)
        samples.append((time.perf_counter() - start) * 1000)
        if reply.status_code != 200:
            sys.exit(f"{name}: {reply.status_code} {reply.text}")
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    print(f"{name:<28} n={len(samples):<5} p50={pick(0.50):6.2f} ms  p95={pick(0.95):6.2f} ms  "
          f"p99={pick(0.99):6.2f} ms  mean={statistics.fmean(samples):6.2f} ms")


def main():
    session = requests.Session()
    session.headers["X-SWU-API-KEY"] = KEY
    try:
        session.get(f"{BASE}/customers/bench@example.com", timeout=5)
    except requests.ConnectionError:
        sys.exit(f"nothing answers on {BASE}: start `make dev` first")
    email = "bench@example.com"
    measure(session, "POST /customers", lambda s, i: s.post(
        f"{BASE}/customers", data=json.dumps({"email": email, "locale": "en-GB"})))
    measure(session, "GET /customers/{email}", lambda s, i: s.get(f"{BASE}/customers/{email}"))
    measure(session, "GET /customers/{email}/logs", lambda s, i: s.get(
        f"{BASE}/customers/{email}/logs", params={"count": "100"}))
    measure(session, "DELETE /customers/{email}", lambda s, i: s.delete(
        f"{BASE}/customers/bench-{i}@example.com"))


if __name__ == "__main__":
    main()
