"""Whether a step's evidence exists: the checks behind "done".

A step is done when what the workflow names as its evidence (``evidence:``, see
:mod:`transfer_engine.workflow.evidence_names`) exists, not when someone clicks a button. For
informing under reg 13(2) that means the information reached every appropriate representative,
or, where reg 13A or reg 13(11) lets the employer inform the employees directly, every affected
employee (the domain brief, section 5, "Evidence"). Each kind is judged from the
records: the letter register, the representatives and employees, the documents kept.

:func:`judge` says whether a step's evidence holds now, from when, by whom, and what is missing.
It never writes: :mod:`transfer_engine.engine.evidence` completes and reopens steps from it, and
the ``steps_done`` guard reads it so that a step whose evidence no longer holds does not let a
trigger through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transfer_engine.domain import StepStatus
from transfer_engine.rules.eli import EliCompleteness, eli_gaps_on
from transfer_engine.rules.objections import transfers_on
from transfer_engine.store.people import Election, Employee, Representative
from transfer_engine.store.register import Letter, StepDocument
from transfer_engine.store.representations import RepresentationsState, representations_state
from transfer_engine.store.transfers import KeyDate, StepInstance
from transfer_engine.workflow.definition import Step
from transfer_engine.workflow.evidence_names import Evidence

__all__ = ["DIRECT_STEPS", "EvidenceFacts", "Judgement", "StepRow", "checkable", "judge",
           "letters_read", "load_steps"]

#: The workflow steps that apply where the employer informs each employee directly: reg 13A
#: (no representatives, no election invited, under the thresholds in force on the transfer
#: date) and reg 13(11) (invited, none elected in a reasonable time). Their ``applies_when``
#: decides; the regulation is what messages name.
DIRECT_STEPS = {"inform_employees_directly": "reg 13A",
                "inform_employees_no_election": "reg 13(11)"}
#: How many names a "not issued to ..." message lists before counting the rest.
_NAMED = 5


class StepRow(Protocol):
    """What evidence is judged with of a step as recorded."""

    step_id: str
    status: StepStatus
    done_on: date | None
    done_by: str | None
    evidence: str | None
    recorded_on: date | None
    recorded_by: str | None
    override_reason: str | None


@dataclass(frozen=True)
class Finding:
    """One kind of evidence: held (since ``on``, by ``by``) or not, and what shows it or lacks."""

    held: bool
    text: str
    on: date | None = None
    by: str | None = None
    # Came to be when it was recorded, on a day the records do not keep in the service's
    # terms (a reply to a representation): the step is done on the day it is judged to hold.
    on_judging: bool = False


@dataclass(frozen=True)
class Judgement:
    """A step's evidence as a whole: every kind must hold."""

    findings: tuple[Finding, ...]

    @property
    def holds(self) -> bool:
        return all(f.held for f in self.findings)

    @property
    def missing(self) -> str:
        return "; ".join(f.text for f in self.findings if not f.held)

    @property
    def detail(self) -> str:
        return "; ".join(f.text for f in self.findings if f.held)

    @property
    def on_judging(self) -> bool:
        """Whether a piece of evidence came to be only now (see :attr:`Finding.on_judging`)."""
        return any(f.held and f.on_judging for f in self.findings)

    @property
    def completed(self) -> tuple[date | None, str | None]:
        """The day the last piece of evidence came to be, and who provided it (a letter's
        date and issuer, a document's date): the step is done on that day."""
        dated = [f for f in self.findings if f.on is not None]
        if not dated:
            return None, None
        last = max(dated, key=lambda f: f.on or date.min)
        return last.on, last.by


def checkable(step: Step) -> bool:
    """Whether the step's evidence can be judged from the records (anything but a note, which
    exists once it is recorded and cannot stop being true)."""
    return any(e.kind != "note" for e in step.evidence)


_EMP = Employee.__table__  # type: ignore[attr-defined]
_REP = Representative.__table__  # type: ignore[attr-defined]
_LETTER = Letter.__table__  # type: ignore[attr-defined]
_DOC = StepDocument.__table__  # type: ignore[attr-defined]
_ELECTION = Election.__table__  # type: ignore[attr-defined]


_STEP = StepInstance.__table__  # type: ignore[attr-defined]
_KEY_DATE = KeyDate.__table__  # type: ignore[attr-defined]


# Statements built once, with parameters: building and cache-keying a statement costs more than
# running it on SQLite, and evidence is read on every committed transition.
_TID: sa.BindParameter[Any] = sa.bindparam("tid")
_STEPS = sa.select(_STEP).where(_STEP.c.transfer_id == _TID).order_by(_STEP.c.position)
_REPRESENTATIVES = (sa.select(_REP.c.id, _REP.c.name, _REP.c.union)
                    .where(_REP.c.transfer_id == _TID).order_by(_REP.c.id))
