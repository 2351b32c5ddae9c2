"""Tables of the consultation under reg 13(6)-(7): representatives' representations on a notice,
and the employer's reply to each.

A recognised union's representative writes a representation on a notice sent to them (the reg 13
information); the employer must consider it, reply to it, and give reasons for rejecting it (reg
13(7)). Both texts are kept with their SHA-256, so that what was said can be shown unchanged to a
tribunal years later. Like the letter register, rows are referenced by transfer id and ref
without a foreign key to the transfer: the record of the exchange outlives the transfer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, UniqueConstraint, bindparam, select
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow


class ReplyOutcome(enum.StrEnum):
    """What the employer made of a representation (reg 13(7))."""

    accepted = "accepted"
    partly_accepted = "partly-accepted"
    rejected = "rejected"


class Representation(SQLModel, table=True):
    """What a representative said about one notice, and by when the employer should reply."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(index=True)
    transfer_ref: str
    # The notice it answers (the outbox message the portal shows) and its register entry.
    outbox_message_id: int = Field(foreign_key="outboxmessage.id", index=True)
    letter_id: int | None = None
    # On whose behalf: the representative record, their union and the employer of the staff.
    representative_id: int
    union: str
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user.id")
    author: str
    text: str
    text_sha256: str
    submitted_at: datetime = Field(default_factory=utcnow)
    reply_due: date


class RepresentationReply(SQLModel, table=True):
    """The employer's reply to one representation: the outcome and its reasons."""

    __table_args__ = (UniqueConstraint("representation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    representation_id: int = Field(foreign_key="representation.id", index=True)
    outcome: ReplyOutcome
    reasons: str
    reasons_sha256: str
    replied_by: str
    replied_at: datetime = Field(default_factory=utcnow)


_REPRESENTATION = Representation.__table__  # type: ignore[attr-defined]
_REPLY = RepresentationReply.__table__  # type: ignore[attr-defined]


# Built once: the evidence of the consultation step reads them on every committed transition.
_WITH_REPLY = (
    select(_REPRESENTATION.c.id, _REPRESENTATION.c.reply_due,
           _REPLY.c.id.is_not(None).label("answered"))
    .select_from(_REPRESENTATION.outerjoin(
        _REPLY, _REPLY.c.representation_id == _REPRESENTATION.c.id))
    .where(_REPRESENTATION.c.transfer_id == bindparam("tid"))
    .order_by(_REPRESENTATION.c.id))


@dataclass(frozen=True)
class RepresentationsState:
    """Where the representations on one transfer stand: those with no reply yet, (id, reply
    due) oldest first, and how many have the employer's reply."""

    unanswered: list[tuple[int, date]]
    answered: int


def representations_state(connection: Connection, transfer_id: int) -> RepresentationsState:
    """The representations on this transfer, answered and not, read in one statement."""
    rows = connection.execute(_WITH_REPLY, {"tid": transfer_id}).all()
    return RepresentationsState([(row.id, row.reply_due) for row in rows if not row.answered],
                                sum(1 for row in rows if row.answered))


def unanswered_representations(connection: Connection,
                               transfer_id: int) -> list[tuple[int, date]]:
    """The representations on this transfer that have no reply yet: (id, reply due), oldest
    first. Consultation is not over while any is unanswered (reg 13(7))."""
    return representations_state(connection, transfer_id).unanswered
