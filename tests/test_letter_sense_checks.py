"""Letters that make no sense are refused before anything is issued, whatever asks for them:
a programme's placeholder parties, an organisation writing to itself, another regime, a
representative of neither party, a count of 0 employees, a letter about a proposed transfer
dated after it (or a confirmation dated before it), a meeting already past. An override needs
a written reason, which the audit log keeps with what it overrode."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import select

from tests import web_fixtures
from tests.letter_fixtures import AS_OF, flat, letters, outbox
from tests.web_fixtures import WebEnv
from transfer_engine.domain import RepresentativeKind
from transfer_engine.letters.recorded_particulars import representative_scope
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import NoticeKind
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import get_organisation, get_transfer
from transfer_engine.store.register import LetterParticulars
from transfer_engine.store.transfers import AuditEntry

REASON = "Issued late on purpose: the trust asked for a copy for its records"


def _audit(engine: Engine, action: str) -> list[AuditEntry]:
    with read_session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_programme_issues_nothing_to_itself_even_with_a_reason(demo: Engine, cli) -> None:
    for letter in ("eli-cover", "measures-request"):
        code, out, err = cli("letters", "issue", "acsws-to-schools", letter, "--as-of",
                             "2023-06-01", "--override-reason", REASON, ok=False)
        text = flat(out + err)
        assert code == 1
        assert "acsws-to-schools is a programme of 12 transfers" in text
        assert "acsws-to-schools/school-01" in text and f"issue {letter} on each" in text
        assert "--override-reason" not in text  # nothing to override: it cannot be right
    assert letters(demo) == [] and outbox(demo) == []
    assert _audit(demo, "letters-issued") == []
    # Each school's own transfer is where its letters go, to that school.
    cli("letters", "issue", "acsws-to-schools/school-05", "measures-request", "--as-of",
        "2023-06-01")
    (issued,) = letters(demo)
    assert issued.transfer_ref == "acsws-to-schools/school-05"
    assert issued.data["sender"]["name"] != issued.data["recipient"]["name"]


def test_a_transfer_from_an_organisation_to_itself_is_refused_then_overridden(
        demo: Engine, cli) -> None:
    with write_session(demo) as session:
        transfer = get_transfer(session, "ld-to-nct")
        transfer.transferee_id = transfer.transferor_id
        session.add(transfer)
    code, out, err = cli("letters", "issue", "ld-to-nct", "measures-request", "--as-of", AS_OF,
                         ok=False)
    text = flat(out + err)
    assert code == 1
    assert ("the sender and the recipient are the same organisation: ld-to-nct is recorded as "
            "a transfer from North Northamptonshire Council to itself") in text
    assert "--override-reason" in text and letters(demo) == []

    code, out, err = cli("letters", "issue", "ld-to-nct", "measures-request", "--as-of", AS_OF,
                         "--override-reason", REASON)
    assert "Overridden (reason in the audit log)" in flat(out)
    assert len(letters(demo, letter="measures-request")) == 1
    (entry,) = _audit(demo, "letters-issued")
    assert entry.data["override_reason"] == REASON
    assert [o["check"] for o in entry.data["overridden"]] == ["same-organisation"]


def test_an_employee_is_not_told_other_facts_than_the_eli_gives_the_transferee(
        demo: Engine, cli, tmp_path) -> None:
    """The letter's particulars said continuous service from 4 November 2010 while the staff
    list, from which the ELI goes to the transferee (reg 11(2)), said 23 June 2009: refused,
    naming both, until one is put right."""
    with read_session(demo) as session:
        employee = session.exec(select(Employee).where(Employee.employee_ref == "LD-001")).one()
        recorded = employee.continuous_start
    assert recorded is not None
    particulars = tmp_path / "particulars.yaml"
    particulars.write_text("employees:\n  LD-001:\n    service_start: 2010-11-04\n"
                           "    hours: '30'\n")
    cli("letters", "data", "ld-to-nct", str(particulars))
    code, out, err = cli("letters", "issue", "ld-to-nct", "employee-notification", "--as-of",
                         AS_OF, ok=False)
    text = flat(out + err)
    assert code == 1 and letters(demo) == []
    assert "the letter gives continuous service from 4 November 2010, but the staff list" in text
    assert f"records {recorded.day} {recorded:%B %Y}" in text
    assert "the letter gives weekly hours “30”" in text
    particulars.write_text(f"employees:\n  LD-001:\n    service_start: {recorded}\n"
                           "    hours: '37'\n")
    cli("letters", "data", "ld-to-nct", str(particulars))
    cli("letters", "issue", "ld-to-nct", "employee-notification", "--as-of", AS_OF)
    assert len(letters(demo, letter="employee-notification")) == 6


def test_a_letter_for_another_regime_cannot_be_overridden(demo: Engine, cli) -> None:
    code, out, err = cli("letters", "issue", "acsws-to-schools/school-01", "reg13-information",
                         "--as-of", "2023-06-01", "--override-reason", REASON, ok=False)
    text = flat(out + err)
    assert code == 1
    assert "recorded as not-a-transfer" in text
    assert "reg13-information is only for TUPE or COSOP transfers" in text
    assert letters(demo) == []


def test_a_representative_of_neither_party_is_refused(demo: Engine, cli) -> None:
    with write_session(demo) as session:
        transfer = get_transfer(session, "ld-to-nct")
        wnc = get_organisation(session, "wnc")
        outsider = Representative(transfer_id=transfer.id or 0, organisation_id=wnc.id or 0,
                                  kind=RepresentativeKind.recognised_union,
                                  name="Sample Outsider", union="GMB",
                                  email="outsider@example.org")
        session.add(outsider)
        session.flush()
        # Everything the letter needs is recorded: only the party is wrong.
        session.add(LetterParticulars(
            scope=representative_scope(transfer.id or 0, outsider.id or 0),
            transfer_id=transfer.id, updated_by="test",
            data={"address": "1 Sample Street\nNorthampton", "salutation": "Sample Outsider"}))
    code, out, err = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF,
                         ok=False)
    text = flat(out + err)
    assert code == 1
    assert ("Sample Outsider (GMB): represents staff of West Northamptonshire Council, which "
            "is neither the transferor (North Northamptonshire Council) nor the transferee") \
        in text
    assert letters(demo) == []


def test_a_letter_counting_no_employees_is_refused(demo: Engine, cli) -> None:
    with write_session(demo) as session:
        transfer = get_transfer(session, "ld-to-nct")
        for employee in session.exec(select(Employee)
                                     .where(Employee.transfer_id == transfer.id)).all():
            employee.in_scope = False
            session.add(employee)
    code, out, err = cli("letters", "issue", "ld-to-nct", "eli-cover", "--as-of", AS_OF,
                         ok=False)
    assert code == 1
    assert "it would say 0 employees" in flat(out + err) and letters(demo) == []


def test_a_letter_about_a_proposed_transfer_is_not_dated_after_it(demo: Engine, cli) -> None:
    # Without --as-of the letter would be dated today, years after the transfer it proposes.
    code, out, err = cli("letters", "issue", "ld-to-nct", "reg13-information", ok=False)
    text = flat(out + err)
    assert code == 1
    assert ("it is about a proposed transfer, but it would be dated" in text
            and "on or after the transfer date (1 November 2022)" in text)
    assert "it proposes a meeting on 22 September 2022, before the letter's own date" in text
    assert "--as-of YYYY-MM-DD" in text and "--override-reason" in text
    assert letters(demo) == [] and outbox(demo) == []
    # Dated as of the day it was due, it is issued without a question.
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF)
    assert {r.letter_date.isoformat() for r in letters(demo)} == {AS_OF}
    assert _audit(demo, "letters-issued")[0].data.get("overridden") is None


def test_a_meeting_already_past_is_refused_alone(demo: Engine, cli) -> None:
    code, out, err = cli("letters", "issue", "ld-to-nct", "consultation-invitation", "--as-of",
                         "2022-09-26", ok=False)
    text = flat(out + err)
    assert code == 1
    assert "it proposes a meeting on 22 September 2022, before the letter's own date " \
           "(26 September 2022)" in text
    assert "on or after the transfer date" not in text


def test_a_confirmation_of_the_transfer_is_not_dated_before_it(demo: Engine, cli) -> None:
    code, out, err = cli("letters", "issue", "ld-to-nct", "transfer-confirmation", "--as-of",
                         AS_OF, ok=False)
    assert code == 1
    assert ("it says the transfer has happened, but it would be dated 20 September 2022, "
            "before the transfer date (1 November 2022)") in flat(out + err)


def test_an_override_needs_a_real_reason_and_is_audited(demo: Engine, cli) -> None:
    code, out, err = cli("letters", "issue", "ld-to-nct", "reg13-information",
                         "--override-reason", "late", ok=False)
    assert code == 1 and "--override-reason must be at least 10 characters" in flat(out + err)
    assert letters(demo) == []
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", "2022-11-02",
        "--override-reason", REASON)
    issued = letters(demo, letter="reg13-information")
    assert len(issued) == 2 and {r.letter_date.isoformat() for r in issued} == {"2022-11-02"}
    (entry,) = _audit(demo, "letters-issued")
    assert entry.data["override_reason"] == REASON
    assert {o["check"] for o in entry.data["overridden"]} == {"dated-after-transfer",
                                                             "meeting-passed"}
    assert all("22 September 2022" in o["problem"] for o in entry.data["overridden"]
               if o["check"] == "meeting-passed")


def test_letters_check_lists_what_would_be_refused(demo: Engine, cli) -> None:
    code, out, _ = cli("letters", "check", "ld-to-nct", "--letter", "reg13-information",
                       "--as-of", "2022-09-26", ok=False)
    assert code == 1
    assert "reg13-information: would be refused" in flat(out)
    assert "it proposes a meeting on 22 September 2022" in flat(out)
    code, out, _ = cli("letters", "check", "ld-to-nct", "--letter", "reg13-information",
                       "--as-of", "2022-09-26", "--json", ok=False)
    (result,) = json.loads(out)
    assert result["ok"] is False
    assert [p["check"] for p in result["sense_checks"]] == ["meeting-passed"]
    assert result["sense_checks"][0]["meeting_date"] == "2022-09-22"


def test_an_automatic_letter_that_makes_no_sense_alerts_hr_instead(demo: Engine) -> None:
    from transfer_engine.engine.advance import advance
    from transfer_engine.letters.owed import issue_pending

    # Entering "consulting" after the meeting the letter proposes: HR is told why, not the
    # representatives.
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance("ld-to-nct", trigger, actor="script", note="test", engine=demo,
                today=web_fixtures.AS_OF.replace(day=26))
    report = issue_pending(demo)
    # The reg 13 information and the employees' notification both propose that meeting.
    assert sorted(i.letter for i in report.issued) == ["employee-notification",
                                                       "reg13-information"]
    assert all(i.outcome == "alert" and "proposes a meeting on 22 September 2022"
               in (i.problem or "") for i in report.issued)
    assert letters(demo) == []
    assert {m.kind for m in outbox(demo)} == {NoticeKind.hr_alert}


def _letters_page(web: WebEnv) -> str:
    return f"/transfers/{web.ids['ld-to-nct']}/letters"


def test_the_web_asks_for_a_reason_only_when_a_check_refuses(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    for trigger in ("approve", "record_measures"):
        response = officer.post(f"/transfers/{ld}/advance",
                                {"trigger": trigger, "version": web.version("ld-to-nct")})
        assert response.status_code == 303, response.text
    page = officer.get(_letters_page(web)).text
    assert 'name="override_reason"' not in page
    # Move the meeting into the past as of the web app's day (20 September 2022).
    from transfer_engine.letters.recorded_particulars import transfer_scope
    from transfer_engine.store.register import LetterParticulars
    with write_session(web.engine) as session:
        row = session.exec(select(LetterParticulars).where(
            LetterParticulars.scope == transfer_scope(ld))).one()
        row.data = {**row.data, "meeting_date": {"$date": "2022-09-19"}}
        session.add(row)
    refused = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert refused.status_code == 422
    assert "This letter was not issued" in refused.text
    assert "It proposes a meeting on 19 September 2022" in refused.text
    assert 'name="override_reason"' in refused.text
    assert _audit(web.engine, "letters-issued") == []
    short = officer.post(f"/transfers/{ld}/letters/reg13-information/issue",
                         {"override_reason": "late"})
    assert short.status_code == 422
    assert "Enter the special circumstances" in short.text
    assert "It proposes a meeting on 19 September 2022" in short.text  # still shown beside it
    done = officer.post(f"/transfers/{ld}/letters/reg13-information/issue",
                        {"override_reason": REASON})
    assert done.status_code == 303, done.text
    assert len(letters(web.engine, letter="reg13-information")) == 2
    (entry,) = _audit(web.engine, "letters-issued")
    assert entry.actor == "web:officer@example.org"
    assert entry.data["override_reason"] == REASON
    assert [o["check"] for o in entry.data["overridden"]] == ["meeting-passed"]


def test_the_api_refuses_with_the_checks_as_data_and_takes_an_override(web: WebEnv) -> None:
    api = web.api("officer@example.org")
    ld = web.ids["ld-to-nct"]
    with write_session(web.engine) as session:
        transfer = get_transfer(session, "ld-to-nct")
        transfer.transferee_id = transfer.transferor_id
        session.add(transfer)
    refused = api.post(f"/api/v1/transfers/{ld}/letters/measures-request/issue", json={})
    assert refused.status_code == 409
    body = refused.json()
    assert body["overridable"] is True
    assert [p["check"] for p in body["refused_by"]] == ["same-organisation"]
    assert body["next_step"]["action"] == "override_letter_checks"
    assert letters(web.engine) == []
    issued = api.post(f"/api/v1/transfers/{ld}/letters/measures-request/issue",
                      json={"override_reason": REASON})
    assert issued.status_code == 200, issued.text
    assert issued.json()["issued"] == 1
    assert [p["check"] for p in issued.json()["overridden"]] == ["same-organisation"]
    (entry,) = _audit(web.engine, "letters-issued")
    assert entry.data["override_reason"] == REASON
    # A viewer may not issue letters at all.
    viewer = web.api("viewer@example.org")
    assert viewer.post(f"/api/v1/transfers/{ld}/letters/measures-request/issue",
                       json={"override_reason": REASON}).status_code == 403
