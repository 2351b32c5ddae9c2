"""Web app latency under load: concurrent HR officers on the dashboard and a transfer page.

Fills a database with N transfers and E employees (bulk, see populate.py), starts the app with
uvicorn in its own process (scheduler off: this measures pages), signs in 20 clients as an HR
administrator and has them request the dashboard and transfer pages for a fixed number of rounds.
Prints p50, p95 and p99 latency and the error count per page, beside a baseline measured in the
same run: the app's static favicon, which shows what the server and the network stack alone cost.

    python bench/web_bench.py                             # 1,000 transfers, 50,000 employees
    python bench/web_bench.py --sizes 1000,10000 --employees-per-transfer 5   # growth
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from populate import populate

from transfer_engine.db import get_engine, init_db, write_session
from transfer_engine.models import Role
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


def run(transfers: int, employees_per_transfer: int, clients: int, rounds: int) -> list[str]:
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
             "--no-scheduler"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            pool = [signed_in_client(base, "bench@example.org", password)
                    for _ in range(clients)]
            middle = transfers // 2 or 1
            paths = {"dashboard": "/", "transfer page": f"/transfers/{middle}",
                     "static file (baseline)": "/assets/images/favicon.ico"}
            load(base, pool[:2], paths, 2)  # warm up
            results = load(base, pool, paths, rounds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = []
    for name, (times, errors) in results.items():
        ms = [t * 1000 for t in times]
        lines.append(f"| {transfers:,} | {transfers * employees_per_transfer:,} | {name} | "
                     f"{len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} | "
                     f"{percentile(ms, 0.99):.0f} | {errors} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated transfer counts")
    parser.add_argument("--employees-per-transfer", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="requests per client per page")
    args = parser.parse_args()
    print("| transfers | employees | page | requests | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for line in run(size, args.employees_per_transfer, args.clients, args.rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