_EMPLOYEES = (sa.select(_EMP.c.employee_ref, _EMP.c.objected_on)
              .where(_EMP.c.transfer_id == _TID, _EMP.c.in_scope.is_(True))
              .order_by(_EMP.c.employee_ref))
_TRANSFER_DATE = sa.select(_KEY_DATE.c.value).where(_KEY_DATE.c.transfer_id == _TID,
                                                    _KEY_DATE.c.name == "transfer")
_NONE_ELECTED = (sa.select(_ELECTION.c.id).where(_ELECTION.c.transfer_id == _TID,
                                                 _ELECTION.c.none_elected_on.is_not(None))
                 .limit(1))
_LETTERS = (sa.select(_LETTER.c.id, _LETTER.c.recipient_ref, _LETTER.c.about_ref,
                      _LETTER.c.letter_date, _LETTER.c.issued_by)
            .where(_LETTER.c.transfer_id == _TID, _LETTER.c.letter == sa.bindparam("letter"))
            .order_by(_LETTER.c.letter_date, _LETTER.c.id))
_DOCUMENTS = (sa.select(_DOC.c.id, _DOC.c.step_id, _DOC.c.filename, _DOC.c.sha256,
                        _DOC.c.document_date, _DOC.c.attached_by)
              .where(_DOC.c.transfer_id == _TID)
              .order_by(_DOC.c.document_date, _DOC.c.id))


def load_steps(connection: Connection, transfer_id: int | None) -> dict[str, Any]:
    """A transfer's step rows (every column, evidence included), by step id."""
    rows = connection.execute(_STEPS, {"tid": transfer_id}).all()
    return {row.step_id: row for row in rows}


def letters_read(evidence: Iterable[Evidence]) -> set[str]:
    """The letters whose register entries ``evidence`` is judged on: issuing any other letter
    cannot change whether it holds."""
    names: set[str] = set()
    for item in evidence:
        if item.kind == "letter":
            names.update(n for n in (item.letter, item.without_representatives) if n)
        elif item.kind == "eli_complete":
            names.add("eli-schedule")
    return names


class EvidenceFacts:
    """What evidence is judged against, for one transfer, read once and only when asked."""

    def __init__(self, connection: Connection, transfer_id: int,
                 steps: Mapping[str, Any]) -> None:
        self.connection = connection
        self.transfer_id = transfer_id
        self.steps = steps
        self._letters: dict[str, list[Any]] = {}

    @cached_property
    def representatives(self) -> list[Any]:
        return list(self.connection.execute(_REPRESENTATIVES,
                                            {"tid": self.transfer_id}).all())

    @cached_property
    def employees(self) -> list[Any]:
        """Affected employees: those in scope."""
        return list(self.connection.execute(_EMPLOYEES, {"tid": self.transfer_id}).all())

    @cached_property
    def transferring(self) -> list[str]:
        """Reg 4(7): an employee who objected does not transfer. As the staff list stands on
        the transfer date, as for the ELI (with none yet, every objection recorded counts)."""
        as_of = self.transfer_date or date.max
        return [e.employee_ref for e in self.employees
                if transfers_on(True, e.objected_on, as_of)]

    @cached_property
    def transfer_date(self) -> date | None:
        return self.connection.execute(_TRANSFER_DATE, {"tid": self.transfer_id}).scalar()

    @cached_property
    def eli(self) -> EliCompleteness:
        """Reg 11(2): every item stated for each employee who transfers, as the staff list
        stands on the transfer date (an objection counts from its date, and one on or after
        the transfer is refused; with no transfer date yet, every objection recorded counts).
        The items are those the law asks for on the transfer date (``required_items``): the
        s.1 particulars SI 2019/731 added, only for a transfer from 6 April 2020."""
        return eli_gaps_on(self.connection, self.transfer_id,
                           as_of=self.transfer_date or date.max,
                           transfer_date=self.transfer_date)

    @cached_property
    def _representations(self) -> RepresentationsState:
        return representations_state(self.connection, self.transfer_id)

    @property
    def unanswered(self) -> list[tuple[int, date]]:
        """Representations made in the consultation with no reply yet (reg 13(7)): (id, reply
        due), oldest first."""
        return self._representations.unanswered

    @property
    def answered(self) -> int:
        """How many representations on this transfer have the employer's reply."""
        return self._representations.answered

    @cached_property
    def none_elected(self) -> bool:
        """Reg 13(11): an election was invited and the employees failed to elect anyone."""
        return self.connection.execute(_NONE_ELECTED,
                                       {"tid": self.transfer_id}).first() is not None

    @cached_property
    def direct_path(self) -> str | None:
        """The regulation that lets the employer inform each affected employee directly, when
        no representative is recorded: reg 13A (its step applies to this transfer, under the
        thresholds in force on the transfer date) or reg 13(11) (an election failed)."""
        if self.representatives:
            return None
        for step_id, regulation in DIRECT_STEPS.items():
            direct = self.steps.get(step_id)
            if direct is not None and direct.status != StepStatus.not_applicable:
                return regulation
        if self.none_elected:
            return "reg 13(11)"
        return None

    def letters(self, name: str) -> list[Any]:
        """Every register entry of letter ``name`` for this transfer (superseded and purged
        ones too: they were issued), oldest first."""
        if name not in self._letters:
            self._letters[name] = list(self.connection.execute(
                _LETTERS, {"tid": self.transfer_id, "letter": name}).all())
        return self._letters[name]

    @cached_property
    def documents(self) -> dict[str, list[Any]]:
        rows = self.connection.execute(_DOCUMENTS, {"tid": self.transfer_id}).all()
        out: dict[str, list[Any]] = {}
        for row in rows:
            out.setdefault(row.step_id, []).append(row)
        return out


