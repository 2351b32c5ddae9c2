"""Notices and letters as the web app shows them: the one place that reads the outbox for it.

Three audiences, three rules:

* **Union representatives** (the portal) see the notices addressed to a representative of
  their union at an employer they are linked to (a ``UnionRepLink`` row),
  on transfers where that union is recorded as *recognised* for that employer's staff. A
  notice is never shown if the outbox withheld it, or if its text names an employee of the
  transfer (a second check: representatives are told numbers, never people).
* **HR** (a transfer's "Letters and notices" page) see every message the outbox holds for the
  transfer, its delivery, and the representatives' acknowledgements: the evidence that the
  reg 13(2) information reached them.
* **Letters** are rendered from the letter templates (``templates/letters``) with the facts
  the engine holds about the transfer. Facts it does not hold yet (an employee's address or
  grade, the measures envisaged, the meeting place) print as a visible ``[not recorded: ...]``
  so that no letter goes out with a silent gap.

Issuing a letter decides its notice through the outbox (``notices.letter_notice``, the same
path as entering a state), so a letter is issued once a day at most; sending one again is a
new notice with a copy of the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup
from sqlmodel import Session, select

from transfer_engine.config import get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import RepresentativeKind
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters import LetterTemplates
from transfer_engine.letters.document import BulletList, Heading, Paragraph, Table
from transfer_engine.letters.owed import LETTER_AUDIENCE, issue_now
from transfer_engine.letters.templates import long_date, money
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.store.accounts import User
from transfer_engine.store.messages import (
    Notice,
    NoticeAcknowledgement,
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
)
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import audit, definition_of, key_dates_of, steps_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import Principal, links_of

STATUS_LABELS = {
    OutboxStatus.pending: "Waiting to be sent",
    OutboxStatus.sending: "Being sent",
    OutboxStatus.sent: "Sent",
    OutboxStatus.failed: "Failed; will be tried again",
    OutboxStatus.permanent_failure: "Not sent",
    OutboxStatus.cancelled: "Cancelled",
}


LETTER_TITLES = {
    "reg13-information": "Information for representatives (TUPE reg 13(2))",
    "employee-notification": "Letter to each affected employee",
    "transfer-confirmation": "Confirmation of the transfer to each employee",
}


def letter_title(name: str) -> str:
    return LETTER_TITLES.get(name, name.replace("-", " ").capitalize())


def _letter_name(notice: Notice | None) -> str | None:
    """``letter:<transfer id>:<name>:<day>`` is how the outbox keys a state's letter."""
    if notice is None or not notice.key.startswith("letter:"):
        return None
    parts = notice.key.split(":")
    return parts[2] if len(parts) > 2 else None


def _names_anyone(body: str, employees: list[Employee]) -> bool:
    text = body.lower()
    return any((e.full_name and e.full_name.lower() in text)
               or (e.email and e.email.lower() in text) for e in employees)


# ---------------------------------------------------------------------------------------------
# The representatives' portal


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
                                    if self.acknowledged_at else None)}


def recognised_representatives(session: Session,
                               principal: Principal) -> dict[int, tuple[Representative, str]]:
    """The representative records this person speaks for, with the employer's name.

    Only recognised trade unions (reg 13(3)(a)), matched on the union's name (ignoring case)
    and the employer whose staff it represents.
    """
    links = links_of(session, principal)
    if not links:
        return {}
    names = {o.id: o.name for o in session.exec(select(Organisation)).all()}
    wanted = {(link.union.strip().casefold(), link.organisation_id) for link in links}
    found = {}
    for rep in session.exec(select(Representative).where(
            Representative.kind == RepresentativeKind.recognised_union,
            Representative.organisation_id.in_([link.organisation_id for link in links]))).all():
        if rep.union and (rep.union.strip().casefold(), rep.organisation_id) in wanted:
            assert rep.id is not None
            found[rep.id] = (rep, names.get(rep.organisation_id, ""))
    return found


