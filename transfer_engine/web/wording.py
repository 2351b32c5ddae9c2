"""The engine's errors worded for a web page: step titles, long dates, the page's own buttons.

The engine's errors carry data (see :mod:`transfer_engine.errors`); this module is the only
place that turns a guard failure, a field problem or a next step into what a page says. It never
names a command or an option: a page points at its buttons, links and form fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from transfer_engine.errors import (
    Action,
    FieldProblem,
    GuardFailure,
    GuardKind,
    NextStep,
    TransferEngineError,
    ValidationError,
)
from transfer_engine.letters.sense_checks import SenseCheckError, SenseProblem
from transfer_engine.views.vocabulary import regime_words
from transfer_engine.web.rendering import long_date

#: How a page names each engine field, and what to enter in it ("Enter ...").
FIELDS: dict[str, tuple[str, str]] = {
    "evidence": ("Evidence", "the evidence that the step was done, such as a letter "
                             "reference, minutes or an email"),
    "done_on": ("The date it was done", "the date it was done"),
    "occurred_on": ("Date it happened", "the date it happened"),
    "reason": ("Why the date moved", "why the date moved; it is kept in the history"),
    "new_date": ("The new date", "the new date"),
    "override_reason": ("Special circumstances", "the special circumstances that made it "
                                                 "impracticable; they are kept in the history"),
    "note": ("The note", "the reason"),
    "objected_on": ("The date of the objection", "the date of the objection"),
    "release_reason": ("Reason for releasing", "a reason for releasing it: what was checked, "
                                               "such as the recipient saying it never arrived"),
    "text": ("Representation", "your representation: what you want the employer to consider"),
    "reasons": ("Reasons", "the reasons for not accepting all of the representation; the "
                           "representative sees them"),
}


def field_error(problem: FieldProblem) -> str:
    """One field's error message, GOV.UK style: says what is wrong and how to fix it."""
    label, what = FIELDS.get(problem.field, (problem.label or problem.field, ""))
    label = label[:1].upper() + label[1:]
    if problem.code == "required" and what:
        return f"Enter {what}"
    if problem.code == "too_short" and what:
        return f"Enter {what} (at least {problem.limit} characters)"
    if problem.code == "too_long":
        return f"{label} must be {problem.limit} characters or fewer"
    if problem.code == "in_future":
        return f"{label} must be today or in the past"
    if problem.earliest is not None:  # before_possible, before_prerequisite
        return (f"{label} must be on or after {long_date(problem.earliest)}, "
                f"{problem.earliest_because}")
    return f"{label} {problem.message}"


def field_errors(exc: ValidationError, form: Mapping[str, str],
                 fallback: str = "_problem") -> dict[str, str]:
    """The errors of a form, by the form's field ids (``form`` maps engine fields to them).

    A problem with no field on this form is shown in the error summary, unlinked.
    """
    if not exc.field_problems:
        return {form.get("", fallback): describe(exc)}
    errors: dict[str, str] = {}
    for problem in exc.field_problems:
        key = form.get(problem.field, fallback)
        errors.setdefault(key, field_error(problem))
    return errors


def next_step(step: NextStep) -> str:
    """What to do next, in the page's words; empty when the page already shows the way."""
    if step.action == Action.replace_staff_list:
        return ("Tick “Replace the whole staff list” to import this file instead of the list "
                "there now.")
    if step.action == Action.fire_trigger:
        return "Use the action that completes it, under “What you can do now”."
    if step.action == Action.review_transfer:
        return "The page now shows the transfer as it is: check it and try again if still needed."
    if step.action == Action.upgrade_database:
        return "An operator must back the database up and upgrade it before it can be used."
    if step.action == Action.store_workflow_version:
        return ("An operator must put that version of the workflow file back and store it in the "
                "database; an HR administrator can then move the transfer on under “Workflow "
                "versions”.")
    if step.action == Action.migrate_workflow:
        return "An HR administrator can move a transfer on to it under “Workflow versions”."
    if step.action == Action.override_letter_checks:
        return ("Put it right and issue it again; or, if it is right all the same, give the "
                "special circumstances in the box below and issue it: they are kept in the "
                "history.")
    return ""


def sense_refusal(exc: SenseCheckError) -> str:
    """Why a letter was not issued, as a line above the list of its problems."""
    if exc.overridable:
        return ("This letter was not issued, because of what is listed with it. " + next_step(
            NextStep(Action.override_letter_checks, ref=exc.ref, letter=exc.letter)))
    return "This letter cannot be issued as it stands, because of what is listed with it."


def sense_problem(problem: SenseProblem) -> str:
    """One thing that makes a letter wrong, as a sentence."""
    text = problem.message[:1].upper() + problem.message[1:]
    return f"{problem.recipient}: {problem.message}" if problem.recipient else text


