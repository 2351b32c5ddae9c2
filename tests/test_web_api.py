"""The JSON API: bearer tokens, the same permissions as the pages, and its OpenAPI document."""

from __future__ import annotations

from sqlmodel import select

from tests.web_fixtures import WebEnv
from transfer_engine.dates.clock import utcnow
from transfer_engine.store.accounts import ApiToken
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.transfers import AuditEntry

ADMIN, OFFICER, VIEWER, REP = ("admin@example.org", "officer@example.org", "viewer@example.org",
                               "rep@example.org")


def test_the_openapi_document_describes_the_api_and_only_the_api(web: WebEnv) -> None:
    doc = web.api(None).get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    assert "/api/v1/transfers" in paths and "/api/v1/transfers/{transfer_id}/advance" in paths
    assert "/api/v1/notices/{message_id}/acknowledge" in paths
    assert all(p.startswith("/api/v1/") for p in paths)  # no HTML pages
    assert any(s.get("scheme") == "bearer" for s in doc["components"]["securitySchemes"].values())


def test_no_token_or_a_wrong_one_is_401(web: WebEnv) -> None:
    response = web.api(None).get("/api/v1/transfers")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    wrong = web.api(None).get("/api/v1/transfers", headers={"authorization": "Bearer te_nope"})
    assert wrong.status_code == 401


def test_a_session_cookie_does_not_open_the_api(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    assert browser.get("/api/v1/transfers").status_code == 401


def test_tokens_act_with_their_users_scope(web: WebEnv) -> None:
    every = {row["ref"] for row in web.api(ADMIN).get("/api/v1/transfers").json()}
    assert len(every) == 15
    mine = web.api(OFFICER).get("/api/v1/transfers").json()
    assert [row["ref"] for row in mine] == ["ld-to-nct"]
    assert mine[0]["status"] in ("red", "amber", "green")
    send = web.ids["send-iass-to-wnc"]
    assert web.api(OFFICER).get(f"/api/v1/transfers/{send}").status_code == 404
    assert web.api(REP).get("/api/v1/transfers").status_code == 403
    ld = web.ids["ld-to-nct"]
    assert web.api(VIEWER).get(f"/api/v1/transfers/{ld}").status_code == 200
    assert web.api(VIEWER).get(f"/api/v1/transfers/{ld}/employees").status_code == 403
    staff = web.api(OFFICER).get(f"/api/v1/transfers/{ld}/employees").json()
    assert len(staff) == 6 and staff[0]["synthetic"] is True
    history = web.api(VIEWER).get(f"/api/v1/transfers/{ld}/history").json()
    # Viewers learn how many employees, never which (see test_web_privacy.py).
    refs = {row["employee_ref"] for row in staff}
    assert history and not any(ref in str(h["data"]) for h in history for ref in refs)
    assert "6 employees" in [h["data"].get("employee_refs") for h in history]


def test_advancing_through_the_api_with_guards_and_versions(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    api = web.api(OFFICER)
    detail = api.get(f"/api/v1/transfers/{ld}").json()
    version = detail["version"]
    assert {t["trigger"] for t in detail["triggers"]} >= {"approve", "cancel"}
    moved = api.post(f"/api/v1/transfers/{ld}/advance",
                     json={"trigger": "approve", "expected_version": version})
    assert moved.status_code == 200 and moved.json()["to"] == "approved"
    stale = api.post(f"/api/v1/transfers/{ld}/advance",
                     json={"trigger": "advise_unions", "expected_version": version})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    refused = api.post(f"/api/v1/transfers/{ld}/advance",
                       json={"trigger": "inform_representatives"})
    assert refused.status_code == 409
    assert refused.json()["blocked_by"][0]["guard"] == "steps_done"
    assert web.api(VIEWER).post(f"/api/v1/transfers/{ld}/advance",
                                json={"trigger": "record_measures"}).status_code == 403
    bad = api.post(f"/api/v1/transfers/{ld}/advance", json={"trigger": "go_live", "x": 1})
    assert bad.status_code == 422
    # The claims window follows the transfer (1 November 2022): not on 20 September.
    early = api.post(f"/api/v1/transfers/{ld}/steps/claims_window/done",
                     json={"evidence": "claims register checked"})
    assert early.status_code == 409
    assert early.json()["blocked_by"][0]["kind"] == "date_not_reached"
    with read_session(web.engine) as session:
        actors = {e.actor for e in session.exec(select(AuditEntry)
                                                .where(AuditEntry.action == "advance")).all()}
    assert "web:officer@example.org" in actors


def test_union_reps_use_the_notices_api(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    officer = web.api(OFFICER)
    for trigger in ("approve", "record_measures", "inform_representatives"):
        assert officer.post(f"/api/v1/transfers/{ld}/advance",
                            json={"trigger": trigger}).status_code == 200
    notices = web.api(REP).get("/api/v1/notices").json()
    assert len(notices) == 1 and "regulation 13(2)" in notices[0]["subject"]
    assert notices[0]["employer"] == "North Northamptonshire Council"
    ack = web.api(REP).post(f"/api/v1/notices/{notices[0]['id']}/acknowledge")
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    assert web.api("gmb@example.org").get("/api/v1/notices").json() == []
    other = web.api("gmb@example.org").post(f"/api/v1/notices/{notices[0]['id']}/acknowledge")
    assert other.status_code == 404
    assert web.api(OFFICER).get("/api/v1/notices").status_code == 403


def test_revoked_tokens_stop_working(web: WebEnv) -> None:
    with write_session(web.engine) as session:
        for token in session.exec(select(ApiToken)).all():
            token.revoked_at = utcnow()
            session.add(token)
    assert web.api(ADMIN).get("/api/v1/me").status_code == 401


def test_tokens_are_created_on_the_account_page_and_stored_hashed(web: WebEnv) -> None:
    browser = web.as_role("hr_officer")
    page = browser.post("/account/tokens", {"name": "Payroll sync"})
    assert page.status_code == 200
    token = page.text.split('class="app-secret">')[1].split("<")[0]
    assert token.startswith("te_")
    me = web.api(None).get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert me.json() == {"username": OFFICER, "name": "Sample Officer", "role": "hr_officer"}
    with read_session(web.engine) as session:
        stored = session.exec(select(ApiToken.token_hash)).all()
    assert token not in stored