def _portal_rows(session: Session, principal: Principal,
                 message_id: int | None = None) -> list[PortalNotice]:
    reps = recognised_representatives(session, principal)
    if not reps:
        return []
    refs = {f"representative:{rep_id}": rep_id for rep_id in reps}
    query = (select(OutboxMessage, Notice).join(Notice, Notice.id == OutboxMessage.notice_id)
             .where(OutboxMessage.recipient_ref.in_(list(refs)),
                    OutboxMessage.audience == "representative",
                    OutboxMessage.status != OutboxStatus.cancelled)
             .order_by(OutboxMessage.id.desc()))
    if message_id is not None:
        query = query.where(OutboxMessage.id == message_id)
    rows = session.exec(query).all()
    acks = {a.outbox_message_id: a for a in session.exec(select(NoticeAcknowledgement).where(
        NoticeAcknowledgement.outbox_message_id.in_([m.id for m, _ in rows]))).all()}
    ack_users = {u.id: u.display_name for u in session.exec(select(User).where(
        User.id.in_([a.user_id for a in acks.values()]))).all()}
    notices = []
    staff_cache: dict[int, list[Employee]] = {}
    for message, notice in rows:
        if (message.last_error or "").startswith("withheld"):
            continue
        rep, employer = reps[refs[message.recipient_ref]]
        transfer = session.get(Transfer, rep.transfer_id)
        if transfer is None:
            continue
        if transfer.id not in staff_cache:
            staff_cache[transfer.id] = list(session.exec(
                select(Employee).where(Employee.transfer_id == transfer.id)).all())
        if _names_anyone(message.subject + "\n" + message.body, staff_cache[transfer.id]):
            continue
        ack = acks.get(message.id)
        sent = (f"Sent by email, {message.sent_at:%d %b %Y}" if message.sent_at
                else STATUS_LABELS.get(message.status, message.status.value))
        notices.append(PortalNotice(
            id=message.id or 0, transfer_id=transfer.id or 0, transfer_ref=transfer.ref,
            transfer_title=transfer.title, union=rep.union or "", employer=employer,
            letter=_letter_name(notice), subject=message.subject, body=message.body,
            issued_on=notice.planned_for, delivery=sent, sent_at=message.sent_at,
            acknowledged_at=ack.acknowledged_at if ack else None,
            acknowledged_by=ack_users.get(ack.user_id) if ack else None))
    return notices


def notices_for_rep(session: Session, principal: Principal) -> list[PortalNotice]:
    return _portal_rows(session, principal)


def notice_for_rep(session: Session, principal: Principal, message_id: int) -> PortalNotice:
    rows = _portal_rows(session, principal, message_id)
    if not rows:
        raise NotFoundError(f"no notice {message_id} for you")
    return rows[0]


def acknowledge(session: Session, principal: Principal, message_id: int) -> PortalNotice:
    """Record that this representative received the notice (once; later calls change nothing)."""
    notice = notice_for_rep(session, principal, message_id)
    existing = session.exec(select(NoticeAcknowledgement).where(
        NoticeAcknowledgement.outbox_message_id == message_id,
        NoticeAcknowledgement.user_id == principal.id)).first()
    if existing is None:
        session.add(NoticeAcknowledgement(outbox_message_id=message_id,
                                          transfer_id=notice.transfer_id, user_id=principal.id,
                                          union=notice.union))
        transfer = session.get(Transfer, notice.transfer_id)
        audit(session, transfer, principal.actor, "notice-acknowledged", data={
            "message": message_id, "letter": notice.letter, "union": notice.union,
            "employer": notice.employer})
        session.flush()
    return notice_for_rep(session, principal, message_id)


# ---------------------------------------------------------------------------------------------
# HR: what was sent for a transfer, and what came back


@dataclass
class SentMessage:
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

    @property
    def can_resend(self) -> bool:
        return self.status in (OutboxStatus.sent.value, OutboxStatus.failed.value,
                               OutboxStatus.permanent_failure.value)


