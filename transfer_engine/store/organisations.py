"""The organisations table: councils, trusts, schools and contractors."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from transfer_engine.domain import OrganisationKind, SchoolType


class Organisation(SQLModel, table=True):
    """A council, trust, school or company that employs, sends or receives staff."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True)
    name: str
    kind: OrganisationKind
    school_type: SchoolType | None = None
    # For community and voluntary-controlled schools the maintaining council is the employer.
    maintaining_authority_id: int | None = Field(default=None, foreign_key="organisation.id")
    # Reg 13A thresholds depend on how many people the employer employs.
    headcount: int | None = None