def describe(exc: TransferEngineError) -> str:
    """An engine error as a page says it."""
    if isinstance(exc, ValidationError) and exc.field_problems:
        text = "; ".join(field_error(p) for p in exc.field_problems)
    else:
        text = str(exc)
    text = text[:1].upper() + text[1:]
    hint = next_step(exc.next_step) if exc.next_step else ""
    return f"{text.rstrip('.')}. {hint}" if hint else text


# ---------------------------------------------------------------------------------------------
# Guards


def _titles(failure: GuardFailure) -> str:
    return "; ".join(s.title or s.id for s in failure.steps)


def guard_reason(failure: GuardFailure) -> str:
    """What holds the action back, with the law that says so."""
    kind, key = failure.kind, failure.key_date_label.lower() or failure.key_date
    if kind == GuardKind.steps_open:
        text = f"Not done yet: {_titles(failure)}"
    elif kind == GuardKind.key_date_missing:
        text = f"The {key} is not recorded"
    elif kind == GuardKind.date_not_reached:
        days = failure.days_to_go or 0
        text = (f"The {key} is {long_date(failure.key_date_value)}, "
                f"{days} day{'s' if days != 1 else ''} after {long_date(failure.judged_on)}"
                if failure.judged_on else
                f"The {key} is {long_date(failure.key_date_value)}, "
                f"in {days} day{'s' if days != 1 else ''}")
    elif kind == GuardKind.step_late and failure.steps:
        step = failure.steps[0]
        done = (f"was done on {long_date(step.done_on)}" if step.done_on
                else "is not done")
        text = f"{step.title or step.id} was due by {long_date(step.due)} and {done}"
    elif kind == GuardKind.no_representatives:
        text = "No trade union or elected representative is recorded for the affected employees"
    elif kind == GuardKind.no_employees:
        text = "No employee in scope of the transfer is recorded"
    elif kind == GuardKind.wrong_regime:
        text = (f"This transfer is under {regime_words(failure.regime)} "
                f"({failure.regime_reason}); this action is for "
                f"{' or '.join(regime_words(r) for r in failure.regimes)}")
    elif kind == GuardKind.note_missing:
        text = "This needs a reason"
    elif kind == GuardKind.children_not_ready and failure.child_states:
        text = (f"Not yet {' or '.join(failure.child_states)}: "
                + ", ".join(c.ref for c in failure.children))
    elif kind == GuardKind.children_not_ready:
        text = "Not done in the programme's transfers: " + ", ".join(
            f"{c.ref} ({', '.join(c.open_steps)})" for c in failure.children)
    elif kind == GuardKind.representations_unanswered:
        waiting = (f"{failure.unanswered} representations from the representatives are"
                   if failure.unanswered != 1 else
                   "A representation from the representatives is")
        text = (f"{waiting} waiting for a reply; the oldest reply was due by "
                f"{long_date(failure.reply_due)}")
    elif kind == GuardKind.already_done:
        text = "Already done: " + "; ".join(
            f"{s.title or s.id} on {long_date(s.done_on)} by {s.done_by}" for s in failure.steps)
    else:  # pragma: no cover - every kind is worded above
        text = failure.reason
    return f"{text} ({failure.legal_basis})" if failure.legal_basis else text


def guard_remedy(failure: GuardFailure) -> str:
    """What would satisfy it, pointing at what is on the transfer's page."""
    action = failure.satisfied_by
    if action == Action.complete_steps:
        actions = []
        for step in failure.steps:
            how = (f"“{step.completed_by[0].label}”" if step.completed_by
                   else "“Mark as done” in the list of steps")
            actions.append(f"{step.title or step.id}: use {how}")
        advice = "; ".join(actions)
        if failure.overridable:
            advice += ". Or, in special circumstances, give them as the override reason"
        return f"Complete first: {advice}."
    if action == Action.record_key_date:
        return "Record the date under “Key dates” below."
    if action == Action.wait_for_date:
        return "Wait until that date, or change it under “Key dates” if the date has moved."
    if action == Action.give_special_circumstances:
        return ("The step was late. To go ahead, give the special circumstances that made it "
                "impracticable as the override reason; they are kept in the history.")
    if action == Action.record_representatives:
        return ("Record the recognised union's representative, or invite the employees to "
                "elect representatives (reg 14).")
    if action == Action.import_employees:
        return "Import the staff list on the Employees page."
    if action == Action.use_another_trigger:
        return ("Use the action for this transfer's regime, or ask an HR administrator to "
                "correct the regime if it was recorded wrongly.")
    if action == Action.give_note:
        return "Give the reason in the box below."
    if action == Action.advance_children:
        return "Advance each transfer of the programme first (listed on this page)."
    if action == Action.nothing_to_do:
        return "Nothing more to do: it was not recorded again. The history shows it."
    if action == Action.reply_to_representations:
        return ("Reply to each representation on the Representations page, with your reasons "
                "for rejecting any of it.")
    return ""  # pragma: no cover - every action a guard names is worded above


def guard_failure(failure: GuardFailure) -> tuple[str, str]:
    """(what holds it back, what would satisfy it) for one failed guard."""
    return guard_reason(failure), guard_remedy(failure)