def transfer_messages(session: Session, transfer: Transfer) -> list[SentMessage]:
    rows = session.exec(
        select(OutboxMessage, Notice).join(Notice, Notice.id == OutboxMessage.notice_id)
        .where(Notice.transfer_id == transfer.id)
        .where(Notice.kind.in_([NoticeKind.letter, NoticeKind.hr_alert]))
        .order_by(OutboxMessage.id.desc())).all()
    reps = {f"representative:{r.id}": f"{r.name}" + (f" ({r.union})" if r.union else "")
            for r in session.exec(select(Representative)
                                  .where(Representative.transfer_id == transfer.id)).all()}
    acks: dict[int, list[tuple[str, str, datetime]]] = {}
    for ack, user in session.exec(
            select(NoticeAcknowledgement, User).join(User, User.id == NoticeAcknowledgement.user_id)
            .where(NoticeAcknowledgement.transfer_id == transfer.id)).all():
        acks.setdefault(ack.outbox_message_id, []).append(
            (user.display_name, ack.union, ack.acknowledged_at))
    out = []
    for message, notice in rows:
        ref = message.recipient_ref
        label = reps.get(ref) or (ref.split(":", 1)[1] if ref.startswith("employee:")
                                  else ("HR owner" if ref == "hr-owner" else ref))
        out.append(SentMessage(
            id=message.id or 0, letter=_letter_name(notice), kind=message.kind.value,
            subject=message.subject, recipient_ref=ref, recipient_label=label,
            audience=message.audience, planned_for=message.planned_for,
            status=message.status.value,
            status_label=STATUS_LABELS.get(message.status, message.status.value),
            sent_at=message.sent_at, problem=message.last_error,
            acknowledgements=acks.get(message.id or 0, [])))
    return out


def issue_letter(session: Session, transfer: Transfer, letter: str, *, actor: str,
                 today: date) -> int:
    """Decide letter ``letter`` now, through the outbox; returns how many messages it holds.

    The same call the engine makes on entering a state, so an issued letter and an automatic
    one are indistinguishable, and a letter is decided at most once a day.
    """

    if letter not in LETTER_AUDIENCE:
        raise ValidationError(f"{letter} is not sent automatically; download it and send it "
                              "by hand")
    written = issue_now(session, transfer, [letter], today, get_settings(), actor=actor)
    if not written:
        raise ValidationError(f"{letter} was already issued today; to send one recipient a "
                              "copy, use “Send again”")
    count = len(session.exec(select(OutboxMessage.id)
                             .where(OutboxMessage.notice_id.in_(written))).all())
    audit(session, transfer, actor, "letter-issued", data={"letter": letter, "recipients": count})
    return count


def resend(session: Session, transfer: Transfer, message_id: int, *, actor: str,
           today: date) -> None:
    """Send one message again, as a new notice: what was sent before stays on record."""

    row = session.exec(select(OutboxMessage, Notice)
                       .join(Notice, Notice.id == OutboxMessage.notice_id)
                       .where(OutboxMessage.id == message_id,
                              Notice.transfer_id == transfer.id)).first()
    if row is None:
        raise NotFoundError(f"{transfer.ref} has no message {message_id}")
    message, notice = row
    if message.status in (OutboxStatus.pending, OutboxStatus.sending):
        raise ValidationError("that message has not been sent yet; it goes out with the "
                              "scheduler's next sweep, so there is nothing to send again")
    letter = _letter_name(notice)
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


# ---------------------------------------------------------------------------------------------
# Letters rendered from the templates


@dataclass(frozen=True)
class Recipient:
    ref: str           # "representative:<id>" or "employee:<employee_ref>", as in the outbox
    label: str


def letter_names(transfer: Transfer) -> list[str]:
    """The letters this transfer's workflow issues that have a template to render."""

    available = set(LetterTemplates(get_settings().templates_dir).names())
    named = [n for state in definition_of(transfer).states.values() for n in state.letters]
    return [n for n in dict.fromkeys(named) if n in available]


