"""Each letter's data, built from the database: the transfer, its parties, key dates, steps,
particulars, and the one recipient.

Two rules are enforced here, where the data is assembled, rather than trusted to templates:

* **Representatives never receive employees' personal data** (reg 13(2) needs numbers, not
  people): a letter to a representative is built from counts and roles only; no employee record
  is put in its context at all, so no template can print one.
* **The ELI schedule (reg 11) goes to the transferee only**: its recipients are the transferee,
  one schedule per transferring employee.

Sample transfers (the demo, tests) set ``synthetic``, and every letter template prints a
"synthetic test data" notice when it is set.

Work that is the same for every recipient (the transfer, the parties, the counts) is read once
per batch into :class:`TransferFacts`; recipients are read in chunks (:func:`iter_recipients`), so
issuing ten thousand letters never holds ten thousand employees' data in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from transfer_engine.domain import Regime, RepresentativeKind, StepStatus
from transfer_engine.engine.liability import TRANSFERRING, pending_changes
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.agency_workers import agency_workers_statement
from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.data import encode, to_context
from transfer_engine.letters.logos import load_logos
from transfer_engine.letters.recorded_particulars import (
    TransferLevel,
    employee_particulars,
    transfer_particulars,
)
from transfer_engine.letters.typography import repeats_name
from transfer_engine.rules.eli import ELI_COLUMNS, ELI_ITEMS, required_items
from transfer_engine.store.liability import EliChange
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import get_transfer, key_dates_of, steps_of
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = ["Recipient", "TransferFacts", "applies_to", "build_data", "iter_recipients",
           "load_facts", "sender_of"]

CHUNK = 200

_REGIME_WORDS = {
    Regime.tupe: "the Transfer of Undertakings (Protection of Employment) Regulations 2006 "
                 "(TUPE)",
    # COSOP is a policy, not law: the move is not a relevant transfer (e.g. reg 3(5), between
    # public administrative authorities), and the employers agree to act as if it were.
    Regime.cosop: "the principles of the Cabinet Office Statement of Practice on Staff "
                  "Transfers in the Public Sector (COSOP): in law it is not a transfer under the "
                  "Transfer of Undertakings (Protection of Employment) Regulations 2006 (TUPE), "
                  "and the employers treat it as if those Regulations applied",
}


@dataclass
class TransferFacts:
    """What every letter of one transfer shares, read once per batch."""

    transfer: Transfer
    transferor: Organisation
    transferee: Organisation
    key_dates: dict[str, date]
    particulars: TransferLevel
    transfer_data: dict[str, Any]
    representatives: dict[int, Representative] = field(default_factory=dict)
    organisations: dict[int, Organisation] = field(default_factory=dict)

    @property
    def id(self) -> int:
        assert self.transfer.id is not None
        return self.transfer.id

    def organisation_data(self, organisation: Organisation, *, as_sender: bool) -> dict[str, Any]:
        extra = self.particulars.organisations.get(organisation.slug, {})
        data: dict[str, Any] = {"name": organisation.name, "slug": organisation.slug}
        keys: tuple[str, ...]
        if as_sender:
            keys = ("address", "signatory_name", "signatory_title", "contact_email", "logo",
                    "logo_alt")
        else:
            keys = ("address", "contact_name", "contact_email", "salutation")
        data.update({k: extra[k] for k in keys if k in extra})
        if as_sender and isinstance(data.get("address"), list):
            # The letterhead prints the name above the address: not twice.
            data["address"] = [line for line in data["address"]
                               if not repeats_name(str(line), organisation.name)]
        return data


def load_facts(session: Session, ref: str, *, lock: bool = False) -> TransferFacts:
    """Read what all of a transfer's letters share (one small set of queries).

    ``lock`` takes the transfer's row lock, as the engine does for a transition.
    """
    transfer = get_transfer(session, ref, lock=lock)
    organisations = {o.id: o for o in session.exec(select(Organisation)).all()
                     if o.id is not None}
    transferor = organisations.get(transfer.transferor_id)
    transferee = organisations.get(transfer.transferee_id)
    if transferor is None or transferee is None:  # pragma: no cover  (foreign keys)
        raise NotFoundError(f"{ref}: its transferor or transferee is missing")
    key_dates = key_dates_of(session, transfer)
    steps = steps_of(session, transfer)
    particulars = transfer_particulars(session, transfer, [transferor, transferee])
    load_logos(session, (o.get("logo") for o in particulars.organisations.values()))
    reps = {r.id: r for r in session.exec(select(Representative)
                                          .where(Representative.transfer_id == transfer.id)
                                          .order_by(col(Representative.id))).all()
            if r.id is not None}
    assert transfer.id is not None
    in_scope = (Employee.transfer_id == transfer.id, col(Employee.in_scope).is_(True))
    affected = session.exec(select(func.count()).select_from(Employee).where(*in_scope)).one()
    objected = session.exec(select(func.count()).select_from(Employee)
                            .where(*in_scope, col(Employee.objected_on).is_not(None))).one()
    roles = Counter(dict(session.exec(
        select(Employee.role, func.count()).where(*in_scope, col(Employee.objected_on).is_(None))
        .group_by(Employee.role)).all()))
    # Transferring employees whose ELI lacks an item (reg 11(2)): the cover letter says so
    # rather than claim that every schedule is there. Only the items the law asks for on the
    # transfer date count (ERA 1996 s.1 as in force then: SI 2019/731 from 6 April 2020).
    incomplete = session.exec(select(func.count()).select_from(Employee).where(
        *in_scope, col(Employee.objected_on).is_(None),
        or_(*(col(getattr(Employee, item.column)).is_(None)
              for item in required_items(key_dates.get("transfer")))))).one()
    extra = particulars.transfer
    eli = steps.get("eli")
    measures = steps.get("measures")
    unions = sorted({r.union for r in reps.values() if r.union})
    data: dict[str, Any] = {
        "reference": transfer.ref,
        "title": transfer.title,
        "transferor": transferor.name,
        "transferee": transferee.name,
        "transfer_date": key_dates.get("transfer"),
        "decision_date": key_dates.get("decision"),
        "regime": transfer.regime.value,
        "regime_words": _REGIME_WORDS.get(transfer.regime),
        # Not the regime's recorded reason: that is HR's note of how it decided (e.g. "the
        # report treats the move as a TUPE transfer (para 7.2.1)"), never a letter's words.
        "eli_due": eli.due_date if eli and eli.status != StepStatus.not_applicable else None,
        "measures_due": measures.due_date if measures else None,
        "employee_count": affected - objected,
        "affected_count": affected,
        "objector_count": objected,
        "eli_incomplete_count": incomplete,
        "roles": [{"role": role, "count": count} for role, count in sorted(roles.items())],
        "hr_owner": transfer.hr_owner,
        "representatives": extra.get("representatives") or " and ".join(unions) or None,
        "contact_email": transfer.hr_owner,
        # Collective redundancies (TULRCA s.188, s.193), when proposed.
        "proposed_dismissals": transfer.proposed_dismissals,
        "establishment": transfer.establishment,
        "first_dismissal": key_dates.get("first_dismissal"),
    }
    data.update({k: v for k, v in extra.items() if k != "representatives"})
    if "agency_worker_count" in extra:  # reg 13(2A) item by item (see letters.agency_workers)
        data["agency_workers"] = agency_workers_statement(extra)
    return TransferFacts(transfer=transfer, transferor=transferor, transferee=transferee,
                         key_dates=key_dates, particulars=particulars, transfer_data=data,
                         representatives=reps, organisations=organisations)


# ---------------------------------------------------------------------------------------------
# Recipients


@dataclass(frozen=True)
class Recipient:
    """Whom one letter is addressed to, and (for an ELI schedule) whom it is about.

    ``ref`` follows the outbox: ``representative:<id>``, ``employee:<ref>``, ``transferee``.
    """

    ref: str
    label: str
    email: str | None
    audience: str
    about: str | None = None
    representative: Representative | None = None
    employee: Employee | None = None
    supersedes: Letter | None = None
    # A reg 11(5) notice: the changes to the ELI it tells the transferee of.
    changes: tuple[EliChange, ...] = ()

    @property
    def key(self) -> str:
        """What makes this recipient's letter different from another's of the same letter."""
        return f"{self.ref}|{self.about}" if self.about else self.ref

    def matches(self, wanted: str) -> bool:
        return wanted in (self.ref, self.about, self.key)


def _employees(session: Session, facts: TransferFacts, which: str,
               wanted: set[str] | None) -> Iterator[Employee]:
    """Employees in scope, by employee_ref, read a chunk at a time (keyset pagination)."""
    last = ""
    while True:
        query = (select(Employee).where(Employee.transfer_id == facts.id,
                                        col(Employee.in_scope).is_(True),
                                        Employee.employee_ref > last)
                 .order_by(Employee.employee_ref).limit(CHUNK))
        if which == "transferring":
            query = query.where(col(Employee.objected_on).is_(None))
        elif which == "objecting":
            query = query.where(col(Employee.objected_on).is_not(None))
        if wanted is not None:
            query = query.where(col(Employee.employee_ref).in_(wanted))
        rows = session.exec(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].employee_ref


def _rep_label(rep: Representative) -> str:
    return rep.name + (f" ({rep.union})" if rep.union else "")


def iter_recipients(session: Session, facts: TransferFacts, spec: LetterSpec,
                    wanted: Sequence[str] | None = None) -> Iterator[Recipient]:
    """Every recipient of ``spec`` for this transfer (or only those in ``wanted``), in order.

    ``wanted`` holds recipient refs (``employee:LD-001``, ``representative:3``,
    ``transferee``) or bare employee refs.
    """
    kind = spec.recipients
    if not applies_to(facts, spec):
        return  # e.g. the HR1 copy, where no redundancies are proposed
    employee_refs: set[str] | None = None
    if wanted is not None:
        employee_refs = {w.split(":", 1)[1] if w.startswith("employee:") else w for w in wanted}
    if kind == "representatives":
        for rep_id, rep in facts.representatives.items():
            recipient = Recipient(f"representative:{rep_id}", _rep_label(rep), rep.email,
                                  "representative", representative=rep)
            if wanted is None or any(recipient.matches(w) for w in wanted):
                yield recipient
    elif kind in ("affected-employees", "transferring-employees", "objecting-employees"):
        which = kind.split("-")[0]
        for employee in _employees(session, facts, which, employee_refs):
            yield Recipient(f"employee:{employee.employee_ref}",
                            f"{employee.full_name} ({employee.employee_ref})", employee.email,
                            "employee", employee=employee)
    elif kind == "transferee":
        recipient = _transferee(facts)
        if wanted is None or any(recipient.matches(w) for w in wanted):
            yield recipient
    elif kind == "eli":
        base = _transferee(facts)
        for employee in _employees(session, facts, "transferring", employee_refs):
            yield Recipient(base.ref, f"{base.label}: ELI for {employee.employee_ref}",
                            base.email, "transferee", about=f"employee:{employee.employee_ref}",
                            employee=employee)
    elif kind == "eli-changes":
        changes = tuple(pending_changes(session, facts.id))
        if changes:
            base = _transferee(facts)
            # One notice per set of changes, named by the last: a later notice adds to the
            # earlier ones rather than superseding them.
            notice = Recipient(base.ref, f"{base.label}: changes to the ELI", base.email,
                               "transferee",
                               about=f"eli-changes:{max(c.id or 0 for c in changes)}",
                               changes=changes)
            if wanted is None or any(notice.matches(w) for w in wanted):
                yield notice
    elif kind == "notified":
        yield from _notified(session, facts, spec, wanted)
    else:
        raise ValidationError(f"{spec.name} is sent by the scheduler, not issued by hand")


def applies_to(facts: TransferFacts, spec: LetterSpec) -> bool:
    """Whether the transfer records the field the letter needs to go to anyone at all."""
    if spec.applies_if is None:
        return True
    return facts.transfer_data.get(spec.applies_if.split(".", 1)[1]) is not None


def _transferee(facts: TransferFacts) -> Recipient:
    extra = facts.particulars.organisations.get(facts.transferee.slug, {})
    return Recipient("transferee", facts.transferee.name, extra.get("contact_email"),
                     "transferee")


def _notified(session: Session, facts: TransferFacts, spec: LetterSpec,
              wanted: Sequence[str] | None) -> Iterator[Recipient]:
    """Holders of a current letter that ``spec`` supersedes, whose letter gave another date.

    Each is offered the latest such letter as the one superseded; a holder whose current letter
    already states the transfer date as it now stands has nothing to be told (and one whose
    current letter is this notice itself is listed, to be counted as already holding it).
    """
    current = facts.transfer_data.get("transfer_date")
    last_id = 0
    while True:
        rows = session.exec(
            select(Letter).where(Letter.transfer_id == facts.id,
                                 col(Letter.letter).in_(spec.supersedes),
                                 Letter.status == LetterStatus.issued, col(Letter.id) > last_id)
            .order_by(col(Letter.id)).limit(CHUNK)).all()
        if not rows:
            return
        last_id = rows[-1].id or last_id
        for letter in rows:
            if letter.about_ref is not None:
                continue
            if wanted is not None and letter.recipient_ref not in wanted and \
                    letter.recipient_ref.split(":", 1)[-1] not in wanted:
                continue
            stated = to_context(letter.data).get("transfer")
            if getattr(stated, "transfer_date", None) == current and letter.letter != spec.name:
                continue  # told the current date already (a notice of its own counts as held)
            newer = session.exec(select(Letter.id).where(
                Letter.transfer_id == facts.id, col(Letter.letter).in_(spec.supersedes),
                Letter.recipient_ref == letter.recipient_ref, col(Letter.id) > (letter.id or 0),
                Letter.status == LetterStatus.issued)).first()
            if newer is not None:  # the recipient holds a later letter: that one is current
                continue
            kind, _, key = letter.recipient_ref.partition(":")
            if kind == "representative" and int(key) in facts.representatives:
                rep = facts.representatives[int(key)]
                yield Recipient(letter.recipient_ref, _rep_label(rep), rep.email,
                                "representative", representative=rep, supersedes=letter)
            elif kind == "employee":
                employee = session.exec(select(Employee).where(
                    Employee.transfer_id == facts.id, Employee.employee_ref == key)).first()
                if employee is not None:
                    yield Recipient(letter.recipient_ref,
                                    f"{employee.full_name} ({employee.employee_ref})",
                                    employee.email, "employee", employee=employee,
                                    supersedes=letter)


# ---------------------------------------------------------------------------------------------
# Building one letter's data


def _employee_data(employee: Employee, extra: dict[str, Any],
                   transfer_date: date | None, *, eli: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": employee.full_name,
        "employee_number": employee.employee_ref,
        "email": employee.email,
        "job_title": employee.role,
        "fte": employee.fte,
        "weekly_pay": employee.weekly_pay,
        "date_of_birth": employee.date_of_birth,
        "objected_on": employee.objected_on,
    }
    if employee.date_of_birth and transfer_date:
        born = employee.date_of_birth
        data["age_at_transfer"] = transfer_date.year - born.year - (
            (transfer_date.month, transfer_date.day) < (born.month, born.day))
    data.update(extra)
    if eli:
        # The ELI states what the staff list records (reg 11(2)), nothing else: an item not
        # recorded is a gap, never filled from a letter's particulars. Only if the law asks for
        # it on the transfer date, though (ERA 1996 s.1 as in force then: SI 2019/731 added
        # particulars from 6 April 2020): the schedule shows an item not asked for only when a
        # value was recorded, and never as missing.
        data.update({c: getattr(employee, c) for c in ELI_COLUMNS if c not in _BASICS})
        data["eli_required"] = [item.column for item in required_items(transfer_date)]
    return data


#: ELI items already in every employee's letter data, under their letters' names.
_BASICS = {"employee_ref", "full_name", "role", "date_of_birth", "weekly_pay"}
_LABELS = {item.column: item.label for item in ELI_ITEMS} | {
    TRANSFERRING: "transfers to you"}


def _change_notice(changes: Sequence[EliChange]) -> dict[str, Any]:
    """What a reg 11(5) notice lists: each employee's changes, in the order made.

    An employee who no longer transfers is told as that alone: the transferee has no right to
    the rest of the data of someone who does not transfer.
    """
    by_employee: dict[str, list[EliChange]] = {}
    for change in changes:
        by_employee.setdefault(change.employee_ref, []).append(change)
    employees = []
    for ref, items in by_employee.items():
        leaving = next((c for c in reversed(items) if c.item == TRANSFERRING), None)
        if leaving is not None and leaving.after == "no":
            items = [leaving]
        employees.append({
            "employee_number": ref,
            "leaves": leaving is not None and leaving.after == "no",
            "changes": [{"item": _LABELS.get(c.item, c.item), "before": c.before or "(none)",
                         "after": c.after or "(none)", "changed_on": c.changed_on}
                        for c in items]})
    return {"count": len(changes), "employees": employees}


def _representative_data(facts: TransferFacts, rep: Representative) -> dict[str, Any]:
    extra = facts.particulars.representatives.get(rep.id or 0, {})
    employer = facts.organisations.get(rep.organisation_id)
    employer_name = employer.name if employer else "the employer"
    if rep.kind == RepresentativeKind.recognised_union and rep.union:
        capacity = f"{rep.union}, the recognised trade union for staff of {employer_name}"
    else:
        capacity = f"elected representative of the affected employees of {employer_name}"
    return {"name": rep.name, "union": rep.union, "employer": employer_name,
            "capacity": capacity, "email": rep.email, **extra}


def sender_of(facts: TransferFacts, spec: LetterSpec,
              recipient: Recipient) -> tuple[str, Organisation]:
    """The party that owes this letter to this recipient, as its role and organisation.

    ``sender: each`` is a duty of each employer towards its own people (reg 13(2)): a
    representative of the transferee's affected employees gets the transferee's letter, every
    other recipient the transferor's (its employees until the transfer).
    """
    if spec.sender == "transferee":
        return "transferee", facts.transferee
    rep = recipient.representative
    if spec.sender == "each" and rep is not None and \
            rep.organisation_id == facts.transferee.id != facts.transferor.id:
        return "transferee", facts.transferee
    return "transferor", facts.transferor


#: What a letter checked before it is issued is numbered as (never printed on a letter issued).
UNNUMBERED = "(numbered when issued)"


def build_data(facts: TransferFacts, spec: LetterSpec, recipient: Recipient, *,
               letter_date: date, employee_extra: dict[str, Any] | None = None,
               reference: str | None = None) -> dict[str, Any]:
    """The JSON-ready data of one letter (see :mod:`transfer_engine.letters.data`).

    ``reference`` is the letter's own ("LD-NCT/R13/0001", :mod:`transfer_engine.letters.
    references`); a letter that replaces the recipient's earlier one of the same kind (a
    reissue) says so (``replaces``).

    Raises :class:`ValidationError` for a letter that cannot apply to this transfer (a move
    that is not a TUPE or COSOP transfer).
    """
    transfer = facts.transfer
    if transfer.regime.value not in spec.regimes:
        raise ValidationError(
            f"{transfer.ref} is recorded as {transfer.regime.value} "
            f"({' '.join(transfer.regime_reason.split())}); the letter {spec.name} is only for "
            f"{' or '.join(spec.regimes)} transfers")
    role, sender = sender_of(facts, spec, recipient)
    data: dict[str, Any] = {
        "letter_date": letter_date,
        "synthetic": bool(transfer.sample_data or (recipient.employee is not None
                                                    and recipient.employee.synthetic)),
        "letter": {"name": spec.name, "title": spec.title, "legal_basis": spec.legal_basis,
                   "reference": reference or UNNUMBERED},
        "sender": {**facts.organisation_data(sender, as_sender=True), "role": role},
        "transfer": dict(facts.transfer_data),
    }
    transfer_date = facts.transfer_data.get("transfer_date")
    if recipient.representative is not None:
        rep = _representative_data(facts, recipient.representative)
        data["representative"] = rep
        data["recipient"] = {k: rep[k] for k in ("name", "salutation", "address") if k in rep}
    if recipient.changes:
        data["change_notice"] = _change_notice(recipient.changes)
    if recipient.employee is not None:
        employee = _employee_data(recipient.employee, employee_extra or {}, transfer_date,
                                  eli=spec.recipients == "eli")
        data["employee"] = employee
        if recipient.audience == "employee":
            data["recipient"] = {"name": employee["full_name"],
                                 **{k: employee[k] for k in ("salutation", "address")
                                    if k in employee}}
    if recipient.audience == "transferee":
        organisation = facts.organisation_data(facts.transferee, as_sender=False)
        data["organisation"] = organisation
        data["recipient"] = {"name": organisation.get("contact_name", facts.transferee.name),
                             **{k: organisation[k] for k in ("salutation", "address")
                                if k in organisation}}
    if recipient.supersedes is not None:
        earlier = recipient.supersedes
        stated = earlier.data.get("transfer", {})
        data["supersedes"] = {
            "reference": _reference_of(earlier),
            "title": _title_of(earlier),
            "letter_date": earlier.letter_date,
            "transfer_date": to_context({"d": stated.get("transfer_date")}).get("d"),
        }
        if earlier.letter == spec.name and spec.recipients != "notified":
            # A reissue of the same letter: "This letter replaces our letter ... of ...".
            data["replaces"] = {"reference": _reference_of(earlier),
                                "letter_date": earlier.letter_date}
    return encode(data)


def _reference_of(letter: Letter) -> str:
    """An earlier letter's reference as printed on it (letters issued before references were
    numbered are named by their register entry, never by an internal key)."""
    return letter.reference or f"register entry {letter.id}"


def _title_of(letter: Letter) -> str:
    title = letter.data.get("letter", {}).get("title")
    return str(title) if title else letter.letter


def employee_extras(session: Session, facts: TransferFacts,
                    recipients: Sequence[Recipient]) -> dict[str, dict[str, Any]]:
    """The particulars of the employees among ``recipients`` (one query for a chunk)."""
    refs = [r.employee.employee_ref for r in recipients if r.employee is not None]
    return employee_particulars(session, facts.id, refs) if refs else {}
