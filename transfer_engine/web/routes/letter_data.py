"""Letter details: what the letters say beyond the engine's records, recorded in the browser.

One page lists every section (the service and reasons, the meeting, the contact, the measures
each employer envisages, agency workers, the ELI, collective redundancies, each party's
letterhead, each representative and employee) with what is recorded; each section has its own
form (:mod:`transfer_engine.letters.letter_data` says what each holds and checks it). A
letter's preview links each gap to the form that fills it ("Add the meeting date") and, once
saved, goes back to the preview, so that HR fixes a letter in the browser, previews it and
issues it.

Who may do what is as on the letters pages: HR officers assigned to the transfer and HR
administrators change the details; viewers read the transfer's own details but never an
employee's or a representative's (personal data), and change nothing; union representatives
never reach these pages. Every save is in the history, refusals too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData

from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.letters.letter_data import (
    SECTIONS,
    GapForm,
    SalutationToConfirm,
    Scope,
    Section,
    check_section,
    form_for_gap,
    party_organisations,
    record_section,
    scope_of,
    stored_values,
)
from transfer_engine.letters.recorded_particulars import employee_particulars
from transfer_engine.letters.service import LetterPreview
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import wording
from transfer_engine.web.auth import Principal, can_edit
from transfer_engine.web.deps import (
    HrStaff,
    deny,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.forms import date_values, parse_date_fields, whole_number
from transfer_engine.web.rendering import render

router = APIRouter()

#: Blank rows a collective redundancies form offers after those recorded.
_BLANK_GROUPS = 2
_MAX_GROUPS = 30
#: The sections of the transfer itself, in the order the page lists them.
TRANSFER_SECTIONS = [s for s in SECTIONS.values() if s.scope == "transfer"]
_ABOUT_PEOPLE = ("employee", "representative")


async def _form(request: Request) -> FormData:
    """The posted form (already read, and cached, by the CSRF check)."""
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _section(key: str) -> Section:
    section = SECTIONS.get(key)
    if section is None:
        raise PageNotFound()
    return section


def _personal(request: Request, principal: Principal, section: Section,
              transfer: Transfer) -> None:
    """Employees' and representatives' details are personal data: not for viewers."""
    if section.scope in _ABOUT_PEOPLE and not principal.personal_data:
        raise deny(request, principal, "These details are personal data, which your role "
                                       "(read only) does not include.", transfer)


def form_url(transfer_id: int, gap: GapForm, key: str | None = None,
             back: str | None = None) -> str:
    """The address of the form that records ``gap`` (with where to go back to once saved)."""
    query = []
    if key is not None:
        query.append(f"key={quote(key, safe='')}")
    if back:
        query.append(f"back={quote(back, safe='')}")
    return (f"/transfers/{transfer_id}/letter-data/{gap.section}"
            + (f"?{'&'.join(query)}" if query else "") + f"#{gap.field}")


@dataclass(frozen=True)
class GapLink:
    """A gap of a previewed letter, with the form that records it (if one does)."""

    field: str
    where: str           # where it is recorded, in words (for what no form here records)
    href: str | None
    text: str            # "Add the meeting date"


def gap_links(transfer: Transfer, preview: LetterPreview, back: str,
              transferee: str) -> list[GapLink]:
    """Each gap of ``preview`` with a link to the form that fills it, and back to ``back``
    (``transferee``: the transferee's slug, whose details ``organisation.*`` are)."""
    assert transfer.id is not None
    kind, _, who = preview.recipient_ref.partition(":")
    recipient: Scope = ("employee" if kind == "employee" else
                        "representative" if kind == "representative" else "organisation")
    links = []
    for field, where in preview.gaps:
        gap = form_for_gap(field, recipient)
        key: str | None = None
        if gap is not None and gap.scope == "organisation":
            root = field.split(".", 1)[0]
            key = preview.sender if root == "sender" else transferee
        elif gap is not None and gap.scope in _ABOUT_PEOPLE:
            key = who if kind == gap.scope else None
            gap = gap if key else None
        links.append(GapLink(field, where,
                             form_url(transfer.id, gap, key, back) if gap else None,
                             f"Add {gap.noun}" if gap else ""))
    return links


def _safe_back(transfer_id: int, back: str | None) -> str | None:
    """Only a page of this transfer's letters (never another site: an open redirect)."""
    if back and back.startswith(f"/transfers/{transfer_id}/letters") and "//" not in back \
            and "\\" not in back and all(c.isprintable() for c in back):
        return back
    return None


# ---------------------------------------------------------------------------------------------
# The page of every section


@router.get("/transfers/{transfer_id}/letter-data")
def overview(request: Request, transfer_id: int, principal: HrStaff) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None and fresh.id is not None
        editable = can_edit(session, principal, fresh)
        sections = [(s, stored_values(session, fresh, s)) for s in TRANSFER_SECTIONS]
        organisations = [(o, stored_values(session, fresh, SECTIONS["organisation"], o.slug))
                         for o in party_organisations(session, fresh)]
        people: dict[str, Any] = {"representatives": [], "employees": []}
        if principal.personal_data:
            reps = session.exec(select(Representative).where(
                Representative.transfer_id == fresh.id).order_by(col(Representative.id))).all()
            people["representatives"] = [
                (r, stored_values(session, fresh, SECTIONS["representative"], str(r.id)))
                for r in reps]
            employees = session.exec(select(Employee).where(
                Employee.transfer_id == fresh.id).order_by(Employee.employee_ref)).all()
            recorded = employee_particulars(session, fresh.id,
                                            [e.employee_ref for e in employees])
            people["employees"] = [(e, recorded.get(e.employee_ref, {})) for e in employees]
    return render(request, "letter_data.html", {
        "t": fresh, "section": "letter-data", "editable": editable, "sections": sections,
        "organisations": organisations, "employee_section": SECTIONS["employee"],
        "representative_section": SECTIONS["representative"],
        "organisation_section": SECTIONS["organisation"], **people})


# ---------------------------------------------------------------------------------------------
# One section's form


def _form_values(section: Section, stored: dict[str, Any]) -> dict[str, Any]:
    """What the form's boxes show for what is recorded."""
    values: dict[str, Any] = {}
    for f in section.fields:
        value = stored.get(f.name)
        if f.kind == "date":
            values[f.name] = date_values(value)
        elif f.kind == "lines":
            values[f.name] = "\n".join(value or [])
        elif f.kind == "measures":
            values[f.name] = "\n".join(value or [])
            values[f.name + "-choice"] = ("unknown" if value is None
                                          else "some" if value else "none")
        elif f.kind == "groups":
            values[f.name] = [{k: str(v) for k, v in g.items()} for g in value or []]
        else:
            values[f.name] = "" if value is None else str(value)
    return values


def _render_form(request: Request, transfer: Transfer, section: Section, key: str | None,
                 values: dict[str, Any], *, back: str | None, errors: dict[str, str] | None = None,
                 prompt: SalutationToConfirm | None = None, status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        about = _about(session, transfer, section, key)
    groups = values.get("redundancy_groups")
    if section.key == "redundancies":
        rows = list(groups or [])
        values["redundancy_groups"] = rows + [{}] * min(_BLANK_GROUPS, _MAX_GROUPS - len(rows))
    return render(request, "letter_data_form.html", {
        "t": transfer, "s": section, "key": key, "about": about, "values": values,
        "errors": errors or {}, "back": back, "prompt": prompt,
        "cancel": back or f"/transfers/{transfer.id}/letter-data#{section.key}"},
        status_code=status_code)


def _about(session: Any, transfer: Transfer, section: Section, key: str | None) -> str:
    """Whom a section is about, as its heading's caption says it (a key that is not one of
    this transfer's: "not found", never someone of another transfer)."""
    scope_of(session, transfer, section, key)
    if section.scope == "organisation":
        found = [o.name for o in party_organisations(session, transfer) if o.slug == key]
        return found[0] if found else ""
    if section.scope == "employee":
        employee = session.exec(select(Employee).where(
            Employee.transfer_id == transfer.id, Employee.employee_ref == (key or ""))).first()
        return f"{employee.full_name} ({employee.employee_ref})" if employee else ""
    if section.scope == "representative":
        rep = session.get(Representative, whole_number(key))  # of this transfer: scope_of
        return f"{rep.name}{f' ({rep.union})' if rep.union else ''}" if rep else ""
    return ""


def _editable_section(request: Request, principal: Principal, transfer_id: int,
                      section_key: str, key: str | None) -> tuple[Transfer, Section]:
    """The transfer and section of a form, once the principal may change them and ``key`` is
    one of this transfer's parties, employees or representatives (else "not found", before
    any field is checked: a refused form would otherwise name someone of another transfer)."""
    transfer = find_transfer(request, principal, transfer_id)
    section = _section(section_key)
    _personal(request, principal, section, transfer)
    require_edit(request, principal, transfer)
    with read_session(engine_of(request)) as session:
        scope_of(session, transfer, section, key)
    return transfer, section


@router.get("/transfers/{transfer_id}/letter-data/{section_key}")
def edit_form(request: Request, transfer_id: int, section_key: str, principal: HrStaff,
              key: str | None = None, back: str | None = None) -> Response:
    transfer, section = _editable_section(request, principal, transfer_id, section_key, key)
    with read_session(engine_of(request)) as session:
        stored = stored_values(session, transfer, section, key)
    return _render_form(request, transfer, section, key, _form_values(section, stored),
                        back=_safe_back(transfer_id, back))


def _parsed(section: Section, form: FormData) -> tuple[dict[str, Any], dict[str, Any],
                                                        dict[str, str]]:
    """(values for the engine, values to show again, errors of the form's own parsing)."""
    values: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    for f in section.fields:
        names = {"date": [f"{f.name}-{p}" for p in ("day", "month", "year")],
                 "measures": [f.name, f.name + "-choice"],
                 "groups": [f.name + "-rows"]}.get(f.kind, [f.name])
        if not any(name in form for name in names):
            continue  # not on the form that was sent: left as it is
        if f.kind == "date":
            parts = {p: text(f"{f.name}-{p}") for p in ("day", "month", "year")}
            shown[f.name] = parts
            when, problem = parse_date_fields(parts["day"], parts["month"], parts["year"],
                                              f.label.lower())
            if problem:
                errors[f.name] = problem
            values[f.name] = when
        elif f.kind == "measures":
            choice = text(f.name + "-choice")
            shown[f.name], shown[f.name + "-choice"] = text(f.name), choice
            if choice not in ("some", "none", "unknown"):
                errors[f.name] = (f"Select whether {f.noun.removeprefix('the measures ')} "
                                  "any measures")
            values[f.name] = text(f.name) if choice == "some" else \
                [] if choice == "none" else None
        elif f.kind == "groups":
            rows = []
            count = min(_MAX_GROUPS, whole_number(text(f.name + "-rows")) or 0)
            for i in range(1, count + 1):
                rows.append({k: text(f"{f.name}-{i}-{k}")
                             for k in ("description", "proposed", "employed")})
            shown[f.name] = [r for r in rows if any(r.values())]
            values[f.name] = rows
        else:
            shown[f.name] = values[f.name] = text(f.name)
    return values, shown, errors


def _field_id(section: Section, problem: FieldProblem) -> str:
    """The id of the box a problem is about (``redundancy_groups.1.proposed`` ->
    ``redundancy_groups-1-proposed``)."""
    return problem.field.replace(".", "-") if "." in problem.field else problem.field


@router.post("/transfers/{transfer_id}/letter-data/{section_key}")
def save(request: Request, transfer_id: int, section_key: str, principal: HrStaff,
         form: Form, key: str | None = None, back: str | None = None) -> Response:
    transfer, section = _editable_section(request, principal, transfer_id, section_key, key)
    back = _safe_back(transfer_id, back)
    values, shown, errors = _parsed(section, form)
    confirmed = form.get("salutation_confirmed") == "yes"
    today: date = settings_of(request).today()
    try:
        if errors:  # the form's own parsing failed: still check the rest, to list it all
            for name in errors:
                values.pop(name, None)
            _still_check(section, values, errors)
            raise _Refused()
        saved = record_section(transfer.ref, section.key, values, key=key,
                               actor=principal.actor, today=today,
                               salutation_confirmed=confirmed, engine=engine_of(request))
    except _Refused:
        return _render_form(request, transfer, section, key, shown, back=back, errors=errors,
                            status_code=422)
    except ValidationError as exc:
        for problem in exc.field_problems:
            errors.setdefault(_field_id(section, problem), wording.field_error(problem))
        if not exc.field_problems:
            errors["_problem"] = wording.describe(exc)
        return _render_form(request, transfer, section, key, shown, back=back, errors=errors,
                            status_code=422)
    except SalutationToConfirm as prompt:
        shown["salutation"] = prompt.proposed
        return _render_form(request, transfer, section, key, shown, back=back, prompt=prompt)
    flash(request, _saved_message(section, saved.changed, saved.salutation_followed,
                                  saved.eli_changes))
    target = back or f"/transfers/{transfer.id}/letter-data#{section.key}"
    return RedirectResponse(target, status_code=303)


class _Refused(Exception):
    """The form's own errors are to be shown; nothing was saved."""


def _still_check(section: Section, values: dict[str, Any], errors: dict[str, str]) -> None:
    _, problems = check_section(section, {k: v for k, v in values.items() if k != "full_name"})
    for problem in problems:
        errors.setdefault(_field_id(section, problem), wording.field_error(problem))


def _saved_message(section: Section, changed: list[str], salutation: str | None,
                   eli_changes: int) -> str:
    if not changed:
        return f"Nothing was changed in “{section.title}”."
    names = ", ".join(c[:1].lower() + c[1:] for c in changed)
    message = f"Saved {section.title[:1].lower() + section.title[1:]}: {names}."
    if salutation:
        message += f" The salutation follows the new name: “Dear {salutation}”."
    if eli_changes:
        message += (" The name was in the employee liability information already given: the "
                    "change is kept for the notice of changes to the transferee (reg 11(5)).")
    return message


__all__ = ["GapLink", "form_url", "gap_links", "router"]
