"""Organisations in the browser: the councils, trusts, schools and companies that send and
receive staff, each with its kind, a school's type and maintaining council (which decide the
regime of a move into the school), its headcount (reg 13A), and its letterhead logo.

Adding one goes through :func:`transfer_engine.engine.organisations.add_organisation`, as the
command line's ``organisations add``; the logo through
:func:`transfer_engine.letters.logos.set_logo_data`, as ``letters logo``. The engine has no way
to change an organisation once added, so neither has this page. HR officers and administrators
add organisations; viewers read the list; union representatives never reach it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select
from starlette.datastructures import FormData, UploadFile

from transfer_engine.domain import OrganisationKind, SchoolType
from transfer_engine.engine.organisations import add_organisation, parse_organisation_create
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.logos import MAX_BYTES, set_logo_data
from transfer_engine.letters.recorded_particulars import organisation_scope, read_particulars
from transfer_engine.store.accounts import Role
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import HrStaff, deny, engine_of, flash
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.form_errors import Box, form_errors, plain, text
from transfer_engine.web.forms import whole_number
from transfer_engine.web.rendering import render

router = APIRouter()

#: The kinds of organisation, as the form offers them.
KINDS = [(OrganisationKind.council.value, "Council", "A local authority."),
         (OrganisationKind.trust.value, "Council-owned trust or company",
          "For example a children's trust; an employer in the Local Government Pension Scheme."),
         (OrganisationKind.school.value, "School",
          "A maintained school's governing body, or an academy trust."),
         (OrganisationKind.company.value, "Private company", "A contractor."),
         (OrganisationKind.central.value, "Central government",
          "A department or agency (civil service pension scheme)."),
         (OrganisationKind.nhs.value, "NHS body", "An NHS trust or other NHS employer."),
         (OrganisationKind.other.value, "Other", "A charity or anyone else.")]
KIND_WORDS = {value: label for value, label, _ in KINDS}
SCHOOL_TYPES = [(SchoolType.community.value, "Community school"),
                (SchoolType.voluntary_controlled.value, "Voluntary controlled school"),
                (SchoolType.foundation.value, "Foundation school"),
                (SchoolType.voluntary_aided.value, "Voluntary aided school"),
                (SchoolType.academy.value, "Academy")]
SCHOOL_WORDS = dict(SCHOOL_TYPES)

BOXES = {
    "slug": Box("slug", "the short name", "a short name, like acme-cleaning"),
    "name": Box("name", "the name", "the organisation's name"),
    "kind": Box("kind", "the kind of organisation", "the kind of organisation"),
    "school_type": Box("school_type", "the school type"),
    "maintaining_authority": Box("maintaining_authority", "the maintaining council"),
    "headcount": Box("headcount", "the number of employees"),
}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _editor(request: Request, principal: Principal) -> None:
    if principal.role not in (Role.hr_admin, Role.hr_officer):
        raise deny(request, principal, "Your role can look at the organisations but not "
                                       "change them.")


def _all(request: Request) -> list[Organisation]:
    with read_session(engine_of(request)) as session:
        return list(session.exec(select(Organisation).order_by(Organisation.name)).all())


@router.get("/organisations")
def organisations(request: Request, principal: HrStaff) -> Response:
    rows = _all(request)
    with read_session(engine_of(request)) as session:
        recorded = read_particulars(session, [organisation_scope(o.slug) for o in rows])
    names = {o.id: o.name for o in rows}
    return render(request, "organisations.html", {
        "organisations": [(o, names.get(o.maintaining_authority_id),
                           recorded.get(organisation_scope(o.slug), {}).get("logo_alt")
                           if recorded.get(organisation_scope(o.slug), {}).get("logo")
                           else None) for o in rows],
        "kind_words": KIND_WORDS, "school_words": SCHOOL_WORDS,
        "editable": principal.role in (Role.hr_admin, Role.hr_officer)})


def _new_page(request: Request, values: dict[str, Any], errors: dict[str, str] | None = None,
              status_code: int = 200) -> Response:
    councils = [o for o in _all(request) if o.kind == OrganisationKind.council]
    return render(request, "organisation_new.html", {
        "kinds": KINDS, "school_types": SCHOOL_TYPES, "councils": councils,
        "values": values, "errors": errors or {}}, status_code=status_code)


@router.get("/organisations/new")
def new_form(request: Request, principal: HrStaff) -> Response:
    _editor(request, principal)
    return _new_page(request, {})


@router.post("/organisations/new")
def add(request: Request, principal: HrStaff, form: Form) -> Response:
    _editor(request, principal)
    values = {name: text(form, name) for name in BOXES}
    errors: dict[str, str] = {}
    if not values["kind"]:
        errors["kind"] = "Select the kind of organisation"
    headcount: Any = values["headcount"] or None
    if headcount is not None and whole_number(headcount) is None:
        errors["headcount"] = "Number of employees must be a whole number, like 250"
        headcount = None
    school = values["kind"] == OrganisationKind.school.value
    data = {"slug": values["slug"], "name": values["name"], "kind": values["kind"] or None,
            # Only a school has a type and a maintaining council; a choice left behind when
            # the kind was changed is not sent.
            "school_type": (values["school_type"] or None) if school else None,
            "maintaining_authority": (values["maintaining_authority"] or None)
            if school else None, "headcount": headcount}
    try:
        spec = parse_organisation_create(data)
        if errors:  # the form's own checks failed: the engine's are shown with them
            return _new_page(request, values, errors, 422)
        with write_session(engine_of(request)) as session:
            add_organisation(session, spec, actor=principal.actor)
    except ValidationError as exc:
        found = form_errors(exc, BOXES, fallback="slug",
                            empty=[name for name, value in values.items() if not value])
        if not exc.field_problems and "already exists" in str(exc):
            found = {"slug": "An organisation already has this short name: choose another"}
        for box, problem in found.items():
            errors.setdefault(box, problem)
        return _new_page(request, values, errors, 422)
    except NotFoundError:
        return _new_page(request, values, {"maintaining_authority": (
            "Select the maintaining council again: it is no longer recorded")}, 422)
    flash(request, f"Added {spec.name}.")
    return RedirectResponse("/organisations", status_code=303)


# ---------------------------------------------------------------------------------------------
# The letterhead logo


def _organisation(request: Request, slug: str) -> Organisation:
    with read_session(engine_of(request)) as session:
        found = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
    if found is None:
        raise PageNotFound()
    return found


def _logo_page(request: Request, organisation: Organisation, values: dict[str, str],
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        recorded = read_particulars(session, [organisation_scope(organisation.slug)]).get(
            organisation_scope(organisation.slug), {})
    return render(request, "organisation_logo.html", {
        "o": organisation, "current": recorded.get("logo_alt") if recorded.get("logo") else None,
        "max_kb": MAX_BYTES // 1024, "values": values, "errors": errors or {}},
        status_code=status_code)


@router.get("/organisations/{slug}/logo")
def logo_form(request: Request, slug: str, principal: HrStaff) -> Response:
    _editor(request, principal)
    organisation = _organisation(request, slug)
    return _logo_page(request, organisation, {"alt": organisation.name})


@router.post("/organisations/{slug}/logo")
def set_logo(request: Request, slug: str, principal: HrStaff, form: Form) -> Response:
    _editor(request, principal)
    organisation = _organisation(request, slug)
    if text(form, "remove") == "yes":
        set_logo_data(slug, None, alt=None, actor=principal.actor, engine=engine_of(request))
        flash(request, f"Removed the logo of {organisation.name}. Its letters have none.")
        return RedirectResponse("/organisations", status_code=303)
    alt = text(form, "alt")
    upload = form.get("logo")
    errors: dict[str, str] = {}
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["logo"] = "Select a PNG or SVG file of the logo"
    else:
        data = upload.file.read(MAX_BYTES + 1)
        upload.file.close()
        if not data:
            errors["logo"] = "The selected file is empty"
        elif len(data) > MAX_BYTES:
            errors["logo"] = f"The logo must be {MAX_BYTES // 1024} KB or smaller"
    if not alt:
        errors["alt"] = ("Enter the text a screen reader reads instead of the logo, usually "
                         "the organisation's name")
    if not errors:
        try:
            set_logo_data(slug, data, alt=alt, actor=principal.actor, engine=engine_of(request),
                          where="The logo")
        except ValidationError as exc:
            errors["logo"] = plain(str(exc)).replace("The logo: a logo", "The logo")
    if errors:
        return _logo_page(request, organisation, {"alt": alt}, errors, 422)
    flash(request, f"Set the logo of {organisation.name}. Letters it sends from now on show it.")
    return RedirectResponse("/organisations", status_code=303)
