"""Who is signed in and what they may see: passwords, sessions, tokens and access rules.

* Passwords are hashed with argon2id (memory-hard, so a stolen hash is expensive to guess at);
  an unknown username still costs one hash, so response times do not reveal who has an account.
* Sessions, API tokens and calendar tokens are random values of 256 bits. The browser (or the
  API client, or Outlook) holds the value; the database holds only its SHA-256, so a copy of the
  database cannot be replayed.
* Access is decided here and nowhere else: :func:`visible_transfer_ids`, :func:`can_edit`,
  :func:`sees_personal_data`. Routes call these; templates only hide what routes already refuse.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.engine.limits import NAME_MAX
from transfer_engine.engine.plain_text import plain_text
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.store.accounts import (
    ApiToken,
    CalendarFeedToken,
    Role,
    TransferAssignment,
    UnionRepLink,
    User,
    WebSession,
)
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import passwords

# argon2-cffi's defaults are the RFC 9106 "low memory" profile: argon2id, 64 MiB, 3 passes.
_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a miss takes as long as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{2,79}")
MIN_PASSWORD = passwords.MIN_LENGTH
ROLE_LABELS = {
    Role.hr_admin: "HR administrator",
    Role.hr_officer: "HR officer",
    Role.viewer: "Viewer (read only)",
    Role.union_rep: "Union representative",
}


# ---------------------------------------------------------------------------------------------
# Secrets


def new_secret() -> str:
    """A random value for a session, API or calendar token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored instead of a token: its SHA-256 (tokens are random, so no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for values written as UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Users and passwords


def normalise_username(username: str) -> str:
    return username.strip().casefold()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise ValidationError("username must be 3 to 80 characters: letters, digits and . _ @ + -"
                              " (an email address works)")
    return name


def check_display_name(display_name: str) -> str:
    """The person's name as the history, the portal and every page show it: required, one line
    of at most :data:`NAME_MAX` characters, with no control character and none of the
    invisible ones that reverse the direction of text (a name that reads backwards would make
    the audit log say someone else did it)."""
    text = display_name.strip()
    if not text:
        raise ValidationError("enter the person's name")
    if len(text) > NAME_MAX:
        raise ValidationError(f"the name must be {NAME_MAX} characters or fewer")
    try:
        return plain_text(text)
    except ValueError as exc:
        raise ValidationError(f"the name {exc}") from None


def check_password(password: str, username: str, names: Iterable[str] = ()) -> None:
    """Every password set anywhere (web, command line, demo) passes :mod:`.passwords`."""
    passwords.check_password(password, username=normalise_username(username), names=names)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Upgrades old hashes on the way."""
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def create_user(session: Session, *, username: str, display_name: str, role: Role | str,
                password: str, actor: str, demo: bool = False) -> User:
    name = check_username(username)
    if session.exec(select(User.id).where(User.username == name)).first() is not None:
        raise ValidationError(f"a user {name!r} already exists")
    display_name = check_display_name(display_name)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    check_password(password, name, [display_name])
    user = User(username=name, display_name=display_name, role=role,
                password_hash=hash_password(password), demo=demo)
    session.add(user)
    session.flush()
    audit(session, None, actor, "user-added",
          data={"user": name, "role": role.value, "demo": demo})
    return user


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """Change a password and sign the user out everywhere (old sessions may be someone else)."""
    check_password(password, user.username, [user.display_name])
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    audit(session, None, actor, "password-changed", data={"user": user.username})


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == normalise_username(username))).first()
    if user is None:
        raise NotFoundError(f"no user {username!r}; list them with `transfer-engine users list`")
    return user


# ---------------------------------------------------------------------------------------------
# Sessions


def start_session(session: Session, user: User, *, absolute: timedelta) -> str:
    """A new session for ``user``; returns the cookie value (the only copy of it)."""
    token = new_secret()
    assert user.id is not None  # read from the database
    session.add(WebSession(token_hash=digest(token), user_id=user.id,
                           expires_at=utcnow() + absolute))
    return token


class SessionTimes(Protocol):
    """A web session's times, from the model or from a row read with SQLAlchemy Core."""

    @property
    def last_seen_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...


def session_status(row: SessionTimes, *, idle: timedelta) -> str:
    """``expired`` (idle too long, or too old), ``stale`` (record the visit) or ``fresh``.

    The visit is recorded at most once a minute: writing on every request would queue every
    reader behind SQLite's single writer.
    """
    now = utcnow()
    last_seen = _as_utc(row.last_seen_at)
    if _as_utc(row.expires_at) <= now or last_seen + idle <= now:
        return "expired"
    return "stale" if now - last_seen > timedelta(minutes=1) else "fresh"


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == digest(token)))


