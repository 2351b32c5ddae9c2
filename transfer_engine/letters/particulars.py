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
      transferee_measures: []
      pension_note: NCT is an admitted body of the LGPS ...
      agency_workers: There are no agency workers in the service.
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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pydantic
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import ValidationError
from transfer_engine.letters.data import encode
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import audit, get_transfer, key_dates_of
from transfer_engine.store.register import LetterParticulars
from transfer_engine.store.transfers import Transfer

__all__ = [
    "EmployeeParticulars",
    "OrganisationParticulars",
    "RepresentativeParticulars",
    "TransferParticulars",
    "employee_particulars",
    "fill_synthetic",
    "import_particulars",
    "particulars_file_hint",
    "transfer_particulars",
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


class TransferParticulars(_Strict):
    service: str | None = None
    reasons: str | None = None
    transferor_measures: list[str] | None = None
    transferee_measures: list[str] | None = None
    measures_reply_by: date | None = None
    pension_note: str | None = None
    agency_workers: str | None = None
    collective_agreements: list[str] | None = None
    eli_check_by: date | None = None
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


# ---------------------------------------------------------------------------------------------
# Scopes


def transfer_scope(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


def employee_scope(transfer_id: int, employee_ref: str) -> str:
    return f"transfer:{transfer_id}/employee:{employee_ref}"


def representative_scope(transfer_id: int, representative_id: int) -> str:
    return f"transfer:{transfer_id}/representative:{representative_id}"


def organisation_scope(slug: str) -> str:
    return f"organisation:{slug}"


def _read(session: Session, scopes: Iterable[str]) -> dict[str, dict[str, Any]]:
    scopes = list(scopes)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(scopes), 500):
        rows = session.exec(select(LetterParticulars.scope, LetterParticulars.data)
                            .where(LetterParticulars.scope.in_(scopes[start:start + 500]))).all()
        found.update({scope: dict(data) for scope, data in rows})
    return found


@dataclass(frozen=True)
class TransferLevel:
    """The particulars of a transfer, its organisations and its representatives (small)."""

    transfer: dict[str, Any]
    organisations: dict[str, dict[str, Any]]
    representatives: dict[int, dict[str, Any]]


def transfer_particulars(session: Session, transfer: Transfer,
                         organisations: Iterable[Organisation]) -> TransferLevel:
    assert transfer.id is not None
    reps = session.exec(select(Representative.id)
                        .where(Representative.transfer_id == transfer.id)).all()
    slugs = [o.slug for o in organisations]
    scopes = [transfer_scope(transfer.id), *(organisation_scope(s) for s in slugs),
              *(representative_scope(transfer.id, r) for r in reps if r is not None)]
    found = _read(session, scopes)
    return TransferLevel(
        transfer=found.get(transfer_scope(transfer.id), {}),
        organisations={s: found.get(organisation_scope(s), {}) for s in slugs},
        representatives={r: found.get(representative_scope(transfer.id, r), {})
                         for r in reps if r is not None})


def employee_particulars(session: Session, transfer_id: int,
                         refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The particulars of these employees, by employee_ref (read per chunk when issuing)."""
    refs = list(refs)
    found = _read(session, [employee_scope(transfer_id, r) for r in refs])
    return {r: found.get(employee_scope(transfer_id, r), {}) for r in refs}


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
    "transfer.transfer_date": "set the key date: transfer-engine reschedule REF transfer DATE",
    "transfer.eli_due": "the workflow's ELI step (reg 11) has no deadline for this transfer",
    "employee.date_of_birth": "import the staff list with a date_of_birth column",
    "employee.email": "import the staff list with an email column",
    "transfer.hr_owner": "record the transfer's HR owner",
}


def particulars_file_hint(field: str) -> str:
    """Where to record ``field`` (``employee.address`` -> ``employees.<employee_ref>.address``)."""
    if field in _ENGINE_FIELDS:
        return _ENGINE_FIELDS[field]
    head, _, rest = field.partition(".")
    section = _SECTIONS.get(head)
    if section is None or not rest:
        return "supplied by the engine"
    return f"{section}.{rest} in a particulars file (transfer-engine letters data REF FILE)"


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
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"])
            message = ("unknown field (see transfer_engine/letters/particulars.py)"
                       if error["type"] == "extra_forbidden" else error["msg"])
            problems.append(f"{where}.{loc}: {message}")
        return None
    removed = {k: None for k, v in raw.items() if v is None}
    typed = model.model_validate(present).model_dump(exclude_unset=True)
    return {**encode(typed), **removed}


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


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
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: "
                    f"{'unknown section' if e['type'] == 'extra_forbidden' else e['msg']}"
                    for e in exc.errors()]
        raise ValidationError(f"{where}: " + "; ".join(problems)) from None
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
        store(session, writes, actor=actor)
        audit(session, transfer, actor, "letter-particulars", data={
            # Which records changed, never their values (they hold personal data).
            "scopes": len(writes), "employees": len(parsed.employees),
            "transfer_fields": sorted((parsed.transfer or {}).keys())})
    return ImportReport(ref, len(parsed.transfer or {}), len(parsed.organisations),
                        len(parsed.employees), len(parsed.representatives))


def store(session: Session, writes: Mapping[str, tuple[int | None, dict[str, Any]]], *,
          actor: str) -> None:
    """Merge already validated (and encoded) values into the recorded particulars."""
    existing = {row.scope: row for row in session.exec(
        select(LetterParticulars).where(LetterParticulars.scope.in_(list(writes)))).all()}
    for scope, (transfer_id, values) in writes.items():
        row = existing.get(scope) or LetterParticulars(scope=scope, transfer_id=transfer_id,
                                                       data={}, updated_by=actor)
        row.data = _merge(row.data or {}, values)
        row.updated_at, row.updated_by = utcnow(), actor
        session.add(row)
    session.flush()


# ---------------------------------------------------------------------------------------------
# Synthetic particulars, for the demo and for tests. Labelled as such in every letter (the
# transfer's sample_data flag), and written so that nobody could take them for real details.

#: What the council reports say about each seed transfer (the reasons quote their sections).
SEED_FACTS: dict[str, dict[str, Any]] = {
    "ld-to-nct": {
        "service": "Learning and Development children's team and course booking administration",
        "reasons": "The Children's Trust Joint Committee approved on 7 September 2022 the "
                   "partial transfer of the Learning and Development Support Service into "
                   "Northamptonshire Children's Trust. Moving these elements into the Trust "
                   "gives its staff a more joined-up learning and development offer, which "
                   "supports better services to children, young people and their families; "
                   "the remaining elements stay with the Council under a revised service level "
                   "agreement because that is more cost-effective (report sections 4 and 6.4).",
    },
    "send-iass-to-wnc": {
        "service": "SEND Information, Advice and Support Service (West Northamptonshire part)",
        "reasons": "The Shared Services Joint Committee decided on 26 October 2022 to "
                   "disaggregate the hosted SEND IASS, in line with the Local Government "
                   "Reorganisation blueprint, so that each council provides a service aligned "
                   "to its own SEND systems, with simpler governance and funding (report "
                   "paragraphs 3.2.1 to 3.2.5).",
    },
    "acsws-to-schools": {
        "service": "Access and Communication Support Workers of the Sensory Impairment Service",
        "reasons": "The NNC Executive (22 December 2022) and WNC Cabinet (17 January 2023) "
                   "approved a new delivery model in which schools employ Access and "
                   "Communication Support Workers directly, embedding them in the schools they "
                   "already work in while the central service keeps its specialist advisers "
                   "(business case paragraphs 5.7 to 5.10).",
    },
}


def _sample_facts(transfer: Transfer, transfer_date: date | None) -> dict[str, Any]:
    seed_ref = transfer.ref.split("/")[0]
    facts = dict(SEED_FACTS.get(seed_ref, {
        "service": transfer.title,
        "reasons": f"{transfer.title} (sample data: the reasons are not recorded).",
    }))
    when = transfer_date or date.today()
    facts.update({
        "transferor_measures": [],
        "transferee_measures": [],
        "pension_note": "(Sample data.) The new employer will offer membership of the Local "
                        "Government Pension Scheme, so members may keep contributing to it.",
        "agency_workers": "(Sample data.) No agency workers are working temporarily in the "
                          "service.",
        "collective_agreements": ["(Sample data.) National Joint Council for Local Government "
                                  "Services (Green Book), as incorporated into contracts"],
        "eli_check_by": when - timedelta(days=35),
        "measures_reply_by": when - timedelta(days=49),
        "meeting_date": when - timedelta(days=40),
        "meeting_time": "10:00",
        "meeting_place": "(sample) Meeting Room 1, Council Offices",
        "contact_name": "the HR transfer team (sample)",
        "contact_phone": "0300 000 0000 (sample)",
    })
    return facts


def _sample_organisation(organisation: Organisation) -> dict[str, Any]:
    return {"address": ["Human Resources (sample address)", organisation.name,
                        "Northamptonshire"],
            "contact_email": f"hr.{organisation.slug}@example.org",
            "signatory_name": "Sample Signatory",
            "signatory_title": "Head of Human Resources (sample)",
            "contact_name": "The HR Director (sample)",
            "salutation": "Colleague"}


def _sample_employee(employee: Employee, transfer_date: date | None) -> dict[str, Any]:
    number = sum(ord(c) for c in employee.employee_ref)
    start = (transfer_date or date(2023, 1, 1)) - timedelta(days=365 * (2 + number % 12))
    return {
        "salutation": employee.full_name,
        "address": [f"{1 + number % 90} Sample Street (sample address)", "Northamptonshire"],
        "service_start": start,
        "grade": f"Grade {4 + number % 6} (sample)",
        "salary": (employee.weekly_pay * 52).quantize(Decimal("0.01")),
        "hours": str((Decimal("37") * employee.fte).normalize()),
        "pension_scheme": "Local Government Pension Scheme (sample)",
        "workplace": "the service's usual office (sample)",
        "disciplinary": [], "grievances": [], "claims": [],
    }


def fill_synthetic(session: Session, transfer: Transfer, *, actor: str) -> None:
    """Record synthetic particulars for a sample-data transfer (the demo, tests, benchmarks).

    Organisations get a sample letterhead only where none is recorded. Refuses a transfer that
    is not marked as sample data: made-up details must never reach a real letter.
    """

    if not transfer.sample_data:
        raise ValidationError(f"{transfer.ref} is not sample data; synthetic particulars are "
                              "only for sample transfers")
    assert transfer.id is not None
    tid = transfer.id
    transfer_date = key_dates_of(session, transfer).get("transfer")
    writes: dict[str, tuple[int | None, dict[str, Any]]] = {
        transfer_scope(tid): (tid, encode(_sample_facts(transfer, transfer_date)))}
    for organisation_id in (transfer.transferor_id, transfer.transferee_id):
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            continue
        scope = organisation_scope(organisation.slug)
        if not _read(session, [scope]):
            writes[scope] = (None, encode(_sample_organisation(organisation)))
    for employee in session.exec(select(Employee).where(Employee.transfer_id == tid)).all():
        writes[employee_scope(tid, employee.employee_ref)] = (
            tid, encode(_sample_employee(employee, transfer_date)))
        if employee.synthetic and employee.date_of_birth is None:
            # The ELI schedule must state age (reg 11(2)(a)); made up, like the employee.
            number = sum(ord(c) for c in employee.employee_ref)
            employee.date_of_birth = date(1962 + number % 38, 1 + number % 12, 1 + number % 28)
            session.add(employee)
    for rep in session.exec(select(Representative)
                            .where(Representative.transfer_id == tid)).all():
        assert rep.id is not None
        writes[representative_scope(tid, rep.id)] = (tid, encode({
            "salutation": "Colleague",
            "address": [f"{rep.union or 'Representative'} office (sample address)",
                        "Northamptonshire"]}))
    store(session, writes, actor=actor)
