"""``transfer-engine serve`` and ``transfer-engine users``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from sqlmodel import select

from tests.conftest import Cli, run_cli
from transfer_engine.store.database import get_engine, read_session
from transfer_engine.store.messages import SchedulerState
from transfer_engine.store.transfers import AuditEntry


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_serving(base: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx2.get(f"{base}/sign-in").status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.3)
    raise AssertionError("the app did not start")


def test_users_are_managed_from_the_command_line(demo, cli: Cli) -> None:
    data = cli.json("users", "add", "Jo.Bloggs@Example.org", "--name", "Jo Bloggs",
                    "--role", "hr_officer")
    assert data["username"] == "jo.bloggs@example.org" and len(data["password"]) >= 12
    cli("users", "assign", "jo.bloggs@example.org", "ld-to-nct")
    cli("users", "add", "rep@example.org", "--name", "A Rep", "--role", "union_rep")
    cli("users", "link-union", "rep@example.org", "UNISON", "nnc")
    listed = {u["username"]: u for u in cli.json("users", "list")}
    assert listed["jo.bloggs@example.org"]["transfers"] == ["ld-to-nct"]
    assert listed["rep@example.org"]["unions"] == ["UNISON"]
    code, _, err = cli("users", "add", "x@example.org", "--name", "X", "--role", "boss", ok=False)
    assert code == 1 and "role must be one of" in err
    with read_session(demo) as session:
        added = session.exec(select(AuditEntry).where(AuditEntry.action == "user-added")).all()
    assert {e.data["user"] for e in added} == {"jo.bloggs@example.org", "rep@example.org"}
    assert all("password" not in str(e.data) for e in added)


def test_serve_demo_starts_the_app_with_sample_accounts_and_the_scheduler(
        tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TRANSFER_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "TRANSFER_ENGINE_OUTBOX": str(tmp_path / "outbox"), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "transfer_engine", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}")
        page = httpx2.get(f"http://127.0.0.1:{port}/sign-in")
        assert "Sign in" in page.text
        # The scheduler swept once at start-up, in the same process (its first sweep issues
        # the demo's owed letters first, beside the app's start: slow on a loaded machine).
        engine = get_engine(env["TRANSFER_ENGINE_DATABASE_URL"])
        deadline = time.time() + 90
        while True:
            with read_session(engine) as session:
                if session.exec(select(SchedulerState)).first() is not None:
                    break
            if time.time() > deadline:
                raise AssertionError("the scheduler did not run beside the app")
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "sample accounts" in output
    accounts = dict(re.findall(r"(demo-[a-z]+)\s+\S\s+(\S{16})\s", output))
    assert set(accounts) == {"demo-admin", "demo-officer", "demo-viewer", "demo-unison"}
    assert "2022-09-20" in output and f"http://127.0.0.1:{port}/" in output


def test_serve_with_two_workers_shares_one_form_key_between_them(tmp_path: Path) -> None:
    """Forms served by one worker process are accepted by the other (one secret key)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "TRANSFER_ENGINE_SECRET_KEY"}
    env.update({"TRANSFER_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
                "TRANSFER_ENGINE_OUTBOX": str(tmp_path / "outbox"), "COLUMNS": "200"})
    log = tmp_path / "serve.log"
    with log.open("w") as output_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "transfer_engine", "serve", "--demo", "--no-scheduler",
             "--workers", "2", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=output_file, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base)
        # Both workers up: the first one answering says nothing of the second.
        deadline = time.time() + 90
        while log.read_text().count("Application startup complete") < 2:
            assert time.time() < deadline, "the second worker did not start"
            time.sleep(0.2)
        # A new connection per request: the two processes take turns accepting them.
        with httpx2.Client(base_url=base, headers={"connection": "close"}) as browser:
            form = browser.get("/sign-in").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token
            for _ in range(12):
                response = browser.post("/sign-in", data={
                    "username": "nobody@example.org", "password": "not the password",
                    "csrf_token": token.group(1)})
                # Past the form check in either process (403 if not): a wrong password
                # (401), then too many of them (429).
                assert response.status_code in (401, 429), response.text[:300]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    # Two processes at least (uvicorn restarts a worker that misses its health check).
    output = log.read_text()
    assert len(set(re.findall(r"Started server process \[(\d+)\]", output))) >= 2


def test_serve_refuses_a_trusted_proxy_that_is_not_an_address_before_making_anything(
        tmp_path: Path) -> None:
    result = run_cli("serve", "--demo", "--port", "0", cwd=tmp_path, env={
        "TRANSFER_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "TRANSFER_ENGINE_TRUSTED_PROXIES": "10.0.0.5, proxy.internal"})
    assert result.returncode == 1
    assert "'proxy.internal' is not an IP address or network" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "serve.db").exists()
