"""One truthful issue flow (web, CLI, API): a check that lists every recipient and what stops
their letter; then the letters that can be made are issued (in the background when there are
many); then exactly how many were issued and who was not, and why. A letter that failed does
not use up the day. "Send again" and "reissue with a reason" are actions of their own. Each
letter has one human reference, the same on the letter, in the register and in the portal;
letters never carry internal keys or HR's own reasoning."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.letter_fixtures import files_of, flat, letters, outbox, pdf_text
from tests.web_fixtures import AS_OF, Browser, WebEnv, web_settings
from transfer_engine.config import get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters import service
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.letters.text import render_text
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.issue_jobs import IssueJob, IssueJobStatus
from transfer_engine.store.messages import NoticeKind, OutboxMessage, OutboxStatus
from transfer_engine.store.people import Representative
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.web import create_app

SUCCESS = "govuk-notification-banner--success"
REFERENCE = re.compile(r"^LD-NCT/R13/\d{4}$")


def _reps(web: WebEnv) -> list[Representative]:
    with read_session(web.engine) as session:
        return list(session.exec(select(Representative).where(
            Representative.transfer_id == web.ids["ld-to-nct"])
            .order_by(Representative.id)).all())  # type: ignore[arg-type]


def _label(rep: Representative) -> str:
    return f"{rep.name} ({rep.union})" if rep.union else rep.name


def _inform(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    for trigger in ("approve", "record_measures", "inform_representatives"):
        response = officer.post(f"/transfers/{web.ids['ld-to-nct']}/advance",
                                {"trigger": trigger, "version": web.version("ld-to-nct")})
        assert response.status_code == 303, response.text


def _mark_sent(web: WebEnv) -> None:
    with write_session(web.engine) as session:
        for message in session.exec(select(OutboxMessage)).all():
            message.status = OutboxStatus.sent
            session.add(message)


def _text_of(engine: Engine, letter_id: int | None) -> str:
    path = get_settings().letters_dir / files_of(engine, letter_id)["txt"].path
    return flat(path.read_text(encoding="utf-8"))


def test_the_web_issue_reports_true_counts_and_a_fixed_letter_is_issued_the_same_day(
        web: WebEnv) -> None:
    nnc_rep, nct_rep = _reps(web)
    import_particulars("ld-to-nct", {"representatives": {nct_rep.name: {"address": None}}},
                       actor="test", engine=web.engine)
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]

    # The check lists each recipient's problem, offers to issue the rest, and writes nothing.
    check = officer.get(f"/transfers/{ld}/letters/reg13-information/check")
    assert check.status_code == 200
    assert _label(nct_rep) in check.text and "Not recorded: the address." in check.text
    assert "representative.address" not in check.text  # words, not the letter's field names
    assert f"/letter-data/representative?key={nct_rep.id}&amp;back=" in check.text
    assert "Issue to 1 recipient" in check.text
    assert letters(web.engine) == [] and outbox(web.engine) == []

    issued = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert issued.status_code == 303, issued.text
    page = flat(officer.get(issued.headers["location"]).text)
    assert "1 of 2 issued" in page
    # In the check page's words, with the form that records it.
    assert f"{_label(nct_rep)}: Not recorded: the address." in page
    assert "representative.address" not in page and "Add the missing details" in page
    assert SUCCESS not in page and "There is a problem" in page
    assert [r.recipient_ref for r in letters(web.engine)] == [f"representative:{nnc_rep.id}"]

    # Put right the same day: the one not issued is issued now; nobody gets it twice.
    import_particulars("ld-to-nct", {"representatives": {nct_rep.name: {
        "address": ["UNISON NCT office (sample address)", "Kettering"]}}},
        actor="test", engine=web.engine)
    again = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert again.status_code == 303
    page = flat(officer.get(again.headers["location"]).text)
    assert SUCCESS in page and "Issued to 1 of 1 recipient" in page
    assert sorted(r.recipient_ref for r in letters(web.engine)) == sorted(
        f"representative:{r.id}" for r in (nnc_rep, nct_rep))
    assert len(outbox(web.engine)) == 2


def test_nothing_issued_is_said_plainly_and_is_not_a_success(web: WebEnv) -> None:
    import_particulars("ld-to-nct", {"transfer": {"meeting_place": None}}, actor="test",
                       engine=web.engine)
    officer = web.as_role("hr_officer")
    response = officer.post(f"/transfers/{web.ids['ld-to-nct']}/letters/reg13-information/issue")
    assert response.status_code == 422
    page = flat(response.text)
    assert "0 of 2 issued; nothing was issued" in page and SUCCESS not in page
    assert page.count("Not recorded: the meeting place.") == 4  # the summary and the table
    assert "transfer.meeting_place" not in page
    assert letters(web.engine) == []


def test_a_failed_automatic_letter_does_not_use_up_the_day(web: WebEnv) -> None:
    import_particulars("ld-to-nct", {"transfer": {"reasons": None}}, actor="test",
                       engine=web.engine)
    _inform(web)  # entering "consulting" owes both letters: they cannot be made, HR is told
    assert letters(web.engine) == []
    assert {m.kind for m in outbox(web.engine)} == {NoticeKind.hr_alert}

    import_particulars("ld-to-nct", {"transfer": {"reasons": "Reorganisation (sample)."}},
                       actor="test", engine=web.engine)
    # The same day, by the state letters' own path and by the web app's button.
    with write_session(web.engine) as session:
        count = service.issue_state_letter(session, "ld-to-nct", "reg13-information",
                                           actor="test", today=AS_OF)
    assert count == 2
    officer = web.as_role("hr_officer")
    response = officer.post(
        f"/transfers/{web.ids['ld-to-nct']}/letters/employee-notification/issue")
    assert response.status_code == 303
    page = flat(officer.get(response.headers["location"]).text)
    assert SUCCESS in page and "Issued to 6 of 6 recipients" in page
    assert len(letters(web.engine, letter="employee-notification")) == 6
    # Once issued, the day's letter is used up for those who hold it, and says so truthfully.
    with write_session(web.engine) as session, pytest.raises(ValidationError,
                                                            match="holds it already"):
        service.issue_state_letter(session, "ld-to-nct", "reg13-information", actor="test",
                                   today=AS_OF)


def test_a_bulk_issue_above_the_threshold_runs_in_the_background(web: WebEnv) -> None:
    app = create_app(web_settings(background_above=3))
    officer = Browser(app)
    assert officer.sign_in("officer@example.org").status_code == 303
    ld = web.ids["ld-to-nct"]

    response = officer.post(f"/transfers/{ld}/letters/employee-notification/issue")
    answered = utcnow()
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(rf"/transfers/{ld}/letters/issues/\d+", location)
    deadline = time.monotonic() + 120
    while True:
        page = officer.get(location).text
        if "Issuing in the background" in page:
            # While it runs: the counts so far, and the page refreshes itself.
            assert '<meta http-equiv="refresh"' in page and "written so far" in page
        else:
            break
        assert time.monotonic() < deadline, "the background issue did not finish"
        time.sleep(0.2)
    assert '<meta http-equiv="refresh"' not in page
    assert SUCCESS in page and "Issued to 6 of 6 recipients" in flat(page)
    with read_session(web.engine) as session:
        job = session.exec(select(IssueJob)).one()
    assert (job.status, job.issued, job.done, job.total) == (IssueJobStatus.finished, 6, 6, 6)
    # It was issued after the request had been answered: by the worker, not the request.
    assert job.finished_at is not None and job.finished_at > answered
    assert len(letters(web.engine, letter="employee-notification")) == 6
    # Another transfer's officer cannot see the run.
    other = web.browser("other@example.org")
    assert other.get(location).status_code == 404


def test_send_again_and_reissue_with_a_reason_in_the_web_app_and_the_api(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    assert officer.post(f"/transfers/{ld}/letters/reg13-information/issue").status_code == 303
    first = letters(web.engine, letter="reg13-information")[0]
    assert first.reference and REFERENCE.match(first.reference)
    page = officer.get(f"/transfers/{ld}/letters").text
    assert first.reference in page and f"/letters/issued/{first.id}/reissue" in page

    # Send again: refused until the first delivery was made, then the same letter again.
    refused = officer.post(f"/transfers/{ld}/letters/issued/{first.id}/send-again")
    assert refused.status_code == 422 and "has not been sent yet" in refused.text
    _mark_sent(web)
    assert officer.post(
        f"/transfers/{ld}/letters/issued/{first.id}/send-again").status_code == 303
    copies = [m for m in outbox(web.engine) if m.letter_id == first.id]
    assert len(copies) == 2 and len(letters(web.engine)) == 2  # no new letter

    # Reissue: the reason is required, then a new letter replaces the old and says so.
    short = officer.post(f"/transfers/{ld}/letters/issued/{first.id}/reissue",
                         {"reissue_reason": "typo"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    reason = "the union asked for it at its new office"
    done = officer.post(f"/transfers/{ld}/letters/issued/{first.id}/reissue",
                        {"reissue_reason": reason})
    assert done.status_code == 303, done.text
    old = next(r for r in letters(web.engine) if r.id == first.id)
    new = letters(web.engine)[-1]
    assert (old.status, old.superseded_by_id) == ("superseded", new.id)
    assert (new.supersedes_id, new.reissue_reason, new.recipient_ref) == (
        first.id, reason, first.recipient_ref)
    assert new.reference and REFERENCE.match(new.reference) and new.reference != first.reference
    assert (f"This letter replaces our letter {first.reference} of 20 September 2022"
            in _text_of(web.engine, new.id))
    with read_session(web.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "letters-issued")
                             .order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert entry is not None and entry.data["reissue_reason"] == reason
    page = officer.get(f"/transfers/{ld}/letters").text
    assert reason in page

    # The API: the same two actions.
    api = web.api("officer@example.org")
    base = f"/api/v1/transfers/{ld}/letters/issued"
    gone = api.post(f"{base}/{first.id}/reissue", json={"reason": "another correction"})
    assert gone.status_code >= 400 and "superseded" in gone.text
    _mark_sent(web)
    assert api.post(f"{base}/{new.id}/send-again").status_code == 200
    assert len([m for m in outbox(web.engine) if m.letter_id == new.id]) == 2
    answer = api.post(f"{base}/{new.id}/reissue", json={"reason": "a second correction"})
    assert answer.status_code == 200 and answer.json()["issued"] == 1


def test_the_api_dry_run_lists_each_recipient_and_issues_nothing(web: WebEnv) -> None:
    _nnc, nct_rep = _reps(web)
    import_particulars("ld-to-nct", {"representatives": {nct_rep.name: {"address": None}}},
                       actor="test", engine=web.engine)
    api = web.api("officer@example.org")
    url = f"/api/v1/transfers/{web.ids['ld-to-nct']}/letters/reg13-information/issue"
    check = api.post(url, json={"dry_run": True}).json()
    assert (check["recipients"], check["ready"], check["cannot_issue"]) == (2, 1, 1)
    assert check["not_ready"][0]["missing"] == ["representative.address"]
    assert letters(web.engine) == []
    # All or nothing unless asked: then the report says who was not issued, and why.
    assert api.post(url, json={}).status_code >= 400 and letters(web.engine) == []
    report = api.post(url, json={"ready_only": True}).json()
    assert (report["issued"], report["not_issued"]) == (1, 1)
    assert report["not_issued_recipients"][0]["recipient"] == _label(nct_rep)


def test_the_reference_is_the_same_on_the_letter_in_the_register_and_in_the_portal(
        web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    # A preview shows the number issuing will give (the third employee: the third letter).
    preview = service.preview
    with read_session(web.engine) as session:
        shown = render_text(preview(session, "ld-to-nct", "employee-notification",
                                    "employee:LD-003", today=AS_OF))
    assert "Our reference: LD-NCT/EN/0003" in flat(shown)
    _inform(web)

    reg13 = letters(web.engine, letter="reg13-information")
    assert sorted(r.reference or "" for r in reg13) == ["LD-NCT/R13/0001", "LD-NCT/R13/0002"]
    employees = letters(web.engine, letter="employee-notification")
    assert {r.recipient_ref: r.reference for r in employees} == {
        f"employee:LD-{n:03d}": f"LD-NCT/EN/{n:04d}" for n in range(1, 7)}
    root = get_settings().letters_dir
    for row in reg13 + employees:
        pdf = pdf_text((root / files_of(web.engine, row.id)["pdf"].path).read_bytes())
        assert f"Our reference: {row.reference}" in pdf
        assert row.subject.endswith(f"[{row.reference}]")
        assert "ld-to-nct/" not in pdf and "|" not in pdf  # no internal key
    listed = officer.get(f"/transfers/{ld}/letters").text
    assert all(row.reference in listed for row in reg13 + employees if row.reference)

    rep = web.as_role("union_rep")
    portal = rep.get("/portal").text
    ours = next(r for r in reg13 if r.recipient_ref == f"representative:{_reps(web)[0].id}")
    others = next(r for r in reg13 if r.id != ours.id)
    assert f"Our reference: {ours.reference}" in portal and str(others.reference) not in portal
    notice = portal.split('href="/portal/notices/')[1].split('"')[0]
    assert ours.reference and ours.reference in rep.get(f"/portal/notices/{notice}").text


def test_the_cli_checks_then_issues_then_sends_again_and_reissues(demo: Engine, cli) -> None:
    with read_session(demo) as session:
        rep = session.exec(select(Representative).where(
            Representative.name == "UNISON NCT steward (sample)")).one()
    import_particulars("ld-to-nct", {"representatives": {rep.name: {"address": None}}},
                       actor="test")
    code, out, _ = cli("letters", "issue", "ld-to-nct", "reg13-information", "--check",
                       "--as-of", "2022-09-20", ok=False)
    assert code == 1 and "1 ready, 0 already hold it, 1 cannot be issued" in flat(out)
    assert "NOT READY: UNISON NCT steward (sample) (UNISON): missing representative.address" \
        in flat(out)
    assert letters(demo) == []
    code, _, err = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of",
                       "2022-09-20", ok=False)
    assert code == 1 and "nothing was issued" in flat(err) and letters(demo) == []
    code, out, _ = cli("letters", "issue", "ld-to-nct", "reg13-information", "--ready-only",
                       "--as-of", "2022-09-20", ok=False)
    assert code == 1 and "1 of 2 issued; not issued: 1" in flat(out)
    first = letters(demo)[0]
    assert first.reference == "LD-NCT/R13/0001"
    listed = cli.json("letters", "list", "ld-to-nct")
    assert [row["reference"] for row in listed] == ["LD-NCT/R13/0001"]

    code, _, err = cli("letters", "send-again", "ld-to-nct", str(first.id), ok=False)
    assert code == 1 and "has not been sent yet" in flat(err)
    code, _, err = cli("letters", "reissue", "ld-to-nct", str(first.id), "--reason", "no",
                       ok=False)
    assert code == 1 and "at least 10 characters" in flat(err)
    report = cli.json("letters", "reissue", "ld-to-nct", str(first.id), "--reason",
                      "the branch secretary changed", "--as-of", "2022-09-21")
    assert report["issued"] == 1
    new = letters(demo)[-1]
    assert (new.reference, new.supersedes_id) == ("LD-NCT/R13/0002", first.id)
    text = _text_of(demo, new.id)
    assert "This letter replaces our letter LD-NCT/R13/0001 of 20 September 2022" in text


def test_no_letter_of_any_seed_transfer_carries_internal_notes_keys_or_doubled_words(
        demo: Engine) -> None:
    specs = service.letter_specs()
    with read_session(demo) as session:
        transfers = session.exec(select(Transfer)).all()
        checked = 0
        for transfer in transfers:
            note = " ".join(transfer.regime_reason.split())
            for spec in specs:
                try:
                    people = service.recipients(session, transfer.ref, spec.name)[:2]
                except (ValidationError, NotFoundError):
                    continue
                for person in people:
                    try:
                        document = service.preview(session, transfer.ref, spec.name,
                                                   person.ref, today=date(2022, 9, 20),
                                                   gaps=service.Gaps.mark)
                    except (ValidationError, NotFoundError):
                        continue  # not a letter for this transfer's regime
                    text = render_text(document)
                    where = f"{transfer.ref} {spec.name} to {person.label}"
                    assert note not in flat(text), where
                    assert "para 7.2.1" not in text and "reg 3(5)" not in text, where
                    assert f"{transfer.ref}/" not in text, where
                    assert "(grade Grade" not in text and "grade Grade" not in text, where
                    assert "Our reference: " in text, where
                    # The sender's name heads the letter once, not again in its address.
                    head = text.split("\n\n", 1)[0].splitlines()
                    assert head.count(head[0]) == 1, (where, head)
                    checked += 1
    assert checked > 30


def test_a_run_is_shown_only_under_its_own_transfer(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")  # sees every transfer
    ld = web.ids["ld-to-nct"]
    response = admin.post(f"/transfers/{ld}/letters/reg13-information/issue")
    job = response.headers["location"].rsplit("/", 1)[1]
    assert admin.get(f"/transfers/{ld}/letters/issues/{job}").status_code == 200
    assert admin.get(f"/transfers/{web.ids['send-iass-to-wnc']}/letters/issues/{job}"
                     ).status_code == 404
