"""Transfers addressed by their reference: ``/transfers/ld-to-nct`` as well as ``/transfers/7``.

People quote a transfer's reference, not the database's number for it, so every address that
takes a transfer's id (pages, ``/admin/transfers/...`` and the API) also takes its reference.
A programme's transfers have references with a slash (``acsws-to-schools/school-05``); in an
address the slash is written ``~`` (``/transfers/acsws-to-schools~school-05/steps/eli``), a
character references cannot hold, so an address has one reading. A reference made only of
digits would read as an id: such a transfer's links use its id (:func:`transfer_path`).

:class:`TransferAddresses` turns the reference into the id before routing, so the routes, their
access checks (a transfer one may not see is "not found", audited) and the id checks of
:mod:`transfer_engine.web.ids` are the same for both. An unknown reference becomes id 0, which
no row has (ids start at 1): the route answers its ordinary "not found". The path as typed is
kept (:func:`typed_path`): someone not signed in is sent to sign in with it as where to go
next, so the answer says nothing of whether the reference exists, nor of its id.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import anyio.to_thread
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.types import ASGIApp, Receive, Scope, Send

from transfer_engine.store.transfers import Transfer

__all__ = ["TransferAddresses", "address_of", "ref_of_address", "transfer_path", "typed_path"]

# The part of a path that names a transfer: after /transfers/, /admin/transfers/ or
# /api/v1/transfers/. A reference is lower-case letters, digits, '-' and '/' (written '~').
_PATH = re.compile(r"^(/(?:api/v1/|admin/)?transfers/)([a-z0-9][a-z0-9~\-]{1,79})(/.*)?$")
_BY_REF = select(col(Transfer.id)).where(col(Transfer.ref) == bindparam("ref"))
#: What an unknown reference is read as: an id no transfer has.
NO_TRANSFER = 0
#: The request's key for the path as it was typed, before the reference became an id.
_TYPED_PATH = "transfer_engine.typed_path"


class _Named(Protocol):
    id: int | None
    ref: str


def address_of(ref: str, transfer_id: int | None) -> str:
    """The path segment naming a transfer: its reference (``/`` written ``~``), or its id
    when the reference would read as one."""
    if ref.isdigit() or (transfer_id is None and not ref):
        return str(transfer_id)
    return ref.replace("/", "~")


def transfer_path(transfer: _Named | Any) -> str:
    """``/transfers/ld-to-nct``: a transfer's page (anything with ``id`` and ``ref``)."""
    return f"/transfers/{address_of(transfer.ref, transfer.id)}"


def ref_of_address(segment: str) -> str:
    return segment.replace("~", "/")


def typed_path(scope: Scope) -> str:
    """The request's path as it was typed (``/transfers/ld-to-nct``, not ``/transfers/7``)."""
    return str(scope.get(_TYPED_PATH) or scope.get("path", ""))


class TransferAddresses:
    """ASGI middleware: a reference in a transfer's address becomes its id before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _PATH.match(scope.get("path", ""))
            if found and not found[2].isdigit():
                engine: Engine = scope["app"].state.engine
                transfer_id = await anyio.to_thread.run_sync(_lookup, engine,
                                                             ref_of_address(found[2]))
                path = f"{found[1]}{transfer_id}{found[3] or ''}"
                # The raw path keeps the rest of the address as the browser sent it.
                raw = scope.get("raw_path") or scope["path"].encode()
                before = f"{found[1]}{found[2]}".encode("ascii")
                scope = dict(scope, path=path, raw_path=raw.replace(
                    before, f"{found[1]}{transfer_id}".encode("ascii"), 1),
                    **{_TYPED_PATH: scope["path"]})
        await self.app(scope, receive, send)


def _lookup(engine: Engine, ref: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(_BY_REF, {"ref": ref}).scalar_one_or_none()
    return found if found is not None else NO_TRANSFER
