"""For operators: /healthz, /readyz, /metrics and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, text
from sqlmodel import col, select

from tests.web_fixtures import WebEnv, web_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import ConfigurationError
from transfer_engine.ops.logs import JsonFormatter, uvicorn_config
from transfer_engine.ops.scheduler import Runner, record_heartbeat
from transfer_engine.store.database import head_revision, write_session
from transfer_engine.store.messages import (
    SWEEP_FINISHED,
    OutboxMessage,
    OutboxStatus,
    SchedulerState,
)
from transfer_engine.store.register import Letter
from transfer_engine.web import create_app

LOCAL = ("127.0.0.1", 40000)


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def test_healthz_answers_without_the_database(web: WebEnv) -> None:
    web.engine.dispose()
    response = TestClient(web.app).get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_readyz_is_ready_then_says_which_check_fails(web: WebEnv) -> None:
    client = TestClient(web.app)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["database"] == ready.json()["checks"]["schema"] == "ok"

    # The schema is behind this version: not ready, and the body says what to do.
    with write_session(web.engine) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["failed"] == ["schema"]
    assert "0001" in behind.json()["checks"]["schema"]
    assert head_revision() in behind.json()["checks"]["schema"]
    assert "transfer-engine db upgrade" in behind.json()["checks"]["schema"]


def test_readyz_checks_the_scheduler_heartbeat_when_one_is_expected(web: WebEnv) -> None:
    client = TestClient(create_app(web_settings(expect_scheduler=True)))
    never = client.get("/readyz")
    assert never.status_code == 503 and never.json()["failed"] == ["scheduler"]
    assert "no scheduler has finished a sweep" in never.json()["checks"]["scheduler"]

    # A real sweep by the long-running scheduler's runner writes the heartbeat.
    Runner(web.app.state.settings.engine, web.engine).run_sweep()
    assert client.get("/readyz").status_code == 200

    # A heartbeat older than three sweep intervals: stopped or stuck.
    with write_session(web.engine) as session:
        row = session.get(SchedulerState, SWEEP_FINISHED)
        assert row is not None
        row.updated_at = utcnow() - timedelta(hours=2)
        session.add(row)
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json()["failed"] == ["scheduler"]
    assert "120 minutes ago" in stale.json()["checks"]["scheduler"]


def test_metrics_are_counted_from_the_database(web: WebEnv) -> None:
    record_heartbeat(web.engine, 1.5)
    web.browser().sign_in("viewer@example.org", "wrong password here")
    ld = web.ids["ld-to-nct"]
    web.as_role("hr_officer").post(f"/transfers/{ld}/letters/reg13-information/issue")
    with write_session(web.engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert len(rows) >= 2
        # One held for HR; one with the mail server this moment, which is not (yet) held.
        rows[0].status, rows[0].in_doubt = OutboxStatus.pending, True
        rows[1].status, rows[1].in_doubt = OutboxStatus.sending, True
        session.add_all(rows[:2])
    response = TestClient(web.app, client=LOCAL).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = _samples(response.text)
    with write_session(web.engine) as session:
        outbox = session.exec(select(OutboxMessage.status, OutboxMessage.kind, func.count())
                               .group_by(OutboxMessage.status, OutboxMessage.kind)).all()
        letters = session.exec(select(func.count()).select_from(Letter)).one()
    assert outbox and letters
    for status, kind, count in outbox:
        key = ("transfer_engine_outbox_messages",
               (("kind", str(kind)), ("status", str(status))))
        assert found[key] == count
    issued = sum(v for (name, _), v in found.items()
                 if name == "transfer_engine_letters_issued_total")
    assert issued == letters
    assert found[("transfer_engine_outbox_in_doubt_messages", ())] == 1
    assert found[("transfer_engine_sign_in_failures_recent", ())] == 1
    assert found[("transfer_engine_scheduler_last_sweep_duration_seconds", ())] == 1.5
    assert abs(found[("transfer_engine_scheduler_last_sweep_success_timestamp_seconds", ())]
               - utcnow().timestamp()) < 60


def test_metrics_answer_only_this_machine_or_the_token(web: WebEnv) -> None:
    assert TestClient(web.app).get("/metrics").status_code == 403  # another address
    # Relayed by a proxy on this machine: from elsewhere, whatever the socket says.
    relayed = TestClient(web.app, client=LOCAL).get(
        "/metrics", headers={"x-forwarded-for": "203.0.113.5"})
    assert relayed.status_code == 403
    assert "TRANSFER_ENGINE_METRICS_TOKEN" in relayed.json()["detail"]

    app = create_app(web_settings(metrics_token="scrape-secret-for-tests"))
    remote = TestClient(app)
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
    # With a token set, it is needed from this machine too.
    assert TestClient(app, client=LOCAL).get("/metrics").status_code == 403
    allowed = remote.get("/metrics", headers={"authorization": "Bearer scrape-secret-for-tests"})
    assert allowed.status_code == 200 and "transfer_engine_outbox_messages" in allowed.text


def test_json_log_lines_parse(web: WebEnv) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    engine_log = logging.getLogger("transfer_engine")
    level = engine_log.level
    engine_log.addHandler(handler)
    engine_log.setLevel(logging.INFO)
    try:
        Runner(web.app.state.settings.engine, web.engine).run_sweep()
        try:
            raise ValueError("a line\nwith two lines")
        except ValueError:
            logging.getLogger("transfer_engine.test").exception("it failed: %s", "why",
                                                               extra={"transfer": "ld-to-nct"})
    finally:
        engine_log.removeHandler(handler)
        engine_log.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    sweep = next(line for line in lines if line["message"].startswith("sweep for "))
    assert sweep["logger"] == "transfer_engine.ops.scheduler" and sweep["level"] == "INFO"
    assert isinstance(sweep["sweep_seconds"], float)
    assert sweep["time"].endswith("+00:00")
    failed = lines[-1]
    assert failed["message"] == "it failed: why" and failed["transfer"] == "ld-to-nct"
    assert failed["level"] == "ERROR" and "ValueError: a line" in failed["exception"]


def test_serve_logs_as_json_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFER_ENGINE_LOG_FORMAT", "json")
    config = uvicorn_config("info")
    assert config is not None
    logging.config.dictConfig(config)
    try:
        formatter = logging.getLogger("uvicorn.access").handlers[0].formatter
        assert formatter is not None
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                   '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5000", "GET", "/readyz", "1.1", 200), None)
        line = json.loads(formatter.format(record))
        assert line["message"] == '127.0.0.1:5000 - "GET /readyz HTTP/1.1" 200'
        assert line["logger"] == "uvicorn.access"
    finally:
        for name in ("uvicorn", "uvicorn.access", "transfer_engine", "apscheduler"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
    monkeypatch.setenv("TRANSFER_ENGINE_LOG_FORMAT", "text")
    assert uvicorn_config("info") is None
    monkeypatch.setenv("TRANSFER_ENGINE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="must be text or json"):
        uvicorn_config("info")