# ---------------------------------------------------------------------------------------------
# API and calendar tokens


def issue_api_token(session: Session, user: User, name: str, *, actor: str) -> str:
    if not name.strip():
        raise ValidationError("give the token a name, e.g. the system that will use it")
    token = "te_" + new_secret()
    assert user.id is not None  # read from the database
    session.add(ApiToken(user_id=user.id, name=name.strip()[:80], token_hash=digest(token),
                         prefix=token[:9]))
    audit(session, None, actor, "api-token-issued", data={"user": user.username,
                                                          "name": name.strip()[:80]})
    return token


def user_for_api_token(session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                              col(ApiToken.revoked_at).is_(None))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or utcnow() - _as_utc(row.last_used_at) > timedelta(minutes=5):
        row.last_used_at = utcnow()
        session.add(row)
    return user


def issue_calendar_token(session: Session, user: User, *, actor: str) -> str:
    """A new calendar subscription secret; any earlier one stops working."""
    assert user.id is not None  # read from the database
    for old in session.exec(select(CalendarFeedToken).where(
            CalendarFeedToken.user_id == user.id,
            col(CalendarFeedToken.revoked_at).is_(None))).all():
        old.revoked_at = utcnow()
        session.add(old)
    token = new_secret()
    session.add(CalendarFeedToken(user_id=user.id, token_hash=digest(token)))
    audit(session, None, actor, "calendar-feed-issued", data={"user": user.username})
    return token


def user_for_calendar_token(session: Session, token: str) -> User | None:
    row = session.exec(select(CalendarFeedToken).where(
        CalendarFeedToken.token_hash == digest(token),
        col(CalendarFeedToken.revoked_at).is_(None))).first()
    user = session.get(User, row.user_id) if row else None
    return user if user is not None and user.active else None


# ---------------------------------------------------------------------------------------------
# Access rules


HR_ROLES = (Role.hr_admin, Role.hr_officer, Role.viewer)


def sees_personal_data(user: User | Principal) -> bool:
    """Employee names, pay and letters: HR staff only (viewers and union reps never)."""
    return user.role in (Role.hr_admin, Role.hr_officer)


def visible_transfer_ids(session: Session, user: User | Principal) -> set[int] | None:
    """The transfers ``user`` may look at; None means all of them.

    An HR officer sees the transfers they are assigned to and, for a programme, its child
    transfers. Viewers see every transfer (without personal data); union reps none (the
    portal has its own rule, :mod:`transfer_engine.views.portal`).
    """
    if user.role in (Role.hr_admin, Role.viewer):
        return None
    if user.role != Role.hr_officer:
        return set()
    assigned = set(session.exec(select(TransferAssignment.transfer_id)
                                .where(TransferAssignment.user_id == user.id)).all())
    if not assigned:
        return set()
    children = session.exec(select(Transfer.id).where(col(Transfer.parent_id).in_(assigned))).all()
    return assigned | {child for child in children if child is not None}


def can_see(session: Session, user: User | Principal, transfer: Transfer) -> bool:
    visible = visible_transfer_ids(session, user)
    return visible is None or transfer.id in visible


