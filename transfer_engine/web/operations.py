"""For operators and their tools: liveness, readiness and Prometheus metrics.

* ``/healthz``: the process answers. It touches nothing else, so a slow database never gets a
  healthy process restarted.
* ``/readyz``: this process can do its work: the database answers, its schema is the revision
  this version needs, and (when a scheduler is expected) a sweep finished recently. 200 when
  all hold; 503 with a JSON body naming each check that failed and what to do.
* ``/metrics``: Prometheus text format, counted from the database at scrape time (see
  :mod:`transfer_engine.views.operations`), so every process reports the same figures. Only
  for a request from this machine that no proxy relayed, or one bearing
  ``TRANSFER_ENGINE_METRICS_TOKEN``: the figures are not personal, but they say how busy a
  council's transfers are.

None of them needs a session, and none is in the API's OpenAPI document.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from transfer_engine.errors import UnavailableError
from transfer_engine.store.database import current_revision, head_revision, read_session
from transfer_engine.views.operations import figures, heartbeat
from transfer_engine.web.deps import engine_of, settings_of
from transfer_engine.web.settings import WebSettings

router = APIRouter(include_in_schema=False)

# Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever its
# socket address says.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, UnavailableError) as exc:  # UnavailableError: see store.faults
        # The driver's first line only: the URL (and any password in it) stays out.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return f"the database cannot be reached ({type(exc).__name__}: {reason})"
    return None


def _schema(engine: Engine) -> str | None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        return (f"the schema is at revision {current or 'none'}; this version needs {head}. "
                "Back the database up, then run `transfer-engine db upgrade`.")
    return None


def _scheduler(engine: Engine, settings: WebSettings) -> str | None:
    with read_session(engine) as session:
        beat = heartbeat(session)
    limit = settings.heartbeat_max_age()
    if beat is None:
        return ("no scheduler has finished a sweep yet; start `transfer-engine scheduler` (or "
                "the web app's own) and see its log")
    if beat.age() > limit:
        minutes = int(beat.age().total_seconds() // 60)
        return (f"the last sweep finished {minutes} minutes ago (more than "
                f"{int(limit.total_seconds() // 60)}): the scheduler is stopped or stuck; see "
                "its log")
    return None


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    engine, settings = engine_of(request), settings_of(request)
    checks: dict[str, str] = {}
    problem = _database(engine)
    checks["database"] = problem or "ok"
    if problem is None:
        checks["schema"] = _schema(engine) or "ok"
        if settings.scheduler_expected():
            checks["scheduler"] = _scheduler(engine, settings) or "ok"
        else:
            checks["scheduler"] = "not expected here (TRANSFER_ENGINE_EXPECT_SCHEDULER)"
    failed = [name for name, result in checks.items() if result != "ok"
              and not result.startswith("not expected")]
    body: dict[str, Any] = {"status": "not ready" if failed else "ready", "checks": checks}
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200)


class DatabaseCollector(Collector):
    """The metrics, counted from the database each time Prometheus scrapes."""

    def __init__(self, engine: Engine, settings: WebSettings) -> None:
        self.engine = engine
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        with read_session(self.engine) as session:
            found = figures(session, sign_in_window=self.settings.login_window)
        outbox = GaugeMetricFamily("transfer_engine_outbox_messages",
                                   "Outbox messages by status and kind.",
                                   labels=["status", "kind"])
        for (status, kind), count in sorted(found.outbox.items()):
            outbox.add_metric([status, kind], count)
        yield outbox
        yield GaugeMetricFamily(
            "transfer_engine_outbox_in_doubt_messages",
            "Messages held in doubt (the mail server may have them); sent only when HR "
            "releases them.",
            value=found.in_doubt)
        letters = CounterMetricFamily("transfer_engine_letters_issued",
                                      "Letters in the register, by template.", labels=["letter"])
        for name, count in sorted(found.letters_issued.items()):
            letters.add_metric([name], count)
        yield letters
        yield GaugeMetricFamily("transfer_engine_letters_owed",
                                "State letters owed and not yet issued.",
                                value=found.letters_owed)
        last = GaugeMetricFamily("transfer_engine_scheduler_last_sweep_success_timestamp_seconds",
                                 "When a scheduler last finished a sweep without error.")
        took = GaugeMetricFamily("transfer_engine_scheduler_last_sweep_duration_seconds",
                                 "How long that sweep took.")
        if found.heartbeat is not None:
            last.add_metric([], found.heartbeat.finished_at.timestamp())
            took.add_metric([], found.heartbeat.seconds)
        yield last
        yield took
        yield GaugeMetricFamily(
            "transfer_engine_sign_in_failures_recent",
            "Wrong passwords (sign-in and change-password) in the last "
            f"{int(self.settings.login_window.total_seconds() // 60)} minutes.",
            value=found.sign_in_failures)


def registry_for(engine: Engine, settings: WebSettings) -> CollectorRegistry:
    """A registry of this app's own (not the library's global one, so that several apps in
    one process, as in the tests, do not collide)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine, settings))
    return registry


def _local(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request, settings: WebSettings) -> bool:
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            given.strip().encode(), settings.metrics_token.encode())
    return _local(request)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    settings = settings_of(request)
    if not metrics_allowed(request, settings):
        how = ("send Authorization: Bearer with TRANSFER_ENGINE_METRICS_TOKEN"
               if settings.metrics_token else
               "ask from this machine, or set TRANSFER_ENGINE_METRICS_TOKEN and send it as "
               "Authorization: Bearer")
        return JSONResponse({"detail": f"metrics are not public: {how}"}, status_code=403)
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
