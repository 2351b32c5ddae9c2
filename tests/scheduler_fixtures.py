"""Helpers for the scheduler tests: a scratch environment, the CLI, a real SMTP server.

Import the fixtures into a test module with ``from tests.scheduler_fixtures import ...`` (names
used as pytest fixtures must be imported into the module that uses them).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select
from typer.testing import CliRunner

from transfer_engine.cli import app
from transfer_engine.store.database import get_engine, init_db

ENV_PREFIX = "TRANSFER_ENGINE_"


@dataclass
class SchedEnv:
    """A scratch working directory with its own database and outbox folder."""

    root: Path
    db_path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def rows(self, sql: str, *params: object) -> list[sqlite3.Row]:
        """Read the database directly, as an operator would with sqlite3."""
        connection = sqlite3.connect(self.db_path, timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            return list(connection.execute(sql, params))
        finally:
            connection.close()

    def execute(self, sql: str, *params: object) -> None:
        connection = sqlite3.connect(self.db_path, timeout=30)
        try:
            connection.execute(sql, params)
            connection.commit()
        finally:
            connection.close()


@pytest.fixture
def sched_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SchedEnv:
    """Every TRANSFER_ENGINE_ variable cleared, then a fresh SQLite database (made as
    ``transfer-engine init`` makes it: no command but init and demo creates one) and outbox."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    env = SchedEnv(tmp_path, tmp_path / "transfers.db")
    monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL", env.url)
    monkeypatch.setenv("TRANSFER_ENGINE_ACTOR", "test:hr-officer")
    monkeypatch.chdir(tmp_path)
    init_db(get_engine(env.url))
    return env


def cli(*args: str, ok: bool = True) -> tuple[int, str, str]:
    """``transfer-engine ARGS`` in this process; raises with the output when it fails."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    if ok and result.exit_code != 0:
        raise AssertionError(f"transfer-engine {' '.join(args)} failed ({result.exit_code}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result.exit_code, result.stdout, result.stderr


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json")[1])


#: ``transfer-engine``'s exit status when a command was done but part of it failed (a message
#: not delivered, a letter not issued).
INCOMPLETE = 4


def sweep_with_failures(*args: str) -> tuple[str, str]:
    """``transfer-engine scheduler --once ARGS`` in a sweep where something must fail to go
    out: its stdout and stderr, once its exit status has said so."""
    code, out, err = cli("scheduler", "--once", *args, ok=False)
    assert code == INCOMPLETE, f"exit status {code}, not {INCOMPLETE}:\n{out}\n{err}"
    return out, err


def subprocess_env(env: SchedEnv, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {**base, "TRANSFER_ENGINE_DATABASE_URL": env.url,
            "TRANSFER_ENGINE_ACTOR": "test:scheduler", **extra}


def engine_process(env: SchedEnv, *args: str, **extra: str) -> subprocess.Popen[str]:
    """``transfer-engine ARGS`` as a separate process (its log goes to a file in the root)."""
    with (env.root / "scheduler.log").open("a") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "transfer_engine", *args], cwd=env.root,
                                env=subprocess_env(env, **extra), stdout=log, stderr=log,
                                text=True)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read_eml(path: str | Path) -> EmailMessage:
    """An .eml file as a mail program reads it."""
    return email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)


def body_text(message: EmailMessage, subtype: str = "plain") -> str:
    """The text/plain (or text/html) body of ``message``, which must have one."""
    body = message.get_body((subtype,))
    assert body is not None, f"the message has no text/{subtype} body"
    return body.get_content()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where every connection is refused, for as long as this lasts: bound
    and never listened on. A port merely found free could be taken meanwhile by a server of
    the other test suite running at the same time (scripts/test runs two)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# A real SMTP server (aiosmtpd) on 127.0.0.1


@dataclass
class Received:
    message_id: str
    to: str
    envelope_to: list[str]
    subject: str
    message: Message
    tls: bool
    login: Any


@dataclass
class SmtpRecorder:
    """What the server accepted, and knobs to make it refuse or hold a message."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)   # address -> SMTP reply
    hold_at: int | None = None                              # hold the n-th DATA (1-based)
    data_count: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    dropped: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            number = self.data_count
        if number == self.hold_at:
            # A slow server: it has the message but has not answered. If the client goes away
            # meanwhile, aiosmtpd cancels this handler and the message is never accepted.
            self.holding.set()
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                self.dropped.set()
                raise
        message = email.message_from_bytes(envelope.content)
        login = session.auth_data if session.authenticated else None
        with self.lock:
            self.received.append(Received(
                str(message["Message-ID"]), str(message["To"]), list(envelope.rcpt_tos),
                str(message["Subject"]), message, session.ssl is not None, login))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpRecorder, int]]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        yield recorder, port
    finally:
        recorder.release.set()
        controller.stop()


