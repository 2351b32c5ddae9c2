"""Every failure a user can cause, in one tree; each error carries what went wrong as data.

An error's message says what is wrong in words no front end owns: it names no command, option,
page or button. What to do about it is data too: a :class:`NextStep`, the :class:`FieldProblem`
of each field, a guard's :class:`GuardFailure`. The CLI words them as commands and options
(``transfer_engine.cli.wording``), the web as fields, links and buttons
(``transfer_engine.web.wording``), and the API returns the fields as JSON. The CLI, the
scheduler and the web app never show a traceback.

    TransferEngineError         every error a user or an operator can cause
    ├── WorkflowError           a workflow file is malformed or inconsistent
    ├── NotFoundError           no transfer, step, workflow or organisation by that name
    ├── ValidationError         input (a CSV row, an option, a form field) is invalid
    │   └── ImportRowsError     rows of an import are invalid; nothing was written
    ├── TransitionError         a trigger could not be fired
    │   ├── InvalidTriggerError the trigger is unknown or not valid from this state
    │   └── GuardRefusedError   guard conditions failed, so the transfer did not move
    ├── ConflictError           someone else changed the transfer first; nothing was written
    ├── ConfigurationError      settings (environment variables) are wrong
    └── UnavailableError        the database or a folder cannot be used now; what was
        │                       being saved was not saved: safe to try again
        ├── DatabaseUnavailableError  locked, unreachable, read-only, full, damaged
        │   └── DatabaseMissingError  no database where the settings point
        └── FolderUnavailableError    the letters or outbox folder cannot be written

The letters add two of their own (``transfer_engine.letters.errors.LetterFormatError`` under
TransferEngineError, ``transfer_engine.letters.refusal.LetterDataError`` under ValidationError).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """Something a person can do next, named without any front end's words."""

    create_transfer = "create_transfer"            # there are no transfers yet
    add_organisation = "add_organisation"          # record the organisation named
    review_transfer = "review_transfer"            # look at the transfer as it is now, retry
    fire_trigger = "fire_trigger"                  # fire ``trigger``, whose guards must hold
    replace_staff_list = "replace_staff_list"      # import again, replacing the whole list
    list_recipients = "list_recipients"            # see who receives ``letter``
    preview_scheduled_emails = "preview_scheduled_emails"  # what the scheduler would send
    verify_letters = "verify_letters"              # check issued files against the register
    record_particulars = "record_particulars"      # record the fields a letter lacks
    upgrade_database = "upgrade_database"          # back the database up, upgrade its schema
    store_workflow_version = "store_workflow_version"  # put that version's file back, store it
    migrate_workflow = "migrate_workflow"          # move ``ref`` on to workflow ``version``
    override_letter_checks = "override_letter_checks"  # issue ``letter`` anyway, with a reason
    # What would satisfy a guard (GuardFailure.satisfied_by):
    complete_steps = "complete_steps"              # each step named, by its trigger or by hand
    record_key_date = "record_key_date"            # record the key date named
    wait_for_date = "wait_for_date"                # wait for it, or move it if it has changed
    give_special_circumstances = "give_special_circumstances"  # only an override gets past
    record_representatives = "record_representatives"  # or invite an election (reg 14)
    import_employees = "import_employees"          # import the staff list
    use_another_trigger = "use_another_trigger"    # or correct the regime if recorded wrongly
    give_note = "give_note"                        # give the reason as the trigger's note
    advance_children = "advance_children"          # move the child transfers on first
    nothing_to_do = "nothing_to_do"                # it is already done: see the history
    reply_to_representations = "reply_to_representations"  # answer each, with reasons


@dataclass(frozen=True)
class NextStep:
    """What to do about an error: an :class:`Action` and what it applies to."""

    action: Action
    ref: str = ""        # the transfer
    trigger: str = ""
    letter: str = ""
    version: int | None = None  # a workflow version (migrate_workflow, store_workflow_version)

    def as_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v}


class TransferEngineError(Exception):
    """Base class of every error a user of transfer_engine can cause."""

    def __init__(self, message: str = "", *, next_step: NextStep | None = None) -> None:
        super().__init__(message)
        self.next_step = next_step


