"""FastAPI dependencies: the signed-in person, their role, and the transfer they asked for.

Every route names the narrowest dependency it needs (``hr_staff``, ``personal_data``,
``administrator``, ``union_rep``) and fetches transfers through :func:`visible_transfer` or
:func:`editable_transfer`, so the access rules in :mod:`transfer_engine.web.auth` are applied
the same way everywhere. Refusals are audited: who, what, and from which page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.accounts import Role, User, WebSession
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import cookies
from transfer_engine.web.auth import Principal, can_edit, can_see, digest, session_status
from transfer_engine.web.errors import Forbidden, NotSignedIn, PageNotFound
from transfer_engine.web.flash import Envelope, Flash, KeptForm, Kind, decode
from transfer_engine.web.settings import WebSettings


def settings_of(request: Request) -> WebSettings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def session_token(request: Request) -> str | None:
    return cookies.read(request, cookies.session_cookie(settings_of(request)))


# Every page asks who is signed in: one query, built once.
_SESSION_AND_USER = (
    select(col(WebSession.id), col(WebSession.last_seen_at), col(WebSession.expires_at),
           col(WebSession.flash), col(WebSession.user_id), col(User.username),
           col(User.display_name), col(User.role), col(User.active))
    .join(User, col(User.id) == WebSession.user_id)
    .where(col(WebSession.token_hash) == bindparam("token_hash"))
)


def principal_or_none(request: Request) -> Principal | None:
    """The signed-in person, looked up once per request."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal = None
    token = session_token(request)
    if token:
        with engine_of(request).connect() as connection:
            row = connection.execute(_SESSION_AND_USER, {"token_hash": digest(token)}).first()
        status = session_status(row, idle=settings_of(request).session_idle) if row else None
        if row is not None and status != "fresh":
            with write_session(engine_of(request)) as session:
                query = update(WebSession).where(WebSession.id == row.id)
                if status == "expired":
                    session.execute(delete(WebSession).where(WebSession.id == row.id))
                else:
                    session.execute(query.values(last_seen_at=utcnow()))
        if row is not None and status != "expired" and row.active:
            principal = Principal(row.user_id, row.username, row.display_name, row.role)
            request.state.flash = row.flash
    request.state.principal = principal
    return principal


def signed_in(request: Request) -> Principal:
    principal = principal_or_none(request)
    if principal is None:
        raise NotSignedIn()
    return principal


def deny(request: Request, principal: Principal, message: str,
         transfer: Transfer | None = None) -> Forbidden:
    """Record a refused request in the audit log and return the error to raise."""
    with write_session(engine_of(request)) as session:
        audit(session, transfer, principal.actor, "access-denied", data={
            "path": request.url.path, "method": request.method, "role": principal.role.value})
    return Forbidden(message)


def hr_staff(request: Request, principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    """HR pages: union representatives have their own portal and are refused (403)."""
    if principal.role == Role.union_rep:
        raise deny(request, principal, "This page is for HR staff. Union representatives "
                                       "can see the notices sent to their union in the portal.")
    return principal


def personal_data(request: Request,
                  principal: Annotated[Principal, Depends(hr_staff)]) -> Principal:
    """Employees, the ELI and letters name people: HR officers and administrators only."""
    if not principal.personal_data:
        raise deny(request, principal, "This page shows employees' personal data, which your "
                                       "role (read only) does not include.")
    return principal


def administrator(request: Request,
                  principal: Annotated[Principal, Depends(hr_staff)]) -> Principal:
    if principal.role != Role.hr_admin:
        raise deny(request, principal, "Only HR administrators can use this page (users, "
                                       "the audit log and workflow versions).")
    return principal


def union_rep(request: Request, principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    if principal.role != Role.union_rep:
        raise deny(request, principal, "The representatives' portal is for union "
                                       "representatives; HR staff see notices on each "
                                       "transfer's Letters page.")
    return principal


def find_transfer(request: Request, principal: Principal, transfer_id: int) -> Transfer:
    """The transfer with this id if this person may see it; otherwise 404, audited."""
    with read_session(engine_of(request)) as session:
        transfer = session.get(Transfer, transfer_id)
        visible = transfer is not None and can_see(session, principal, transfer)
    if transfer is not None and not visible:
        deny(request, principal, "not assigned to this transfer", transfer)
    if transfer is None or not visible:
        raise PageNotFound()
    return transfer


def visible_transfer(request: Request, transfer_id: int,
                     principal: Annotated[Principal, Depends(hr_staff)]) -> Transfer:
    return find_transfer(request, principal, transfer_id)


def require_edit(request: Request, principal: Principal, transfer: Transfer) -> None:
    with read_session(engine_of(request)) as session:
        allowed = can_edit(session, principal, transfer)
    if not allowed:
        raise deny(request, principal, "Your role can look at this transfer but not change it.",
                   transfer)


def editable_transfer(request: Request, transfer_id: int,
                      principal: Annotated[Principal, Depends(hr_staff)]) -> Transfer:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    return transfer


def flash(request: Request, message: str, *, kind: Kind = "success",
          items: Sequence[str] = (), form: KeptForm | None = None) -> None:
    """Show ``message`` once, on the next page this browser loads (post/redirect/get).

    ``kind="warning"`` for bad news (what could not be done, and what to do): it is never shown
    as a success. ``form``: a refused form, shown again filled in (see :mod:`.flash`).
    """
    keep(request, Envelope(Flash(message, kind, tuple(items)) if message else None, form))


def keep(request: Request, envelope: Envelope) -> None:
    """Keep ``envelope`` with this browser's session for its next page."""
    token = session_token(request)
    if token:
        with write_session(engine_of(request)) as session:
            session.execute(update(WebSession).where(col(WebSession.token_hash) == digest(token))
                            .values(flash=envelope.encode()))


def kept_form(request: Request, key: str) -> KeptForm | None:
    """The refused form ``key`` the last POST left for this page, if any (shown once)."""
    form = decode(getattr(request.state, "flash", None)).form
    return form if form is not None and form.key == key else None


def take_flash(request: Request) -> Flash | None:
    raw = getattr(request.state, "flash", None)
    if raw:
        request.state.flash = None
        token = session_token(request)
        if token:
            with write_session(engine_of(request)) as session:
                session.execute(update(WebSession)
                                .where(col(WebSession.token_hash) == digest(token))
                                .values(flash=None, last_seen_at=utcnow()))
    return decode(raw).flash if raw else None


HrStaff = Annotated[Principal, Depends(hr_staff)]
PersonalData = Annotated[Principal, Depends(personal_data)]
Administrator = Annotated[Principal, Depends(administrator)]
UnionRep = Annotated[Principal, Depends(union_rep)]
SignedIn = Annotated[Principal, Depends(signed_in)]
VisibleTransfer = Annotated[Transfer, Depends(visible_transfer)]
EditableTransfer = Annotated[Transfer, Depends(editable_transfer)]
