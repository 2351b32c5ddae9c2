"""Representations and the employer's replies (reg 13(6)-(7)), as both sides read them.

HR reads every representation on a transfer (its Representations page, ``representations
list``, the API); a union representative reads those on a notice the portal lets them open
(:mod:`transfer_engine.views.portal` checks that first). Both see the same record: the text,
who wrote it and when, by when a reply is due, and the reply with its outcome and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.store.messages import OutboxMessage
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.representations import (
    ReplyOutcome,
    Representation,
    RepresentationReply,
)

__all__ = ["OUTCOME_LABELS", "ReplyView", "RepresentationView", "for_transfer", "on_notice"]

OUTCOME_LABELS = {
    ReplyOutcome.accepted: "Accepted",
    ReplyOutcome.partly_accepted: "Partly accepted",
    ReplyOutcome.rejected: "Rejected",
}


@dataclass(frozen=True)
class ReplyView:
    """The employer's reply to one representation."""

    outcome: ReplyOutcome
    reasons: str
    sha256: str
    replied_by: str
    replied_at: datetime

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def as_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "reasons": self.reasons, "sha256": self.sha256,
                "replied_by": self.replied_by, "replied_at": self.replied_at.isoformat()}


@dataclass(frozen=True)
class RepresentationView:
    """One representation, with its notice and its reply (if any)."""

    id: int
    transfer_id: int
    transfer_ref: str
    notice_id: int
    notice_subject: str
    letter_id: int | None
    union: str
    employer: str
    author: str
    text: str
    sha256: str
    submitted_at: datetime
    reply_due: date
    reply: ReplyView | None

    def overdue(self, today: date) -> bool:
        """No reply, and the day it was due has passed."""
        return self.reply is None and today > self.reply_due

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "transfer_ref": self.transfer_ref, "notice": self.notice_id,
                "notice_subject": self.notice_subject, "letter_id": self.letter_id,
                "union": self.union, "employer": self.employer, "author": self.author,
                "text": self.text, "sha256": self.sha256,
                "submitted_at": self.submitted_at.isoformat(),
                "reply_due": self.reply_due.isoformat(),
                "reply": self.reply.as_json() if self.reply else None}


def _views(session: Session, rows: list[Representation]) -> list[RepresentationView]:
    ids = [r.id for r in rows if r.id is not None]
    replies = {a.representation_id: a for a in session.exec(select(RepresentationReply).where(
        col(RepresentationReply.representation_id).in_(ids))).all()} if ids else {}
    subjects = dict(session.exec(select(OutboxMessage.id, OutboxMessage.subject).where(
        col(OutboxMessage.id).in_({r.outbox_message_id for r in rows}))).all()) if rows else {}
    employers = dict(session.exec(select(Organisation.id, Organisation.name).where(
        col(Organisation.id).in_({r.organisation_id for r in rows}))).all()) if rows else {}
    out = []
    for row in rows:
        answer = replies.get(row.id or 0)
        out.append(RepresentationView(
            id=row.id or 0, transfer_id=row.transfer_id, transfer_ref=row.transfer_ref,
            notice_id=row.outbox_message_id,
            notice_subject=subjects.get(row.outbox_message_id, ""), letter_id=row.letter_id,
            union=row.union, employer=employers.get(row.organisation_id, ""),
            author=row.author, text=row.text, sha256=row.text_sha256,
            submitted_at=row.submitted_at, reply_due=row.reply_due,
            reply=ReplyView(answer.outcome, answer.reasons, answer.reasons_sha256,
                            answer.replied_by, answer.replied_at) if answer else None))
    return out


def for_transfer(session: Session, transfer_id: int) -> list[RepresentationView]:
    """Every representation on a transfer, oldest first (HR's view)."""
    return _views(session, list(session.exec(select(Representation).where(
        Representation.transfer_id == transfer_id).order_by(col(Representation.id))).all()))


def on_notice(session: Session, message_id: int) -> list[RepresentationView]:
    """The representations on one notice, oldest first (for a reader allowed to open it)."""
    return _views(session, list(session.exec(select(Representation).where(
        Representation.outbox_message_id == message_id).order_by(col(Representation.id))).all()))