class WorkflowError(TransferEngineError):
    """A workflow definition is malformed: the message names the file, the key and the fault."""

    def __init__(self, source: str, problems: Sequence[str], *,
                 next_step: NextStep | None = None) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"workflow {source} is invalid:\n{lines}", next_step=next_step)


class NotFoundError(TransferEngineError):
    """Something named by the user does not exist."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of some input: the field, and what is wrong with it."""

    field: str                  # the input's name: override_reason, key_dates.transfer, fte
    message: str                # what is wrong, read after the field's name
    label: str = ""             # the field's name for people, when it differs from ``field``
    code: str = "invalid"       # required, too_short, too_long, in_future, taken, invalid...
    limit: int | None = None    # the length a too_short or too_long field had to respect
    # A date that is too early (codes before_possible, before_prerequisite): the earliest it
    # may be, and what makes it the earliest ("the transfer date", a step done then).
    earliest: date | None = None
    earliest_because: str = ""

    def __str__(self) -> str:
        return f"{self.label or self.field}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["earliest"] = self.earliest.isoformat() if self.earliest else None
        return data


class ValidationError(TransferEngineError):
    """User input is invalid; ``field_problems`` names each field and what is wrong with it."""

    def __init__(self, message: str = "", *, field_problems: Sequence[FieldProblem] = (),
                 next_step: NextStep | None = None) -> None:
        self.field_problems = list(field_problems)
        super().__init__(message or "; ".join(str(p) for p in self.field_problems),
                         next_step=next_step)


@dataclass(frozen=True)
class RowProblem:
    """One problem in one row (and column) of an imported file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


class ImportRowsError(ValidationError):
    """Some rows of an import are invalid; nothing was imported."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{source}: {len(self.problems)} problem(s); nothing was imported. "
            f"Fix these rows and import the whole file again:\n{shown}{tail}"
        )


class TransitionError(TransferEngineError):
    """A trigger could not be fired on a transfer."""


class InvalidTriggerError(TransitionError):
    """The trigger is unknown or not valid from the transfer's current state."""

    def __init__(self, transfer_ref: str, trigger: str, state: str, valid: Sequence[str]) -> None:
        self.trigger = trigger
        self.state = state
        self.valid = list(valid)
        options = ", ".join(self.valid) if self.valid else "none (this is a final state)"
        super().__init__(
            f"{transfer_ref}: trigger {trigger!r} is not valid from state {state!r}. "
            f"Valid triggers now: {options}."
        )


class GuardKind(StrEnum):
    """Why a guard holds a trigger back."""

    steps_open = "steps_open"                  # steps that must be done first are not
    key_date_missing = "key_date_missing"      # a key date the guard counts from is not recorded
    date_not_reached = "date_not_reached"      # a key date is still to come
    step_late = "step_late"                    # a step was (or will be) done after its deadline
    no_representatives = "no_representatives"  # nobody to inform and consult (reg 13)
    no_employees = "no_employees"              # no employee in scope is recorded
    wrong_regime = "wrong_regime"              # the trigger is for another legal regime
    note_missing = "note_missing"              # the trigger needs a written reason
    children_not_ready = "children_not_ready"  # child transfers of a programme are behind
    already_done = "already_done"              # every step the trigger completes is done
    representations_unanswered = "representations_unanswered"  # reg 13(7): a reply is owed


@dataclass(frozen=True)
class TriggerRef:
    """A trigger by its name and its label."""

    name: str
    label: str


@dataclass(frozen=True)
class StepRef:
    """A step a guard names: its id, title, deadline, and what completes it."""

    id: str
    title: str
    due: date | None = None
    done_on: date | None = None
    due_rule: str = ""                          # how the deadline is counted
    completed_by: tuple[TriggerRef, ...] = ()   # none: it is marked done with evidence
    done_by: str = ""                           # who recorded it done (already_done)
    missing: str = ""                           # what its evidence lacks, when known

    def describe(self) -> str:
        """The step, and what its evidence lacks if that is why it is not done."""
        return f"{self}: no evidence yet ({self.missing})" if self.missing else str(self)

    def __str__(self) -> str:
        return f"{self.id} ({self.title})" if self.title else self.id


