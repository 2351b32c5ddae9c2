"""Managing users (HR administrators only): roles, assignments to transfers, union links.

A new user's first password, and any reset one, is generated and shown once to the
administrator, who passes it on; the user should then change it on "Your account".
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete
from sqlmodel import col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import ValidationError
from transfer_engine.store.accounts import (
    ApiToken,
    CalendarFeedToken,
    Role,
    UnionRepLink,
    User,
    WebSession,
)
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import (
    ROLE_LABELS,
    assign,
    assignments_of,
    check_display_name,
    check_username,
    create_user,
    link_union,
    links_of,
    set_password,
    unassign,
)
from transfer_engine.web.deps import Administrator, engine_of, flash, kept_form
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.flash import KeptForm
from transfer_engine.web.rendering import render

router = APIRouter()


def generated_password() -> str:
    """16 random characters: strong, and short enough to read out or type once."""
    return secrets.token_urlsafe(12)


@router.get("/admin/users")
def users(request: Request, principal: Administrator) -> Response:
    with read_session(engine_of(request)) as session:
        rows = session.exec(select(User).order_by(User.role, User.username)).all()
    return render(request, "admin_users.html", {"users": rows, "labels": ROLE_LABELS})


@router.get("/admin/users/new")
def new_user_form(request: Request, principal: Administrator) -> Response:
    kept = kept_form(request, "/admin/users/new")
    return render(request, "admin_user_new.html", {
        "labels": ROLE_LABELS, "errors": kept.errors if kept else {},
        "values": kept.values if kept else {}})


@router.post("/admin/users/new")
def new_user(request: Request, principal: Administrator,
             username: Annotated[str, Form()] = "", display_name: Annotated[str, Form()] = "",
             role: Annotated[str, Form()] = "") -> Response:
    # Every box checked at once, so that the form comes back with all its errors together.
    errors: dict[str, str] = {}
    for box, value, check in (("username", username, check_username),
                              ("display_name", display_name, check_display_name)):
        try:
            check(value)
        except ValidationError as exc:
            errors[box] = str(exc)[:1].upper() + str(exc)[1:]
    if role not in {r.value for r in Role}:
        errors["role"] = "Select a role"
    password = generated_password()
    if not errors:
        try:
            with write_session(engine_of(request)) as session:
                user = create_user(session, username=username, display_name=display_name,
                                   role=role, password=password, actor=principal.actor)
                user_id = user.id
        except ValidationError as exc:
            errors["username"] = str(exc).capitalize()
    if errors:  # post/redirect/get: the form comes back filled in, with its errors
        flash(request, "", form=KeptForm("/admin/users/new", errors=errors, values={
            "username": username, "display_name": display_name, "role": role}))
        return RedirectResponse("/admin/users/new", status_code=303)
    assert user_id is not None  # given when create_user saved the account
    return _user_page(request, user_id, new_password=password, created=True)


def _user_page(request: Request, user_id: int, status_code: int = 200,
               **extra: Any) -> Response:
    with read_session(engine_of(request)) as session:
        user = session.get(User, user_id)
        if user is None:
            raise PageNotFound()
        assigned = assignments_of(session, user)
        links = links_of(session, user)
        tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(col(ApiToken.id).desc())).all()
        organisations = session.exec(select(Organisation).order_by(Organisation.name)).all()
        transfers = session.exec(select(Transfer).where(col(Transfer.parent_id).is_(None))
                                 .order_by(Transfer.ref)).all()
    names = {o.id: o.name for o in organisations}
    return render(request, "admin_user.html", {
        "user": user, "assigned": assigned, "links": links, "tokens": tokens,
        "organisations": organisations,
        "organisation_names": names, "transfers": transfers, "labels": ROLE_LABELS, **extra},
        status_code=status_code)


@router.get("/admin/users/{user_id}")
def user_page(request: Request, principal: Administrator, user_id: int) -> Response:
    kept = kept_form(request, f"/admin/users/{user_id}")
    if kept is not None:
        return _user_page(request, user_id, errors=kept.errors, values=kept.values)
    return _user_page(request, user_id)


def _refused(request: Request, user_id: int, errors: dict[str, str],
             values: dict[str, Any] | None = None) -> Response:
    """Back to the user's page, the refused form with its error (post/redirect/get)."""
    flash(request, "", form=KeptForm(f"/admin/users/{user_id}", errors=errors,
                                     values=values or {}))
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


