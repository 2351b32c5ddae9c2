"""The representatives' portal: the notices a union representative may read, their
acknowledgement, the letter as issued (its document and its PDF), and representations on it.

A representative sees the notices addressed to a representative of their union at an employer
they are linked to (a :class:`~transfer_engine.store.accounts.UnionRepLink`), on transfers
where that union is recorded as *recognised* for that employer's staff (reg 13(3)(a)). A notice
is never shown if the outbox withheld it, or if its text names an employee of the transfer (a
second check: representatives are told numbers, never people).

The web app and the API pass the signed-in person as a :class:`Reader`: their user id, their
name, and how the audit log names them.

A representative may write a representation on a notice they can read (reg 13(6)-(7)); the rule
that decides what they can read is the only gate, so they can never answer another union's or
another employer's notice (:mod:`transfer_engine.engine.representations` records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session, col, select

from transfer_engine.config import Settings
from transfer_engine.domain import RepresentativeKind
from transfer_engine.engine import representations
from transfer_engine.errors import NotFoundError
from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.issued import issued_document
from transfer_engine.letters.notice_keys import letter_of_key
from transfer_engine.letters.service import issued_file
from transfer_engine.store.accounts import UnionRepLink, User
from transfer_engine.store.mentions import EmployeeMentions
from transfer_engine.store.messages import (
    Notice,
    NoticeAcknowledgement,
    OutboxMessage,
    OutboxStatus,
)
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Representative
from transfer_engine.store.queries import audit
from transfer_engine.store.register import Letter
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.representations import RepresentationView, on_notice
from transfer_engine.views.sent_messages import STATUS_LABELS

__all__ = ["PortalNotice", "Reader", "acknowledge", "notice_document", "notice_for_rep",
           "notice_pdf", "notice_representations", "notices_for_rep",
           "recognised_representatives", "represent"]


class Reader(Protocol):
    """The union representative reading the portal."""

    @property
    def id(self) -> int:
        """Their user id."""
        ...

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        ...

    @property
    def display_name(self) -> str:
        """Their name, as shown beside what they write."""
        ...


@dataclass
class PortalNotice:
    """A notice as its union representative sees it."""

    id: int
    transfer_id: int
    transfer_ref: str
    transfer_title: str
    union: str
    employer: str
    letter: str | None
    subject: str
    body: str
    issued_on: date
    delivery: str
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    # The register entry this notice delivers (its document and PDF), when it is a letter;
    # and on whose behalf it was sent: the representative record and the employer.
    letter_id: int | None = None
    representative_id: int = 0
    organisation_id: int = 0
    # The letter's reference, as printed on it and kept in the register ("LD-NCT/R13/0001").
    reference: str | None = None

    @property
    def is_reg13(self) -> bool:
        return self.letter == "reg13-information"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "transfer_ref": self.transfer_ref,
                "transfer_title": self.transfer_title, "union": self.union,
                "employer": self.employer, "letter": self.letter, "subject": self.subject,
                "body": self.body, "issued_on": self.issued_on.isoformat(),
                "delivery": self.delivery,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "acknowledged_at": (self.acknowledged_at.isoformat()
                                    if self.acknowledged_at else None),
                "letter_id": self.letter_id, "reference": self.reference}


def recognised_representatives(session: Session,
                               reader: Reader) -> dict[int, tuple[Representative, str]]:
    """The representative records this person speaks for, with the employer's name.

    Only recognised trade unions (reg 13(3)(a)), matched on the union's name (ignoring case)
    and the employer whose staff it represents.
    """
    links = list(session.exec(select(UnionRepLink)
                              .where(UnionRepLink.user_id == reader.id)).all())
    if not links:
        return {}
    names = {o.id: o.name for o in session.exec(select(Organisation)).all()}
    wanted = {(link.union.strip().casefold(), link.organisation_id) for link in links}
    found = {}
    for rep in session.exec(select(Representative).where(
            Representative.kind == RepresentativeKind.recognised_union,
            col(Representative.organisation_id).in_(
                [link.organisation_id for link in links]))).all():
        if rep.union and (rep.union.strip().casefold(), rep.organisation_id) in wanted:
            assert rep.id is not None
            found[rep.id] = (rep, names.get(rep.organisation_id, ""))
    return found


def _portal_rows(session: Session, reader: Reader,
                 message_id: int | None = None) -> list[PortalNotice]:
    reps = recognised_representatives(session, reader)
    if not reps:
        return []
    refs = {f"representative:{rep_id}": rep_id for rep_id in reps}
    query = (select(OutboxMessage, Notice)
             .join(Notice, col(Notice.id) == OutboxMessage.notice_id)
             .where(col(OutboxMessage.recipient_ref).in_(list(refs)),
                    OutboxMessage.audience == "representative",
                    OutboxMessage.status != OutboxStatus.cancelled)
             .order_by(col(OutboxMessage.id).desc()))
    if message_id is not None:
        query = query.where(OutboxMessage.id == message_id)
    rows = session.exec(query).all()
    acks = {a.outbox_message_id: a for a in session.exec(select(NoticeAcknowledgement).where(
        col(NoticeAcknowledgement.outbox_message_id).in_([m.id for m, _ in rows]))).all()}
    ack_users = {u.id: u.display_name for u in session.exec(select(User).where(
        col(User.id).in_([a.user_id for a in acks.values()]))).all()}
    references = dict(session.exec(select(Letter.id, Letter.reference).where(
        col(Letter.id).in_([m.letter_id for m, _ in rows if m.letter_id]))).all())
    notices = []
    staff_cache: dict[int, EmployeeMentions] = {}
    for message, notice in rows:
        if (message.last_error or "").startswith("withheld"):
            continue
        rep, employer = reps[refs[message.recipient_ref]]
        transfer = session.get(Transfer, rep.transfer_id)
        if transfer is None or transfer.id is None:
            continue
        if transfer.id not in staff_cache:
            staff_cache[transfer.id] = EmployeeMentions.of_transfer(session, transfer.id)
        if staff_cache[transfer.id].found_in(message.subject + "\n" + message.body):
            continue
        ack = acks.get(message.id) if message.id is not None else None
        sent = (f"Sent by email, {message.sent_at:%d %b %Y}" if message.sent_at
                else STATUS_LABELS.get(message.status, message.status.value))
        notices.append(PortalNotice(
            id=message.id or 0, transfer_id=transfer.id, transfer_ref=transfer.ref,
            transfer_title=transfer.title, union=rep.union or "", employer=employer,
            letter=letter_of_key(notice.key), subject=message.subject, body=message.body,
            issued_on=notice.planned_for, delivery=sent, sent_at=message.sent_at,
            acknowledged_at=ack.acknowledged_at if ack else None,
            acknowledged_by=ack_users.get(ack.user_id) if ack else None,
            letter_id=message.letter_id, representative_id=rep.id or 0,
            organisation_id=rep.organisation_id,
            reference=references.get(message.letter_id) if message.letter_id else None))
    return notices


def notices_for_rep(session: Session, reader: Reader) -> list[PortalNotice]:
    """Every notice this representative may read, newest first."""
    return _portal_rows(session, reader)


def notice_for_rep(session: Session, reader: Reader, message_id: int) -> PortalNotice:
    """One notice, if this representative may read it (otherwise "not found", as for none)."""
    rows = _portal_rows(session, reader, message_id)
    if not rows:
        raise NotFoundError(f"no notice {message_id} for you")
    return rows[0]


def acknowledge(session: Session, reader: Reader, message_id: int) -> PortalNotice:
    """Record that this representative received the notice (once; later calls change nothing)."""
    notice = notice_for_rep(session, reader, message_id)
    existing = session.exec(select(NoticeAcknowledgement).where(
        NoticeAcknowledgement.outbox_message_id == message_id,
        NoticeAcknowledgement.user_id == reader.id)).first()
    if existing is None:
        session.add(NoticeAcknowledgement(outbox_message_id=message_id,
                                          transfer_id=notice.transfer_id, user_id=reader.id,
                                          union=notice.union))
        transfer = session.get(Transfer, notice.transfer_id)
        audit(session, transfer, reader.actor, "notice-acknowledged", data={
            "message": message_id, "letter": notice.letter, "union": notice.union,
            "employer": notice.employer})
        session.flush()
    return notice_for_rep(session, reader, message_id)


def notice_document(session: Session, reader: Reader, message_id: int) -> LetterDocument | None:
    """The letter this notice delivered, as issued (the document its PDF was made from), or
    None for a notice that is not a letter."""
    notice = notice_for_rep(session, reader, message_id)
    if notice.letter_id is None:
        return None
    return issued_document(session, notice.letter_id)


def notice_pdf(session: Session, reader: Reader, message_id: int,
               settings: Settings | None = None) -> tuple[Path, str, str]:
    """The PDF this notice delivered, byte for byte: (path, media type, download name)."""
    notice = notice_for_rep(session, reader, message_id)
    if notice.letter_id is None:
        raise NotFoundError(f"notice {message_id} has no PDF")
    return issued_file(session, notice.letter_id, "pdf", settings)


def notice_representations(session: Session, reader: Reader,
                           message_id: int) -> list[RepresentationView]:
    """The representations on a notice this representative may read, with any replies."""
    notice_for_rep(session, reader, message_id)
    return on_notice(session, message_id)


def represent(session: Session, reader: Reader, message_id: int, text: str | None, *,
              today: date) -> representations.Submitted:
    """Record this representative's representation on a notice they may read (audited)."""
    notice = notice_for_rep(session, reader, message_id)
    return representations.submit(
        session, representations.NoticeOnRecord(
            transfer_id=notice.transfer_id, outbox_message_id=notice.id,
            letter_id=notice.letter_id, representative_id=notice.representative_id,
            union=notice.union, organisation_id=notice.organisation_id),
        text, user_id=reader.id, author=reader.display_name, actor=reader.actor, today=today)