def recipients(session: Session, transfer: Transfer, letter: str) -> list[Recipient]:
    if letter == "reg13-information":
        return [Recipient(f"representative:{r.id}",
                          f"{r.name}" + (f", {r.union}" if r.union else ""))
                for r in session.exec(select(Representative).where(
                    Representative.transfer_id == transfer.id).order_by(Representative.id)).all()]
    return [Recipient(f"employee:{e.employee_ref}", f"{e.full_name} ({e.employee_ref})")
            for e in session.exec(select(Employee).where(
                Employee.transfer_id == transfer.id, Employee.in_scope.is_(True),
                Employee.objected_on.is_(None)).order_by(Employee.employee_ref)).all()]


def _missing(what: str) -> str:
    return f"[not recorded: {what}]"


def _lenient_date(value: date | None) -> str:

    return long_date(value) if value is not None else _missing("date")


def _lenient_money(value: Decimal | None, pence: bool = True) -> str:

    return money(value, pence) if value is not None else _missing("amount")


def letter_context(session: Session, transfer: Transfer, letter: str, recipient_ref: str,
                   today: date) -> dict[str, Any]:
    """The template's context, from what the engine records about this transfer."""
    organisations = {o.id: o for o in session.exec(select(Organisation)).all()}
    transferor = organisations.get(transfer.transferor_id)
    transferee = organisations.get(transfer.transferee_id)
    dates = key_dates_of(session, transfer)
    steps = steps_of(session, transfer)
    staff = list(session.exec(select(Employee).where(
        Employee.transfer_id == transfer.id, Employee.in_scope.is_(True),
        Employee.objected_on.is_(None))).all())
    reps = list(session.exec(select(Representative)
                             .where(Representative.transfer_id == transfer.id)).all())
    unions = sorted({r.union for r in reps if r.union})
    eli = steps.get("eli")
    meeting = steps.get("notify_employees")
    pensions = steps.get("pensions")
    measures = steps.get("measures")
    weekly = sum((e.weekly_pay for e in staff), Decimal("0"))
    context: dict[str, Any] = {
        "letter_date": today,
        "synthetic": transfer.sample_data,
        "sender": SimpleNamespace(
            name=transferor.name if transferor else _missing("transferor"),
            address=[_missing("the sender's address")],
            signatory_name=_missing("signatory"), signatory_title="Human Resources"),
        "transfer": SimpleNamespace(
            reference=transfer.ref, service=transfer.title,
            transferor=transferor.name if transferor else "",
            transferee=transferee.name if transferee else "",
            transfer_date=dates.get("transfer"),
            eli_check_by=eli.working_due_date if eli else None,
            reasons=" ".join(transfer.regime_reason.split()),
            transferor_measures=[],
            transferee_measures=([measures.evidence] if measures and measures.evidence
                                 else []),
            pension_note=(pensions.evidence if pensions and pensions.evidence
                          else _missing("pension arrangements")),
            representatives=" and ".join(unions) or _missing("representatives"),
            meeting_date=meeting.working_due_date if meeting else None,
            meeting_place=_missing("meeting place"),
            contact_name="the HR transfer team", contact_phone=_missing("telephone"),
            contact_email=transfer.hr_owner or _missing("email"),
            employee_count=len(staff), pay_bill=(weekly * 52).quantize(Decimal("1")),
            agency_workers=_missing("agency workers (reg 13(2)(e))")),
    }
    kind, _, key = recipient_ref.partition(":")
    if letter == "reg13-information":
        rep = next((r for r in reps if str(r.id) == key), None) if kind == "representative" \
            else None
        if rep is None:
            raise NotFoundError(f"{transfer.ref} has no representative {recipient_ref!r}")
        employer = organisations.get(rep.organisation_id)
        context["representative"] = SimpleNamespace(
            name=rep.name, salutation=rep.name, address=[rep.email],
            capacity=(f"{rep.union}, the recognised trade union at "
                      f"{employer.name if employer else ''}" if rep.union
                      else "elected representative"))
    else:
        employee = next((e for e in staff if e.employee_ref == key), None) \
            if kind == "employee" else None
        if employee is None:
            raise NotFoundError(f"{transfer.ref} has no transferring employee {recipient_ref!r}")
        context["employee"] = SimpleNamespace(
            full_name=employee.full_name, salutation=employee.full_name,
            employee_number=employee.employee_ref, address=[_missing("home address")],
            job_title=employee.role, grade=_missing("grade"),
            salary=(employee.weekly_pay * 52).quantize(Decimal("0.01")),
            hours=f"{employee.fte} FTE", service_start=None,
            pension_scheme=_missing("pension scheme"),
            workplace=_missing("workplace"))
    return context