@dataclass(frozen=True)
class ChildRef:
    """A child transfer of a programme that holds its parent back."""

    ref: str
    state: str
    open_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardFailure:
    """A guard condition that failed: why, about what, under which law, and what satisfies it."""

    guard: str                          # the guard's name in the workflow, e.g. steps_done
    kind: GuardKind
    satisfied_by: Action
    overridable: bool = False           # an override with a written reason may pass it
    legal_basis: str = ""
    steps: tuple[StepRef, ...] = ()
    key_date: str = ""                  # the key date's name, e.g. transfer
    key_date_label: str = ""
    key_date_value: date | None = None
    days_to_go: int | None = None       # until the key date (date_not_reached)
    judged_on: date | None = None       # the date it happened, when not today (date_not_reached)
    regime: str = ""                    # the transfer's (wrong_regime)
    regime_reason: str = ""
    regimes: tuple[str, ...] = ()       # the regimes the trigger is for
    children: tuple[ChildRef, ...] = ()
    child_states: tuple[str, ...] = ()  # the states children must have reached
    unanswered: int = 0                 # representations without a reply (reg 13(7))
    reply_due: date | None = None       # the oldest one's reply due date

    @property
    def step_titles(self) -> list[str]:
        return [s.title for s in self.steps]

    @property
    def reason(self) -> str:
        """What failed, in plain words that name no command or page."""
        key = self.key_date_label.lower() or self.key_date
        if self.kind == GuardKind.steps_open:
            return "step(s) not done: " + "; ".join(s.describe() for s in self.steps)
        if self.kind == GuardKind.key_date_missing:
            return f"the {key} ({self.key_date}) is not recorded"
        if self.kind == GuardKind.date_not_reached:
            when = self.key_date_value.isoformat() if self.key_date_value else "?"
            since = f"after {self.judged_on.isoformat()}" if self.judged_on else "from today"
            return f"the {key} is {when}, {self.days_to_go} day(s) {since}"
        if self.kind == GuardKind.step_late and self.steps:
            step = self.steps[0]
            due = step.due.isoformat() if step.due else "?"
            done = f"done on {step.done_on.isoformat()}" if step.done_on else "not done"
            rule = f" ({step.due_rule})" if step.due_rule else ""
            return f"{step} was due by {due}{rule} and is {done}"
        if self.kind == GuardKind.no_representatives:
            return ("no trade union or elected representative is recorded for the affected "
                    "employees")
        if self.kind == GuardKind.no_employees:
            return "no employee in scope is recorded"
        if self.kind == GuardKind.wrong_regime:
            return (f"the regime is {self.regime} ({self.regime_reason}), "
                    f"not {' or '.join(self.regimes)}")
        if self.kind == GuardKind.note_missing:
            return "this trigger needs a written reason"
        if self.kind == GuardKind.children_not_ready and self.child_states:
            waiting = ", ".join(f"{c.ref} ({c.state})" for c in self.children)
            return (f"{len(self.children)} child transfer(s) not yet "
                    f"{' or '.join(self.child_states)}: {waiting}")
        if self.kind == GuardKind.children_not_ready:
            waiting = ", ".join(f"{c.ref}: {s}" for c in self.children for s in c.open_steps)
            return f"not done in {len(self.children)} child transfer(s): {waiting}"
        if self.kind == GuardKind.representations_unanswered:
            due = self.reply_due.isoformat() if self.reply_due else "?"
            return (f"{self.unanswered} representation(s) from the representatives have no "
                    f"reply yet (the oldest was due by {due}): the employer must consider "
                    "each, reply, and give its reasons for rejecting any of it")
        if self.kind == GuardKind.already_done:
            return "already done: " + "; ".join(
                f"{s} on {s.done_on.isoformat() if s.done_on else '?'} by {s.done_by or '?'}"
                for s in self.steps)
        return self.kind.value  # pragma: no cover - every kind is worded above

    def __str__(self) -> str:
        basis = f" [{self.legal_basis}]" if self.legal_basis else ""
        return f"{self.guard}: {self.reason}{basis}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for step in data["steps"]:
            for key in ("due", "done_on"):
                step[key] = step[key].isoformat() if step[key] else None
        if self.key_date_value:
            data["key_date_value"] = self.key_date_value.isoformat()
        if self.judged_on:
            data["judged_on"] = self.judged_on.isoformat()
        if self.reply_due:
            data["reply_due"] = self.reply_due.isoformat()
        data["reason"] = self.reason
        return data


