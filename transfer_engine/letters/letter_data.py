"""Letter data recorded one section at a time: what the web app's forms read and save.

The particulars file (:mod:`transfer_engine.letters.particulars`) records every field a letter
needs beyond the engine's own records, for a whole transfer at once. HR also records them in the
browser, a section at a time: the service and reasons, the meeting, the contact, each list of
envisaged measures, the agency workers (reg 13(2A)), the ELI, collective redundancies, each
organisation's letterhead and signatory, and each representative's and employee's details.
This module says which fields each section holds and how each is typed
(:data:`SECTIONS`), checks a section's values with the particulars file's own schema (every
problem worded for people), and saves it into the same store the file fills, in one
transaction, with an audit entry of what changed.

The audit entry gives the old and new value of what is not personal data (the meeting place,
the measures), and for personal data (an employee's address, a signatory's name) only which
field was recorded, changed or removed: as the staff list's own audit, which names employees by
reference only.

An employee's section also holds their name (the staff list's, not a particular). A name
change takes the salutation with it when the salutation was the name, and asks HR to confirm a
new one when it used part of the old name (see :mod:`transfer_engine.letters.salutations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import pydantic
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.engine.limits import ELI_LATE_REASON, FREE_TEXT_MAX
from transfer_engine.engine.plain_text import plain_text
from transfer_engine.engine.renames import checked_name, rename_employee
from transfer_engine.errors import FieldProblem, NotFoundError, ValidationError
from transfer_engine.letters.data import encode
from transfer_engine.letters.particulars import (
    EmployeeParticulars,
    OrganisationParticulars,
    RepresentativeParticulars,
    TransferParticulars,
)
from transfer_engine.letters.recorded_particulars import (
    employee_scope,
    merge_particulars,
    organisation_scope,
    read_particulars,
    representative_scope,
    transfer_scope,
)
from transfer_engine.letters.salutations import Treatment, follow_name
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import audit, get_transfer
from transfer_engine.store.transfers import Transfer
from transfer_engine.validation import field_problems

__all__ = [
    "SECTIONS",
    "DataField",
    "GapForm",
    "SalutationToConfirm",
    "Saved",
    "Section",
    "check_section",
    "form_for_gap",
    "party_organisations",
    "record_section",
    "stored_values",
]

Scope = Literal["transfer", "organisation", "employee", "representative"]
Kind = Literal["line", "text", "lines", "date", "time", "count", "money", "number", "email",
               "measures", "groups"]

#: The longest one-line value (a place, a name, a title) and list item (a measure, a line of
#: an address); the longest text is the engine's FREE_TEXT_MAX, as for notes and reasons.
LINE_MAX = 500
ITEM_MAX = 1000
ITEMS_MAX = 50


@dataclass(frozen=True)
class DataField:
    """One field of a section: where it is kept, how a person names it, how it is typed."""

    name: str
    label: str            # "Meeting date": the form's label
    noun: str             # "the meeting date": "Add the meeting date"
    kind: Kind = "line"
    hint: str = ""
    personal: bool = False  # personal data: the audit says it changed, never what to


@dataclass(frozen=True)
class Section:
    key: str
    scope: Scope
    title: str
    fields: tuple[DataField, ...]
    intro: str = ""

    def field(self, name: str) -> DataField:
        return next(f for f in self.fields if f.name == name)


def _measures(name: str, whose: str, law: str) -> DataField:
    return DataField(name, f"Measures {whose} envisages", f"the measures {whose} envisages",
                     "measures", law)


SECTIONS: dict[str, Section] = {s.key: s for s in (
    Section("about", "transfer", "The service and the reasons", (
        DataField("service", "Name of the service", "the name of the service",
                  hint="As the letters name it, e.g. Learning and Development children's team"),
        DataField("reasons", "Reasons for the transfer", "the reasons for the transfer", "text",
                  "Reg 13(2)(a): why the transfer is proposed, in plain words"),
        DataField("representatives", "Who represents the affected employees",
                  "who represents the affected employees",
                  hint="e.g. UNISON and GMB. Leave blank to name the unions recorded"),
        DataField("pension_note", "Pensions", "what happens to pensions", "text",
                  "Reg 13(2)(b): the pension the new employer offers (Pensions Act 2004 "
                  "s.257-258)"),
    )),
    Section("meeting", "transfer", "The first meeting", (
        DataField("meeting_date", "Meeting date", "the meeting date", "date"),
        DataField("meeting_time", "Meeting time", "the meeting time", "time",
                  "e.g. 10am or 14:30"),
        DataField("meeting_place", "Meeting place", "the meeting place",
                  hint="e.g. Room 2, Sheerness House, or a video call"),
    ), "The meeting the letters invite representatives and employees to (reg 13(6))."),
    Section("contact", "transfer", "Who employees contact", (
        DataField("contact_name", "Contact name", "the contact's name",
                  hint="A team is best, e.g. the HR transfer team", personal=True),
        DataField("contact_phone", "Contact telephone number", "the contact telephone number",
                  hint="e.g. 0300 000 0000", personal=True),
        DataField("contact_email", "Contact email address", "the contact email address",
                  "email", personal=True),
    )),
    Section("dates", "transfer", "Dates the letters ask for", (
        DataField("measures_reply_by", "Date the transferee should reply by",
                  "the date the transferee should reply by", "date",
                  "The letter asking the transferee for its measures (reg 13(4)) gives it"),
        DataField("eli_check_by", "Date employees should check their details by",
                  "the date employees should check their details by", "date"),
    )),
    Section("transferor-measures", "transfer", "Measures the transferor envisages", (
        _measures("transferor_measures", "the transferor",
                  "Reg 13(2)(c): what the transferor envisages taking in connection with the "
                  "transfer for its affected employees"),
    )),
    Section("transferee-measures", "transfer", "Measures the transferee envisages", (
        _measures("transferee_measures", "the transferee",
                  "Reg 13(2)(d): as the transferee gave them in writing under reg 13(4), for "
                  "the employees who transfer to it"),
    )),
    Section("transferee-own-measures", "transfer",
            "Measures the transferee envisages for its own staff", (
                _measures("transferee_own_measures", "the transferee",
                          "Reg 13(2)(c), in the transferee's own letter to the representatives "
                          "of its own affected employees"),
            )),
    Section("agency-workers", "transfer", "Agency workers", (
        DataField("agency_worker_count", "Number of agency workers", "the number of agency "
                  "workers", "count", "Working temporarily for the employer and under its "
                  "supervision and direction. Enter 0 if there are none"),
        DataField("agency_worker_places", "Where they work", "where the agency workers work",
                  hint="The parts of the undertaking, e.g. the north depot"),
        DataField("agency_worker_work", "Type of work they do", "the type of work agency "
                  "workers do", hint="e.g. driving refuse collection vehicles"),
    ), "Regulation 13(2A) asks for these three, when there are agency workers."),
    Section("eli", "transfer", "Employee liability information", (
        DataField("eli_late_reason", "Why the ELI is late", "why the ELI is late", "text",
                  ELI_LATE_REASON.why[:1].upper() + ELI_LATE_REASON.why[1:] + "."),
        DataField("collective_agreements", "Collective agreements", "the collective "
                  "agreements", "lines", "Reg 11(2)(e): one a line, e.g. the Green Book"),
    )),
    Section("redundancies", "transfer", "Collective redundancies", (
        DataField("redundancy_reasons", "Reasons for the proposed dismissals",
                  "the reasons for the proposed dismissals", "text", "TULRCA s.188(4)(a)"),
        DataField("redundancy_groups", "Employees of each description", "the descriptions of "
                  "employees", "groups", "TULRCA s.188(4)(b)-(c): for each description, how "
                  "many are proposed for dismissal and how many are employed"),
        DataField("selection_method", "How employees will be selected",
                  "how employees will be selected", "text", "TULRCA s.188(4)(d)"),
        DataField("dismissal_method", "How the dismissals will be carried out",
                  "how the dismissals will be carried out", "text", "TULRCA s.188(4)(e)"),
        DataField("redundancy_pay_method", "How redundancy pay will be worked out",
                  "how redundancy pay will be worked out", "text", "TULRCA s.188(4)(f)"),
        DataField("consultation_start", "Date consultation starts",
                  "the date consultation starts", "date"),
        DataField("hr1_reference", "HR1 reference", "the HR1 reference"),
        DataField("hr1_submitted_on", "Date the HR1 was sent", "the date the HR1 was sent",
                  "date", "TULRCA s.193"),
    )),
    Section("organisation", "organisation", "Letterhead and signatory", (
        DataField("address", "Address", "the address", "lines", "One line of the address a "
                  "line"),
        DataField("signatory_name", "Name of who signs the letters", "the name of who signs "
                  "the letters", personal=True),
        DataField("signatory_title", "Job title of who signs the letters",
                  "the job title of who signs the letters"),
        DataField("contact_name", "Who letters to it are addressed to",
                  "who letters to it are addressed to", hint="e.g. The HR Director",
                  personal=True),
        DataField("contact_email", "Email address for letters", "its email address for letters",
                  "email", personal=True),
        DataField("salutation", "Salutation", "the salutation", hint="After “Dear”, e.g. "
                  "Colleague", personal=True),
    ), "Shared by every transfer this organisation is a party to."),
    Section("representative", "representative", "A representative's details", (
        DataField("salutation", "Salutation", "the salutation", hint="After “Dear”",
                  personal=True),
        DataField("address", "Address", "the address", "lines", "One line a line",
                  personal=True),
    )),
    Section("employee", "employee", "An employee's details", (
        DataField("full_name", "Full name", "the full name", hint="As the staff list gives "
                  "it; correcting it here keeps the change for the transferee if the ELI has "
                  "been given", personal=True),
        DataField("salutation", "Salutation", "the salutation", hint="After “Dear”, e.g. "
                  "Ms Jones", personal=True),
        DataField("address", "Address", "the address", "lines", "One line a line",
                  personal=True),
        DataField("service_start", "Continuous service from", "the date continuous service "
                  "started", "date", personal=True),
        DataField("grade", "Grade", "the grade", personal=True),
        DataField("salary", "Annual salary in pounds", "the annual salary", "money",
                  "e.g. 36663.00", personal=True),
        DataField("hours", "Hours a week", "the hours a week", "number", "e.g. 37",
                  personal=True),
        DataField("pension_scheme", "Pension scheme", "the pension scheme", personal=True),
        DataField("workplace", "Place of work", "the place of work", personal=True),
    )),
)}

_MODELS: dict[Scope, type[pydantic.BaseModel]] = {
    "transfer": TransferParticulars, "organisation": OrganisationParticulars,
    "employee": EmployeeParticulars, "representative": RepresentativeParticulars}


# ---------------------------------------------------------------------------------------------
# Where a letter's gap is recorded


@dataclass(frozen=True)
class GapForm:
    """The form that records a field a letter lacks: its section, the field, and the words of
    the link ("Add the meeting date")."""

    section: str
    field: str
    noun: str
    scope: Scope


#: A letter's field that a form records under other names: (the form's field, the words).
_GAP_ALIASES = {"agency_workers": ("agency_worker_count", "the agency workers")}


def form_for_gap(gap: str, recipient: Scope = "organisation") -> GapForm | None:
    """Which form records the letter field ``gap`` (``transfer.meeting_date``), or None if
    no form here records it (the engine's own records, the staff list's ELI columns).

    ``sender.*`` and ``organisation.*`` are organisations' fields; ``recipient.*`` are the
    recipient's own, whose kind the caller gives (``recipient``). The caller knows which
    organisation or person the letter concerns.
    """
    root, _, name = gap.partition(".")
    noun = None
    if root == "transfer" and name in _GAP_ALIASES:
        name, noun = _GAP_ALIASES[name]
    if root == "employee" and name == "full_name":
        return None  # never a gap: every employee has a name
    scopes: dict[str, tuple[Scope, ...]] = {
        "transfer": ("transfer",), "sender": ("organisation",),
        "organisation": ("organisation",), "employee": ("employee",),
        "representative": ("representative",),
        "recipient": (recipient,)}
    for section in SECTIONS.values():
        if section.scope in scopes.get(root, ()):
            for f in section.fields:
                if f.name == name:
                    return GapForm(section.key, f.name, noun or f.noun, section.scope)
    return None


# ---------------------------------------------------------------------------------------------
# Reading


def party_organisations(session: Session, transfer: Transfer) -> list[Organisation]:
    """The transferor and the transferee (once, if they are one)."""
    found = [session.get(Organisation, i) for i in
             dict.fromkeys((transfer.transferor_id, transfer.transferee_id))]
    return [o for o in found if o is not None]


def scope_of(session: Session, transfer: Transfer, section: Section, key: str | None) -> str:
    """The particulars scope a section's form records into; NotFoundError for a key that is
    not an organisation, employee or representative of this transfer."""
    assert transfer.id is not None
    if section.scope == "transfer":
        return transfer_scope(transfer.id)
    if section.scope == "organisation":
        if key not in {o.slug for o in party_organisations(session, transfer)}:
            raise NotFoundError(f"{transfer.ref} has no party {key!r}")
        return organisation_scope(key or "")
    if section.scope == "employee":
        _employee(session, transfer, key)
        return employee_scope(transfer.id, key or "")
    return representative_scope(transfer.id, _representative(session, transfer, key).id or 0)


def _employee(session: Session, transfer: Transfer, ref: str | None) -> Employee:
    employee = session.exec(select(Employee).where(
        Employee.transfer_id == transfer.id, Employee.employee_ref == (ref or ""))).first()
    if employee is None:
        raise NotFoundError(f"{transfer.ref} has no employee {ref!r}")
    return employee


def _representative(session: Session, transfer: Transfer, key: str | None) -> Representative:
    number = _whole(key)
    rep = session.get(Representative, number) if number is not None else None
    if rep is None or rep.transfer_id != transfer.id:
        raise NotFoundError(f"{transfer.ref} has no representative {key!r}")
    return rep


def _whole(text: str | None, max_digits: int = 9) -> int | None:
    """``text`` as a whole number a column holds, or None: ASCII digits only ("²" is a digit to
    ``str.isdigit`` but not to ``int``), at most ``max_digits`` of them."""
    if text is None or not 0 < len(text) <= max_digits or not text.isascii() \
            or not text.isdigit():
        return None
    return int(text)


def _decoded(kind: Kind, value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$decimal":
            return Decimal(raw)
    if kind == "groups" and isinstance(value, list):
        return [{k: _decoded("count", v) for k, v in g.items()} for g in value]
    return value


def stored_values(session: Session, transfer: Transfer, section: Section,
                  key: str | None = None) -> dict[str, Any]:
    """What is recorded for the section's fields (dates as dates, sums as Decimals); a field
    not recorded is absent."""
    scope = scope_of(session, transfer, section, key)
    stored = read_particulars(session, [scope]).get(scope, {})
    values = {f.name: _decoded(f.kind, stored[f.name]) for f in section.fields
              if f.name in stored}
    if section.scope == "employee":
        values["full_name"] = _employee(session, transfer, key).full_name
    return values


# ---------------------------------------------------------------------------------------------
# Checking


def _problem(f: DataField, message: str, code: str = "invalid",
             limit: int | None = None) -> FieldProblem:
    return FieldProblem(f.name, message, f.label, code, limit)


def _text_problem(f: DataField, text: str, *, limit: int, multiline: bool) -> FieldProblem | None:
    if len(text) > limit:
        return _problem(f, f"must be {limit} characters or fewer", "too_long", limit)
    try:
        plain_text(text, multiline=multiline)
    except ValueError as exc:
        return _problem(f, str(exc))
    return None


def _lines(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [" ".join(str(line).split()) for line in value or () if str(line).strip()]


def _check_field(f: DataField, value: Any, problems: list[FieldProblem]) -> Any:
    """The value to record (None: remove it), checking lengths and characters."""
    if f.kind in ("lines", "measures"):
        if value is None:
            return None
        items = _lines(value)
        if f.kind == "measures" and not items and value != []:
            problems.append(_problem(f, "must list at least one measure, one a line; or choose "
                                        "that none are envisaged", "required"))
            return None
        if len(items) > ITEMS_MAX:
            problems.append(_problem(f, f"must be {ITEMS_MAX} lines or fewer", "too_long"))
        for item in items:
            found = _text_problem(f, item, limit=ITEM_MAX, multiline=False)
            if found:
                problems.append(found)
                break
        return items if items or f.kind == "measures" else None
    if f.kind == "groups":
        return _check_groups(f, value or [], problems)
    if isinstance(value, date) or value is None:
        return value
    text = str(value).strip()
    if not text:
        return None
    multiline = f.kind == "text"
    if not multiline:
        text = " ".join(text.split())
    found = _text_problem(f, text, limit=FREE_TEXT_MAX if multiline else LINE_MAX,
                          multiline=multiline)
    if found:
        problems.append(found)
        return None
    if f.name == "eli_late_reason" and (late := ELI_LATE_REASON.problem(text)):
        problems.append(_problem(f, late.message, late.code, late.limit))
    if f.kind == "email":
        try:
            pydantic.TypeAdapter(pydantic.EmailStr).validate_python(text)
        except pydantic.ValidationError:
            problems.append(_problem(f, "must be an email address, like name@example.org"))
    if f.kind in ("count", "money", "number"):
        text = text.replace(",", "").removeprefix("£").strip()
        number = _number(text)
        example = {"count": "3", "money": "36663.00", "number": "37"}[f.kind]
        whole = f.kind == "count"
        if number is None or number < 0 or (whole and number != number.to_integral()):
            problems.append(_problem(f, f"must be a {'whole ' if whole else ''}number, like "
                                        f"{example}"))
        elif f.kind == "money" and number != number.quantize(Decimal("0.01")):
            problems.append(_problem(f, "must be in pounds and pence, like 36663.00"))
        elif number >= 10_000_000:
            problems.append(_problem(f, "must be less than 10,000,000"))
        elif whole:
            text = str(int(number))
    return text


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _check_groups(f: DataField, rows: Sequence[Mapping[str, Any]],
                  problems: list[FieldProblem]) -> list[dict[str, Any]] | None:
    groups = []
    for number, row in enumerate(rows, start=1):
        description = " ".join(str(row.get("description") or "").split())
        counts = {k: str(row.get(k) or "").strip() for k in ("proposed", "employed")}
        if not description and not any(counts.values()):
            continue  # a blank row of the form
        where = f"{f.name}.{number}"
        if not description:
            problems.append(FieldProblem(where + ".description", "needs a description",
                                         f"Description {number}", "required"))
        elif (found := _text_problem(f, description, limit=LINE_MAX, multiline=False)):
            problems.append(FieldProblem(where + ".description", found.message,
                                         f"Description {number}", found.code, found.limit))
        parsed = {}
        for key, text in counts.items():
            label = ("Number proposed for dismissal" if key == "proposed"
                     else "Number employed") + f" in description {number}"
            if _whole(text, max_digits=7) is None:
                problems.append(FieldProblem(f"{where}.{key}", "must be a whole number, like 12",
                                             label, "required" if not text else "invalid"))
            else:
                parsed[key] = int(text)
        if len(parsed) == 2 and parsed["proposed"] > parsed["employed"]:
            problems.append(FieldProblem(
                f"{where}.proposed", "must not be more than the number employed",
                f"Number proposed for dismissal in description {number}"))
        groups.append({"description": description, **parsed})
    return groups or None


def check_section(section: Section, values: Mapping[str, Any]
                  ) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The section's values as they would be recorded (encoded; None to remove a field), and
    every problem, worded for people. ``values`` holds what a form gave: text as typed, dates
    as dates, lists of lines, None for "not recorded". A field not in ``values`` is left as
    it is."""
    problems: list[FieldProblem] = []
    clean: dict[str, Any] = {}
    for f in section.fields:
        if f.name in values and f.name != "full_name":
            clean[f.name] = _check_field(f, values[f.name], problems)
    if section.key == "agency-workers" and not problems:
        _agency_workers(section, clean, problems)
    present = {k: v for k, v in clean.items() if v is not None}
    if problems:
        return {}, problems
    model = _MODELS[section.scope]
    try:
        typed = model.model_validate(present).model_dump(exclude_unset=True)
    except pydantic.ValidationError as exc:
        labels = {f.name: f.label for f in section.fields}
        for p in field_problems(exc, labels=labels):
            kind = section.field(p.field.split(".")[0]).kind if p.field.split(".")[0] in \
                labels else "line"
            message = p.message
            if kind == "count" and p.code == "invalid" and "number" in message:
                message = "must be a whole number, like 3"
            elif kind in ("money", "number") and "number" in message:
                message = "must be a number, like " + ("36663.00" if kind == "money" else "37")
            problems.append(FieldProblem(p.field, message, p.label or p.field, p.code, p.limit))
        return {}, problems
    encoded = encode(typed)
    return {name: encoded.get(name) for name in clean}, []


