"""What the outbox holds for a transfer, as HR reads it: each message, its delivery, and the
representatives' acknowledgements (the evidence that the reg 13(2) information reached them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from transfer_engine.letters.notice_keys import letter_of_key
from transfer_engine.outbox.recovery import is_held
from transfer_engine.store.accounts import User
from transfer_engine.store.messages import (
    Notice,
    NoticeAcknowledgement,
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
)
from transfer_engine.store.people import Representative
from transfer_engine.store.transfers import Transfer

__all__ = ["STATUS_LABELS", "SentMessage", "transfer_messages"]

#: A message's delivery, in words.
STATUS_LABELS = {
    OutboxStatus.pending: "Waiting to be sent",
    OutboxStatus.sending: "Being sent",
    OutboxStatus.sent: "Sent",
    OutboxStatus.failed: "Failed; will be tried again",
    OutboxStatus.permanent_failure: "Not sent",
    OutboxStatus.cancelled: "Cancelled",
}

HELD_LABEL = "Held: it may already have arrived"


@dataclass
class SentMessage:
    """One message of a transfer's letters or alerts to HR, newest first in listings."""

    id: int
    letter: str | None
    kind: str
    subject: str
    recipient_ref: str
    recipient_label: str
    audience: str
    planned_for: date
    status: str
    status_label: str
    sent_at: datetime | None
    problem: str | None
    acknowledgements: list[tuple[str, str, datetime]]   # (who, union, when)
    # Held in doubt: it may already have arrived, so it waits for HR to release it.
    held: bool = False

    @property
    def can_resend(self) -> bool:
        return self.status in (OutboxStatus.sent.value, OutboxStatus.failed.value,
                               OutboxStatus.permanent_failure.value)


def transfer_messages(session: Session, transfer: Transfer) -> list[SentMessage]:
    """Every letter and HR alert the outbox holds for ``transfer``, newest first."""
    rows = session.exec(
        select(OutboxMessage, Notice).join(Notice, col(Notice.id) == OutboxMessage.notice_id)
        .where(Notice.transfer_id == transfer.id)
        .where(col(Notice.kind).in_([NoticeKind.letter, NoticeKind.hr_alert]))
        .order_by(col(OutboxMessage.id).desc())).all()
    reps = {f"representative:{r.id}": f"{r.name}" + (f" ({r.union})" if r.union else "")
            for r in session.exec(select(Representative)
                                  .where(Representative.transfer_id == transfer.id)).all()}
    acks: dict[int, list[tuple[str, str, datetime]]] = {}
    for ack, user in session.exec(
            select(NoticeAcknowledgement, User)
            .join(User, col(User.id) == NoticeAcknowledgement.user_id)
            .where(NoticeAcknowledgement.transfer_id == transfer.id)).all():
        acks.setdefault(ack.outbox_message_id, []).append(
            (user.display_name, ack.union, ack.acknowledged_at))
    out = []
    for message, notice in rows:
        ref = message.recipient_ref
        label = reps.get(ref) or (ref.split(":", 1)[1] if ref.startswith("employee:")
                                  else ("HR owner" if ref == "hr-owner" else ref))
        out.append(SentMessage(
            id=message.id or 0, letter=letter_of_key(notice.key), kind=message.kind.value,
            subject=message.subject, recipient_ref=ref, recipient_label=label,
            audience=message.audience, planned_for=message.planned_for,
            status=message.status.value,
            status_label=(HELD_LABEL if is_held(message)
                          else STATUS_LABELS.get(message.status, message.status.value)),
            held=is_held(message),
            sent_at=message.sent_at, problem=message.last_error,
            acknowledgements=acks.get(message.id or 0, [])))
    return out
