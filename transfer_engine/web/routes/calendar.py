"""The deadline calendar feed (ICS). Outlook subscribes to a URL and cannot sign in, so the URL
carries a secret of its own, made on the "Your account" page; it shows the transfers its owner
may see, and stops working when a new link is made or the owner is deactivated."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from transfer_engine.rules.timeline import entries
from transfer_engine.store.accounts import Role
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, steps_of
from transfer_engine.web.auth import Principal, user_for_calendar_token
from transfer_engine.web.deps import engine_of, settings_of
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.ics import FeedItem, calendar
from transfer_engine.web.views import visible_transfers

router = APIRouter()


@router.get("/calendar/{token}.ics")
def feed(request: Request, token: str) -> Response:
    today = settings_of(request).today()
    base = str(request.base_url).rstrip("/")
    with read_session(engine_of(request)) as session:
        user = user_for_calendar_token(session, token)
        if user is None or user.role == Role.union_rep:
            raise PageNotFound()
        principal = Principal.of(user)
        # A closed or cancelled transfer owes nothing more: its deadlines leave the feed (their
        # events disappear from subscribed calendars at the next refresh).
        items = [FeedItem(transfer_id=t.id or 0, ref=t.ref, title=t.title, version=t.version,
                          updated_at=t.updated_at, url=f"{base}/transfers/{t.id}",
                          entries=entries(list(steps_of(session, t).values()), today))
                 for t in visible_transfers(session, principal)
                 if not definition_of(t, session).states[t.state].final]
    return Response(calendar(items, name=f"TUPE deadlines ({principal.display_name})"),
                    media_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": content_disposition("tupe-deadlines.ics",
                                                                         inline=True)})
