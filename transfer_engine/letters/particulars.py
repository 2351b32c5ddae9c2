"""Letter particulars: what letters say that the engine does not otherwise record.

The engine knows the parties, the dates, the steps and the staff list. A letter also needs the
service's name, the reasons for the transfer, the measures each employer envisages (or that none
are), the meeting, the letterhead and signatory, and for each employee an address, grade and
service start. HR records these in a YAML file and imports it::

    transfer-engine letters data ld-to-nct particulars.yaml

.. code-block:: yaml

    transfer:
      service: Learning and Development children's team
      reasons: A more joined-up L&D offer for NCT staff (report section 4).
      transferor_measures: []          # an empty list says "none envisaged"
      transferee_measures: []          # as the transferee gave them under reg 13(4)
      transferee_own_measures: []      # for the transferee's own letter to its own staff's
                                       # representatives (reg 13(2)(c))
      pension_note: NCT is an admitted body of the LGPS ...
      agency_workers: There are no agency workers in the service.
      agency_worker_count: 3           # or the reg 13(2A) items one by one: the letters then
      agency_worker_places: the north depot   # give these rather than agency_workers
      agency_worker_work: driving refuse collection vehicles
      meeting_date: 2022-09-21
      meeting_place: Room 2, Sheerness House
      contact_name: the HR transfer team
      contact_phone: 0300 000 0000
    organisations:                     # by slug; shared by every transfer
      nnc: {address: [...], signatory_name: ..., signatory_title: ..., contact_email: ...}
    employees:                         # by employee_ref
      LD-001: {salutation: Ms Jones, address: [...], service_start: 2015-04-01, grade: G7,
               salary: "36663.00", hours: "37", pension_scheme: LGPS, workplace: ...}
    representatives:                   # by name, as recorded
      UNISON branch secretary (sample): {salutation: Colleague, address: [...]}

Every key is checked (a misspelt key is an error, not silently ignored), every employee and
representative must exist, and nothing is written unless the whole file is valid. Values are
merged into what is recorded; ``null`` removes one.

What is recorded is read for letters by :mod:`transfer_engine.letters.recorded_particulars`;
the demo's made-up particulars are in :mod:`transfer_engine.letters.sample_particulars`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pydantic
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict
from sqlalchemy.engine import Engine
from sqlmodel import select

from transfer_engine.engine.limits import ELI_LATE_REASON
from transfer_engine.errors import ValidationError
from transfer_engine.letters.data import encode
from transfer_engine.letters.recorded_particulars import (
    employee_scope,
    merge_particulars,
    organisation_scope,
    representative_scope,
    transfer_scope,
)
from transfer_engine.rules.eli import ELI_COLUMNS
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import audit, get_transfer
from transfer_engine.validation import field_problems

__all__ = [
    "EmployeeParticulars",
    "ImportReport",
    "OrganisationParticulars",
    "RepresentativeParticulars",
    "TransferParticulars",
    "import_particulars",
    "particulars_file_hint",
    "record_eli_late_reason",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _time_in_quotes(value: Any) -> Any:
    if isinstance(value, int):  # YAML 1.1 reads 10:00 as the number 600
        raise ValueError("write the time in quotes, e.g. meeting_time: '10:00'")
    return value


def _number_as_text(value: Any) -> Any:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return format(Decimal(str(value)).normalize(), "f")
    return value


class RedundancyGroup(_Strict):
    """Employees of one description proposed for dismissal (TULRCA s.188(4)(b)-(c))."""

    description: str
    proposed: Annotated[int, pydantic.Field(ge=0)]
    employed: Annotated[int, pydantic.Field(ge=0)]  # of that description at the establishment


class TransferParticulars(_Strict):
    service: str | None = None
    reasons: str | None = None
    transferor_measures: list[str] | None = None
    # As the transferee gave them under reg 13(4), for the employees who transfer to it.
    transferee_measures: list[str] | None = None
    # What the transferee envisages for its own affected employees: its own reg 13(2)(c) letter.
    transferee_own_measures: list[str] | None = None
    # Collective redundancies: the s.188(4) disclosure and the HR1 (s.193).
    redundancy_reasons: str | None = None
    redundancy_groups: list[RedundancyGroup] | None = None
    selection_method: str | None = None
    dismissal_method: str | None = None
    redundancy_pay_method: str | None = None
    consultation_start: date | None = None
    hr1_reference: str | None = None
    hr1_submitted_on: date | None = None
    measures_reply_by: date | None = None
    pension_note: str | None = None
    agency_workers: str | None = None
    # Reg 13(2A), item by item: how many agency workers work temporarily for and under the
    # supervision and direction of the employer, in which parts of its undertaking, doing what
    # type of work. When the number is recorded the letters state these (see
    # letters.agency_workers) instead of the sentence in agency_workers.
    agency_worker_count: Annotated[int | None, pydantic.Field(ge=0, le=1_000_000)] = None
    agency_worker_places: str | None = None
    agency_worker_work: str | None = None
    collective_agreements: list[str] | None = None
    eli_check_by: date | None = None
    # Reg 11(6): the special circumstances that made giving the ELI 28 days before the
    # transfer not reasonably practicable; the ELI letters print it when they are late.
    eli_late_reason: str | None = None
    meeting_date: date | None = None
    meeting_time: Annotated[str | None, BeforeValidator(_time_in_quotes)] = None
    meeting_place: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    representatives: str | None = None


class OrganisationParticulars(_Strict):
    address: list[str] | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    salutation: str | None = None


class EmployeeParticulars(_Strict):
    salutation: str | None = None
    address: list[str] | None = None
    service_start: date | None = None
    grade: str | None = None
    salary: Decimal | None = None
    hours: Annotated[str | None, BeforeValidator(_number_as_text)] = None
    pension_scheme: str | None = None
    workplace: str | None = None
    # Employee liability information (reg 11(2)(c)-(d)): the last two years.
    disciplinary: list[str] | None = None
    grievances: list[str] | None = None
    claims: list[str] | None = None


class RepresentativeParticulars(_Strict):
    salutation: str | None = None
    address: list[str] | None = None


class _File(_Strict):
    transfer: dict[str, Any] | None = None
    organisations: dict[str, dict[str, Any] | None] = {}
    employees: dict[str, dict[str, Any] | None] = {}
    representatives: dict[str, dict[str, Any] | None] = {}


#: Where HR records a field a letter lacks: context root -> the particulars file section.
_SECTIONS = {
    "transfer": "transfer",
    "sender": "organisations.<sender>",
    "organisation": "organisations.<transferee>",
    "employee": "employees.<employee_ref>",
    "representative": "representatives.<name>",
}
#: Fields that come from the engine's own records, not the particulars file.
_ENGINE_FIELDS = {
    "transfer.transfer_date": "record the transfer's key date 'transfer'",
    "transfer.eli_due": "the workflow's ELI step (reg 11) has no deadline for this transfer",
    "employee.date_of_birth": "import the staff list with a date_of_birth column",
    "employee.email": "import the staff list with an email column",
    "transfer.hr_owner": "record the transfer's HR owner",
    "transfer.proposed_dismissals": "record the number of dismissals as redundant proposed, "
                                    "and at which establishment (TULRCA s.188)",
    "transfer.establishment": "record the establishment at which the dismissals are "
                              "proposed, with their number (TULRCA s.188)",
    "transfer.first_dismissal": "record the transfer's key date 'first_dismissal'",
}


#: Fields that need saying why they are needed, besides where they are recorded.
_EXPLAINED = {
    "transfer.eli_late_reason": (
        "the ELI is given after the date reg 11(6) sets (28 days before the transfer): record "
        "the special circumstances that made giving it in time not reasonably practicable, as "
        "the ELI's late reason (transfer.eli_late_reason in a particulars file)"),
}
#: The staff-list columns of the ELI (reg 11(2)): an ELI schedule reads them from the staff list.
_STAFF_LIST_FIELDS = frozenset(ELI_COLUMNS)


def particulars_file_hint(field: str) -> str:
    """Where to record ``field`` (``employee.address`` -> ``employees.<employee_ref>.address``)."""
    if field in _ENGINE_FIELDS:
        return _ENGINE_FIELDS[field]
    if field in _EXPLAINED:
        return _EXPLAINED[field]
    head, _, column = field.partition(".")
    if head == "employee" and column in _STAFF_LIST_FIELDS:
        return (f"import the staff list with a {column} column (the employee liability "
                "information, reg 11(2))")
    head, _, rest = field.partition(".")
    section = _SECTIONS.get(head)
    if section is None or not rest:
        return "supplied by the engine"
    return f"{section}.{rest} in a particulars file"


# ---------------------------------------------------------------------------------------------
# Importing


def _validated(model: type[_Strict], where: str, raw: Mapping[str, Any] | None,
               problems: list[str]) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping of field: value")
        return None
    present = {k: v for k, v in raw.items() if v is not None}
    try:
        model.model_validate(present)
    except pydantic.ValidationError as exc:
        problems += [f"{where}.{p}" for p in field_problems(
            exc, unknown="unknown field (see transfer_engine/letters/particulars.py)")]
        return None
    removed = {k: None for k, v in raw.items() if v is None}
    typed = model.model_validate(present).model_dump(exclude_unset=True)
    return {**encode(typed), **removed}



@dataclass(frozen=True)
class ImportReport:
    ref: str
    transfer_fields: int
    organisations: int
    employees: int
    representatives: int


def import_particulars(ref: str, source: Path | Mapping[str, Any], *, actor: str,
                       engine: Engine | None = None) -> ImportReport:
    """Validate a particulars file in full, then record it in one transaction (or nothing)."""

    if isinstance(source, Path):
        try:
            raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"{source}: cannot be read ({exc})") from None
        except yaml.YAMLError as exc:
            raise ValidationError(f"{source}: not valid YAML ({exc})") from None
        where = str(source)
    else:
        raw, where = dict(source), "particulars"
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{where}: must be a mapping with transfer, organisations, "
                              "employees and representatives sections")
    try:
        parsed = _File.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{where}: " + "; ".join(
            str(p) for p in field_problems(exc, unknown="unknown section"))) from None
    problems: list[str] = []
    writes: dict[str, tuple[int | None, dict[str, Any]]] = {}
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        assert transfer.id is not None
        tid = transfer.id
        checked = _validated(TransferParticulars, "transfer", parsed.transfer, problems)
        if checked:
            writes[transfer_scope(tid)] = (tid, checked)
        known_orgs = set(session.exec(select(Organisation.slug)).all())
        for slug, values in parsed.organisations.items():
            if slug not in known_orgs:
                problems.append(f"organisations.{slug}: no organisation with that slug")
                continue
            checked = _validated(OrganisationParticulars, f"organisations.{slug}", values,
                                 problems)
            if checked:
                writes[organisation_scope(slug)] = (None, checked)
        refs = set(session.exec(select(Employee.employee_ref)
                                .where(Employee.transfer_id == tid)).all())
        for employee_ref, values in parsed.employees.items():
            if employee_ref not in refs:
                problems.append(f"employees.{employee_ref}: {ref} has no such employee")
                continue
            checked = _validated(EmployeeParticulars, f"employees.{employee_ref}", values,
                                 problems)
            if checked:
                writes[employee_scope(tid, employee_ref)] = (tid, checked)
        by_name: dict[str, list[int]] = {}
        for rep in session.exec(select(Representative)
                                .where(Representative.transfer_id == tid)).all():
            assert rep.id is not None
            by_name.setdefault(rep.name, []).append(rep.id)
        for name, values in parsed.representatives.items():
            ids = by_name.get(name, [])
            if len(ids) != 1:
                problems.append(f"representatives.{name}: " + (
                    f"{ref} has no representative of that name" if not ids else
                    "several representatives have that name; rename one"))
                continue
            checked = _validated(RepresentativeParticulars, f"representatives.{name}", values,
                                 problems)
            if checked:
                writes[representative_scope(tid, ids[0])] = (tid, checked)
        if problems:
            session.rollback()
            shown = "\n".join(f"  - {p}" for p in problems)
            raise ValidationError(f"{where}: {len(problems)} problem(s); nothing was recorded:"
                                  f"\n{shown}")
        merge_particulars(session, writes, actor=actor)
        audit(session, transfer, actor, "letter-particulars", data={
            # Which records changed, never their values (they hold personal data).
            "scopes": len(writes), "employees": len(parsed.employees),
            "transfer_fields": sorted((parsed.transfer or {}).keys())})
    return ImportReport(ref, len(parsed.transfer or {}), len(parsed.organisations),
                        len(parsed.employees), len(parsed.representatives))


def record_eli_late_reason(ref: str, reason: str, *, actor: str,
                           engine: Engine | None = None) -> None:
    """Record why the ELI is given late (reg 11(6)); the ELI letters print it, and issuing a
    late ELI is refused until it is recorded."""
    problem = ELI_LATE_REASON.problem(reason)
    if problem is not None:
        raise ValidationError(field_problems=[problem])
    text = " ".join(reason.split())
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        assert transfer.id is not None  # read from the database
        merge_particulars(session, {transfer_scope(transfer.id): (
            transfer.id, {"eli_late_reason": text})}, actor=actor)
        # The reason is the employer's, about the circumstances, and is given to the
        # transferee: kept whole in the history.
        audit(session, transfer, actor, "eli-late-reason", data={"reason": text})