class GuardRefusedError(TransitionError):
    """Guard conditions failed, so the transfer did not move; ``failures`` says which."""

    def __init__(self, transfer_ref: str, trigger: str, failures: Sequence[GuardFailure]) -> None:
        self.ref = transfer_ref
        self.trigger = trigger
        self.failures = list(failures)
        lines = "\n".join(f"  - {f}" for f in self.failures)
        super().__init__(f"{transfer_ref}: {trigger!r} refused:\n{lines}")

    @property
    def overridable(self) -> bool:
        """Every failed condition may be overridden with a written reason."""
        return bool(self.failures) and all(f.overridable for f in self.failures)


class ConflictError(TransferEngineError):
    """The transfer was changed by someone else since it was read; nothing was written."""

    def __init__(self, ref: str, message: str) -> None:
        self.ref = ref
        super().__init__(message, next_step=NextStep(Action.review_transfer, ref=ref))


class ConfigurationError(TransferEngineError):
    """A setting is missing or invalid."""


class UnavailableError(TransferEngineError):
    """Where the engine keeps things (the database, a folder) cannot be used just now.

    What was being saved when it happened was not saved (each transaction is written whole or
    not at all), so trying again once the cause is put right is safe. ``retry_after`` is a fair
    guess, in seconds, of when trying again may work (the web app sends it as Retry-After).
    """

    retry_after: int = 60


class DatabaseFault(StrEnum):
    """Why the database could not be used (see ``transfer_engine.store.faults``)."""

    locked = "locked"            # another process held the write lock past the timeout
    unreachable = "unreachable"  # the server refused, timed out or went away
    refused = "refused"          # the server would not let this user in (name, password)
    read_only = "read-only"      # the file, its folder or the server refuses writes
    full = "full"                # the disk (or the server's) is full
    damaged = "damaged"          # not a database, or a damaged one; an input/output error
    missing = "missing"          # there is no database where the settings point


class DatabaseUnavailableError(UnavailableError):
    """The database could not be used; ``fault`` says why and ``where`` names it (an SQLite
    file's path, or a server's URL without its password)."""

    def __init__(self, message: str, *, fault: DatabaseFault, where: str,
                 retry_after: int = 60) -> None:
        super().__init__(message)
        self.fault = fault
        self.where = where
        self.retry_after = retry_after


class DatabaseMissingError(DatabaseUnavailableError):
    """There is no database where the settings point, and nothing was created there.

    Only the commands that set a database up create one; each front end says which.
    """

    def __init__(self, where: str, detail: str = "") -> None:
        super().__init__(
            f"there is no transfer-engine database at {where}{detail}; nothing was created "
            "there. TRANSFER_ENGINE_DATABASE_URL chooses the database (when it is not set: "
            "transfer_engine.db in the working directory)",
            fault=DatabaseFault.missing, where=where, retry_after=300)


class FolderUnavailableError(UnavailableError):
    """A folder the engine writes files to (issued letters, the outbox's .eml files) cannot be
    written: ``folder`` is the folder, ``setting`` the environment variable that chooses it."""

    def __init__(self, folder: str, setting: str, problem: str) -> None:
        super().__init__(
            f"cannot write to the folder {folder} ({setting}): {problem}; nothing that "
            f"needed it was saved. Make the folder writable by the user that runs "
            f"transfer-engine (or set {setting} to one that is), then try again")
        self.folder = folder
        self.setting = setting
        self.problem = problem
        self.retry_after = 300
