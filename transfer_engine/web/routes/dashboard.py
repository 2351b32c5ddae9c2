"""The dashboard: every transfer this person may see, what is due, what is late, what it costs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.store.accounts import Role
from transfer_engine.store.database import read_session
from transfer_engine.web.deps import SignedIn, engine_of, hr_staff, settings_of
from transfer_engine.web.rendering import render_cached
from transfer_engine.web.views import dashboard, dashboard_key

router = APIRouter()


@router.get("/")
def home(request: Request, principal: SignedIn, page: int = 1) -> Response:
    if principal.role == Role.union_rep:
        return RedirectResponse("/portal", status_code=303)
    hr_staff(request, principal)
    today = settings_of(request).today()
    with read_session(engine_of(request)) as session:
        key = dashboard_key(session, principal, today)

    def context() -> dict[str, Any]:
        with read_session(engine_of(request)) as session:
            board = dashboard(session, principal, today)
        number = min(max(page, 1), board.pages())
        return {"board": board, "page": number, "rows": board.page(number)}

    return render_cached(request, "dashboard.html", (key, page), context)
