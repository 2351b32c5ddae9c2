"""Changes waiting on their check page: kept on the server between "check" and "confirm".

A staff list is uploaded once: the check page and the confirmation read the same bytes from
here, never a second upload. A key date's new value and its reason wait here too, so that the
check page can be refreshed or reopened. Each is kept under a random token, for the person who
made it and the transfer it is for (anyone else asking gets nothing), for
:data:`KEPT_FOR`; the confirmation, or a newer change of the same kind, discards it.

Files are named by the SHA-256 of the token (the folder's listing gives no way in) and are
readable by this process's user only: an uploaded staff list is personal data.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from transfer_engine.web.auth import digest

KEPT_FOR = timedelta(hours=1)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Staged:
    token: str
    kind: str
    user_id: int
    transfer_id: int
    meta: dict[str, Any]
    data: bytes


def _paths(folder: Path, token: str) -> tuple[Path, Path]:
    name = digest(token)
    return folder / f"{name}.json", folder / f"{name}.bin"


def stage(folder: Path, *, kind: str, user_id: int, transfer_id: int,
          meta: dict[str, Any], data: bytes = b"") -> str:
    """Keep a change for its check page; returns the token that finds it again."""
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder)
    token = secrets.token_urlsafe(24)
    about, body = _paths(folder, token)
    _write(body, data)
    # Written last: a change is there once its description is.
    _write(about, json.dumps({"kind": kind, "user_id": user_id, "transfer_id": transfer_id,
                              "created": time.time(), "meta": meta}).encode())
    return token


def _write(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    partial.replace(path)


def load(folder: Path, token: str, *, kind: str, user_id: int,
         transfer_id: int) -> Staged | None:
    """The change kept under ``token`` for this person and transfer; None if there is none
    (never made, confirmed already, expired, or someone else's)."""
    if not token or len(token) > 64 or not set(token) <= _TOKEN_CHARS:
        return None
    about, body = _paths(folder, token)
    try:
        described = json.loads(about.read_bytes())
        data = body.read_bytes()
    except (OSError, ValueError):
        return None
    if (described.get("kind") != kind or described.get("user_id") != user_id
            or described.get("transfer_id") != transfer_id):
        return None
    if time.time() - float(described.get("created", 0)) > KEPT_FOR.total_seconds():
        discard(folder, token)
        return None
    return Staged(token, kind, user_id, transfer_id, dict(described.get("meta") or {}), data)


def discard(folder: Path, token: str) -> None:
    for path in _paths(folder, token):
        path.unlink(missing_ok=True)


def sweep(folder: Path) -> None:
    """Remove what has waited longer than :data:`KEPT_FOR` (and half-written leftovers)."""
    limit = time.time() - KEPT_FOR.total_seconds()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
        except OSError:
            continue  # removed meanwhile by another process
