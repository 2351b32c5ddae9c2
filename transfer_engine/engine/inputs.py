"""Input schemas: everything a user types is validated here before it reaches a table.

SQLModel table models skip validation, so the CLI, the CSV import and (later) the web forms
build one of these first; a ``pydantic.ValidationError`` becomes a message naming the field.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from transfer_engine.domain import OrganisationKind, Regime, RepresentativeKind, SchoolType

Ref = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-/]{1,79}$",
                           description="lower-case letters, digits, '-' and '/'")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]{0,39}$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationCreate(_Input):
    slug: Slug
    name: Annotated[str, Field(min_length=2, max_length=200)]
    kind: OrganisationKind
    school_type: SchoolType | None = None
    maintaining_authority: Slug | None = None
    headcount: Annotated[int, Field(ge=0)] | None = None

    @field_validator("school_type")
    @classmethod
    def _school_needs_type(cls, value: SchoolType | None, info) -> SchoolType | None:  # type: ignore[no-untyped-def]
        if value is not None and info.data.get("kind") != OrganisationKind.school:
            raise ValueError("only schools have a school type")
        return value


class TransferCreate(_Input):
    ref: Ref
    title: Annotated[str, Field(min_length=3, max_length=200)]
    workflow_id: str
    regime: Regime
    regime_reason: Annotated[str, Field(min_length=10)]
    transferor: Slug
    transferee: Slug
    key_dates: dict[str, date]
    parent: Ref | None = None
    hr_owner: EmailStr | None = None
    escalation_contact: EmailStr | None = None
    sample_data: bool = False

    @field_validator("key_dates")
    @classmethod
    def _names(cls, value: dict[str, date]) -> dict[str, date]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"key date name {name!r} must be lower_case_with_underscores")
        return value


YES = {"yes", "y", "true", "1", "in", "in scope"}
NO = {"no", "n", "false", "0", "out", "out of scope"}


class EmployeeRow(_Input):
    """One row of a staff list exported from an HR system."""

    employee_ref: Annotated[str, Field(min_length=1, max_length=40)]
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Annotated[str, Field(min_length=1, max_length=200)]
    fte: Annotated[Decimal, Field(gt=0, le=Decimal("1.5"), decimal_places=2)]
    weekly_pay: Annotated[Decimal, Field(ge=0, lt=Decimal("100000"), decimal_places=2)]
    email: EmailStr | None = None
    date_of_birth: date | None = None
    in_scope: bool = True
    objected_on: date | None = None

    @field_validator("email", "date_of_birth", "objected_on", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
            raise ValueError("is not a plausible date of birth")
        return value


class RepresentativeCreate(_Input):
    organisation: Slug
    kind: RepresentativeKind
    name: Annotated[str, Field(min_length=2, max_length=200)]
    union: str | None = None
    email: EmailStr
