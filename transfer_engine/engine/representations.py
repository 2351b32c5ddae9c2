"""Consultation under reg 13(6)-(7): a representative's representation, and the employer's reply.

Reg 13(6) requires an employer who envisages measures to consult the representatives with a
view to seeking their agreement; reg 13(7) requires it, in the course of that consultation, to
consider any representation they make, reply to it, and give its reasons if it rejects any of
it. Here a representation is written on a notice the representative was sent (the portal checks
that they may), and HR replies with an outcome: accepted, partly accepted or rejected, with
reasons required for the last two (a partial acceptance rejects the rest).

Each text is stored in NFC with its SHA-256, and each step is in the audit log (the hash, never
the text: the log is shown to roles that may not see what a representative wrote about staff).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.dates.working_days import add_working_days, last_working_day_on_or_before
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.limits import TextLimit
from transfer_engine.engine.plain_text import plain_text
from transfer_engine.errors import FieldProblem, NotFoundError, ValidationError
from transfer_engine.store.mentions import EmployeeMentions
from transfer_engine.store.queries import audit, key_dates_of
from transfer_engine.store.representations import (
    ReplyOutcome,
    Representation,
    RepresentationReply,
)
from transfer_engine.store.transfers import Transfer

__all__ = [
    "REASONS",
    "REPLY_WORKING_DAYS",
    "TEXT",
    "NoticeOnRecord",
    "Submitted",
    "reply",
    "reply_due",
    "submit",
]

#: How long the employer has to reply, in working days after the representation arrives. The
#: regulations set no period; "in the course of the consultation" means while it can still
#: change something. Two working weeks is the usual turnaround for a written answer in council
#: HR procedures, long enough to take advice, short enough that a consultation of 30 to 45 days
#: can have a second round. The reply is due earlier when the transfer is nearer (see
#: :func:`reply_due`).
REPLY_WORKING_DAYS = 10

# A representation can run to several pages (a union's counter-proposals); still bounded,
# since it is shown again on both sides' pages.
TEXT_MAX = 10_000
TEXT = TextLimit("text", "representation", 10, TEXT_MAX,
                 "say what you want the employer to consider")
REASONS = TextLimit("reasons", "reasons", 10, TEXT_MAX,
                    "give the reasons for not accepting all of it (TUPE reg 13(7))")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reply_due(received: date, transfer_date: date | None) -> date:
    """When the employer's reply is due: :data:`REPLY_WORKING_DAYS` working days after the
    representation arrives, but no later than the last working day before the transfer (a
    reply after it cannot change the measures consulted on), unless that day has passed."""
    due = add_working_days(received, REPLY_WORKING_DAYS)
    if transfer_date is not None:
        before = last_working_day_on_or_before(transfer_date - timedelta(days=1))
        if received < before < due:
            due = before
    return due


@dataclass(frozen=True)
class NoticeOnRecord:
    """The notice a representation answers, as the portal found it for its representative."""

    transfer_id: int
    outbox_message_id: int
    letter_id: int | None
    representative_id: int
    union: str
    organisation_id: int


def _clean(limit: TextLimit, value: str | None) -> str:
    problem = limit.problem(value)
    if problem is not None:
        raise ValidationError(field_problems=[problem])
    return plain_text((value or "").strip(), multiline=True)


@dataclass(frozen=True)
class Submitted:
    """A representation as recorded, and whether it had been recorded already."""

    representation: Representation
    # The same person sent the same text on the same notice before (a second click of Send,
    # a form sent again by the browser): recorded once, and each needs its own reply.
    already: bool = False


def submit(session: Session, notice: NoticeOnRecord, text: str | None, *, user_id: int,
           author: str, actor: str, today: date) -> Submitted:
    """Record a representation on ``notice`` (whose reader the caller has checked), once."""
    cleaned = _clean(TEXT, text)
    # Locked (PostgreSQL; SQLite's writers are serialised already), so that two copies of the
    # same form sent at once find each other rather than both being recorded.
    transfer = session.get(Transfer, notice.transfer_id, with_for_update=True)
    if transfer is None:
        raise NotFoundError(f"transfer id {notice.transfer_id} does not exist")
    digest = _sha256(cleaned)
    earlier = session.exec(select(Representation).where(
        Representation.outbox_message_id == notice.outbox_message_id,
        Representation.user_id == user_id, Representation.text_sha256 == digest)).first()
    if earlier is not None:
        return Submitted(earlier, already=True)
    due = reply_due(today, key_dates_of(session, transfer).get("transfer"))
    row = Representation(
        transfer_id=notice.transfer_id, transfer_ref=transfer.ref,
        outbox_message_id=notice.outbox_message_id, letter_id=notice.letter_id,
        representative_id=notice.representative_id, union=notice.union,
        organisation_id=notice.organisation_id, user_id=user_id, author=author, text=cleaned,
        text_sha256=digest, submitted_at=utcnow(), reply_due=due)
    session.add(row)
    session.flush()
    audit(session, transfer, actor, "representation-made", data={
        "representation": row.id, "message": notice.outbox_message_id,
        "letter_id": notice.letter_id, "union": notice.union, "sha256": row.text_sha256,
        "reply_due": due.isoformat()})
    # Reg 13(7): the consultation is open again until this has its reply.
    reconcile_in(session, transfer.id, actor=actor, today=today)
    return Submitted(row)


def _outcome(value: str | ReplyOutcome | None) -> ReplyOutcome:
    try:
        return ReplyOutcome((value or "").strip().lower().replace(" ", "-"))
    except ValueError:
        raise ValidationError(field_problems=[FieldProblem(
            "outcome", "must be accepted, partly-accepted or rejected", "outcome",
            "required" if not value else "invalid")]) from None


def _answered(representation_id: int, how: str) -> ValidationError:
    return ValidationError(f"representation {representation_id} has been answered already "
                           f"({how}); a reply is kept as it was given")


def reply(session: Session, transfer: Transfer, representation_id: int,
          outcome: str | ReplyOutcome | None, reasons: str | None, *,
          actor: str, today: date | None = None) -> RepresentationReply:
    """Record the employer's reply to a representation of ``transfer`` (once).

    Rejecting, or accepting only part, needs reasons (reg 13(7)); accepting may say more. The
    last reply owed completes the consultation step again, on ``today`` (the day it is
    recorded), if it was recorded as concluded.
    """
    row = session.get(Representation, representation_id)
    if row is None or row.transfer_id != transfer.id:
        raise NotFoundError(f"{transfer.ref} has no representation {representation_id}")
    chosen = _outcome(outcome)
    problems: list[FieldProblem] = []
    if chosen is ReplyOutcome.accepted and not (reasons or "").strip():
        cleaned = ""
    else:
        problem = REASONS.problem(reasons)
        if problem is not None:
            problems.append(problem)
        cleaned = plain_text((reasons or "").strip(), multiline=True) if not problems else ""
    if not problems and EmployeeMentions.of_transfer(session, transfer.id).found_in(cleaned):
        problems.append(FieldProblem(
            "reasons", "name an employee of the transfer (by name, email or reference, with or "
            "without accents); representatives see the reply, and are told numbers and roles, "
            "never people: write it without the name", "reasons"))
    if problems:
        raise ValidationError(field_problems=problems)
    existing = session.exec(select(RepresentationReply).where(
        RepresentationReply.representation_id == representation_id)).first()
    if existing is not None:
        raise _answered(representation_id, existing.outcome.value)
    answer = RepresentationReply(representation_id=representation_id, outcome=chosen,
                                 reasons=cleaned, reasons_sha256=_sha256(cleaned),
                                 replied_by=actor, replied_at=utcnow())
    session.add(answer)
    try:
        session.flush()
    except IntegrityError:  # someone replied in the meantime; nothing of this one is kept
        raise _answered(representation_id, "by someone else just now") from None
    audit(session, transfer, actor, "representation-answered", data={
        "representation": representation_id, "outcome": chosen.value,
        "sha256": answer.reasons_sha256, "union": row.union})
    reconcile_in(session, transfer.id, actor=actor, today=today)
    return answer
