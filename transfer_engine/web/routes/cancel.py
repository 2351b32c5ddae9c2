"""Cancelling a transfer: HR administrators only, after a page that lists what stops.

The page names the open steps that will no longer be due, the letters owed that will not be
issued, the reminders that will not be sent, the emails that still will be (issued letters'),
the emails held in doubt and the calendar events that go, and asks for the reason (kept in the
history). The message after cancelling repeats what still goes. An HR officer is refused (403,
audited), here and wherever a cancelling trigger could be fired.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.engine.cancel import cancel_transfer, cancelling_triggers
from transfer_engine.engine.limits import NOTE, text_problems
from transfer_engine.errors import ConflictError, GuardRefusedError, ValidationError
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.cancellation import cancel_consequences
from transfer_engine.web import wording
from transfer_engine.web.auth import Principal, can_cancel
from transfer_engine.web.deps import (
    EditableTransfer,
    HrStaff,
    deny,
    engine_of,
    flash,
    kept_form,
    settings_of,
)
from transfer_engine.web.flash import KeptForm
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.transfers import CONFLICT, transfer_url

router = APIRouter()

ONLY_ADMINS = ("Only an HR administrator can cancel a transfer. Ask one if this transfer "
               "should stop.")


def require_cancel_right(request: Request, principal: Principal, transfer: Transfer) -> None:
    """HR administrators only: refused (403) and audited for anyone else."""
    if not can_cancel(principal):
        raise deny(request, principal, ONLY_ADMINS, transfer)


def cancel_url(transfer: Transfer) -> str:
    return f"/transfers/{transfer.id}/cancel"


def _trigger(request: Request, transfer: Transfer) -> str | None:
    """The cancelling trigger that can be fired from the transfer's state, if any."""
    definition = definition_of(transfer, engine_of(request))
    return next((name for name in cancelling_triggers(definition)
                 if transfer.state in definition.triggers[name].sources), None)


@router.get("/transfers/{transfer_id}/cancel")
def cancel_page(request: Request, transfer: EditableTransfer, principal: HrStaff) -> Response:
    require_cancel_right(request, principal, transfer)
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        consequences = cancel_consequences(session, fresh)
    definition = definition_of(fresh, engine_of(request))
    kept = kept_form(request, cancel_url(transfer))
    return render(request, "cancel.html", {
        "t": fresh, "trigger": _trigger(request, fresh), "c": consequences,
        "state_label": definition.states[fresh.state].label,
        "errors": kept.errors if kept else {}, "values": kept.values if kept else {}})


@router.post("/transfers/{transfer_id}/cancel")
def cancel(request: Request, transfer: EditableTransfer, principal: HrStaff,
           version: Annotated[int, Form()], reason: Annotated[str, Form()] = "") -> Response:
    require_cancel_right(request, principal, transfer)
    trigger = _trigger(request, transfer)
    errors: dict[str, str] = {}
    if trigger is None:
        errors["_state"] = "This transfer cannot be cancelled in its present state."
    elif not reason.strip():
        errors["reason"] = "Enter why the transfer is cancelled"
    else:
        problems = text_problems((NOTE, reason.strip()))
        if problems:
            errors["reason"] = wording.field_error(problems[0])
    if not errors:
        assert trigger is not None
        try:
            cancel_transfer(transfer.ref, trigger, reason=reason.strip(), actor=principal.actor,
                            expected_version=version, today=settings_of(request).today(),
                            engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except GuardRefusedError as exc:
            errors["reason"] = ". ".join(wording.guard_failure(exc.failures[0]))
        except ValidationError as exc:
            errors = wording.field_errors(exc, {"note": "reason"}, fallback="reason")
    if errors:
        flash(request, "", form=KeptForm(cancel_url(transfer), errors=errors,
                                         values={"reason": reason}))
        return RedirectResponse(cancel_url(transfer), status_code=303)
    flash(request, _cancelled_message(request, transfer))
    return RedirectResponse(transfer_url(transfer), status_code=303)


def _cancelled_message(request: Request, transfer: Transfer) -> str:
    """What cancelling did, and what it did not: issued letters' emails still go, and held
    emails stay held (the page said so before; the message says it again, with the counts now)."""
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        after = cancel_consequences(session, fresh)
    words = ["The transfer is cancelled. Its deadlines, reminders and calendar events have "
             "stopped; the reason is in the history."]
    if after.letter_emails:
        words.append(f"{after.letter_emails} email{'s' if after.letter_emails != 1 else ''} "
                     "about letters already issued will still be sent.")
    if after.held:
        words.append(f"{after.held} email{'s' if after.held != 1 else ''} held in doubt "
                     f"{'stay' if after.held != 1 else 'stays'} held on its Letters page.")
    return " ".join(words)
