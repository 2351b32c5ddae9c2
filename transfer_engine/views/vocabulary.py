"""The words every page uses for where a step or a transfer stands, and for what happened.

One vocabulary, so that the dashboard, a transfer's page, the calendar feed and the history
never call the same thing by two names ("Due today" on one page, "Due soon" on the next). A
step is *due soon* when its last working day is within :data:`DUE_SOON_DAYS` days, today
included; *late* when it is still open after its statutory date (or was done after it: "Done
late").
"""

from __future__ import annotations

from dataclasses import dataclass

from transfer_engine.rules.timeline import TimelineEntry

__all__ = ["ACTION_LABELS", "DUE_SOON_DAYS", "DUE_SOON_WORDS", "REGIME_WORDS", "STEP_STATUS",
           "TRANSFER_STATUS", "Status", "action_label", "is_due_soon", "regime_words",
           "step_status", "transfer_status"]

#: A step is due soon when its last working day is this many days away or fewer.
DUE_SOON_DAYS = 14
#: What "due soon" means, for headings and explanations.
DUE_SOON_WORDS = f"due in the next {DUE_SOON_DAYS} days"


@dataclass(frozen=True)
class Status:
    """A status as a page shows it: its words, and the GOV.UK tag colour that goes with them."""

    key: str
    label: str
    colour: str


#: Where one step stands: the timeline, the task list, the dashboard, a programme's grid and
#: the calendar feed all say it with these words (the GOV.UK task list's statuses). The task
#: list alone knows whether a step's action can be taken yet ("Cannot start yet") and whether
#: its transfer has ended ("Not done"); the others pick from the rest (:func:`step_status`).
STEP_STATUS = {s.key: s for s in (
    Status("not-started", "Not started", "blue"),
    Status("cannot-start", "Cannot start yet", "grey"),
    Status("due-soon", "Due soon", "orange"),
    Status("late", "Late", "red"),
    Status("done", "Done", "green"),
    Status("done-late", "Done late", "yellow"),
    Status("overridden", "Overridden", "purple"),
    Status("not-applicable", "Does not apply", "grey"),
    # A closed or cancelled transfer: nothing more is due, so an open step is neither late
    # nor waiting; it was simply not done.
    Status("not-done", "Not done", "grey"),
)}

#: Where a whole transfer stands: its worst open step, or that it has ended (closed or
#: cancelled: nothing is due any more).
TRANSFER_STATUS = {s.key: s for s in (
    Status("red", "Late", "red"),
    Status("amber", "Due soon", "orange"),
    Status("green", "On track", "green"),
    Status("grey", "Ended", "grey"),
)}


def is_due_soon(entry: TimelineEntry) -> bool:
    """Open, not yet late, and its last working day within :data:`DUE_SOON_DAYS` days."""
    return (entry.status == "open" and not entry.late and entry.days_left is not None
            and entry.days_left <= DUE_SOON_DAYS)


def step_status(entry: TimelineEntry) -> Status:
    """Where ``entry`` stands, in the service's words."""
    if entry.status == "done":
        if entry.overridden:
            return STEP_STATUS["overridden"]
        return STEP_STATUS["done-late" if entry.late else "done"]
    if entry.status == "not-applicable":
        return STEP_STATUS["not-applicable"]
    if entry.late:
        return STEP_STATUS["late"]
    return STEP_STATUS["due-soon" if is_due_soon(entry) else "not-started"]


def transfer_status(timeline: list[TimelineEntry], final: bool) -> Status:
    """Where a whole transfer stands (:data:`TRANSFER_STATUS`) from its timeline; ``final``:
    it is closed or cancelled, so its open steps are no longer deadlines."""
    if final:
        return TRANSFER_STATUS["grey"]
    open_ = [e for e in timeline if e.status == "open" and e.due_date]
    if any(e.late for e in open_):
        return TRANSFER_STATUS["red"]
    return TRANSFER_STATUS["amber" if any(is_due_soon(e) for e in open_) else "green"]


#: How a page says each regime (never its key, such as ``not-a-transfer``).
REGIME_WORDS = {"TUPE": "TUPE", "COSOP": "COSOP", "not-a-transfer": "Not a transfer"}


def regime_words(regime: object) -> str:
    """A regime (or its key) in words."""
    key = str(getattr(regime, "value", regime))
    return REGIME_WORDS.get(key, key.replace("-", " "))


#: What each kind of audit entry records, as the history says it.
ACTION_LABELS = {
    "created": "Created the transfer",
    "demo-child": "Added a school to the programme (demo)",
    "advance": "Recorded an action",
    "override": "Went ahead despite a check (override)",
    "programme-action": "Recorded an action for the programme's schools",
    "programme-action-not-applied": "An action for the programme's schools was not recorded here",
    "step-done": "Marked a step as done",
    "step-reopened": "Reopened a step",
    "step-overridden": "Marked a step as done without its evidence",
    "rescheduled": "Changed a key date",
    "workflow-migrated": "Moved to a new workflow version",
    "workflow-versions-stored": "Stored workflow versions",
    "employees-imported": "Imported the staff list",
    "employee-updated": "Changed an employee",
    "employee-renamed": "Renamed an employee",
    "eli-changed": "Employee liability information changed",
    "eli-exported": "Downloaded the employee liability information",
    "eli-late-reason": "Gave the reason the employee liability information is late",
    "representative-added": "Added a representative",
    "organisation-added": "Added an organisation",
    "redundancy-proposal": "Recorded proposed redundancies",
    "election-invited": "Invited the employees to elect representatives",
    "election-nominations-closed": "Closed the nominations for the election",
    "election-ballot": "Recorded the ballot",
    "election-result": "Recorded the result of the election",
    "election-none-elected": "Recorded that no representative was elected",
    "document-attached": "Attached a document",
    "letter-data-changed": "Changed what the letters say",
    "letter-particulars": "Changed what the letters say",
    "letter-logo": "Changed the letters' logo",
    "letter-issued": "Issued a letter",
    "letters-issued": "Issued letters",
    "letter-resent": "Sent a letter again",
    "letter-downloaded": "Downloaded a letter",
    "outbox-message-released": "Released a held message",
    "notice-acknowledged": "Acknowledged a notice",
    "representation-made": "Made a representation",
    "representation-answered": "Replied to a representation",
    "officer-assigned": "Assigned an HR officer",
    "officer-unassigned": "Removed an HR officer",
    "access-denied": "Was refused a page",
    "signed-in": "Signed in",
    "signed-out": "Signed out",
    "sign-in-failed": "Failed to sign in",
    "sign-in-throttled": "Was refused sign-in (too many attempts)",
    "user-added": "Added a user",
    "user-deactivated": "Deactivated a user",
    "user-activated": "Reactivated a user",
    "password-changed": "Changed a password",
    "password-check-failed": "Gave a wrong current password",
    "password-change-throttled": "Was refused a password change (too many attempts)",
    "api-token-issued": "Made an API token",
    "api-token-revoked": "Revoked an API token",
    "api-token-revoke-refused": "Was refused revoking an API token",
    "calendar-feed-issued": "Made a calendar link",
    "union-link-added": "Linked a union representative",
    "union-link-removed": "Unlinked a union representative",
    "database-restored": "Restored the database from a backup",
    "personal-data-purged": "Deleted personal data (retention)",
}


def action_label(action: str) -> str:
    """An audit entry's kind in words; one the list does not know yet still reads as words
    (``"new-thing"`` becomes ``"New thing"``), never as an internal name."""
    known = ACTION_LABELS.get(action)
    if known:
        return known
    words = action.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
