"""API authentication: a bearer token stands for its user, with that user's role and scope.

The API never reads the session cookie, so a page on another site cannot make a browser call
it (no CSRF exposure); a client must hold a token. Refusals are audited like the pages' are.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from transfer_engine.store.accounts import Role
from transfer_engine.store.database import write_session
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import Principal, user_for_api_token
from transfer_engine.web.deps import deny, engine_of, find_transfer, require_edit
from transfer_engine.web.errors import NotSignedIn

bearer = HTTPBearer(auto_error=False, description="An API token from the 'Your account' page.")


def api_user(request: Request,
             credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
             ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotSignedIn()
    with write_session(engine_of(request)) as session:
        user = user_for_api_token(session, credentials.credentials)
        principal = Principal.of(user) if user is not None else None
    if principal is None:
        raise NotSignedIn()
    request.state.principal = principal
    return principal


ApiUser = Annotated[Principal, Depends(api_user)]


def api_hr(request: Request, principal: ApiUser) -> Principal:
    if principal.role == Role.union_rep:
        raise deny(request, principal, "union representatives may use only the notices API")
    return principal


def api_personal(request: Request, principal: Annotated[Principal, Depends(api_hr)]) -> Principal:
    if not principal.personal_data:
        raise deny(request, principal, "your role does not include employees' personal data")
    return principal


def api_union(request: Request, principal: ApiUser) -> Principal:
    if principal.role != Role.union_rep:
        raise deny(request, principal, "the notices API is for union representatives; HR "
                                       "staff see notices through the transfers API")
    return principal


ApiHr = Annotated[Principal, Depends(api_hr)]
ApiPersonal = Annotated[Principal, Depends(api_personal)]
ApiUnion = Annotated[Principal, Depends(api_union)]


def api_transfer(request: Request, transfer_id: int, principal: ApiHr) -> Transfer:
    return find_transfer(request, principal, transfer_id)


def api_editable(request: Request, transfer_id: int, principal: ApiHr) -> Transfer:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    return transfer


ApiTransfer = Annotated[Transfer, Depends(api_transfer)]
ApiEditable = Annotated[Transfer, Depends(api_editable)]
