"""A transfer's letters and notices: preview, download (HTML, PDF, DOCX), issue, send again,
and the representatives' acknowledgements (the evidence that the reg 13(2) information reached
them).

Every letter here is made by the letters service, exactly as issuing makes it (the same data,
the organisation's own templates, the same renderers): a preview or download of a letter whose
data is complete is, byte for byte, the file that issuing it today registers. Anything not
recorded yet is marked "[not recorded: <field>]" in the preview, and the letter cannot be
issued until it is recorded.

The preview page shows the letter's HTML (the email body) in a frame, served with a policy of
its own: no scripts, its inline styles, shown only inside this site's pages.

Letters name employees, so these pages are for HR officers assigned to the transfer and HR
administrators only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.errors import NotFoundError, TransferEngineError, ValidationError
from transfer_engine.letters import service
from transfer_engine.letters.sense_checks import SenseCheckError
from transfer_engine.outbox.recovery import release as release_held
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.evidence import step_evidence
from transfer_engine.views.sent_messages import transfer_messages
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
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.rendering import render
from transfer_engine.web.routes import letter_issue
from transfer_engine.web.routes.letter_data import gap_links

router = APIRouter()

#: How many of the letters issued the page lists (newest first; `letters list` has them all).
ISSUED_SHOWN = 200
#: What a letter downloads as (the files issuing registers, except the plain text).
DOWNLOADS = ("html", "pdf", "docx")
#: The policy of the letter's HTML in the preview's frame: its own inline styles and nothing
#: else (no scripts, no requests), framed only by this site's pages.
LETTER_FRAME_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "x-frame-options": "SAMEORIGIN",
}


def _page(request: Request, transfer: Transfer, *, errors: dict[str, str] | None = None,
          status_code: int = 200, refused: dict[str, SenseCheckError] | None = None,
          values: dict[str, str] | None = None) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        follow_ups = service.follow_up_letters(session, fresh.ref)
        letters = [(name, service.recipients(session, fresh.ref, name))
                   for name in service.state_letters(session, fresh.ref) + follow_ups]
        messages = transfer_messages(session, fresh)
        editable = can_edit(session, request.state.principal, fresh)
        owed = service.pending(session, fresh.id)
        issued = service.issued_letters(session, fresh.ref, limit=ISSUED_SHOWN)
        # The steps these letters are evidence for: done, overridden, reopened or waiting.
        evidence = [e for e in step_evidence(session, fresh.ref) if e.letters]
    return render(request, "letters.html", {
        "t": fresh, "letters": letters, "messages": messages, "editable": editable,
        "owed": owed, "evidence": evidence, "issued": issued,
        # The letters issued from here: a state's (sent automatically too) and follow-ups.
        "issued_here": [*service.LETTER_AUDIENCE, *follow_ups], "section": "letters",
        "errors": errors or {},
        "refused": refused or {}, "values": values or {},
        "sense_problem": wording.sense_problem,
        "title_of": service.state_letter_title},
        status_code=status_code)


@router.get("/transfers/{transfer_id}/letters")
def letters(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    return _page(request, find_transfer(request, principal, transfer_id))


@router.get("/transfers/{transfer_id}/letters/{letter}/preview")
def preview(request: Request, transfer_id: int, letter: str, to: str,
            principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    letter_issue.require_letter(transfer, letter)
    with read_session(engine_of(request)) as session:
        summary = service.preview_letter(session, transfer.ref, letter, to,
                                         today=settings_of(request).today(),
                                         gaps=service.Gaps.mark)
        transferee = session.get(Organisation, transfer.transferee_id)
    # Each gap links to the form that records it, which comes back here once saved.
    back = f"/transfers/{transfer.id}/letters/{letter}/preview?to={quote(to, safe='')}"
    return render(request, "letter_preview.html", {
        "t": transfer, "letter": letter, "to": to, "preview": summary, "section": "letters",
        "gaps": gap_links(transfer, summary, back, transferee.slug if transferee else "")})


@router.get("/transfers/{transfer_id}/letters/{letter}/preview/letter.html")
def preview_body(request: Request, transfer_id: int, letter: str, to: str,
                 principal: PersonalData) -> Response:
    """The letter's HTML for the preview page's frame: the very bytes issuing would file."""
    transfer = find_transfer(request, principal, transfer_id)
    letter_issue.require_letter(transfer, letter)
    with read_session(engine_of(request)) as session:
        data, media_type, name = service.preview_file(
            session, transfer.ref, letter, to, fmt="html", today=settings_of(request).today(),
            gaps=service.Gaps.mark)
    return Response(data, media_type=media_type, headers={
        "content-disposition": content_disposition(name, inline=True), **LETTER_FRAME_HEADERS})


@router.get("/transfers/{transfer_id}/letters/{letter}/{fmt}")
def download(request: Request, transfer_id: int, letter: str, fmt: str, to: str,
             principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    if fmt not in DOWNLOADS:
        return _page(request, transfer, status_code=404,
                     errors={"_format": "Letters download as HTML, PDF or DOCX"})
    letter_issue.require_letter(transfer, letter)
    with read_session(engine_of(request)) as session:
        data, media_type, name = service.preview_file(
            session, transfer.ref, letter, to, fmt=fmt, today=settings_of(request).today(),
            gaps=service.Gaps.mark)
    with write_session(engine_of(request)) as session:
        audit(session, transfer, principal.actor, "letter-downloaded",
              data={"letter": letter, "format": fmt, "recipient": to})
    return Response(data, media_type=media_type,
                    headers={"content-disposition": content_disposition(name)})


@router.post("/transfers/{transfer_id}/letters/{letter}/issue")
def issue(request: Request, transfer_id: int, letter: str, principal: PersonalData,
          override_reason: Annotated[str, Form()] = "") -> Response:
    """Issue a state's letter now, to everyone whose letter can be made (the check page lists
    who cannot, and why): at once for a few, in the background for many
    (:mod:`transfer_engine.letters.issue_jobs`); then the run's page says exactly how many were
    issued and who was not. A letter the sense checks refuse is shown with why, and a box for
    the special circumstances appears: issuing it then records the override."""
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    letter_issue.require_letter(transfer, letter)
    reason = override_reason.strip() or None
    try:
        job = letter_issue.start(request, transfer, letter, principal.actor, reason)
    except SenseCheckError as exc:
        return _page(request, transfer, status_code=422, refused={letter: exc},
                     values={f"override-{letter}": override_reason},
                     errors={f"issue-{letter}": wording.sense_refusal(exc)})
    except ValidationError as exc:
        if any(p.field == "override_reason" for p in exc.field_problems):
            again = _refusal_of(request, transfer, letter)
            return _page(request, transfer, status_code=422,
                         refused={letter: again} if again else None,
                         values={f"override-{letter}": override_reason},
                         errors={f"override-{letter}": wording.describe(exc)})
        return _page(request, transfer, status_code=422,
                     errors={f"issue-{letter}": wording.describe(exc)})
    except TransferEngineError as exc:
        return _page(request, transfer, status_code=422,
                     errors={f"issue-{letter}": wording.describe(exc)})
    return letter_issue.after_start(request, transfer, job)


def _refusal_of(request: Request, transfer: Transfer, letter: str) -> SenseCheckError | None:
    """Why the sense checks refuse ``letter`` today (to show again beside a reason that was
    refused itself), or None if they no longer do."""
    found = [r for r in service.check_transfer(transfer.ref, [letter],
                                               today=settings_of(request).today(),
                                               engine=engine_of(request)) if r.sense]
    return SenseCheckError(letter, transfer.ref, found[0].sense) if found else None


@router.post("/transfers/{transfer_id}/messages/{message_id}/resend")
def resend(request: Request, transfer_id: int, message_id: int,
           principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        with write_session(engine_of(request)) as session:
            service.send_again(session, transfer.ref, message_id, actor=principal.actor,
                               today=settings_of(request).today())
    except ValidationError as exc:
        return _page(request, transfer, status_code=422,
                     errors={"_resend": wording.describe(exc)})
    flash(request, "A copy will be sent; the earlier message stays on record.")
    return RedirectResponse(f"/transfers/{transfer.id}/letters", status_code=303)


@router.post("/transfers/{transfer_id}/messages/{message_id}/release")
def release(request: Request, transfer_id: int, message_id: int, principal: PersonalData,
            reason: Annotated[str, Form()] = "") -> Response:
    """Send again a message held in doubt, once HR has checked it did not arrive (audited)."""
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        with write_session(engine_of(request)) as session:
            release_held(session, [message_id], reason=reason, actor=principal.actor,
                         transfer_ref=transfer.ref)
    except (ValidationError, NotFoundError) as exc:
        return _page(request, transfer, status_code=422,
                     errors={f"release-{message_id}": wording.describe(exc)})
    flash(request, "Released: the scheduler sends it at its next sweep, with its original "
                   "Message-ID.")
    return RedirectResponse(f"/transfers/{transfer.id}/letters", status_code=303)