def _agency_workers(section: Section, clean: dict[str, Any],
                    problems: list[FieldProblem]) -> None:
    """Reg 13(2A): where they work and what they do are needed once there are any."""
    count = clean.get("agency_worker_count")
    if count is None:
        return
    if _whole(str(count)) is None:
        problems.append(_problem(section.field("agency_worker_count"),
                                 "must be a whole number, like 3"))
        return
    if int(count) == 0:
        clean["agency_worker_places"] = clean["agency_worker_work"] = None
        return
    for name in ("agency_worker_places", "agency_worker_work"):
        if not clean.get(name):
            f = section.field(name)
            problems.append(_problem(f, "is needed when there are agency workers (reg 13(2A))",
                                     "required"))


# ---------------------------------------------------------------------------------------------
# Saving


class SalutationToConfirm(Exception):
    """The name changes and the salutation used the old one: HR confirms the new salutation
    (``proposed``) before anything is saved."""

    def __init__(self, old: str, proposed: str) -> None:
        super().__init__(f"the salutation {old!r} uses the old name")
        self.old = old
        self.proposed = proposed


@dataclass
class Saved:
    """What a save changed, for the page's message."""

    changed: list[str] = field(default_factory=list)   # the fields' labels
    salutation_followed: str | None = None              # the new salutation, when it followed
    eli_changes: int = 0                                # kept for the reg 11(5) notice