def editable_transfer_ids(session: Session, user: User | Principal) -> set[int] | None:
    """The transfers ``user`` may change; None means all of them (read once for a list)."""
    if user.role == Role.hr_admin:
        return None
    if user.role != Role.hr_officer:
        return set()
    visible = visible_transfer_ids(session, user)
    assert visible is not None  # an officer sees a list of transfers, never all
    return visible


def can_edit(session: Session, user: User | Principal, transfer: Transfer) -> bool:
    editable = editable_transfer_ids(session, user)
    return editable is None or transfer.id in editable


def can_cancel(user: User | Principal) -> bool:
    """Cancelling a transfer is final and stops every deadline: HR administrators only (an HR
    officer may do everything else on the transfers assigned to them)."""
    return user.role == Role.hr_admin


def assign(session: Session, user: User, transfer: Transfer, *, actor: str) -> None:
    if user.role != Role.hr_officer:
        raise ValidationError(f"{user.username} is a {ROLE_LABELS[user.role]}; only HR officers "
                              "are assigned to transfers (administrators see them all)")
    existing = session.get(TransferAssignment, (user.id, transfer.id))
    if existing is None:
        assert user.id is not None and transfer.id is not None  # read from the database
        session.add(TransferAssignment(user_id=user.id, transfer_id=transfer.id,
                                       assigned_by=actor))
        audit(session, transfer, actor, "officer-assigned", data={"user": user.username})


def unassign(session: Session, user: User, transfer: Transfer, *, actor: str) -> None:
    existing = session.get(TransferAssignment, (user.id, transfer.id))
    if existing is not None:
        session.delete(existing)
        audit(session, transfer, actor, "officer-unassigned", data={"user": user.username})


def link_union(session: Session, user: User, union: str, organisation: Organisation, *,
               actor: str) -> UnionRepLink:
    if user.role != Role.union_rep:
        raise ValidationError(f"{user.username} is not a union representative")
    if not union.strip():
        raise ValidationError("enter the union's name as recorded on the transfer, e.g. UNISON")
    link = session.exec(select(UnionRepLink).where(
        UnionRepLink.user_id == user.id, UnionRepLink.union == union.strip(),
        UnionRepLink.organisation_id == organisation.id)).first()
    if link is None:
        assert user.id is not None and organisation.id is not None  # read from the database
        link = UnionRepLink(user_id=user.id, union=union.strip(), organisation_id=organisation.id)
        session.add(link)
        audit(session, None, actor, "union-link-added", data={
            "user": user.username, "union": union.strip(), "organisation": organisation.slug})
    return link


def links_of(session: Session, user: User | Principal) -> list[UnionRepLink]:
    return list(session.exec(select(UnionRepLink).where(UnionRepLink.user_id == user.id)).all())


def assignments_of(session: Session, user: User | Principal) -> list[Transfer]:
    return list(session.exec(
        select(Transfer)
        .join(TransferAssignment, col(TransferAssignment.transfer_id) == Transfer.id)
        .where(TransferAssignment.user_id == user.id).order_by(Transfer.ref)).all())


@dataclass(frozen=True)
class Principal:
    """The signed-in user as routes and templates see it (a detached copy of the row)."""

    id: int
    username: str
    display_name: str
    role: Role

    @property
    def actor(self) -> str:
        """How this person appears in the audit log."""
        return f"web:{self.username}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def is_hr(self) -> bool:
        return self.role in HR_ROLES

    @property
    def personal_data(self) -> bool:
        return self.role in (Role.hr_admin, Role.hr_officer)

    @classmethod
    def of(cls, user: User) -> Principal:
        assert user.id is not None
        return cls(user.id, user.username, user.display_name, user.role)


def users_with_role(session: Session, roles: Iterable[Role]) -> list[User]:
    return list(session.exec(select(User).where(col(User.role).in_(list(roles)))
                             .order_by(User.username)).all())
