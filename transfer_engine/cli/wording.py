"""The engine's errors worded for someone at a terminal: options by name, and the command to run.

The engine's errors carry data (see :mod:`transfer_engine.errors`); this module is the only
place that turns a field into ``--override-reason`` or an action into ``transfer-engine ...``.
"""

from __future__ import annotations

from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.errors import (
    Action,
    FieldProblem,
    GuardFailure,
    GuardKind,
    GuardRefusedError,
    NextStep,
    StepRef,
    TransferEngineError,
    ValidationError,
)

#: The engine's input fields as the CLI names them (its options and arguments).
OPTIONS = {
    "override_reason": "--override-reason",
    "note": "--note",
    "evidence": "--evidence",
    "done_on": "--on",
    "occurred_on": "--on",
    "reason": "--reason",
    "ref": "REF",
    "key_date": "KEY_DATE",
    "new_date": "NEW_DATE",
    "title": "--title",
    "workflow_id": "--workflow",
    "regime": "--regime",
    "regime_reason": "--regime-reason",
    "transferor": "--from",
    "transferee": "--to",
    "parent": "--parent",
    "hr_owner": "--hr-owner",
    "escalation_contact": "--escalation-contact",
    "key_dates.transfer": "--transfer-date",
    "key_dates.decision": "--decision-date",
    "key_dates": "--date",
    "objected_on": "--objected-on",
    "release_reason": "--reason",
    "outcome": "--outcome",
    "reasons": "--reasons",
    "alt": "--alt",
    "organisation": "--org",
    "name": "--name",
    "union": "--union",
    "email": "--email",
    "authority": "--authority",
    "unopposed": "--unopposed",
}

_RESCHEDULE = "`transfer-engine reschedule {ref} {key} YYYY-MM-DD --reason ...`"


def field_problem(problem: FieldProblem) -> str:
    """``--override-reason must be at least 10 characters: ...``"""
    name = OPTIONS.get(problem.field)
    if name is None:
        return str(problem)
    return f"{name} {problem.message}"


def next_step(step: NextStep) -> str:
    """The command that does ``step``, as advice."""
    ref, action = step.ref or "REF", step.action
    if action == Action.create_transfer:
        return ("Create one with `transfer-engine create`, or load the sample transfers with "
                "`transfer-engine demo`.")
    if action == Action.add_organisation:
        return "Add it with `transfer-engine organisations add`."
    if action == Action.review_transfer:
        return f"See it as it is now with `transfer-engine status {ref}`."
    if action == Action.fire_trigger:
        return f"Run `transfer-engine advance {ref} {step.trigger} --note ...`."
    if action == Action.replace_staff_list:
        return "Use --replace to replace the whole staff list with this file."
    if action == Action.list_recipients:
        return (f"List them with `transfer-engine letters list {ref} --recipients "
                f"{step.letter}`.")
    if action == Action.preview_scheduled_emails:
        return "See it with `transfer-engine scheduler --once --dry-run`."
    if action == Action.verify_letters:
        return f"Run `transfer-engine letters verify {ref}`."
    if action == Action.record_particulars:
        return (f"Record particulars with `transfer-engine letters data {ref} FILE`, and key "
                f"dates with {_RESCHEDULE.format(ref=ref, key='KEY_DATE')}.")
    version = step.version or "N"
    if action == Action.upgrade_database:
        return "Upgrade it with `transfer-engine db upgrade` (back it up first)."
    if action == Action.store_workflow_version:
        return (f"`transfer-engine db upgrade` stores the file put back; then `transfer-engine "
                f"workflows migrate {ref} --to-version {version}` moves it on.")
    if action == Action.migrate_workflow:
        return (f"`transfer-engine workflows migrate {ref} --to-version {version}` moves a "
                "transfer on to it.")
    if action == Action.override_letter_checks:
        return ("Put it right and issue it again (--as-of YYYY-MM-DD dates it as of that day); "
                "or, if it is right all the same, give the special circumstances with "
                f"--override-reason (at least {OVERRIDE_REASON.min_length} characters), which "
                "is kept in the audit log.")
    return ""


