"""The web app: HR pages, the representatives' portal and the JSON API in one FastAPI app.

:func:`create_app` wires it together: GOV.UK Frontend's built files at ``/assets`` (from
``node_modules``, never a CDN), the service's own files at ``/static``, the page routers (each
guarded by the CSRF check), the API under ``/api/v1`` (bearer tokens; its OpenAPI document at
``/api/openapi.json``), the security headers, and the error pages. In the single-machine
default the deadline scheduler runs in the same process (see :func:`_scheduler`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from transfer_engine.errors import (
    ConflictError,
    DatabaseUnavailableError,
    GuardRefusedError,
    NotFoundError,
    TransferEngineError,
    UnavailableError,
    ValidationError,
)
from transfer_engine.letters.sense_checks import SenseCheckError
from transfer_engine.ops.scheduler import Runner, zone
from transfer_engine.store.database import get_engine, init_db
from transfer_engine.store.faults import database_fault
from transfer_engine.web import api, csrf, ids, operations, routes, wording
from transfer_engine.web.addresses import TransferAddresses, typed_path
from transfer_engine.web.errors import Forbidden, NotSignedIn, PageNotFound
from transfer_engine.web.rendering import PageCache, render
from transfer_engine.web.security import SecurityHeaders, headers_for
from transfer_engine.web.settings import WebSettings

log = logging.getLogger("transfer_engine.web")

STATIC = Path(__file__).resolve().parent / "static"
# The only files served from GOV.UK Frontend's dist folder besides its assets/ folder.
GOVUK_FILES = ("govuk-frontend.min.css", "govuk-frontend.min.css.map",
               "govuk-frontend.min.js", "govuk-frontend.min.js.map")


def _scheduler(app: FastAPI) -> Callable[[], None] | None:
    """Start the deadline scheduler in a background thread; returns how to stop it.

    The scheduler's own ``run_forever`` blocks and installs signal handlers, which only the
    main thread may do, so here its sweep runs on a background APScheduler with the same
    timetable: at start-up, every sweep interval, and at the send time on weekdays.
    """
    settings: WebSettings = app.state.settings
    if not settings.run_scheduler:
        return None
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger


    runner = Runner(settings.engine, app.state.engine)
    tz = zone(settings.engine)
    background = BackgroundScheduler(timezone=tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    background.add_job(runner.run_sweep, IntervalTrigger(seconds=runner.interval, timezone=tz),
                       id="sweep", next_run_time=datetime.now(tz))
    send = settings.engine.send_time
    background.add_job(runner.run_sweep, CronTrigger(day_of_week="mon-fri", hour=send.hour,
                                                     minute=send.minute, timezone=tz),
                       id="send-time")
    background.start()
    log.info("deadline scheduler running beside the web app (every %s s)", runner.interval)

    def stop() -> None:
        runner.stop.set()
        background.shutdown(wait=True)

    return stop


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threads
    stop = _scheduler(app)
    app.state.scheduler_running = stop is not None
    try:
        yield
    finally:
        if stop is not None:
            stop()


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The whole web app for ``settings`` (default: from the environment)."""
    settings = settings or WebSettings()
    settings.check_assets()
    engine = init_db(get_engine(settings.engine.database_url))
    app = FastAPI(
        title="transfer_engine API",
        summary="TUPE and COSOP staff transfers: deadlines, guards, evidence and notices.",
        description=(
            "Every call needs `Authorization: Bearer <token>`; create a token on the "
            "'Your account' page. A token acts with its owner's role: HR officers see only "
            "the transfers they are assigned to, viewers never see personal data, union "
            "representatives only their union's notices."),
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.page_cache = PageCache()
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    # /transfers/ld-to-nct as well as /transfers/7 (web.addresses), before routing.
    app.add_middleware(TransferAddresses)
    if settings.trusted_proxies:
        # Added last, so it runs first: every part of the app sees the client's address.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    assets = settings.assets_dir
    for name in GOVUK_FILES:
        app.add_api_route(f"/assets/{name}", _file_route(assets / name), methods=["GET"],
                          include_in_schema=False)
    app.mount("/assets", StaticFiles(directory=assets / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


    # Out-of-range ids are refused first (ids.within_range), before any dependency uses them.
    for router in routes.ROUTERS:
        app.include_router(router, dependencies=[Depends(ids.within_range),
                                                 Depends(csrf.protect)],
                           include_in_schema=False)
    for router in api.ROUTERS:
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(ids.within_range)])
    app.include_router(operations.router)
    app.state.metrics = operations.registry_for(engine, settings)
    _install_handlers(app)
    return app


def _file_route(path: Path) -> Callable[[], FileResponse]:
    def serve() -> FileResponse:
        return FileResponse(path)

    return serve


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(status: int, detail: Any, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def _install_handlers(app: FastAPI) -> None:
    """Turn every failure into a page (or JSON) that says what happened and what to do."""

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if _is_api(request):
            response = _problem(401, "send a valid API token: Authorization: Bearer <token>")
            response.headers["www-authenticate"] = "Bearer"
            return response
        # As typed: a reference's id (or that it has none) is not for someone not signed in.
        target = typed_path(request.scope)
        if request.url.query:
            target += f"?{request.url.query}"
        suffix = f"?next={target}" if request.method == "GET" and target != "/" else ""
        return RedirectResponse(f"/sign-in{suffix}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return _problem(403, str(exc))
        return render(request, "error.html", {"title": "You cannot see this page",
                                              "message": str(exc)}, status_code=403)

    @app.exception_handler(csrf.CsrfError)
    async def csrf_failed(request: Request, exc: csrf.CsrfError) -> Response:
        return render(request, "error.html", {"title": "Your form could not be sent",
                                              "message": str(exc)}, status_code=403)

    @app.exception_handler(PageNotFound)
    async def not_found(request: Request, _exc: PageNotFound) -> Response:
        return _not_found(request)

    @app.exception_handler(NotFoundError)
    async def engine_not_found(request: Request, exc: NotFoundError) -> Response:
        return _not_found(request, str(exc) if _is_api(request) else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _not_found(request)
        if _is_api(request):
            return _problem(exc.status_code, exc.detail)
        return render(request, "error.html", {"title": "Sorry, there is a problem",
                                              "message": str(exc.detail)},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return _problem(422, [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()])
        return render(request, "error.html", {
            "title": "Sorry, there is a problem",
            "message": "The page address or form was not complete. Go back and try again."},
            status_code=400)

    @app.exception_handler(GuardRefusedError)
    async def refused(request: Request, exc: GuardRefusedError) -> Response:
        return _engine_problem(request, 409, exc, overridable=exc.overridable,
                               blocked_by=[f.as_json() for f in exc.failures])

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return _engine_problem(request, 409, exc)

    @app.exception_handler(SenseCheckError)
    async def letter_refused(request: Request, exc: SenseCheckError) -> Response:
        return _engine_problem(request, 409, exc, overridable=exc.overridable,
                               refused_by=[p.as_json() for p in exc.problems])

    @app.exception_handler(ValidationError)
    async def invalid(request: Request, exc: ValidationError) -> Response:
        return _engine_problem(request, 422, exc,
                               problems=[p.as_json() for p in exc.field_problems])

    @app.exception_handler(TransferEngineError)
    async def engine_error(request: Request, exc: TransferEngineError) -> Response:
        return _engine_problem(request, 400, exc)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A number no row can have (too large for the database's integers), in a form or
        # body that ids.within_range could not see: nothing is there, as for an unknown id.
        log.info("out-of-range value in %s %s: %s", request.method, request.url.path,
                 str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return _not_found(request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The last resort, answered outside the other middleware, so the security headers are
        # added here. The traceback goes to the log, never to the person.
        log.error("%s %s: unexpected error", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
        response: Response
        if _is_api(request):
            response = _problem(500, "the service met an error it did not expect; nothing "
                                     "was saved")
        else:
            response = _page_without_database(
                request, "Sorry, there is a problem with the service",
                "Nothing you sent has been saved. Try again later.\n"
                "If it keeps happening, tell the person who runs this service.", 500)
        settings: WebSettings = request.app.state.settings
        response.headers.update(headers_for(request.url.path, hsts=settings.secure_cookies))
        return response

    @app.exception_handler(UnavailableError)
    async def unavailable(request: Request, exc: UnavailableError) -> Response:
        return _unavailable(request, exc)

    async def database_error(request: Request, exc: Exception) -> Response:
        # The engine translates its own faults (store.faults); this catches one met outside it.
        fault = database_fault(exc, request.app.state.engine.url)
        if fault is not None:
            return _unavailable(request, fault)
        log.exception("%s %s: database error", request.method, request.url.path)
        if _is_api(request):
            return _problem(500, "the service met an error it did not expect; nothing was saved")
        return _page_without_database(request, "Sorry, there is a problem with the service", (
            "Nothing you sent has been saved. Try again later.\n"
            "If it keeps happening, tell the person who runs this service."), 500)

    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(sqlite3.Error, database_error)


def _unavailable(request: Request, exc: UnavailableError) -> Response:
    """503 with Retry-After: the database (or a folder) cannot be used now; nothing was saved.

    The operator reads what happened in the log (the database's path or server, the folder); the
    person at the browser is told that nothing was saved and to try again, without the details.
    """
    log.error("%s %s: %s", request.method, request.url.path, exc)
    retry = {"retry-after": str(exc.retry_after)}
    what = ("cannot use its database" if isinstance(exc, DatabaseUnavailableError)
            else "cannot save the files it keeps")
    if _is_api(request):
        response = _problem(503, f"the service {what} just now, so nothing was saved; "
                                 f"try again in {exc.retry_after} seconds")
        response.headers.update(retry)
        return response
    saved = ("nothing you sent has been saved" if request.method not in ("GET", "HEAD")
             else "this page cannot be shown")
    return _page_without_database(request, "Sorry, the service is unavailable", (
        f"The service {what} just now, so {saved}.\n"
        "Try again in a few minutes. If it keeps happening, tell the person who runs this "
        "service."), 503, retry)


def _page_without_database(request: Request, title: str, message: str, status: int,
                           headers: dict[str, str] | None = None) -> Response:
    """An error page that asks nothing more of the database (it may be what failed)."""
    if not hasattr(request.state, "principal"):
        request.state.principal = None  # looking the session up would need the database
    request.state.flash = None
    return render(request, "error.html", {"title": title, "message": message},
                  status_code=status, headers=headers)


def _engine_problem(request: Request, status: int, exc: TransferEngineError,
                    **extra: Any) -> Response:
    """An engine error no page handled itself: its fields as JSON for the API (with what to do
    next, if anything), an error page otherwise."""
    if _is_api(request):
        if exc.next_step is not None:
            extra["next_step"] = exc.next_step.as_json()
        return _problem(status, str(exc), **extra)
    return render(request, "error.html", {"title": "Sorry, that could not be done",
                                          "message": wording.describe(exc)}, status_code=status)


def _not_found(request: Request, detail: str | None = None) -> Response:
    if _is_api(request):
        return _problem(404, detail or "not found, or not yours to see")
    return render(request, "error.html", {
        "title": "Page not found",
        "message": "If you typed the web address, check it is correct. If you followed a link "
                   "to a transfer, you may not be assigned to it: ask an HR administrator."},
        status_code=404)
