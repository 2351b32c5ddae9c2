"""Web app latency under load: concurrent HR officers on the dashboard and a transfer page.

Fills a database with N transfers and E employees (bulk, see populate.py), starts the app in its
own process(es) with ``transfer-engine serve --no-scheduler [--workers W]`` (this measures
pages), signs in as an HR administrator and has 20 clients request each page back to back.
Prints p50, p95 and p99 latency, requests per second and the error count per page, beside a
baseline measured in the same run: the app's static favicon, which shows what the server and the
network stack alone cost.

The load comes from ``wrk`` (Debian package ``wrk``: 20 connections, one page at a time, for
``--seconds``), which costs the machine little beside the server. Without wrk, 20 Python threads
with httpx take its place, asking for the three pages in turn; they need a core of their own,
so on a small machine they measure the client as much as the server (the table says which).

    python bench/web_bench.py                             # 1,000 transfers, 50,000 employees
    python bench/web_bench.py --workers 2                 # one web process per core
    python bench/web_bench.py --sizes 1000,10000 --employees-per-transfer 5   # growth
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# httpx2: the HTTP client the test dependencies install (Starlette's test client uses it too).
import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from populate import populate

from transfer_engine.store.accounts import Role
from transfer_engine.store.database import get_engine, init_db, write_session
from transfer_engine.web.auth import create_user

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_in_client(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in form"
    response = client.post("/sign-in", data={"username": username, "password": password,
                                             "csrf_token": token.group(1)})
    assert response.status_code in (200, 303), response.text[:500]
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load(base: str, clients: list[httpx.Client], paths: dict[str, str],
         rounds: int) -> dict[str, tuple[list[float], int]]:
    results: dict[str, tuple[list[float], list[int]]] = {k: ([], [0]) for k in paths}
    lock = threading.Lock()

    def worker(client: httpx.Client) -> None:
        for _ in range(rounds):
            for name, path in paths.items():
                started = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    results[name][0].append(elapsed)
                    if not ok:
                        results[name][1][0] += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {k: (v[0], v[1][0]) for k, v in results.items()}


_WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    bad + e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(base: str, path: str, cookie: str, clients: int, seconds: int,
        script: Path) -> tuple[int, float, float, float, float, int]:
    """requests, per second, p50, p95 and p99 in ms, errors (anything but 200 counts)."""
    out = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds}s",
         "--timeout", "10s", "-H", f"Cookie: {cookie}", "-s", str(script), base + path],
        capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    assert found, out
    count, micros, p50, p95, p99, errors = (int(g) for g in found.groups())
    return count, count / (micros / 1e6), p50 / 1000, p95 / 1000, p99 / 1000, errors


def run(transfers: int, employees_per_transfer: int, clients: int, rounds: int,
        seconds: int, workers: int, use_wrk: bool) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = init_db(get_engine(url))
        populate(engine, transfers, employees_per_transfer=employees_per_transfer)
        password = secrets.token_urlsafe(16)
        with write_session(engine) as session:
            create_user(session, username="bench@example.org", display_name="Bench HR",
                        role=Role.hr_admin, password=password, actor="bench")
        engine.dispose()
        port = free_port()
        env = {**os.environ, "TRANSFER_ENGINE_DATABASE_URL": url,
               "TRANSFER_ENGINE_WEB_SCHEDULER": "no", "TRANSFER_ENGINE_AS_OF": "2025-06-02"}
        server = subprocess.Popen(
            [sys.executable, "-m", "transfer_engine", "serve", "--port", str(port),
             "--no-scheduler", "--workers", str(workers)], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        middle = transfers // 2 or 1
        paths = {"dashboard": "/", "transfer page": f"/transfers/{middle}",
                 "static file (baseline)": "/assets/images/favicon.ico"}
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            if use_wrk:
                client = signed_in_client(base, "bench@example.org", password)
                for path in paths.values():  # signed in, really: a page, not the sign-in form
                    response = client.get(path)
                    assert response.status_code == 200 and "sign-in" not in str(response.url)
                cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                script = Path(folder) / "report.lua"
                script.write_text(_WRK_SCRIPT)
                measured = {}
                for name, path in paths.items():
                    wrk(base, path, cookie, clients, 2, script)  # warm up every worker
                    measured[name] = wrk(base, path, cookie, clients, seconds, script)
            else:
                pool = [signed_in_client(base, "bench@example.org", password)
                        for _ in range(clients)]
                load(base, pool, paths, 2)  # warm up
                started = time.perf_counter()
                results = load(base, pool, paths, rounds)
                elapsed = time.perf_counter() - started
                measured = {}
                for name, (times, errors) in results.items():
                    ms = [t * 1000 for t in times]
                    measured[name] = (len(ms), len(ms) / elapsed, statistics.median(ms),
                                      percentile(ms, 0.95), percentile(ms, 0.99), errors)
        finally:
            server.terminate()
            server.wait(timeout=30)
    client_name = "wrk" if use_wrk else "httpx threads"
    return [f"| {transfers:,} | {transfers * employees_per_transfer:,} | {workers} | "
            f"{client_name} | {name} | {n:,} | {rate:,.0f} | {p50:.0f} | {p95:.0f} | "
            f"{p99:.0f} | {errors} |"
            for name, (n, rate, p50, p95, p99, errors) in measured.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated transfer counts")
    parser.add_argument("--employees-per-transfer", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="web processes")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per page")
    parser.add_argument("--rounds", type=int, default=10,
                        help="without wrk: requests per client per page")
    parser.add_argument("--python-client", action="store_true",
                        help="use the httpx threads even if wrk is installed")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    if not use_wrk and not args.python_client:
        print("wrk is not installed (apt-get install wrk): the load comes from Python threads",
              file=sys.stderr)
    print("| transfers | employees | web processes | load from | page | requests | per second "
          "| p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for line in run(size, args.employees_per_transfer, args.clients, args.rounds,
                        args.seconds, args.workers, use_wrk):
            print(line, flush=True)


if __name__ == "__main__":
    main()
