"""Input schemas: everything a user types is validated here before it reaches a table.

SQLModel table models skip validation, so the CLI, the CSV import and (later) the web forms
build one of these first; a ``pydantic.ValidationError`` becomes a message naming the field.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)

from transfer_engine.domain import OrganisationKind, Regime, RepresentativeKind, SchoolType
from transfer_engine.engine.limits import (
    NAME_MAX,
    NAME_MIN,
    PROPOSED_DISMISSALS_MAX,
    REGIME_REASON_MIN,
    TITLE_MAX,
    TITLE_MIN,
    key_date_out_of_range,
    key_dates_out_of_order,
)
from transfer_engine.engine.plain_text import one_line, several_lines
from transfer_engine.engine.spreadsheets import excel_serial_date

Ref = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-/]{1,79}$",
                           description="lower-case letters, digits, '-' and '/'")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]{0,39}$")]
# Free text people type: no control characters or direction overrides, stored in NFC.
Line = Annotated[str, AfterValidator(one_line)]
Text = Annotated[str, AfterValidator(several_lines)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationCreate(_Input):
    slug: Slug
    name: Annotated[Line, Field(min_length=NAME_MIN, max_length=NAME_MAX)]
    kind: OrganisationKind
    school_type: SchoolType | None = None
    maintaining_authority: Slug | None = None
    headcount: Annotated[int, Field(ge=0)] | None = None

    @field_validator("school_type")
    @classmethod
    def _school_needs_type(cls, value: SchoolType | None,
                           info: ValidationInfo) -> SchoolType | None:
        if value is not None and info.data.get("kind") != OrganisationKind.school:
            raise ValueError("only schools have a school type")
        return value


class TransferCreate(_Input):
    ref: Ref
    title: Annotated[Line, Field(min_length=TITLE_MIN, max_length=TITLE_MAX)]
    workflow_id: str
    # Both may be left out where the receiving school's type decides the regime (see
    # engine.create); a regime that contradicts the type needs a reason.
    regime: Regime | None = None
    regime_reason: Annotated[Text, Field(min_length=REGIME_REASON_MIN)] | None = None
    transferor: Slug
    transferee: Slug
    key_dates: dict[str, date]
    parent: Ref | None = None
    hr_owner: EmailStr | None = None
    escalation_contact: EmailStr | None = None
    sample_data: bool = False
    # Collective redundancies (TULRCA s.188): dismissals proposed at one establishment.
    proposed_dismissals: Annotated[int | None, Field(ge=0, le=PROPOSED_DISMISSALS_MAX)] = None
    establishment: Annotated[Line | None, Field(min_length=NAME_MIN, max_length=NAME_MAX)] = None

    @field_validator("key_dates")
    @classmethod
    def _names(cls, value: dict[str, date]) -> dict[str, date]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"key date name {name!r} must be lower_case_with_underscores")
            wrong = key_date_out_of_range(value[name])
            if wrong is not None:
                raise ValueError(f"key date {name!r}: {wrong}")
        wrong = key_dates_out_of_order(value)
        if wrong is not None:
            raise ValueError(wrong)
        return value


YES = {"yes", "y", "true", "1", "in", "in scope"}
NO = {"no", "n", "false", "0", "out", "out of scope"}


REFERENCE_MAX = 40
REFERENCE_CHARACTERS = "letters, digits, spaces and - _ / ."
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _\-/.]*")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                       r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")
_SERIAL = re.compile(r"[0-9]+(?:\.0*)?")


def sheet_date(value: object) -> object:
    """A date column's cell as a date: written YYYY-MM-DD (a time of day after it, as some
    exports add, is dropped), or an Excel serial number such as 44927 (a date cell that lost
    its format on the way to CSV). Anything else is refused here, rather than read as pydantic
    would ("0" as 1 January 1970, counted in seconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    if _SERIAL.fullmatch(text):
        day = excel_serial_date(int(text.split(".")[0]))
        if day is None:
            raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 1975-03-14")
        return day
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD, e.g. 1975-03-14 for "
                         "14 March 1975")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"{text!r} is not a date that exists (check the month and the day); "
                         "write it as YYYY-MM-DD, e.g. 1975-03-14") from None


# The ELI's particulars as a staff list states them: one line each, or a few lines for the
# records of the last two years (disciplinary action, grievances, claims) and the agreements.
EliText = Annotated[Line, Field(min_length=1, max_length=500)] | None
EliNotes = Annotated[Text, Field(min_length=1, max_length=2000)] | None
EARLIEST_START = date(1940, 1, 1)
PAY_INTERVALS = {"weekly": "weekly", "fortnightly": "fortnightly", "2 weekly": "fortnightly",
                 "two weekly": "fortnightly", "four weekly": "four-weekly",
                 "4 weekly": "four-weekly", "monthly": "monthly", "calendar monthly": "monthly"}
"""How a pay interval (ERA 1996 s.1(4)(b)) may be written, and how it is stored."""


