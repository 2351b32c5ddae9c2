"""Tables of the web app's accounts: users, assignments, union links, sessions, tokens, sign-ins."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow

# ---------------------------------------------------------------------------------------------
# Web app: people who sign in, what they may see, and the evidence they leave
# (see transfer_engine.web). Secrets are never stored: passwords as argon2id hashes, session,
# API and calendar tokens as SHA-256 hashes of random values (a leaked database gives no way in).


class Role(enum.StrEnum):
    """What a signed-in person may do (enforced in transfer_engine.web.auth)."""

    hr_admin = "hr_admin"        # everything, on every transfer, and managing users
    hr_officer = "hr_officer"    # the transfers they are assigned to
    viewer = "viewer"            # read only, every transfer, never personal data
    union_rep = "union_rep"      # the representatives' portal only


class User(SQLModel, table=True):
    """Someone who signs in to the web app or uses its API."""

    id: int | None = Field(default=None, primary_key=True)
    # Case-folded on the way in, so "Jo@Example.org" and "jo@example.org" are one account.
    username: str = Field(index=True, unique=True)
    display_name: str
    role: Role
    password_hash: str
    active: bool = True
    # Created by `serve --demo`: sample accounts whose passwords are reset on every demo start.
    demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class TransferAssignment(SQLModel, table=True):
    """An HR officer works on this transfer (and on its child transfers, for a programme)."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", primary_key=True)
    assigned_at: datetime = Field(default_factory=utcnow)
    assigned_by: str


class UnionRepLink(SQLModel, table=True):
    """A union representative user speaks for one union at one employer.

    They see a transfer's notices only where that union is recorded as a recognised
    representative of that employer's staff on the transfer (reg 13(3)(a)).
    """

    __table_args__ = (UniqueConstraint("user_id", "union", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    union: str
    organisation_id: int = Field(foreign_key="organisation.id")


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is kept here."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # A one-off message for the next page (post/redirect/get), e.g. "Step marked as done".
    flash: str | None = None


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API, acting with its user's role and assignments."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str
    token_hash: str = Field(index=True, unique=True)
    # The first characters of the token, so that a user can tell their tokens apart.
    prefix: str
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class CalendarFeedToken(SQLModel, table=True):
    """The secret in a calendar subscription URL (Outlook cannot send a password)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Each sign-in attempt, kept to slow down password guessing (see web.security)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True)
    ip: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    succeeded: bool = False