# ---------------------------------------------------------------------------------------------
# Data


def transfer_with_staff(ref: str, *, employees: int, transfer_date: date,
                        decision: date | None = None, representatives: int = 2,
                        hr_owner: str | None = "hr.owner@example.org",
                        escalation: str | None = "head.of.hr@example.org",
                        letter_particulars: bool = True) -> str:
    """Create a TUPE transfer (tupe-base) with synthetic staff and representatives."""
    from transfer_engine.domain import OrganisationKind
    from transfer_engine.engine.create import create_transfer, parse_transfer_create
    from transfer_engine.engine.inputs import EmployeeRow, RepresentativeCreate
    from transfer_engine.engine.staff import _add_representative, store_employees
    from transfer_engine.store.database import write_session
    from transfer_engine.store.organisations import Organisation

    with write_session() as session:
        for slug, name in (("council", "Sample Council"), ("trust", "Sample Trust")):
            if session.exec(select(Organisation)
                            .where(Organisation.slug == slug)).first() is None:
                session.add(Organisation(slug=slug, name=name, kind=OrganisationKind.council,
                                         headcount=5000))
    with write_session() as session:
        create_transfer(session, parse_transfer_create({
            "ref": ref, "title": f"Sample transfer {ref}", "workflow_id": "tupe-base",
            "regime": "TUPE", "regime_reason": "A service moves to another employer (test).",
            "transferor": "council", "transferee": "trust",
            "key_dates": {"transfer": transfer_date,
                          "decision": decision or transfer_date - timedelta(weeks=10)},
            "hr_owner": hr_owner, "escalation_contact": escalation, "sample_data": True,
        }), actor="test")
    store_employees(ref, [
        EmployeeRow(employee_ref=f"E{i:03d}", full_name=f"Sample Person {i:03d}",
                    email=f"person.{i:03d}@example.org", role="Officer", fte=Decimal("1.0"),
                    weekly_pay=Decimal("612.34"))
        for i in range(1, employees + 1)], actor="test", replace=False, source="test",
        synthetic=True)
    with write_session() as session:
        for i in range(1, representatives + 1):
            _add_representative(session, ref, RepresentativeCreate(
                organisation="council", kind="recognised-union", name=f"Branch secretary {i}",
                union="UNISON", email=f"rep.{i}@example.org"), actor="test", synthetic=True)
    if letter_particulars:
        # What the letters need beyond the staff list (addresses, reasons...), made up, so
        # that the state's letters are issued rather than an alert about missing data.
        from transfer_engine.letters.sample_particulars import fill_synthetic
        from transfer_engine.store.queries import get_transfer

        with write_session() as session:
            fill_synthetic(session, get_transfer(session, ref), actor="test")
    return ref


def state_letters_due_today(env: SchedEnv, ref: str, *, employees: int) -> int:
    """A transfer entering 'consulting' today, its letters issued as the CLI and the web issue
    them after a transition: 2 representatives' and one per employee. Returns the messages."""
    from transfer_engine.engine.advance import advance
    from transfer_engine.letters.owed import issue_pending

    init_db(get_engine(env.url))
    today = date.today()
    transfer_with_staff(ref, employees=employees, transfer_date=today + timedelta(70),
                        decision=today)
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance(ref, trigger, actor="test", note="test", today=today)
    assert issue_pending().errors == []
    return len(env.rows("SELECT id FROM outboxmessage"))
