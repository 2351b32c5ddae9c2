"""Adding an organisation: a council, trust, school, company or other employer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.engine.inputs import OrganisationCreate
from transfer_engine.errors import ValidationError
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit, get_organisation
from transfer_engine.validation import parse


def add_organisation(session: Session, data: OrganisationCreate, *, actor: str) -> Organisation:
    """Add an organisation (audited); a school's maintaining council must exist already."""
    if session.exec(select(Organisation).where(col(Organisation.slug) == data.slug)).first():
        raise ValidationError(f"organisation {data.slug!r} already exists")
    maintaining_id = (get_organisation(session, data.maintaining_authority).id
                      if data.maintaining_authority else None)
    organisation = Organisation(slug=data.slug, name=data.name, kind=data.kind,
                                school_type=data.school_type, headcount=data.headcount,
                                maintaining_authority_id=maintaining_id)
    session.add(organisation)
    audit(session, None, actor, "organisation-added", data=data.model_dump(mode="json"))
    session.flush()
    return organisation


def parse_organisation_create(values: Mapping[str, Any]) -> OrganisationCreate:
    """Check what a person typed for a new organisation; the error names each field."""
    return parse(OrganisationCreate, values)
