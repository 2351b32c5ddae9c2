"""Sending a message again: a copy of what was sent, as a new notice, the first kept on record.

HR sends a letter again when a recipient says it did not arrive, or after a delivery failure
was fixed. The copy is the same letter (its HTML, its attachments, its register entry), not a
new rendering, so the recipient gets what the register says they were sent.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from transfer_engine.config import get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.notice_keys import letter_of_key
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.store.messages import Notice, OutboxMessage, OutboxStatus
from transfer_engine.store.queries import audit, get_transfer
from transfer_engine.store.register import Letter, LetterStatus

__all__ = ["send_again", "send_letter_again"]


def send_again(session: Session, ref: str, message_id: int, *, actor: str,
               today: date) -> None:
    """Send message ``message_id`` of transfer ``ref`` again, as a new notice."""
    transfer = get_transfer(session, ref)
    row = session.exec(select(OutboxMessage, Notice)
                       .join(Notice, col(Notice.id) == OutboxMessage.notice_id)
                       .where(OutboxMessage.id == message_id,
                              Notice.transfer_id == transfer.id)).first()
    if row is None:
        raise NotFoundError(f"{transfer.ref} has no message {message_id}")
    message, notice = row
    if message.status in (OutboxStatus.pending, OutboxStatus.sending):
        raise ValidationError("that message has not been sent yet; it goes out with the "
                              "scheduler's next sweep, so there is nothing to send again")
    letter = letter_of_key(notice.key)
    # A letter's copy keeps the letter's key shape, so the portal still knows which letter it
    # is; the suffix makes it a new notice rather than a repeat of the day's one.
    stamp = f"resend-{message.id}-{utcnow().strftime('%Y%m%dT%H%M%S%f')}"
    key = (f"letter:{transfer.id}:{letter}:{today}:{stamp}" if letter
           else f"resend:{stamp}")
    enqueue(session, PlannedNotice(
        key=key, kind=message.kind, planned_for=today, decided_on=today,
        transfer_id=transfer.id, transfer_ref=transfer.ref, step_id=notice.step_id,
        due_date=notice.due_date,
        # The same letter again: its HTML, its attachments and its register entry, not just
        # the plain-text part.
        messages=(PlannedMessage(message.recipient_ref, message.recipient, message.audience,
                                 message.subject, message.body, html_body=message.html_body,
                                 attachments=tuple(message.attachments or ()),
                                 letter_id=message.letter_id),)), get_settings())
    audit(session, transfer, actor, "letter-resent",
          data={"message": message.id, "letter": letter, "recipient": message.recipient_ref})


def send_letter_again(session: Session, ref: str, letter_id: int, *, actor: str,
                      today: date) -> int:
    """Deliver issued letter ``letter_id`` again (the same letter, not a new one): a copy of
    the last message that delivered it. Returns the id of that message."""
    transfer = get_transfer(session, ref)
    letter = session.get(Letter, letter_id)
    if letter is None or letter.transfer_id != transfer.id:
        raise NotFoundError(f"{transfer.ref} has no issued letter {letter_id}")
    label = letter.reference or f"letter {letter_id}"
    if letter.status != LetterStatus.issued:
        newer = f" by letter {letter.superseded_by_id}" if letter.superseded_by_id else ""
        raise ValidationError(f"{label} is {letter.status.value}{newer}; send the letter in "
                              "force instead")
    message = session.exec(select(OutboxMessage).where(OutboxMessage.letter_id == letter_id)
                           .order_by(col(OutboxMessage.id).desc())).first()
    if message is None or message.id is None:
        raise ValidationError(f"{label} was never handed to the outbox (it was not sent by "
                              "email); download its PDF and send it by hand")
    send_again(session, ref, message.id, actor=actor, today=today)
    return message.id