def _named(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:_NAMED])
    return shown + (f" and {len(keys) - _NAMED} more" if len(keys) > _NAMED else "")


def _reached(facts: EvidenceFacts, letter: str, required: Sequence[str], whom: str,
             *, about: bool = False, path: str = "") -> Finding:
    """Letter ``letter`` held by every one of ``required`` (recipient keys, or with ``about``
    the employees an ELI schedule to the transferee is about)."""
    if not required:
        return Finding(False, f"{letter}: there is nobody to send it to yet (no {whom} recorded)")
    first: dict[str, Any] = {}
    for row in facts.letters(letter):
        key = row.about_ref if about else row.recipient_ref
        if about and row.recipient_ref != "transferee":
            continue
        if key is not None and key not in first:
            first[key] = row
    lacking = [k for k in required if k not in first]
    if lacking:
        names = [k.split(":", 1)[-1] if k.startswith("employee:") else _rep_name(facts, k)
                 for k in lacking]
        return Finding(False, f"{letter} not issued to {len(lacking)} of {len(required)} "
                              f"{whom}{path}: {_named(names)}")
    last = max((first[k] for k in required), key=lambda r: (r.letter_date, r.id))
    return Finding(True, f"{letter} issued to all {len(required)} {whom}{path}, the last on "
                         f"{last.letter_date.isoformat()}", last.letter_date, last.issued_by)


def _rep_name(facts: EvidenceFacts, key: str) -> str:
    _, _, rep_id = key.partition(":")
    for rep in facts.representatives:
        if str(rep.id) == rep_id:
            return rep.name + (f" ({rep.union})" if rep.union else "")
    return key


def _letter(facts: EvidenceFacts, evidence: Evidence) -> Finding:
    assert evidence.letter is not None
    letter, to = evidence.letter, evidence.to
    employees = [f"employee:{e.employee_ref}" for e in facts.employees]
    if to == "representatives":
        reps = [f"representative:{r.id}" for r in facts.representatives]
        if reps:
            return _reached(facts, letter, reps, "representative(s)")
        if facts.direct_path and evidence.without_representatives:
            # Reg 13A / reg 13(11): the information to each affected employee instead.
            return _reached(facts, evidence.without_representatives, employees,
                            "affected employee(s)",
                            path=f" ({facts.direct_path}: no representatives)")
        return Finding(False, f"{letter}: no appropriate representative is recorded (reg "
                              "13(3)), and neither reg 13A nor reg 13(11) lets the employer "
                              "inform the employees directly")
    if to == "affected-employees":
        return _reached(facts, letter, employees, "affected employee(s)")
    if to == "transferring-employees":
        return _reached(facts, letter, [f"employee:{r}" for r in facts.transferring],
                        "transferring employee(s)")
    if to == "objecting-employees":
        objecting = [f"employee:{e.employee_ref}" for e in facts.employees
                     if e.objected_on is not None]
        if not objecting:
            return Finding(True, f"{letter}: nobody has objected")
        return _reached(facts, letter, objecting, "objecting employee(s)")
    if to == "eli":
        return _reached(facts, letter, [f"employee:{r}" for r in facts.transferring],
                        "transferring employee(s) (schedules to the transferee)", about=True)
    return _reached(facts, letter, ["transferee"], "transferee")


