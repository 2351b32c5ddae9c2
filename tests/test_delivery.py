"""Delivery backends against a real SMTP server: TLS, login, outages, refused and bad addresses."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from tests.scheduler_fixtures import (
    SchedEnv,
    SmtpRecorder,
    cli,
    cli_json,
    free_port,
    refusing_port,
    sweep_with_failures,
    transfer_with_staff,
)
from transfer_engine.engine.advance import advance
from transfer_engine.ops.scheduler import sweep
from transfer_engine.outbox.delivery import DeliveryBackend
from transfer_engine.store.database import get_engine, init_db, read_session
from transfer_engine.store.messages import OutboxMessage, OutboxStatus

DAY = date(2022, 9, 16)


def _consulting(env: SchedEnv, *, employees: int = 3, representatives: int = 1) -> None:
    """A transfer that entered 'consulting' on DAY: its letters are due that day."""
    init_db(get_engine(env.url))
    transfer_with_staff("mail-test", employees=employees, representatives=representatives,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1))
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance("mail-test", trigger, actor="test", note="test", today=DAY)


def _smtp(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    monkeypatch.setenv("TRANSFER_ENGINE_MAIL", "smtp")
    monkeypatch.setenv("TRANSFER_ENGINE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRANSFER_ENGINE_SMTP_PORT", str(port))
    monkeypatch.setenv("TRANSFER_ENGINE_SMTP_TIMEOUT", "10")
    for name, value in extra.items():
        monkeypatch.setenv(f"TRANSFER_ENGINE_{name}", value)


def _by_status(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["status"], []).append(row)
    return out


# ---------------------------------------------------------------------------------------------
# STARTTLS and login


class _Accounts:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        if (auth_data.login, auth_data.password) == (b"hr-relay", b"s3cret-relay"):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True, auth_data=auth_data.login.decode())
        return AuthResult(success=False, handled=False)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[SmtpRecorder, _Accounts, int, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder, accounts, port = SmtpRecorder(), _Accounts(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30,
                            tls_context=context, require_starttls=True,
                            authenticator=accounts, auth_require_tls=True, auth_required=True)
    controller.start()
    try:
        yield recorder, accounts, port, cert
    finally:
        controller.stop()


def test_smtp_with_starttls_and_login_sends_each_recipient_their_own_message(
        sched_env: SchedEnv, tls_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, accounts, port, cert = tls_server
    _smtp(monkeypatch, port, SMTP_STARTTLS="yes", SMTP_USER="hr-relay",
          SMTP_PASSWORD="s3cret-relay", SMTP_CA_FILE=str(cert),
          MAIL_FROM="hr-notices@example.org")
    _consulting(sched_env, employees=3, representatives=2)
    report = cli_json("scheduler", "--once", "--as-of", DAY.isoformat())
    assert report["counts"]["sent"] == len(recorder.received) >= 5
    assert all(m.tls and m.login == "hr-relay" for m in recorder.received)
    assert accounts.logins  # the server saw our credentials, over TLS
    for message in recorder.received:
        assert message.envelope_to == [message.to]
        assert message.message["From"] == "hr-notices@example.org"
        assert message.message_id.endswith("@example.org>")
    letters = [m for m in recorder.received if m.to.startswith(("person.", "rep."))]
    assert sorted(m.to for m in letters) == [
        "person.001@example.org", "person.002@example.org", "person.003@example.org",
        "rep.1@example.org", "rep.2@example.org"]


def test_wrong_password_is_reported_and_nothing_is_sent(
        sched_env: SchedEnv, tls_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, _, port, cert = tls_server
    _consulting(sched_env)
    _smtp(monkeypatch, port, SMTP_STARTTLS="yes", SMTP_USER="hr-relay",
          SMTP_PASSWORD="wrong", SMTP_CA_FILE=str(cert))
    report = json.loads(sweep_with_failures("--as-of", DAY.isoformat(), "--json")[0])
    assert recorder.received == []
    assert "refused the login" in report["stopped_early"]
    assert "TRANSFER_ENGINE_SMTP_PASSWORD" in report["stopped_early"]
    statuses = _by_status(cli_json("outbox"))
    # One message took the failed attempt; the batch stopped instead of failing them all.
    assert len(statuses["failed"]) == 1 and statuses["failed"][0]["attempts"] == 1
    assert all(r["attempts"] == 0 for r in statuses["pending"])


# ---------------------------------------------------------------------------------------------
# Outages and refusals


def _backoff_over(sched_env: SchedEnv) -> None:
    """As if the backoff had run out: every failed message is due for its next attempt."""
    sched_env.execute("UPDATE outboxmessage SET next_attempt_at = '2000-01-01 00:00:00.000000' "
                      "WHERE status = 'failed'")


def test_unreachable_server_is_retried_with_backoff_then_shown_to_hr(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    _consulting(sched_env)
    with refusing_port() as port:  # every connection refused, until the server comes back
        # A backoff long enough that no slow sweep reaches it; time passing is then a moved clock.
        _smtp(monkeypatch, port, MAIL_MAX_ATTEMPTS="2", MAIL_RETRY_SECONDS="600")

        out, _ = sweep_with_failures("--as-of", DAY.isoformat())  # exit status 4: not all went
        assert f"cannot reach the SMTP server 127.0.0.1:{port}" in out
        first = _by_status(cli_json("outbox"))
        assert len(first["failed"]) == 1 and first["failed"][0]["next_attempt_at"]
        waiting = len(first["pending"])

        # Too early for the retry: the failed message waits for its backoff.
        early = json.loads(sweep_with_failures("--as-of", DAY.isoformat(), "--json")[0])
        tried = [d["id"] for d in early["deliveries"]]
        assert len(tried) == 1 and first["failed"][0]["id"] not in tried

        _backoff_over(sched_env)
        sweep_with_failures("--as-of", DAY.isoformat())
        rows = {r["id"]: r for r in cli_json("outbox")}
        gave_up = rows[first["failed"][0]["id"]]
        assert gave_up["status"] == "permanent-failure" and gave_up["attempts"] == 2
        assert gave_up["last_error"].startswith("gave up after 2 attempts: cannot reach")

        _, listing, _ = cli("outbox")
        assert "could not be delivered" in listing and "Needs attention" in listing

    # The server comes back: what waited is delivered; the given-up message is not retried.
    _backoff_over(sched_env)
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        cli("scheduler", "--once", "--as-of", DAY.isoformat())
        for _ in range(3):
            cli("scheduler", "--once", "--as-of", DAY.isoformat())
    finally:
        controller.stop()
    rows = {r["id"]: r for r in cli_json("outbox")}
    sent = [r for r in rows.values() if r["status"] == "sent"]
    assert len(sent) == len(recorder.received) >= waiting
    assert gave_up["message_id"] not in {m.message_id for m in recorder.received}
    assert rows[gave_up["id"]]["status"] == "permanent-failure"


def test_address_refused_by_the_server_is_a_permanent_failure_not_retried(
        sched_env: SchedEnv, smtp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, port = smtp_server
    recorder.refuse["person.002@example.org"] = "550 5.1.1 <person.002@example.org>: no mailbox"
    _consulting(sched_env)
    _smtp(monkeypatch, port)
    sweep_with_failures("--as-of", DAY.isoformat())  # the refusal: exit status 4
    cli("scheduler", "--once", "--as-of", DAY.isoformat())  # nothing tried again: 0
    rows = cli_json("outbox")
    refused = [r for r in rows if r["to"] == "person.002@example.org"]
    assert [r["status"] for r in refused] == ["permanent-failure"]
    assert refused[0]["attempts"] == 1  # not retried by the second sweep
    assert "550 5.1.1" in refused[0]["last_error"]
    others = [r for r in rows if r["to"] != "person.002@example.org"]
    assert all(r["status"] == "sent" for r in others)
    assert len(recorder.received) == len(others)


def test_a_malformed_address_never_reaches_the_server(
        sched_env: SchedEnv, smtp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, port = smtp_server
    init_db(get_engine(sched_env.url))
    transfer_with_staff("mail-test", employees=2, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1))
    # A bad address typed straight into the HR system's database (the import would refuse it).
    sched_env.execute("UPDATE employee SET email = 'person.001@@example' "
                      "WHERE employee_ref = 'E001'")
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance("mail-test", trigger, actor="test", note="test", today=DAY)
    _smtp(monkeypatch, port)
    cli("scheduler", "--once", "--as-of", DAY.isoformat())
    rows = cli_json("outbox")
    bad = [r for r in rows if r["recipient_ref"] == "employee:E001"]
    assert bad[0]["status"] == "permanent-failure" and bad[0]["attempts"] == 0
    assert "not a valid email address" in bad[0]["last_error"]
    assert "person.001@@example" not in {m.to for m in recorder.received}
    assert {m.to for m in recorder.received} >= {"person.002@example.org", "rep.1@example.org"}


# ---------------------------------------------------------------------------------------------
# Faults that must not stop the scheduler


class _BrokenBackend(DeliveryBackend):
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: EmailMessage) -> str:
        self.calls += 1
        raise RuntimeError("backend bug")


def test_a_backend_bug_is_recorded_on_the_message_not_raised(sched_env: SchedEnv) -> None:
    _consulting(sched_env)
    backend = _BrokenBackend()
    report = sweep(as_of=DAY, backend=backend)
    assert backend.calls == len(report.deliveries) > 1
    assert all(d.status == "failed" and d.error == "unexpected RuntimeError: backend bug"
               for d in report.deliveries)
    with read_session() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {OutboxStatus.failed}


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("TRANSFER_ENGINE_SMTP_PORT", "twenty-five", "TRANSFER_ENGINE_SMTP_PORT='twenty-five'"),
    ("TRANSFER_ENGINE_MAIL", "pigeon", "TRANSFER_ENGINE_MAIL='pigeon' must be one of files, smtp"),
    ("TRANSFER_ENGINE_SEND_TIME", "9am", "write HH:MM"),
])
def test_bad_mail_settings_are_named(sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch,
                                     name: str, value: str, expected: str) -> None:
    monkeypatch.setenv(name, value)
    code, _, err = cli("scheduler", "--once", ok=False)
    assert code == 1
    assert expected in " ".join(err.split())
