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

from transfer_engine.errors import ValidationError
from transfer_engine.store.accounts import ApiToken, Role, UnionRepLink, User, WebSession
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import (
    ROLE_LABELS,
    assign,
    assignments_of,
    create_user,
    link_union,
    links_of,
    set_password,
    unassign,
)
from transfer_engine.web.deps import Administrator, engine_of, flash
from transfer_engine.web.errors import PageNotFound
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
    return render(request, "admin_user_new.html", {"labels": ROLE_LABELS})


@router.post("/admin/users/new")
def new_user(request: Request, principal: Administrator,
             username: Annotated[str, Form()] = "", display_name: Annotated[str, Form()] = "",
             role: Annotated[str, Form()] = "") -> Response:
    errors: dict[str, str] = {}
    if not display_name.strip():
        errors["display_name"] = "Enter the person's name"
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
    if errors:
        return render(request, "admin_user_new.html", {
            "labels": ROLE_LABELS, "errors": errors,
            "values": {"username": username, "display_name": display_name, "role": role}},
            status_code=422)
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
    return _user_page(request, user_id)


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
        return _user_page(request, user_id, status_code=422,
                          errors={"transfer_id": str(exc).capitalize()})
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
        return _user_page(request, user_id, status_code=422,
                          errors={"union": str(exc).capitalize()}, values={"union": union})
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
    if user_id == principal.id:
        return _user_page(request, user_id, status_code=422,
                          errors={"_self": "You cannot deactivate your own account"})
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        user.active = active == "yes"
        session.add(user)
        if not user.active:  # signed out at once, everywhere
            session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
        audit(session, None, principal.actor,
              "user-activated" if user.active else "user-deactivated",
              data={"user": user.username})
    flash(request, "Account reactivated." if active == "yes" else
          "Account deactivated: they are signed out and their API tokens stop working.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, principal: Administrator, user_id: int) -> Response:
    password = generated_password()
    with write_session(engine_of(request)) as session:
        user = _load(session, user_id)
        set_password(session, user, password, actor=principal.actor)
    return _user_page(request, user_id, new_password=password)
