"""Synthetic particulars, for the demo, tests and benchmarks.

Every letter made from them is labelled as sample data (the transfer's ``sample_data`` flag
prints "SYNTHETIC TEST DATA"), and they are written so that nobody could take them for real
details: addresses say "sample address", names say "(sample)". :func:`fill_synthetic` refuses
a transfer that is not sample data.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from transfer_engine.errors import ValidationError
from transfer_engine.letters.data import encode
from transfer_engine.letters.recorded_particulars import (
    employee_scope,
    merge_particulars,
    organisation_scope,
    read_particulars,
    representative_scope,
    transfer_scope,
)
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import key_dates_of
from transfer_engine.store.transfers import Transfer

__all__ = ["SEED_FACTS", "fill_synthetic", "synthetic_eli"]

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
        "transferee_own_measures": [],
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
    hours = (employee.weekly_hours if employee.weekly_hours is not None
             else Decimal("37") * employee.fte)
    # What the staff list (the ELI) records is what the letters say: a letter telling an
    # employee other facts than the transferee is given is refused (letters/sense_checks.py).
    return {
        "salutation": employee.full_name,
        "address": [f"{1 + number % 90} Sample Street (sample address)", "Northamptonshire"],
        "service_start": employee.continuous_start or start,
        "grade": f"Grade {4 + number % 6} (sample)",
        "salary": (employee.weekly_pay * 52).quantize(Decimal("0.01")),
        "hours": f"{hours.normalize():f}",
        "pension_scheme": "Local Government Pension Scheme (sample)",
        "workplace": employee.place_of_work or "the service's usual office (sample)",
    }


def synthetic_eli(employee_ref: str, fte: Decimal, transfer_date: date | None,
                  weekly_pay: Decimal | None = None) -> dict[str, Any]:
    """Made-up ELI particulars (reg 11(2)(b)-(e)) for a synthetic employee, each labelled as
    sample data; the same reference always gives the same particulars."""
    number = sum(ord(c) for c in employee_ref)
    when = transfer_date or date(2023, 1, 1)
    start = when - timedelta(days=365 * (2 + number % 12) + number % 200)
    hours = (Decimal("37") * fte).quantize(Decimal("0.01"))
    scale = f"Grade {4 + number % 6}, spinal point {10 + number % 20} (sample)"
    if weekly_pay is not None:
        scale += f": £{(weekly_pay * 52).quantize(Decimal('0.01')):,} a year"
    return {
        "start_date": start,
        # Some sample employees bring continuous service from an earlier public employer.
        "continuous_start": start - timedelta(days=365 * (number % 3)),
        "pay_scale": scale,
        "pay_interval": "monthly",
        "weekly_hours": hours,
        "normal_working_hours": "(sample) Monday to Friday, 9am to 5pm, pro rata; flexible "
                                "working scheme",
        "holiday_entitlement": "(sample) 26 days a year rising to 31 after 5 years' service, "
                               "plus bank holidays, pro rata",
        "holiday_pay": "(sample) normal pay, including regular overtime and allowances",
        "sick_pay": "(sample) Green Book scheme: up to 6 months' full and 6 months' half pay "
                    "after 5 years' service",
        "other_paid_leave": "(sample) maternity, paternity, adoption and compassionate leave "
                            "under the Green Book",
        "pension": "(sample) Local Government Pension Scheme member",
        "other_benefits": "(sample) none beyond those stated",
        "notice_by_employer": "(sample) one week for each complete year of service, at least "
                              "4 weeks and at most 12",
        "notice_by_employee": "(sample) 4 weeks",
        "contract_term": "(sample) permanent",
        "probation": "(sample) 6 months, completed",
        "place_of_work": "(sample) the service's usual office, Northamptonshire",
        "work_outside_uk": "(sample) none",
        "training_entitlement": "(sample) 5 days' paid training a year",
        "required_training": "(sample) safeguarding and data protection, paid by the employer",
        "disciplinary": "(sample) none",
        "grievances": "(sample) none",
        "claims": "(sample) none brought or expected",
        "collective_agreements": "(sample) National Joint Council for Local Government Services "
                                 "(Green Book), as incorporated into contracts",
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
        if not read_particulars(session, [scope]):
            writes[scope] = (None, encode(_sample_organisation(organisation)))
    for employee in session.exec(select(Employee).where(Employee.transfer_id == tid)).all():
        if employee.synthetic and employee.date_of_birth is None:
            # The ELI schedule must state age (reg 11(2)(a)); made up, like the employee.
            number = sum(ord(c) for c in employee.employee_ref)
            employee.date_of_birth = date(1962 + number % 38, 1 + number % 12, 1 + number % 28)
            session.add(employee)
        if employee.synthetic:
            # The rest of the ELI (reg 11(2)(b)-(e)), where the staff list left it out.
            made_up = synthetic_eli(employee.employee_ref, employee.fte, transfer_date,
                                    employee.weekly_pay)
            for column, value in made_up.items():
                if getattr(employee, column) is None:
                    setattr(employee, column, value)
            session.add(employee)
        # After the ELI is complete: the letters say what it says (see _sample_employee).
        writes[employee_scope(tid, employee.employee_ref)] = (
            tid, encode(_sample_employee(employee, transfer_date)))
    for rep in session.exec(select(Representative)
                            .where(Representative.transfer_id == tid)).all():
        assert rep.id is not None
        writes[representative_scope(tid, rep.id)] = (tid, encode({
            "salutation": "Colleague",
            "address": [f"{rep.union or 'Representative'} office (sample address)",
                        "Northamptonshire"]}))
    merge_particulars(session, writes, actor=actor)