def _complete(ref: str, step: StepRef) -> str:
    if step.completed_by:
        how = f"{step.id} with `transfer-engine advance {ref} {step.completed_by[0].name}`"
    else:
        how = f"{step.id} with `transfer-engine done {ref} {step.id} --evidence ...`"
    if step.missing:  # done only with its evidence, which is not there
        how += (f" and provide its evidence (see `transfer-engine evidence {ref}`), or record "
                f"it without: `transfer-engine override-step {ref} {step.id} "
                "--override-reason ...`")
    return how


def guard_remedy(failure: GuardFailure, ref: str) -> str:
    """What would satisfy ``failure``, as commands."""
    action = failure.satisfied_by
    if action == Action.complete_steps:
        return "complete " + "; ".join(_complete(ref, s) for s in failure.steps)
    if action == Action.record_key_date:
        return "record it with " + _RESCHEDULE.format(ref=ref, key=failure.key_date)
    if action == Action.wait_for_date:
        when = failure.key_date_value.isoformat() if failure.key_date_value else "then"
        return (f"wait until {when}, or if the date has moved record it with "
                + _RESCHEDULE.format(ref=ref, key=failure.key_date))
    if action == Action.give_special_circumstances:
        return ("give the special circumstances that made it impracticable with "
                f"--override-reason (at least {OVERRIDE_REASON.min_length} characters)")
    if action == Action.record_representatives:
        return (f"add the recognised union's representative with `transfer-engine "
                f"add-representative {ref} --org ORG --name NAME --email EMAIL`, or invite "
                "an election (reg 14)")
    if action == Action.import_employees:
        return f"import the staff list: `transfer-engine import-employees {ref} FILE.csv`"
    if action == Action.use_another_trigger:
        return "use the trigger for this regime, or correct the regime if it was recorded wrongly"
    if action == Action.give_note:
        return "give the reason with --note"
    if action == Action.advance_children:
        children = ", ".join(c.ref for c in failure.children)
        return f"advance each child transfer first ({children}; see `transfer-engine list`)"
    if action == Action.nothing_to_do:
        return f"nothing: it is in `transfer-engine history {ref}`"
    if action == Action.reply_to_representations:
        return (f"reply to each (`transfer-engine representations list {ref}` shows them) with "
                f"`transfer-engine representations reply {ref} ID --outcome accepted|"
                "partly-accepted|rejected --reasons ...`")
    return action.value


def guard_failure(failure: GuardFailure, ref: str) -> str:
    """One failed guard: what failed, under which law, and the command that would satisfy it."""
    basis = f" [{failure.legal_basis}]" if failure.legal_basis else ""
    if failure.kind == GuardKind.already_done:  # nothing to proceed to
        return f"{failure.reason}; nothing more to record (see `transfer-engine history {ref}`)"
    return f"{failure.guard}: {failure.reason}{basis}. To proceed: {guard_remedy(failure, ref)}"


def refusal(exc: GuardRefusedError) -> str:
    lines = "\n".join(f"  - {guard_failure(f, exc.ref)}" for f in exc.failures)
    hint = ""
    if exc.overridable:
        hint = ("\nEvery failed condition may be overridden: give --override-reason with the "
                f"special circumstances (at least {OVERRIDE_REASON.min_length} characters), "
                "which is recorded in the audit log.")
    return f"{exc.ref}: {exc.trigger!r} refused:\n{lines}{hint}"


def describe(exc: TransferEngineError) -> str:
    """The message the CLI prints for ``exc``: the engine's words, its options and commands."""
    if isinstance(exc, GuardRefusedError):
        return refusal(exc)
    text = str(exc)
    if isinstance(exc, ValidationError) and exc.field_problems:
        text = "; ".join(field_problem(p) for p in exc.field_problems)
    if exc.next_step is not None:
        hint = next_step(exc.next_step)
        if hint:
            text = text.rstrip() + ("\n" if "\n" in text else " ") + hint
    return text
