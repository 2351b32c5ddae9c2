"""Issuing a letter from the Letters page, truthfully: check, issue, then what happened.

1. The check page lists the recipients and, per recipient, what stops their letter (a detail
   not recorded, a character the letter fonts cannot draw, an employee's name in a
   representative's letter), and what the sense checks refuse; it writes nothing.
2. Issuing issues the letters that can be made: at once for a few recipients, in the
   background for many (:mod:`transfer_engine.letters.issue_jobs`), while the run's page
   refreshes itself with the counts (a meta refresh: no script needed).
3. The run's page then says exactly how many were issued: a success banner only when everyone
   who lacked the letter has it; otherwise an error summary naming each recipient not issued
   and why. Nothing is "already issued today" for someone who holds no letter.

Sending an issued letter again (the same letter) and reissuing it with a reason (a new letter
that replaces it, the reason kept in the register) are actions of their own, per letter.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.errors import NotFoundError, TransferEngineError
from transfer_engine.letters import service
from transfer_engine.letters.issue_jobs import job_of, start_issue
from transfer_engine.letters.letter_data import Scope, form_for_gap
from transfer_engine.letters.refusal import RecipientProblem
from transfer_engine.letters.sense_checks import SenseCheck, SenseProblem
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.issue_jobs import IssueJob, IssueJobStatus
from transfer_engine.store.register import Letter
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import wording
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.letter_data import form_url

router = APIRouter()

#: Seconds between refreshes of a run's page while it is issuing.
REFRESH_SECONDS = 2


def require_letter(transfer: Transfer, letter: str) -> None:
    """Every letter issued by hand has its check, preview and issue pages: those the Letters
    page lists, and those other pages send HR to (the ELI page's notice of changes, reg 11(5);
    the objections page's acknowledgement). Whether it goes to anyone here, and makes sense
    here, is what its check page says. Anything else is "not found"."""
    if letter not in {spec.name for spec in service.letter_specs()}:
        raise NotFoundError(f"{transfer.ref} issues no letter {letter!r}")


@router.get("/transfers/{transfer_id}/letters/{letter}/check")
def check(request: Request, transfer_id: int, letter: str,
          principal: PersonalData) -> Response:
    """Who would receive the letter now, and what stops anyone's (nothing is written)."""
    transfer = find_transfer(request, principal, transfer_id)
    require_letter(transfer, letter)
    result = service.check_issue(transfer.ref, letter, today=settings_of(request).today(),
                                 engine=engine_of(request))
    with read_session(engine_of(request)) as session:
        editable = can_edit(session, request.state.principal, transfer)
    errors: dict[str, str] = {}
    if result.error:
        errors["_letter"] = result.error
    for problem in result.refused:
        errors.setdefault("_refused", "This letter cannot be issued as it stands: "
                          + wording.sense_problem(problem))
    return render(request, "letter_check.html", {
        "t": transfer, "letter": letter, "check": result, "editable": editable,
        "title": service.state_letter_title(letter), "errors": errors,
        "sense_problem": wording.sense_problem, "section": "letters",
        "sense_links": [_sense_link(transfer, letter, p) for p in result.sense],
        "missing": [_missing(transfer, letter, p) for p in result.problems]})


def _missing(transfer: Transfer, letter: str,
             problem: RecipientProblem) -> tuple[str, list[tuple[str, str]]]:
    """What a recipient's letter lacks, in words (“the address and the grade”, never the
    letter's field names), and the forms that record it, each coming back to this check."""
    assert transfer.id is not None
    kind, _, who = problem.ref.partition(":")
    scope: Scope = ("employee" if kind == "employee" else
                    "representative" if kind == "representative" else "organisation")
    back = f"/transfers/{transfer.id}/letters/{letter}/check"
    nouns: list[str] = []
    links: dict[str, str] = {}  # text: address, one link per form
    for field in problem.fields:
        gap = form_for_gap(field, scope)
        name = field.rpartition(".")[2].replace("_", " ")
        nouns.append(gap.noun if gap else f"the {name}")
        if gap is not None and gap.scope == scope and scope != "organisation":
            links.setdefault("Add the missing details", form_url(transfer.id, gap, who, back))
        elif gap is not None and gap.scope == "transfer":
            links.setdefault(f"Add {gap.noun}", form_url(transfer.id, gap, back=back))
    if len(nouns) < 2:
        return "".join(nouns), list(links.items())
    return f"{', '.join(nouns[:-1])} and {nouns[-1]}", list(links.items())


def _sense_link(transfer: Transfer, letter: str,
                problem: SenseProblem) -> tuple[str, str] | None:
    """The form that puts a sense check's problem right, where a form here does (a meeting
    date that has passed: the meeting's form, coming back to this check once saved)."""
    gap = form_for_gap("transfer.meeting_date")
    if problem.check != SenseCheck.meeting_passed or gap is None:
        return None
    assert transfer.id is not None
    back = f"/transfers/{transfer.id}/letters/{letter}/check"
    return "Change the meeting date", form_url(transfer.id, gap, back=back)


def start(request: Request, transfer: Transfer, letter: str, actor: str,
          override_reason: str | None) -> IssueJob:
    """Record the issue and run it (now, or in the background for many recipients)."""
    settings = settings_of(request)
    with read_session(engine_of(request)) as session:
        count = len(service.recipients(session, transfer.ref, letter))
    return start_issue(transfer.ref, letter, actor=actor, today=settings.today(),
                       recipient_count=count, override_reason=override_reason,
                       engine=engine_of(request), background_above=settings.background_above)


def after_start(request: Request, transfer: Transfer, job: IssueJob) -> Response:
    """The run's page: straight away when nothing at all was issued (the reasons, as a
    refusal), otherwise after a redirect (so that reloading does not issue again)."""
    if job.status == IssueJobStatus.finished and not job.issued and job.not_issued_count:
        return _job_page(request, transfer, job, status_code=422)
    return RedirectResponse(f"/transfers/{transfer.id}/letters/issues/{job.id}",
                            status_code=303)


@router.get("/transfers/{transfer_id}/letters/issues/{job_id}")
def issue_run(request: Request, transfer_id: int, job_id: int,
              principal: PersonalData) -> Response:
    """One issue: its progress while it runs, then how many were issued and who was not."""
    transfer = find_transfer(request, principal, transfer_id)
    return _job_page(request, transfer, job_of(job_id, transfer_id=transfer.id,
                                               engine=engine_of(request)))


def _job_page(request: Request, transfer: Transfer, job: IssueJob, *,
              status_code: int = 200) -> Response:
    running = job.status in (IssueJobStatus.queued, IssueJobStatus.running)
    lacked = job.issued + job.not_issued_count
    # Who was not issued and why, in the check page's words ("the address and the grade",
    # never the letter's field names), with the forms that put it right.
    not_issued = [_not_issued(transfer, job.letter, row) for row in job.not_issued]
    errors: dict[str, str] = {}
    if job.status == IssueJobStatus.failed:
        errors["_error"] = f"The issue stopped: {job.error}"
    if not running and job.not_issued_count:
        errors["_summary"] = (f"{job.issued} of {lacked} issued"
                              + ("; nothing was issued" if not job.issued else "")
                              + f". Not issued: {job.not_issued_count}")
        for index, (label, why, _) in enumerate(not_issued):
            errors[f"_not-issued-{index}"] = f"{label}: {why}"
        hidden = job.not_issued_count - len(job.not_issued)
        if hidden > 0:
            errors["_more"] = f"and {hidden} more recipient(s) not issued"
    return render(request, "letter_issue.html", {
        "t": transfer, "job": job, "running": running, "lacked": lacked,
        "not_issued": not_issued,
        "title": service.state_letter_title(job.letter), "errors": errors,
        "refresh": REFRESH_SECONDS if running else None, "section": "letters"},
        status_code=status_code)


def _not_issued(transfer: Transfer, letter: str, row: dict[str, Any]
                ) -> tuple[str, str, list[tuple[str, str]]]:
    """A recipient the run did not issue: their label, why, and the forms that put it right."""
    fields = tuple(row.get("fields") or ())
    if not fields:  # another fault (or a run recorded before the fields were kept)
        return row["label"], row["reason"], []
    words, links = _missing(transfer, letter, RecipientProblem(row["label"], row["recipient"],
                                                               fields))
    return row["label"], f"Not recorded: {words}.", links


def _issued_letter(request: Request, transfer: Transfer, letter_id: int) -> Letter:
    with read_session(engine_of(request)) as session:
        row = session.get(Letter, letter_id)
        if row is None or row.transfer_id != transfer.id:
            raise NotFoundError(f"{transfer.ref} has no issued letter {letter_id}")
        session.expunge(row)
        return row


@router.post("/transfers/{transfer_id}/letters/issued/{letter_id}/send-again")
def send_again(request: Request, transfer_id: int, letter_id: int,
               principal: PersonalData) -> Response:
    """Deliver an issued letter again: the same letter, its first delivery kept on record."""
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    row = _issued_letter(request, transfer, letter_id)
    try:
        with write_session(engine_of(request)) as session:
            service.send_letter_again(session, transfer.ref, letter_id, actor=principal.actor,
                                      today=settings_of(request).today())
    except TransferEngineError as exc:
        return _reissue_page(request, transfer, row, status_code=422,
                             errors={"_send": wording.describe(exc)})
    flash(request, f"Letter {row.reference or letter_id} will be sent again to "
                   f"{row.recipient_label}; the first delivery stays on record.")
    return RedirectResponse(f"/transfers/{transfer.id}/letters#issued", status_code=303)


@router.get("/transfers/{transfer_id}/letters/issued/{letter_id}/reissue")
def reissue_form(request: Request, transfer_id: int, letter_id: int,
                 principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    return _reissue_page(request, transfer, _issued_letter(request, transfer, letter_id))


@router.post("/transfers/{transfer_id}/letters/issued/{letter_id}/reissue")
def reissue(request: Request, transfer_id: int, letter_id: int, principal: PersonalData,
            reissue_reason: Annotated[str, Form()] = "") -> Response:
    """Issue a new letter in place of this one, with the reason (kept in the register)."""
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    row = _issued_letter(request, transfer, letter_id)
    try:
        report = service.reissue_letter(transfer.ref, letter_id, reason=reissue_reason,
                                        actor=principal.actor,
                                        today=settings_of(request).today(),
                                        engine=engine_of(request))
    except TransferEngineError as exc:
        field = ("reissue_reason" if any(p.field == "reissue_reason"
                                         for p in getattr(exc, "field_problems", ()))
                 else "_reissue")
        return _reissue_page(request, transfer, row, status_code=422,
                             errors={field: wording.describe(exc)},
                             reason=reissue_reason)
    if not report.issued:
        problems = "; ".join(str(p) for p in report.not_issued) or "it could not be made"
        return _reissue_page(request, transfer, row, status_code=422,
                             errors={"_reissue": f"Not issued: {problems}"},
                             reason=reissue_reason)
    with read_session(engine_of(request)) as session:
        new = session.get(Letter, report.issued[0])
        reference = new.reference if new is not None else None
    flash(request, f"Issued letter {reference} to {row.recipient_label} in place of "
                   f"{row.reference or letter_id}; the reason is kept in the register.")
    return RedirectResponse(f"/transfers/{transfer.id}/letters#issued", status_code=303)


def _reissue_page(request: Request, transfer: Transfer, row: Letter, *,
                  status_code: int = 200, errors: dict[str, str] | None = None,
                  reason: str = "") -> Response:
    return render(request, "letter_reissue.html", {
        "t": transfer, "row": row, "errors": errors or {}, "reason": reason,
        "title": service.state_letter_title(row.letter), "section": "letters"},
        status_code=status_code)