def render_letter(session: Session, transfer: Transfer, letter: str, recipient_ref: str,
                  today: date) -> Any:
    """The letter as a :class:`~transfer_engine.letters.LetterDocument`, ready for any format."""

    if letter not in letter_names(transfer):
        raise NotFoundError(f"{transfer.ref} issues no letter {letter!r}")
    templates = LetterTemplates(get_settings().templates_dir)
    # Facts the engine does not hold print as "[not recorded: ...]" rather than failing.
    templates.environment.filters["long_date"] = _lenient_date
    templates.environment.filters["money"] = _lenient_money
    context = letter_context(session, transfer, letter, recipient_ref, today)
    return templates.render(letter, context)


def letter_preview_html(document: Any) -> Markup:
    """The letter's blocks as GOV.UK-styled HTML for the preview page (escaped throughout)."""
    from html import escape


    def inline(runs: Any) -> str:
        out = []
        for run in runs:
            text = escape(run.text).replace("\n", "<br>")
            if run.bold:
                text = f"<strong>{text}</strong>"
            if run.italic:
                text = f"<em>{text}</em>"
            out.append(text)
        return "".join(out)

    parts = [f'<p class="govuk-body"><strong>{escape(document.letterhead.organisation)}'
             f'</strong><br>{"<br>".join(escape(a) for a in document.letterhead.address)}</p>',
             f'<p class="govuk-body">{"<br>".join(escape(r) for r in document.recipient)}</p>',
             f'<p class="govuk-body">{escape(document.date)}</p>',
             f'<h3 class="govuk-heading-m">{escape(document.subject)}</h3>']
    for block in document.blocks:
        if isinstance(block, Paragraph):
            parts.append(f'<p class="govuk-body">{inline(block.runs)}</p>')
        elif isinstance(block, Heading):
            size = "m" if block.level == 1 else "s"
            parts.append(f'<h4 class="govuk-heading-{size}">{escape(block.text)}</h4>')
        elif isinstance(block, BulletList):
            items = "".join(f"<li>{inline(i)}</li>" for i in block.items)
            parts.append(f'<ul class="govuk-list govuk-list--bullet">{items}</ul>')
        elif isinstance(block, Table):
            rows = []
            for row in block.rows:
                tag = "th" if row.header or row.label_is_th else "td"
                cls = "govuk-table__header" if tag == "th" else "govuk-table__cell"
                rows.append(f'<tr class="govuk-table__row"><{tag} scope="row" class="{cls}">'
                            f'{inline(row.label)}</{tag}><td class="govuk-table__cell">'
                            f'{inline(row.value)}</td></tr>')
            parts.append(f'<table class="govuk-table"><tbody class="govuk-table__body">'
                         f'{"".join(rows)}</tbody></table>')
    if document.signature:
        lines = "<br>".join(escape(line) for line in document.signature.lines)
        parts.append(f'<p class="govuk-body">{escape(document.signature.closing)}<br><br>'
                     f'{lines}</p>')
    return Markup("".join(parts))
