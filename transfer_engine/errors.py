"""Every failure a user can cause, in one tree.

Each error carries a message that says what is wrong and how to put it right; the CLI, the
scheduler and the web app show ``str(error)`` and never a traceback.

    TransferEngineError
    ├── WorkflowError            a workflow file is malformed or inconsistent
    ├── NotFoundError            no transfer, step, workflow or organisation by that name
    ├── ValidationError          input (a CSV row, a CLI option, a form) is invalid
    │   └── ImportRowsError      one or more rows of an import failed; nothing was written
    ├── TransitionError          a trigger could not be fired
    │   ├── InvalidTriggerError  the trigger does not exist or is not valid from this state
    │   └── GuardRefusedError    one or more guard conditions failed
    ├── ConflictError            someone else changed the transfer first; reload and retry
    └── ConfigurationError       settings (environment variables) are wrong
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TransferEngineError(Exception):
    """Base class of every error a user of transfer_engine can cause."""


class WorkflowError(TransferEngineError):
    """A workflow definition is malformed: the message names the file, the key and the fault."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"workflow {source} is invalid:\n{lines}")


class NotFoundError(TransferEngineError):
    """Something named by the user does not exist."""


class ValidationError(TransferEngineError):
    """User input is invalid."""


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


@dataclass(frozen=True)
class GuardFailure:
    """A guard condition that failed, and what would satisfy it."""

    guard: str
    reason: str
    remedy: str
    overridable: bool
    legal_basis: str = ""

    def __str__(self) -> str:
        basis = f" [{self.legal_basis}]" if self.legal_basis else ""
        return f"{self.guard}: {self.reason}{basis}. To proceed: {self.remedy}"


class GuardRefusedError(TransitionError):
    """Guard conditions failed, so the transfer did not move."""

    def __init__(self, transfer_ref: str, trigger: str, failures: Sequence[GuardFailure]) -> None:
        self.trigger = trigger
        self.failures = list(failures)
        lines = "\n".join(f"  - {f}" for f in self.failures)
        hint = ""
        if self.failures and all(f.overridable for f in self.failures):
            hint = (
                "\nEvery failed condition may be overridden: give --override-reason with the "
                "special circumstances, which is recorded in the audit log."
            )
        super().__init__(f"{transfer_ref}: {trigger!r} refused:\n{lines}{hint}")


class ConflictError(TransferEngineError):
    """The transfer was changed by someone else since it was read; nothing was written."""


class ConfigurationError(TransferEngineError):
    """A setting is missing or invalid."""