class EmployeeRow(_Input):
    """One row of a staff list exported from an HR system."""

    employee_ref: Annotated[str, Field(min_length=1)]
    full_name: Annotated[Line, Field(min_length=1, max_length=200)]
    role: Annotated[Line, Field(min_length=1, max_length=200)]
    fte: Annotated[Decimal, Field(gt=0, le=Decimal("1.5"), decimal_places=2)]
    weekly_pay: Annotated[Decimal, Field(ge=0, lt=Decimal("100000"), decimal_places=2)]
    email: EmailStr | None = None
    date_of_birth: date | None = None
    in_scope: bool = True
    objected_on: date | None = None
    # The rest of the employee liability information (reg 11(2)(b)-(e)), all optional here:
    # a staff list without them imports, and the ELI check names what is still missing.
    start_date: date | None = None
    continuous_start: date | None = None
    pay_scale: EliText = None
    pay_interval: str | None = None
    weekly_hours: Annotated[Decimal, Field(gt=0, le=Decimal("100"), decimal_places=2)] | None \
        = None
    normal_working_hours: EliText = None
    holiday_entitlement: EliText = None
    holiday_pay: EliText = None
    sick_pay: EliText = None
    other_paid_leave: EliText = None
    pension: EliText = None
    other_benefits: EliText = None
    notice_by_employer: EliText = None
    notice_by_employee: EliText = None
    contract_term: EliText = None
    probation: EliText = None
    place_of_work: EliText = None
    work_outside_uk: EliText = None
    training_entitlement: EliText = None
    required_training: EliText = None
    disciplinary: EliNotes = None
    grievances: EliNotes = None
    claims: EliNotes = None
    collective_agreements: EliNotes = None

    @field_validator("email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("date_of_birth", "objected_on", "start_date", "continuous_start",
                     mode="before")
    @classmethod
    def _sheet_date(cls, value: object) -> object:
        return sheet_date(value)

    @field_validator("start_date", "continuous_start")
    @classmethod
    def _plausible_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return value
        if not (EARLIEST_START <= value <= date.today()):
            raise ValueError(f"{value.isoformat()} is not a plausible start of employment "
                             f"(before {EARLIEST_START.year} or in the future); write it as "
                             "YYYY-MM-DD, e.g. 2015-04-01")
        started = info.data.get("start_date")
        if info.field_name == "continuous_start" and started is not None and value > started:
            # s.1(3)(c): continuous employment may begin earlier (with a previous employer
            # whose service counts), never later than this employment.
            raise ValueError(f"{value.isoformat()} is after start_date ({started.isoformat()}); "
                             "continuous employment begins on or before the start of this "
                             "employment")
        return value

    @field_validator("pay_interval", mode="before")
    @classmethod
    def _pay_interval(cls, value: object) -> object:
        if isinstance(value, str):
            text = " ".join(value.strip().lower().replace("-", " ").split())
            if not text:
                return None
            known = PAY_INTERVALS.get(text)
            if known is None:
                raise ValueError("write weekly, fortnightly, four-weekly or monthly")
            return known
        return value

    @field_validator("employee_ref")
    @classmethod
    def _safe_reference(cls, value: str) -> str:
        # References go into file names, download headers and email subjects: a quote or a
        # line break there breaks them, so only a plain set of characters is taken.
        if len(value) > REFERENCE_MAX:
            raise ValueError(f"is {len(value)} characters long; a reference can have at most "
                             f"{REFERENCE_MAX}")
        if not _REFERENCE.fullmatch(value):
            wrong = next((c for c in value if not (c.isascii() and (c.isalnum() or c in " _-/."))),
                         None)
            if wrong is None:
                raise ValueError("must start with a letter or a digit, e.g. E1042")
            raise ValueError(f"cannot contain {wrong!r} (U+{ord(wrong):04X}); use only "
                             f"{REFERENCE_CHARACTERS}, e.g. E1042")
        return value

    @field_validator("in_scope", mode="before")
    @classmethod
    def _yes_no(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().lower()
            if text == "":
                return True
            if text in YES:
                return True
            if text in NO:
                return False
            raise ValueError("write yes or no")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, value: date | None) -> date | None:
        if value is not None and not (date(1900, 1, 1) <= value <= date.today()):
            raise ValueError(f"{value.isoformat()} is not a plausible date of birth (before 1900 "
                             "or in the future); write it as YYYY-MM-DD, e.g. 1975-03-14")
        return value


class RepresentativeCreate(_Input):
    organisation: Slug
    kind: RepresentativeKind
    name: Annotated[Line, Field(min_length=NAME_MIN, max_length=NAME_MAX)]
    union: Line | None = None
    email: EmailStr
    # Reg 13(3)(b)(i): what authorises an existing representative (who appointed or elected
    # them, and for what), required for that kind.
    authority: Annotated[Text, Field(min_length=10, max_length=1000)] | None = None


class ElectionInvite(_Input):
    """An invitation to the affected employees to elect representatives (reg 14(1)(a)-(d))."""

    organisation: Slug | None = None    # the transferor when not given
    seats: Annotated[int, Field(ge=1, le=100)]
    term: Annotated[Line, Field(min_length=3, max_length=200)]
    invited_on: date
    nominations_close_on: date


class ElectedPerson(_Input):
    name: Annotated[Line, Field(min_length=NAME_MIN, max_length=NAME_MAX)]
    email: EmailStr


class ElectionResult(_Input):
    """The result of an election: those elected, on the date it was declared (reg 14)."""

    result_on: date
    elected: Annotated[list[ElectedPerson], Field(min_length=1)]
    # No more candidates than seats: elected without a ballot.
    unopposed: bool = False