def _eli(facts: EvidenceFacts) -> Finding:
    """Reg 11(2): the ELI given to the transferee for each employee who transfers: every item
    of it stated (:func:`transfer_engine.rules.eli.eli_gaps`, which names each gap), and one
    schedule each issued (an employee added since, or whose schedule is missing, is a gap).

    A schedule issued before an item was taken off the staff list does not make up for it: the
    step reopens, naming the item, until the staff list is complete again."""
    complete = facts.eli
    if complete.transferring == 0:
        return Finding(False, f"ELI (reg 11(2)) not given: {complete.summary(_NAMED)}")
    found = _reached(facts, "eli-schedule", [f"employee:{r}" for r in facts.transferring],
                     "transferring employee(s)", about=True)
    if found.held and complete.complete:
        return Finding(True, f"ELI given for every transferring employee, every reg 11(2) item "
                             f"stated: {found.text}", found.on, found.by)
    lacking = [complete.summary(_NAMED)] if not complete.complete else []
    lacking += [found.text] if not found.held else []
    return Finding(False, "ELI (reg 11(2)) not given for every transferring employee: "
                          + "; ".join(lacking))


def _representatives(facts: EvidenceFacts) -> Finding:
    if facts.representatives:
        names = [r.name + (f" ({r.union})" if r.union else "") for r in facts.representatives]
        return Finding(True, f"representatives recorded (reg 13(3)): {_named(names)}")
    if facts.direct_path:
        return Finding(True, f"no representatives; {facts.direct_path} applies: each affected "
                             "employee is informed directly")
    return Finding(False, "no appropriate representative is recorded (reg 13(3): a recognised "
                          "union, or representatives elected under reg 14), and neither reg "
                          "13A nor reg 13(11) applies")


def _representations_answered(facts: EvidenceFacts) -> Finding:
    """Reg 13(7): in the course of the consultation the employer considers each representation,
    replies to it and gives its reasons for rejecting any of it. One still waiting for a reply
    holds the consultation open (and reopens it when made after it was recorded as done)."""
    waiting = facts.unanswered
    if waiting:
        oldest = min(due for _, due in waiting)
        count = (f"{len(waiting)} representations from the representatives have"
                 if len(waiting) > 1 else "a representation from the representatives has")
        return Finding(False, f"{count} no reply yet (reg 13(7): the employer must consider "
                              "each, reply, and give its reasons for rejecting any of it); the "
                              f"oldest reply is due by {oldest.isoformat()}")
    if not facts.answered:
        return Finding(True, "no representation was made (reg 13(7))")
    return Finding(True, f"every representation ({facts.answered}) has the employer's reply "
                         "(reg 13(7))", on_judging=True)


def _note(row: StepRow | None) -> Finding:
    if row is None:
        return Finding(False, "not recorded yet")
    on = row.recorded_on
    by = row.recorded_by
    if on is None and row.status == StepStatus.done and not row.override_reason:
        on, by = row.done_on, row.done_by  # recorded before evidence was kept apart
    if on is None:
        return Finding(False, "not recorded as done yet")
    note = f": {row.evidence}" if row.evidence else ""
    return Finding(True, f"recorded by {by or 'someone'} as done on {on.isoformat()}{note}",
                   on, by)


def _document(facts: EvidenceFacts, step_id: str) -> Finding:
    documents = facts.documents.get(step_id, [])
    if not documents:
        return Finding(False, "no document attached")
    first = documents[0]
    return Finding(True, f"document {first.filename} dated {first.document_date.isoformat()} "
                         f"(SHA-256 {first.sha256[:16]}...)", first.document_date,
                   first.attached_by)


def judge(facts: EvidenceFacts, step: Step, row: StepRow | None,
          kinds: Iterable[Evidence] | None = None) -> Judgement:
    """The step's evidence as the records stand (every kind it names, or only ``kinds``)."""
    findings = []
    for evidence in (step.evidence if kinds is None else kinds):
        if evidence.kind == "note":
            findings.append(_note(row))
        elif evidence.kind == "document":
            findings.append(_document(facts, step.id))
        elif evidence.kind == "letter":
            findings.append(_letter(facts, evidence))
        elif evidence.kind == "eli_complete":
            findings.append(_eli(facts))
        elif evidence.kind == "representatives":
            findings.append(_representatives(facts))
        elif evidence.kind == "representations_answered":
            findings.append(_representations_answered(facts))
        else:  # the loader accepts only the kinds above
            raise AssertionError(evidence.kind)
    return Judgement(tuple(findings))
