"""The audit log: one transfer's history, and (for administrators) everything: filtered by who,
by kind of action and by a range of days (and, in the whole log, by transfer), a page at a
time, in plain English and UK time (transfer_engine.views.history)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from transfer_engine.store.database import read_session
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.history import HistoryFilter, history
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import Administrator, HrStaff, VisibleTransfer, engine_of
from transfer_engine.web.forms import parse_date_fields, whole_number
from transfer_engine.web.rendering import render

router = APIRouter()


def _filter(request: Request, transfer_id: int | None) -> tuple[HistoryFilter, dict[str, str],
                                                                 dict[str, dict[str, str]]]:
    """The filter a history page's query asks for, the errors in it, and the form's values."""
    query = request.query_params
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    values: dict[str, dict[str, str]] = {}
    for name, what in (("from", "the first day"), ("to", "the last day")):
        parts = {part: query.get(f"{name}-{part}", "")[:10] for part in ("day", "month", "year")}
        values[name] = parts
        days[name], error = parse_date_fields(parts["day"], parts["month"], parts["year"], what)
        if error:
            errors[name] = error
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = "The last day must be the same as or after the first day"
    wanted_transfer = transfer_id
    if transfer_id is None:
        wanted_transfer = whole_number(query.get("transfer"), max_digits=18)
    wanted = HistoryFilter(transfer_id=wanted_transfer, actor=query.get("who") or None,
                           action=query.get("action") or None,
                           since=None if errors else days["from"],
                           until=None if errors else days["to"])
    return wanted, errors, values


def _page_number(request: Request) -> int:
    return whole_number(request.query_params.get("page")) or 1


def _links(request: Request, pages: int) -> dict[int, str]:
    """The address of each page, keeping the filters."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return {n: f"{request.url.path}?{urlencode([*kept, ('page', str(n))])}"
            for n in range(1, pages + 1)}


def _render(request: Request, template: str, principal: Principal,
            transfer: Transfer | None, context: dict[str, Any]) -> Response:
    wanted, errors, values = _filter(request, transfer.id if transfer else None)
    with read_session(engine_of(request)) as session:
        found = history(session, wanted, page=_page_number(request),
                        personal=principal.personal_data,
                        transfer_choices=transfer is None)  # the whole log's filter
    return render(request, template, {
        **context, "history": found, "wanted": wanted, "errors": errors, "dates": values,
        "links": _links(request, found.pages)}, status_code=400 if errors else 200)


@router.get("/transfers/{transfer_id}/history")
def transfer_history(request: Request, transfer: VisibleTransfer,
                     principal: HrStaff) -> Response:
    return _render(request, "history.html", principal, transfer,
                   {"t": transfer, "section": "history"})


@router.get("/admin/audit")
def audit_log(request: Request, principal: Administrator, page: int = 1) -> Response:
    # ``page`` is declared so that a number too large for the database is refused first
    # (ids.within_range); the page itself reads it with the filters.
    return _render(request, "audit.html", principal, None, {})
