"""The audit log: one transfer's history, and (for administrators) everything."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from transfer_engine.store.database import read_session
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.views.audit_privacy import EMPLOYEE_KEYS, without_personal_data
from transfer_engine.web.deps import Administrator, HrStaff, VisibleTransfer, engine_of
from transfer_engine.web.ids import MAX_ID
from transfer_engine.web.rendering import render

router = APIRouter()

ACTIONS = {
    "created": "Created", "advance": "Advanced", "override": "Guard overridden",
    "step-done": "Step marked as done", "rescheduled": "Key date changed",
    "employees-imported": "Staff list imported", "employee-updated": "Employee changed",
    "representative-added": "Representative added", "access-denied": "Access refused",
    "eli-exported": "ELI downloaded", "letter-issued": "Letter issued",
    "letter-resent": "Letter sent again", "notice-acknowledged": "Notice acknowledged",
    "officer-assigned": "Officer assigned", "officer-unassigned": "Officer unassigned",
    "signed-in": "Signed in", "signed-out": "Signed out", "sign-in-failed": "Sign-in failed",
    "sign-in-throttled": "Sign-in refused (too many attempts)", "user-added": "User added",
    "password-changed": "Password changed", "api-token-issued": "API token issued",
    "api-token-revoked": "API token revoked", "calendar-feed-issued": "Calendar link issued",
    "user-deactivated": "User deactivated", "user-activated": "User reactivated",
    "union-link-added": "Union link added", "union-link-removed": "Union link removed",
    "workflow-migrated": "Workflow version changed",
    "workflow-versions-stored": "Workflow versions kept",
}
# Keys that name employees (by reference): replaced for people who may not see personal data
# (see transfer_engine.views.audit_privacy, which also catches "employee:<ref>" recipients).
PERSONAL_KEYS = EMPLOYEE_KEYS


def describe(entry: AuditEntry, personal: bool) -> str:
    """One line of what changed, from the entry's data."""
    d: dict[str, Any] = dict(entry.data or {})
    if not personal:
        d = without_personal_data(d)
    if entry.action == "advance":
        done = (f"; done: {', '.join(d['completed_steps'])}" if d.get("completed_steps")
                else "")
        note = f" ({d['note']})" if d.get("note") else ""
        return f"{d.get('trigger', '')}{done}{note}"
    if entry.action == "override":
        return f"{d.get('trigger')}: {d.get('reason')}"
    if entry.action == "rescheduled":
        return f"{d.get('key_date')} {d.get('old')} → {d.get('new')}: {d.get('reason')}"
    if entry.action == "workflow-migrated":
        moved = [f"{m['step']} {m['old_due'] or 'none'} → {m['new_due'] or 'none'}"
                 for m in (d.get("report") or {}).get("deadlines", [])]
        return (f"{d.get('workflow')} version {d.get('from_version')} → {d.get('to_version')}"
                + (f"; deadlines: {', '.join(moved)}" if moved else ""))
    if entry.action == "step-done":
        return f"{d.get('step')} on {d.get('done_on')}: {d.get('evidence')}"
    if entry.action == "employees-imported":
        return (f"{d.get('rows')} row(s) from {d.get('source')}, {d.get('in_scope')} in scope"
                + (f", replacing {d.get('replaced')}" if d.get("replaced") else ""))
    if entry.action == "access-denied":
        return f"{d.get('method')} {d.get('path')} (role {d.get('role')})"
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in d.items()
                     if not isinstance(v, (list, dict)))


@router.get("/transfers/{transfer_id}/history")
def history(request: Request, transfer: VisibleTransfer, principal: HrStaff) -> Response:
    with read_session(engine_of(request)) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.transfer_id == transfer.id)
                               .order_by(col(AuditEntry.id).desc())).all()
    rows = [(e, ACTIONS.get(e.action, e.action), describe(e, principal.personal_data))
            for e in entries]
    return render(request, "history.html", {"t": transfer, "rows": rows, "section": "history"})


@router.get("/admin/audit")
def audit_log(request: Request, principal: Administrator, page: int = 1) -> Response:
    size = 100
    # Past the last page shows an empty page; the offset must stay a number the database takes.
    page = min(max(page, 1), MAX_ID // size)
    with read_session(engine_of(request)) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())
                               .offset((page - 1) * size).limit(size + 1)).all()
        refs = {t.id: t.ref for t in session.exec(select(Transfer)).all()}
    rows = [(e, ACTIONS.get(e.action, e.action), describe(e, True), refs.get(e.transfer_id))
            for e in entries[:size]]
    return render(request, "audit.html", {"rows": rows, "page": page,
                                           "more": len(entries) > size})