def _shown(value: Any) -> Any:
    """A stored value as the audit log shows it (dates and sums as text)."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("$date",
                                                                             "$decimal"):
        return next(iter(value.values()))
    return value


def record_section(ref: str, section_key: str, values: Mapping[str, Any], *,
                   key: str | None = None, actor: str, today: date,
                   salutation_confirmed: bool = False, engine: Engine | None = None) -> Saved:
    """Check and record one section's values for ``ref`` (``key``: the organisation's slug,
    the employee's reference or the representative's id), all or nothing.

    Raises :class:`ValidationError` naming every field that is wrong (nothing is saved), and
    :class:`SalutationToConfirm` when the employee's new name needs a salutation confirmed.
    """
    section = SECTIONS.get(section_key)
    if section is None:
        raise NotFoundError(f"no letter details section {section_key!r}")
    clean, problems = check_section(section, values)
    new_name: str | None = None
    if section.scope == "employee" and "full_name" in values:
        try:
            new_name = checked_name(str(values["full_name"] or ""))
        except ValidationError as exc:
            problems = exc.field_problems + problems
    if problems:
        raise ValidationError(field_problems=problems)
    saved = Saved()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        scope = scope_of(session, transfer, section, key)
        before = read_particulars(session, [scope]).get(scope, {})
        audit_data: dict[str, Any] = {"section": section.key}
        if section.scope == "employee":
            employee = _employee(session, transfer, key)
            audit_data["employee_ref"] = employee.employee_ref
            if new_name is not None and new_name != employee.full_name:
                _salutation_follows(employee.full_name, new_name, before, clean, saved,
                                    confirmed=salutation_confirmed)
                saved.eli_changes = len(rename_employee(session, transfer, employee, new_name,
                                                        actor=actor, today=today))
                saved.changed.append(section.field("full_name").label)
        elif section.scope == "organisation":
            audit_data["organisation"] = key
        elif section.scope == "representative":
            audit_data["representative_id"] = int(key or 0)
        changes = []
        for f in section.fields:
            if f.name not in clean or clean[f.name] == before.get(f.name):
                continue
            old, new = before.get(f.name), clean[f.name]
            saved.changed.append(f.label)
            if f.personal:
                what = "recorded" if old is None else "removed" if new is None else "changed"
                changes.append({"field": f.name, "change": what})
            else:
                changes.append({"field": f.name, "old": _shown(old), "new": _shown(new)})
        if changes:
            assert transfer.id is not None
            owner = None if section.scope == "organisation" else transfer.id
            merge_particulars(session, {scope: (owner, {
                c["field"]: clean[c["field"]] for c in changes})}, actor=actor)
            audit(session, transfer, actor, "letter-data-changed",
                  data={**audit_data, "changes": changes})
    return saved


def _salutation_follows(old_name: str, new_name: str, before: Mapping[str, Any],
                        clean: dict[str, Any], saved: Saved, *, confirmed: bool) -> None:
    """Make the salutation follow a name change (see the module), unless HR changed it in the
    same form; raises :class:`SalutationToConfirm` when HR must confirm a new one."""
    recorded = before.get("salutation")
    if clean.get("salutation", recorded) != recorded or not isinstance(recorded, str):
        return  # HR wrote a salutation with the new name, or none is recorded
    change = follow_name(recorded, old_name, new_name)
    if change.treatment is Treatment.follows and change.proposed:
        clean["salutation"] = change.proposed
        saved.salutation_followed = change.proposed
    elif change.treatment is Treatment.confirm and change.proposed and not confirmed:
        raise SalutationToConfirm(recorded, change.proposed)
