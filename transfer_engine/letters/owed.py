"""Letters a workflow state names (``letters:``): decided by the transition, issued just after.

Entering ``consulting`` means the representatives get the regulation 13 information and every
employee their notification. The transition that enters the state *decides* this: it writes one
:class:`~transfer_engine.store.messages.PendingLetter` row per letter in its own transaction, so the
letter is owed if and only if the state change is committed. It does not render anything.
Rendering, filing and registering a letter to a hundred employees takes far longer than the
transition itself, and the transfer's lock (on SQLite, the database's one writer) would be held
all that time; so the letters are *issued* in a transaction of their own straight after:

* by whoever fired the trigger: the CLI, the web page and the API call :func:`issue_pending`
  for that transfer once ``advance`` returns, so HR sees the letters at once;
* by every scheduler sweep, for whatever is left: a transition fired by a script that does not
  issue, or a process that stopped between the two transactions.

Exactly once: a pending letter is taken with its row locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two processes never take the same one; SQLite has one writer at a time), issued
through the outbox under the key ``letter:<transfer>:<letter>:<day>``, and deleted in the same
transaction. A letter already decided for that transfer and day is not issued again. A
recipient who already holds the letter is not sent it again.

A letter that cannot be issued because of what the transfer lacks (a missing field, nobody to
send it to, a representative's letter that would show an employee's name) alerts the HR owner
with what to fix, and nothing of that letter is issued. Representatives are told counts, never
an employee's name or pay.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, bindparam, delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import Regime
from transfer_engine.engine.evidence import reconcile, reconcile_in
from transfer_engine.engine.owed_letters import _PENDING
from transfer_engine.errors import NotFoundError, TransferEngineError, UnavailableError
from transfer_engine.letters.state_letter import state_letter
from transfer_engine.outbox.labels import sample_note, sample_prefix
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue, existing_keys
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import NoticeKind, PendingLetter
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import KeyDate, Transfer

log = logging.getLogger("transfer_engine.letters.owed")

#: Who receives each letter a workflow state may name. A letter not listed here is not sent to
#: anyone automatically: the HR owner is told to issue it by hand.
LETTER_AUDIENCE = {
    "reg13-information": "representatives",
    "employee-notification": "employees",
    "transfer-confirmation": "employees",
}


# ---------------------------------------------------------------------------------------------
# Issuing what is owed


@dataclass(frozen=True)
class IssuedLetter:
    """What became of one owed letter."""

    transfer_ref: str
    letter: str
    day: date
    outcome: str          # "issued", "already" (decided earlier that day), "alert" (HR told)
    recipients: int = 0
    problem: str | None = None
    # An alert because the letter has nobody to go to here (reg 13 information where there are
    # no representatives, under reg 13A): nothing failed, unlike a letter that could not be made.
    nobody: bool = False

    @property
    def not_issued(self) -> bool:
        """Owed to someone and not issued: the HR owner was alerted to put it right."""
        return self.outcome == "alert" and not self.nobody

    def describe(self) -> str:
        if self.outcome == "issued":
            return f"{self.letter}: issued to {self.recipients} recipient(s)"
        if self.outcome == "already":
            return f"{self.letter}: already issued on {self.day}"
        return f"{self.letter}: NOT issued, the HR owner was alerted: {self.problem}"


@dataclass
class IssueReport:
    issued: list[IssuedLetter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pending(session: Session, transfer_id: int | None = None, *,
            limit: int | None = None) -> list[PendingLetter]:
    """The letters owed and not yet issued, oldest first."""
    query = select(PendingLetter).order_by(col(PendingLetter.id)).limit(limit)
    if transfer_id is not None:
        query = query.where(PendingLetter.transfer_id == transfer_id)
    return list(session.exec(query).all())


def issue_pending(engine: Engine | None = None, *, transfer_id: int | None = None,
                  settings: Settings | None = None,
                  stop: threading.Event | None = None) -> IssueReport:
    """Issue every owed letter (of one transfer, if given), one transaction per letter.

    Never raises for one bad letter: a fault (not a gap in the data, which alerts HR) is kept
    on its row with the attempt count and reported, and the row is tried again next time. A
    database that cannot be used before a letter is taken is reported too, not raised: the
    caller's transition is committed whatever becomes of its letters, which stay owed.
    """
    settings = settings or get_settings()
    report = IssueReport()
    failed: set[int] = set()
    issued_for: dict[int, tuple[str, date]] = {}  # transfer id: who fired it, and the day
    issued_letters: dict[int, set[str]] = {}  # transfer id: the letters issued (their names)
    # Most sweeps find nothing owed: find that out without taking the write lock.
    with read_session(engine) as session:
        if not pending(session, transfer_id, limit=1):
            return report
    while stop is None or not stop.is_set():
        taken: tuple[int, str, str] | None = None  # id, transfer, letter: kept for the log
        try:
            with write_session(engine) as session:
                job = _take(session, transfer_id, failed)
                if job is None:
                    break
                assert job.id is not None
                taken = (job.id, job.transfer_ref, job.letter)
                try:
                    report.issued.append(issue_one(session, job, settings))
                    issued_for[job.transfer_id] = (job.actor, job.letter_date)
                    issued_letters.setdefault(job.transfer_id, set()).add(job.letter)
                except NotFoundError:
                    log.warning("%s: the transfer no longer exists; its letter %s is dropped",
                                job.transfer_ref, job.letter)
                session.connection().execute(delete(_PENDING).where(_PENDING.c.id == job.id))
        except Exception as exc:
            if taken is None and isinstance(exc, UnavailableError):
                log.error("owed letters not issued now; they are tried again at the next "
                          "sweep: %s", exc)
                report.errors.append(f"letters not issued yet: {exc}")
                break
            if taken is None:
                raise
            job_id, ref, letter = taken
            if isinstance(exc, TransferEngineError):  # says what to put right: no traceback
                log.error("%s: letter %s could not be issued; it is tried again at the next "
                          "sweep: %s", ref, letter, exc)
            else:
                log.exception("%s: letter %s could not be issued; it is tried again at the "
                              "next sweep", ref, letter)
            failed.add(job_id)
            report.errors.append(f"{ref}: letter {letter}: {exc}")
            with write_session(engine) as session:
                session.connection().execute(
                    _PENDING.update().where(_PENDING.c.id == job_id)
                    .values(attempts=_PENDING.c.attempts + 1, last_error=str(exc)[:2000]))
    _judge_evidence(engine, issued_for, issued_letters, report)
    return report


def _judge_evidence(engine: Engine | None, issued_for: dict[int, tuple[str, date]],
                    issued_letters: dict[int, set[str]], report: IssueReport) -> None:
    """After the letters are committed, judge again the steps they are evidence for (the
    reg 13 information completes informing the representatives, on the letters' date).
    Letters no step's evidence names change nothing: no step is read again for them."""
    for transfer_id, (actor, day) in issued_for.items():
        try:
            with write_session(engine) as session:
                reconcile(session.connection(), transfer_id, actor=actor, today=day,
                          letters=issued_letters[transfer_id])
        except UnavailableError as exc:  # judged again at the next change or issue
            log.error("steps not yet judged against the letters issued: %s", exc)
            report.errors.append(f"steps not yet judged against the letters issued: {exc}")


def _take(session: Session, transfer_id: int | None, skip: set[int]) -> PendingLetter | None:
    query = (select(PendingLetter).order_by(col(PendingLetter.id)).limit(1)
             .with_for_update(skip_locked=True))
    if transfer_id is not None:
        query = query.where(PendingLetter.transfer_id == transfer_id)
    if skip:
        query = query.where(PendingLetter.id.not_in(skip))  # type: ignore[union-attr]
    return session.exec(query).first()


def issue_one(session: Session, job: PendingLetter, settings: Settings) -> IssuedLetter:
    """Issue one owed letter to all its recipients in the caller's transaction."""
    context = letter_context(session, job.transfer_id)
    return _issue(session, context, job.letter, job.letter_date, settings, job.actor)[1]


def _issue(session: Session, context: LetterContext, name: str, day: date, settings: Settings,
           actor: str, override_reason: str | None = None) -> tuple[int | None, IssuedLetter]:
    """Letter ``name`` for ``day``, unless already decided: its notice id and what happened.

    Only letters issued use up the day: a letter that could not be made (HR alerted) is issued
    once put right, the same day; and a recipient who still lacks the letter after the day's
    issue (their letter was withheld, or they were added since) gets it in a notice of its own.
    """
    key = f"letter:{context.id}:{name}:{day}"
    decided = bool(existing_keys(session, [key]))
    notice, messages, problem, waiting, nobody = _state_letter(
        session, context, name, day, settings, actor, override_reason)
    if decided:
        if problem is not None or not waiting:
            return None, IssuedLetter(context.ref, name, day, "already")
        notice = replace(notice, key=f"{key}:more-{utcnow():%H%M%S%f}")
    counted = _Counted(messages) if messages is not None else None
    notice_id = enqueue(session, notice, settings, messages=counted)
    if problem is not None:
        # Alerted once a day at most (the alert's own key); the letter stays to be issued.
        return notice_id, IssuedLetter(context.ref, name, day, "alert", problem=problem,
                                       nobody=nobody)
    if notice_id is None:  # pragma: no cover  (decided by another process meanwhile)
        return None, IssuedLetter(context.ref, name, day, "already")
    log.info("%s: letter %s decided for %s (%s)", context.ref, name, day, notice.kind.value)
    return notice_id, IssuedLetter(context.ref, name, day, "issued",
                                   recipients=counted.count if counted else 0)


class _Counted:
    """Passes messages through, counting them (the outbox consumes them lazily)."""

    def __init__(self, messages: Iterable[PlannedMessage]) -> None:
        self._messages = messages
        self.count = 0

    def __iter__(self) -> Iterator[PlannedMessage]:
        for message in self._messages:
            self.count += 1
            yield message


def issue_now(session: Session, transfer: Any, letters: Sequence[str], today: date,
              settings: Settings | None = None, *, actor: str = "workflow",
              override_reason: str | None = None) -> list[int]:
    """Issue ``letters`` for ``transfer`` in the caller's transaction (HR's "Issue" button).

    Returns the ids of the notices written: none for a letter already decided today.
    ``override_reason``: HR's written reason for issuing a letter the sense checks refuse.
    """
    settings = settings or get_settings()
    context = letter_context(session, transfer.id)
    issued = [_issue(session, context, name, today, settings, actor, override_reason)[0]
              for name in letters]
    reconcile_in(session, transfer.id, actor=actor, today=today)
    return [notice_id for notice_id in issued if notice_id is not None]


def _state_letter(session: Session, context: LetterContext, name: str, today: date,
                  settings: Settings, actor: str, override_reason: str | None = None
                  ) -> tuple[PlannedNotice, Iterable[PlannedMessage] | None, str | None, int,
                             bool]:
    """The notice of one state letter, its messages (rendered as they are written), the
    problem that stopped it (then the notice is an alert to the HR owner, keyed apart from the
    letter's: an alert does not use up the letter's day), how many lack the letter, and
    whether the letter has nobody to go to."""

    outcome = state_letter(session, context.ref, name, today, actor=actor, settings=settings,
                           override_reason=override_reason)
    common: dict[str, Any] = {
        "key": f"letter:{context.id}:{name}:{today}", "planned_for": today,
        "decided_on": today, "transfer_id": context.id, "transfer_ref": context.ref,
        "step_id": name, "due_date": today}
    if outcome.messages is None:
        problem = outcome.problem or "it cannot be issued"
        alert = _hr_alert(context, name, problem)
        common["key"] = f"{common['key']}:alert"
        return PlannedNotice(kind=NoticeKind.hr_alert, messages=(alert,), **common), None, \
            problem, 0, outcome.no_recipients
    return PlannedNotice(kind=NoticeKind.letter, messages=(), **common), outcome.messages, \
        None, outcome.waiting, False


# ---------------------------------------------------------------------------------------------
# What the letters of a transfer need to know


@dataclass(frozen=True)
class LetterContext:
    """What the letters of a transfer say and whom they go to, read in a few narrow queries."""

    id: int
    ref: str
    title: str
    hr_owner: str | None
    sample_data: bool
    regime: Regime
    regime_reason: str
    transferor: str
    transferee: str
    transfer_date: date | None
    employees: tuple[Any, ...]        # rows: employee_ref, full_name, email, objected_on
    representatives: tuple[Any, ...]  # rows: id, name, email


_T = Transfer.__table__  # type: ignore[attr-defined]
_FROM = Organisation.__table__.alias("transferor")  # type: ignore[attr-defined]
_TO = Organisation.__table__.alias("transferee")  # type: ignore[attr-defined]
_KEY = KeyDate.__table__  # type: ignore[attr-defined]
_EMP = Employee.__table__  # type: ignore[attr-defined]
_REP = Representative.__table__  # type: ignore[attr-defined]
# Built once: SQLAlchemy then reuses their compiled form for every letter. (SQLAlchemy's select:
# SQLModel's is typed for at most four columns.)
_CONTEXT = (
    sa.select(_T.c.id, _T.c.ref, _T.c.title, _T.c.hr_owner, _T.c.sample_data, _T.c.regime,
              _T.c.regime_reason, _FROM.c.name.label("transferor"),
              _TO.c.name.label("transferee"), _KEY.c.value.label("transfer_date"))
    .select_from(_T.outerjoin(_FROM, _FROM.c.id == _T.c.transferor_id)
                 .outerjoin(_TO, _TO.c.id == _T.c.transferee_id)
                 .outerjoin(_KEY, and_(_KEY.c.transfer_id == _T.c.id,
                                       _KEY.c.name == "transfer")))
    .where(_T.c.id == bindparam("transfer_id"))
)
_EMPLOYEES = (
    select(_EMP.c.employee_ref, _EMP.c.full_name, _EMP.c.email, _EMP.c.objected_on)
    .where(_EMP.c.transfer_id == bindparam("transfer_id"), _EMP.c.in_scope.is_(True))
    .order_by(_EMP.c.employee_ref)
)
_REPRESENTATIVES = (
    select(_REP.c.id, _REP.c.name, _REP.c.email)
    .where(_REP.c.transfer_id == bindparam("transfer_id")).order_by(_REP.c.id)
)


def letter_context(session: Session, transfer_id: int) -> LetterContext:
    connection = session.connection()
    params = {"transfer_id": transfer_id}
    row = connection.execute(_CONTEXT, params).first()
    if row is None:
        raise NotFoundError(f"transfer id {transfer_id} does not exist")
    return LetterContext(
        id=row.id, ref=row.ref, title=row.title, hr_owner=row.hr_owner,
        sample_data=row.sample_data, regime=row.regime, regime_reason=row.regime_reason,
        transferor=row.transferor or "the transferor",
        transferee=row.transferee or "the transferee", transfer_date=row.transfer_date,
        employees=tuple(connection.execute(_EMPLOYEES, params).all()),
        representatives=tuple(connection.execute(_REPRESENTATIVES, params).all()))


def _hr_alert(context: LetterContext, name: str, why: str) -> PlannedMessage:
    subject = f"{sample_prefix(context)}Letter {name} cannot be sent automatically [{context.ref}]"
    body = (f"{context.ref} ({context.title}) has entered a state whose workflow issues the "
            f"letter {name!r}, but it was not issued:\n\n{why}\n\n"
            f"See what is missing:  transfer-engine letters check {context.ref}\n"
            f"Then issue it:        transfer-engine letters issue {context.ref} {name}\n"
            f"{sample_note(context)}")
    problem = None if context.hr_owner else f"{context.ref} has no HR owner email recorded"
    return PlannedMessage("hr-owner", context.hr_owner, "hr", subject, body, problem)