def _load(session: Any, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise PageNotFound()
    return user


@router.post("/admin/users/{user_id}/assignments")
def add_assignment(request: Request, principal: Administrator, user_id: int,
                   transfer_id: Annotated[int, Form()]) -> Response:
    try:
        with write_session(engine_of(request)) as session:
            user = _load(session, user_id)
            transfer = session.get(Transfer, transfer_id)
            if transfer is None:
                raise PageNotFound()
            assign(session, user, transfer, actor=principal.actor)
    except ValidationError as exc:
        return _refused(request, user_id, errors={"transfer_id": str(exc).capitalize()})
    flash(request, f"Assigned to {transfer.ref}.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/assignments/{transfer_id}/remove")
def remove_assignment(request: Request, principal: Administrator, user_id: int,
                      transfer_id: int) -> Response:
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        transfer = session.get(Transfer, transfer_id)
        if transfer is not None:
            unassign(session, user, transfer, actor=principal.actor)
    flash(request, "Assignment removed.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/unions")
def add_union(request: Request, principal: Administrator, user_id: int,
              union: Annotated[str, Form()] = "",
              organisation_id: Annotated[int, Form()] = 0) -> Response:
    try:
        with write_session(engine_of(request)) as session:
            user = _load(session, user_id)
            organisation = session.get(Organisation, organisation_id)
            if organisation is None:
                raise ValidationError("select the employer whose staff the union represents")
            link_union(session, user, union, organisation, actor=principal.actor)
    except ValidationError as exc:
        return _refused(request, user_id, errors={"union": str(exc).capitalize()},
                        values={"union": union})
    flash(request, f"Linked to {union.strip()} at {organisation.name}.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/unions/{link_id}/remove")
def remove_union(request: Request, principal: Administrator, user_id: int,
                 link_id: int) -> Response:
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        link = session.get(UnionRepLink, link_id)
        if link is not None and link.user_id == user.id:
            session.delete(link)
            audit(session, None, principal.actor, "union-link-removed",
                  data={"user": user.username, "union": link.union})
    flash(request, "Union link removed.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, principal: Administrator, user_id: int,
               active: Annotated[str, Form()]) -> Response:
    if active != "yes":  # deactivating is confirmed on its own page first
        return RedirectResponse(f"/admin/users/{user_id}/deactivate", status_code=303)
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        user.active = True
        session.add(user)
        audit(session, None, principal.actor, "user-activated", data={"user": user.username})
    flash(request, "Account reactivated.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.get("/admin/users/{user_id}/deactivate")
def deactivate_page(request: Request, principal: Administrator, user_id: int) -> Response:
    """Deactivating an account, confirmed on a page naming the person and what they lose."""
    if user_id == principal.id:
        flash(request, "You cannot deactivate your own account. Ask another HR administrator.",
              kind="warning")
        return RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    with read_session(engine_of(request)) as session:
        user = _load(session, user_id)
        losses = what_they_lose(session, user)
    return render(request, "admin_user_deactivate.html", {
        "user": user, "labels": ROLE_LABELS, "losses": losses})


@router.post("/admin/users/{user_id}/deactivate")
def deactivate(request: Request, principal: Administrator, user_id: int) -> Response:
    if user_id == principal.id:
        flash(request, "You cannot deactivate your own account. Ask another HR administrator.",
              kind="warning")
        return RedirectResponse(f"/admin/users/{user_id}", status_code=303)
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        name = user.display_name
        user.active = False
        session.add(user)
        # Signed out at once, everywhere; their tokens are refused while inactive.
        session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
        audit(session, None, principal.actor, "user-deactivated", data={"user": user.username})
    flash(request, f"{name}'s account is deactivated: they are signed out, and their API "
                   "tokens and calendar feed stop working.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


def what_they_lose(session: Any, user: User) -> list[str]:
    """What deactivating ``user`` takes away, in words, for the confirmation page."""
    now = utcnow()
    sessions = len(session.exec(select(WebSession.id).where(
        WebSession.user_id == user.id, col(WebSession.expires_at) > now)).all())
    tokens = len(session.exec(select(ApiToken.id).where(
        ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))).all())
    feeds = len(session.exec(select(CalendarFeedToken.id).where(
        CalendarFeedToken.user_id == user.id, col(CalendarFeedToken.revoked_at).is_(None))).all())
    losses = ["They can no longer sign in."]
    if sessions:
        losses.append(f"They are signed out now ({sessions} signed-in "
                      f"session{'s' if sessions != 1 else ''}).")
    if tokens:
        losses.append(f"Their {tokens} API token{'s' if tokens != 1 else ''} stop"
                      f"{'s' if tokens == 1 else ''} working.")
    if feeds:
        losses.append("Their calendar feed of deadlines stops updating.")
    if user.role == Role.hr_officer:
        assigned = assignments_of(session, user)
        if assigned:
            losses.append("They lose access to the transfers assigned to them: "
                          + ", ".join(t.title for t in assigned) + ".")
    elif user.role == Role.union_rep:
        if links_of(session, user):
            losses.append("They no longer see the notices sent to their union in the portal.")
    elif user.role == Role.hr_admin:
        losses.append("They can no longer manage users or see every transfer.")
    losses.append("Their assignments and what they did stay recorded: reactivating the account "
                  "gives them back.")
    return losses


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, principal: Administrator, user_id: int) -> Response:
    password = generated_password()
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        set_password(session, user, password, actor=principal.actor)
    return _user_page(request, user_id, new_password=password)
