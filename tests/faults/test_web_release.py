"""HR releases a message held in doubt from the transfer's Letters page: a reason is required,
a viewer cannot, and the release is audited."""

from __future__ import annotations

from sqlmodel import select

from tests.web_fixtures import WebEnv
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import OutboxMessage, OutboxStatus
from transfer_engine.store.transfers import AuditEntry


def test_a_held_message_is_shown_and_released_with_a_reason(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    for trigger in ("approve", "record_measures", "inform_representatives"):
        assert officer.post(f"/transfers/{ld}/advance", {
            "trigger": trigger, "version": web.version("ld-to-nct")}).status_code == 303
    with write_session(web.engine) as session:
        row = session.exec(select(OutboxMessage)
                           .where(OutboxMessage.transfer_ref == "ld-to-nct")).first()
        assert row is not None and row.id is not None
        row.status, row.in_doubt = OutboxStatus.pending, True  # as a restore leaves it
        row.last_error = "held: it may have been delivered before the restore"
        session.add(row)
        held_id = row.id
    page = officer.get(f"/transfers/{ld}/letters").text
    assert "Held: it may already have arrived" in page
    assert f'action="/transfers/{ld}/messages/{held_id}/release"' in page

    viewer = web.as_role("viewer")
    refused = viewer.post(f"/transfers/{ld}/messages/{held_id}/release", {"reason": "x"})
    assert refused.status_code in (403, 404)
    empty = officer.post(f"/transfers/{ld}/messages/{held_id}/release", {"reason": "  "})
    assert empty.status_code == 422 and "enter a reason for releasing it" in empty.text.lower()

    done = officer.post(f"/transfers/{ld}/messages/{held_id}/release",
                        {"reason": "the branch secretary says it never arrived"})
    assert done.status_code == 303
    with read_session(web.engine) as session:
        row = session.get(OutboxMessage, held_id)
        assert row is not None and not row.in_doubt and row.status == OutboxStatus.pending
        entry = session.exec(select(AuditEntry)
                             .where(AuditEntry.action == "outbox-message-released")).one()
    assert entry.data["reason"] == "the branch secretary says it never arrived"
    assert entry.data["message"] == held_id
    again = officer.post(f"/transfers/{ld}/messages/{held_id}/release", {"reason": "again"})
    assert again.status_code == 422 and "not held in doubt" in again.text
