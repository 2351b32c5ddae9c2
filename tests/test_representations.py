"""The representatives' portal shows each notice as issued (the letter, and its PDF) and takes
representations on it (reg 13(6)); HR replies with reasons from its own page (reg 13(7)); both
sides see the exchange, which is kept with the SHA-256 of each text and in the audit log."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date

from sqlmodel import select

from tests.letter_fixtures import files_of, flat, pdf_text
from tests.test_web_letters import _inform
from tests.web_fixtures import WebEnv
from transfer_engine.engine.overrides import override_step
from transfer_engine.engine.representations import reply_due
from transfer_engine.store.database import read_session, write_connection
from transfer_engine.store.messages import OutboxMessage
from transfer_engine.store.people import Employee
from transfer_engine.store.representations import (
    Representation,
    RepresentationReply,
    unanswered_representations,
)
from transfer_engine.store.transfers import AuditEntry

TEXT = ("UNISON asks that the pay protection for the six staff last at least three years, "
        "and that the move of the team base is consulted on separately.")
REASONS = ("The trust cannot commit to three years before its budget is set in February; "
           "we will consult on the team base in the new year.")


def _notice_id(web: WebEnv) -> int:
    portal = web.as_role("union_rep").get("/portal").text
    return int(portal.split('href="/portal/notices/')[1].split('"')[0])


def _audit(web: WebEnv, action: str) -> list[AuditEntry]:
    with read_session(web.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _unanswered(web: WebEnv) -> list[tuple[int, date]]:
    with write_connection(web.engine) as connection:
        return unanswered_representations(connection, web.ids["ld-to-nct"])


def test_the_portal_shows_the_letter_as_issued_and_offers_its_pdf(web: WebEnv) -> None:
    _inform(web)
    rep = web.as_role("union_rep")
    notice = _notice_id(web)
    page = rep.get(f"/portal/notices/{notice}").text
    # The letter itself on the page, not the plain-text email with its underlines.
    assert 'class="app-letter"' in page and "=====" not in page
    assert '<h3 class="govuk-heading-s">' in page  # the letter's own headings, under the page's
    assert "6 expected to transfer" in page and "Yours sincerely" in page
    with read_session(web.engine) as session:
        message = session.get(OutboxMessage, notice)
        assert message is not None and message.letter_id is not None
        names = [e.full_name for e in session.exec(select(Employee)).all()]
    assert not any(name in page for name in names)
    # The same words as the PDF, and the PDF is the very file the register holds.
    pdf = rep.get(f"/portal/notices/{notice}/letter.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    registered = files_of(web.engine, message.letter_id)["pdf"]
    assert hashlib.sha256(pdf.content).hexdigest() == registered.sha256
    assert f'href="/portal/notices/{notice}/letter.pdf"' in page
    text = pdf_text(pdf.content)
    letter = page.split('class="app-letter"')[1].split("</section>")[0]
    headings = re.findall(r'<h3 class="govuk-heading-s">([^<]+)</h3>', letter)
    assert len(headings) >= 2
    for phrase in [*headings, "6 expected to transfer", "Yours sincerely"]:
        assert flat(html.unescape(phrase)) in text


def test_a_representation_and_a_reply_with_reasons_are_seen_by_both(web: WebEnv) -> None:
    _inform(web)
    rep = web.as_role("union_rep")
    notice = _notice_id(web)
    page = rep.get(f"/portal/notices/{notice}").text
    assert 'data-module="govuk-character-count"' in page and 'name="text"' in page
    sent = rep.post(f"/portal/notices/{notice}/representations", {"text": TEXT})
    assert sent.status_code == 303
    # Ten working days from Tuesday 20 September 2022 (the web app's day).
    assert "should reply by 4 October 2022" in rep.get(f"/portal/notices/{notice}").text
    with read_session(web.engine) as session:
        (row,) = session.exec(select(Representation)).all()
    assert row.text == TEXT and row.text_sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert row.union == "UNISON" and row.reply_due == date(2022, 10, 4)
    assert _unanswered(web) == [(row.id, date(2022, 10, 4))]
    (made,) = _audit(web, "representation-made")
    assert made.actor == "web:rep@example.org" and made.data["sha256"] == row.text_sha256
    assert TEXT not in str(made.data)  # the log keeps the hash, the register the words

    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    hr_page = officer.get(f"/transfers/{ld}/representations").text
    assert TEXT in hr_page and "Sample UNISON Rep" in hr_page and "4 October 2022" in hr_page
    assert "Representations" in officer.get(f"/transfers/{ld}").text  # in the sub-navigation
    replied = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                           {"outcome": "partly-accepted", "reasons": REASONS})
    assert replied.status_code == 303
    assert _unanswered(web) == []
    with read_session(web.engine) as session:
        (answer,) = session.exec(select(RepresentationReply)).all()
    assert answer.reasons_sha256 == hashlib.sha256(REASONS.encode()).hexdigest()
    (answered,) = _audit(web, "representation-answered")
    assert answered.data["outcome"] == "partly-accepted"
    assert answered.actor == "web:officer@example.org"

    seen = rep.get(f"/portal/notices/{notice}").text
    assert "Partly accepted" in seen and REASONS in seen and TEXT in seen
    hr_seen = officer.get(f"/transfers/{ld}/representations").text
    assert "Partly accepted" in hr_seen and REASONS in hr_seen
    assert 'name="reasons"' not in hr_seen  # answered once; a reply is kept as given
    again = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                         {"outcome": "accepted"})
    assert again.status_code == 422 and "has been answered already" in again.text


def test_a_rejection_without_reasons_is_refused(web: WebEnv) -> None:
    _inform(web)
    web.as_role("union_rep").post(f"/portal/notices/{_notice_id(web)}/representations",
                                  {"text": TEXT})
    with read_session(web.engine) as session:
        (row,) = session.exec(select(Representation)).all()
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    for outcome in ("rejected", "partly-accepted"):
        refused = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                               {"outcome": outcome, "reasons": "  "})
        assert refused.status_code == 422
        assert "Enter the reasons for not accepting all of the representation" in refused.text
        assert f'href="#reasons-{row.id}"' in refused.text  # the error summary links the box
    # The reply is shown to representatives, who are never told who: no employee's name.
    with read_session(web.engine) as session:
        name = session.exec(select(Employee.full_name)).first()
    assert name
    naming = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                          {"outcome": "rejected", "reasons": f"{name} has asked to stay put."})
    assert naming.status_code == 422
    assert "Reasons name an employee of the transfer" in naming.text
    no_choice = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                             {"reasons": REASONS})
    assert no_choice.status_code == 422
    assert "Select whether you accept the representation" in no_choice.text
    with read_session(web.engine) as session:
        assert session.exec(select(RepresentationReply)).all() == []
    assert _audit(web, "representation-answered") == []
    assert len(_unanswered(web)) == 1
    # Accepting needs no reasons.
    ok = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                      {"outcome": "accepted"})
    assert ok.status_code == 303 and _unanswered(web) == []


def test_a_reply_naming_an_employee_however_it_is_typed_is_refused(web: WebEnv) -> None:
    """Representatives read the reply, and are never told who: a name typed without its
    accents, in capitals or with an invisible character inside, and a reference, are all
    found; a count is not."""
    _inform(web)
    web.as_role("union_rep").post(f"/portal/notices/{_notice_id(web)}/representations",
                                  {"text": TEXT})
    with write_connection(web.engine) as connection:
        connection.execute(Employee.__table__.update()  # type: ignore[attr-defined]
                           .where(Employee.__table__.c.employee_ref == "LD-004")  # type: ignore[attr-defined]
                           .values(full_name="Si\u00e2n Ll\u0177r"))
    with read_session(web.engine) as session:
        (row,) = session.exec(select(Representation)).all()
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    for reasons in ("Sian Llyr has asked to stay put.", "SIAN LLYR has asked to stay put.",
                    "Si\u00e2n Ll\u200b\u0177r has asked to stay put.",
                    "The employee LD-004 has asked to stay put."):
        refused = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                               {"outcome": "rejected", "reasons": reasons})
        assert refused.status_code == 422, reasons
        assert "Reasons name an employee of the transfer" in refused.text
    with read_session(web.engine) as session:
        assert session.exec(select(RepresentationReply)).all() == []
    counted = officer.post(f"/transfers/{ld}/representations/{row.id}/reply",
                           {"outcome": "rejected", "reasons": "2 of the 6 staff have asked to "
                                                              "stay; " + REASONS})
    assert counted.status_code == 303


def test_a_representation_sent_twice_is_recorded_once(web: WebEnv) -> None:
    """A second click of Send, or the browser sending the form again, records nothing more and
    says so; each representation needs its own reply, so a copy would hold the consultation
    open for nothing."""
    _inform(web)
    rep = web.as_role("union_rep")
    notice = _notice_id(web)
    first = rep.post(f"/portal/notices/{notice}/representations", {"text": TEXT})
    assert "Your representation is sent" in rep.follow(first).text
    second = rep.post(f"/portal/notices/{notice}/representations", {"text": TEXT})
    again = _flat_text(rep.follow(second).text)
    assert "You sent this representation already" in again and "it is recorded once" in again
    with read_session(web.engine) as session:
        assert len(session.exec(select(Representation)).all()) == 1
    assert len(_audit(web, "representation-made")) == 1
    assert len(_unanswered(web)) == 1
    # Through the API too: the one recorded is the answer (200, not a new 201).
    api = web.api("rep@example.org")
    retried = api.post(f"/api/v1/notices/{notice}/representations", json={"text": TEXT})
    assert retried.status_code == 200
    # Something else said is a second representation.
    other = api.post(f"/api/v1/notices/{notice}/representations",
                     json={"text": TEXT + " We also ask for a meeting."})
    assert other.status_code == 201 and other.json()["id"] != retried.json()["id"]
    with read_session(web.engine) as session:
        assert len(session.exec(select(Representation)).all()) == 2


def _flat_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_representation_must_say_something(web: WebEnv) -> None:
    _inform(web)
    rep = web.as_role("union_rep")
    notice = _notice_id(web)
    refused = rep.post(f"/portal/notices/{notice}/representations", {"text": "no"})
    assert refused.status_code == 422
    assert "Enter your representation" in refused.text and 'href="#representation"' in refused.text
    assert "govuk-textarea--error" in refused.text and ">no</textarea>" in refused.text
    with read_session(web.engine) as session:
        assert session.exec(select(Representation)).all() == []


def test_another_organisations_representative_cannot_see_or_answer(web: WebEnv) -> None:
    _inform(web)
    notice = _notice_id(web)
    web.as_role("union_rep").post(f"/portal/notices/{notice}/representations", {"text": TEXT})
    gmb = web.browser("gmb@example.org")
    assert gmb.get(f"/portal/notices/{notice}").status_code == 404
    assert gmb.get(f"/portal/notices/{notice}/letter.pdf").status_code == 404
    assert gmb.post(f"/portal/notices/{notice}/representations",
                    {"text": "GMB would like to add something here."}).status_code == 404
    api = web.api("gmb@example.org")
    assert api.get(f"/api/v1/notices/{notice}/representations").status_code == 404
    assert api.post(f"/api/v1/notices/{notice}/representations",
                    json={"text": "GMB would like to add something here."}).status_code == 404
    with read_session(web.engine) as session:
        assert len(session.exec(select(Representation)).all()) == 1
    denied = [e for e in _audit(web, "access-denied") if e.actor == "web:gmb@example.org"]
    assert len(denied) == 5
    # The notice to the transferee's representative is not UNISON-at-NNC's either.
    with read_session(web.engine) as session:
        others = [m.id for m in session.exec(select(OutboxMessage)).all() if m.id != notice]
    rep = web.as_role("union_rep")
    for other in others:
        assert rep.post(f"/portal/notices/{other}/representations",
                        {"text": TEXT}).status_code == 404
    # Nor do a viewer or a representative see HR's page of representations.
    ld = web.ids["ld-to-nct"]
    assert web.as_role("viewer").get(f"/transfers/{ld}/representations").status_code == 403
    assert rep.get(f"/transfers/{ld}/representations").status_code == 403


def test_the_cli_lists_and_replies(web: WebEnv, cli, monkeypatch) -> None:
    _inform(web)
    web.as_role("union_rep").post(f"/portal/notices/{_notice_id(web)}/representations",
                                  {"text": TEXT})
    with read_session(web.engine) as session:
        (row,) = session.exec(select(Representation)).all()
    listed = cli.json("representations", "list", "ld-to-nct", "--as-of", "2022-10-05")
    assert [r["text"] for r in listed] == [TEXT] and listed[0]["reply"] is None
    code, out, _ = cli("representations", "list", "ld-to-nct", "--as-of", "2022-10-05")
    assert "OVERDUE" in flat(out)
    code, out, err = cli("representations", "reply", "ld-to-nct", str(row.id), "--outcome",
                         "rejected", ok=False)
    assert code == 1
    assert "--reasons must be at least 10 characters" in flat(out + err)
    monkeypatch.setenv("TRANSFER_ENGINE_ACTOR", "cli:hr-lead")
    cli("representations", "reply", "ld-to-nct", str(row.id), "--outcome", "rejected",
        "--reasons", REASONS)
    (entry,) = _audit(web, "representation-answered")
    assert entry.actor == "cli:hr-lead" and entry.data["outcome"] == "rejected"
    listed = cli.json("representations", "list", "ld-to-nct")
    assert listed[0]["reply"]["reasons"] == REASONS
    code, out, err = cli("representations", "reply", "ld-to-nct", "999", "--outcome",
                         "accepted", ok=False)
    assert code == 1 and "ld-to-nct has no representation 999" in flat(out + err)


def test_the_api_takes_a_representation_and_hr_replies(web: WebEnv) -> None:
    _inform(web)
    notice = _notice_id(web)
    rep = web.api("rep@example.org")
    made = rep.post(f"/api/v1/notices/{notice}/representations", json={"text": TEXT})
    assert made.status_code == 201, made.text
    representation = made.json()
    assert representation["reply_due"] == "2022-10-04" and representation["reply"] is None
    hr = web.api("officer@example.org")
    ld = web.ids["ld-to-nct"]
    assert [r["id"] for r in hr.get(f"/api/v1/transfers/{ld}/representations").json()] == \
        [representation["id"]]
    refused = hr.post(f"/api/v1/transfers/{ld}/representations/{representation['id']}/reply",
                      json={"outcome": "rejected"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "reasons"
    answered = hr.post(f"/api/v1/transfers/{ld}/representations/{representation['id']}/reply",
                       json={"outcome": "rejected", "reasons": REASONS})
    assert answered.status_code == 200 and answered.json()["reply"]["outcome"] == "rejected"
    seen = rep.get(f"/api/v1/notices/{notice}/representations").json()
    assert seen[0]["reply"]["reasons"] == REASONS
    assert web.api("viewer@example.org").get(
        f"/api/v1/transfers/{ld}/representations").status_code == 403
    assert rep.get(f"/api/v1/transfers/{ld}/representations").status_code == 403


def test_a_reply_is_due_in_ten_working_days_or_before_the_transfer() -> None:
    # Friday 16 September 2022: Monday 19th was a bank holiday, so ten working days is 3 Oct.
    assert reply_due(date(2022, 9, 16), date(2022, 11, 1)) == date(2022, 10, 3)
    # Close to the transfer on 1 November 2022: by the last working day before it.
    assert reply_due(date(2022, 10, 25), date(2022, 11, 1)) == date(2022, 10, 31)
    # After the transfer (a late representation), the ten working days stand.
    assert reply_due(date(2022, 11, 7), date(2022, 11, 1)) == date(2022, 11, 21)
    assert reply_due(date(2022, 9, 16), None) == date(2022, 10, 3)



def _consultation(cli) -> dict:
    return next(r for r in cli.json("timeline", "ld-to-nct", "--as-of", "2022-09-20")
                if r["step"] == "consultation")


def test_an_unanswered_representation_holds_the_consultation_open(web: WebEnv, cli) -> None:
    _inform(web)
    ld = web.ids["ld-to-nct"]
    override_step("ld-to-nct", "notify_employees", actor="test", engine=web.engine,
                  reason="Meetings held on 19 September; letters sent by hand (test)",
                  today=date(2022, 9, 20))
    rep, officer = web.as_role("union_rep"), web.as_role("hr_officer")
    assert rep.post(f"/portal/notices/{_notice_id(web)}/representations",
                    {"text": TEXT}).status_code == 303
    ((first, _),) = _unanswered(web)
    assert "a representation from the representatives has no reply yet (reg 13(7)" in \
        _consultation(cli)["awaiting"]

    # Consultation cannot be concluded while the reply is owed: the step's page says why,
    # in words, and links to where the reply is given; the CLI names the command.
    step = officer.get(f"/transfers/{ld}/steps/consultation").text
    assert ("A representation from the representatives is waiting for a reply; the oldest "
            "reply was due by 4 October 2022 (TUPE reg 13(7))") in step
    assert ('<a class="govuk-link" href="/transfers/ld-to-nct/representations">Reply to the '
            'representations</a>') in step
    code, _, err = cli("advance", "ld-to-nct", "conclude_consultation", "--as-of", "2022-09-20",
                       ok=False)
    assert code == 1 and "1 representation(s) from the representatives have no reply" in \
        flat(err)
    assert "transfer-engine representations reply ld-to-nct ID --outcome" in flat(err)
    assert cli.json("status", "ld-to-nct")["state"] == "consulting"

    # The reply lets it conclude.
    assert officer.post(f"/transfers/{ld}/representations/{first}/reply",
                        {"outcome": "partly-accepted", "reasons": REASONS}).status_code == 303
    cli("advance", "ld-to-nct", "conclude_consultation", "--as-of", "2022-09-20")
    done = _consultation(cli)
    assert done["status"] == "done" and done["done_on"] == "2022-09-20"

    # A representation made afterwards reopens it, until it too has its reply; the step is
    # then done on the day of that reply.
    assert rep.post(f"/portal/notices/{_notice_id(web)}/representations",
                    {"text": TEXT + " Also: the car allowance."}).status_code == 303
    ((second, _),) = _unanswered(web)
    reopened = _consultation(cli)
    assert reopened["status"] == "open" and "no reply yet" in reopened["reopened_reason"]
    (entry,) = _audit(web, "step-reopened")
    assert entry.data["step"] == "consultation" and entry.actor == "web:rep@example.org"
    step = officer.get(f"/transfers/{ld}/steps/consultation").text
    assert ('<a href="/transfers/ld-to-nct/representations" role="button" draggable="false" '
            'class="govuk-button" data-module="govuk-button">Reply to the representations</a>'
            ) in step
    cli("representations", "reply", "ld-to-nct", str(second), "--outcome", "accepted",
        "--as-of", "2022-09-27")
    again = _consultation(cli)
    assert again["status"] == "done" and again["done_on"] == "2022-09-27"
    assert "every representation (2) has the employer's reply" in again["evidence"]
