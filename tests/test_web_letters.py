"""Letters (preview, PDF, DOCX, issue, send again) and the representatives' portal."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import select

from tests import web_fixtures
from tests.web_fixtures import WebEnv
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import Notice, OutboxMessage, OutboxStatus
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import AuditEntry


def _inform(web: WebEnv) -> None:
    """Take ld-to-nct to "consulting": the reg 13 letter goes to each representative."""
    officer = web.as_role("hr_officer")
    for trigger in ("approve", "record_measures", "inform_representatives"):
        response = officer.post(f"/transfers/{web.ids['ld-to-nct']}/advance",
                                {"trigger": trigger, "version": web.version("ld-to-nct")})
        assert response.status_code == 303, response.text


def _rep_id(web: WebEnv) -> int:
    with read_session(web.engine) as session:
        rep = session.exec(select(Representative).where(
            Representative.transfer_id == web.ids["ld-to-nct"])).first()
    assert rep is not None and rep.id is not None
    return rep.id


def test_letters_preview_and_download_as_pdf_and_docx(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    page = officer.get(f"/transfers/{ld}/letters").text
    assert "Information for representatives (TUPE reg 13(2))" in page
    assert "Letter to each affected employee" in page
    to = f"representative:{_rep_id(web)}"
    preview = officer.get(f"/transfers/{ld}/letters/reg13-information/preview?to={to}").text
    assert "UNISON branch secretary (sample)" in preview
    assert "cannot be issued yet" not in preview
    frame = f"/transfers/{ld}/letters/reg13-information/preview/letter.html?to={to}"
    assert f'src="{frame}"' in preview.replace("%3A", ":")
    letter = officer.get(frame)
    assert letter.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'self'" in letter.headers["content-security-policy"]
    assert "script" not in letter.headers["content-security-policy"]
    body = letter.text
    assert "North Northamptonshire Council" in body and "SYNTHETIC TEST DATA" in body
    # The particulars recorded for the transfer, as in the letter issued: no gaps here.
    assert "(sample) Meeting Room 1, Council Offices" in body and "[not recorded" not in body
    pdf = officer.get(f"/transfers/{ld}/letters/reg13-information/pdf?to={to}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    docx = officer.get(f"/transfers/{ld}/letters/employee-notification/docx?to=employee:LD-001")
    assert docx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        assert "Sample Employee LD-001" in archive.read("word/document.xml").decode()
    assert officer.get(f"/transfers/{ld}/letters/employee-notification/pdf?"
                       "to=employee:NOPE").status_code == 404
    assert officer.get(f"/transfers/{ld}/letters/no-such-letter/pdf?"
                       f"to={to}").status_code == 404


def test_issuing_and_sending_again(web: WebEnv) -> None:
    _inform(web)
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    page = officer.get(f"/transfers/{ld}/letters").text
    assert page.count("Information under TUPE regulation 13(2)") == 2  # one per representative
    # Issuing again issues nothing new: both representatives hold the letter, and it says so
    # (no one who holds no letter is ever told "already issued").
    again = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert again.status_code == 303
    outcome = officer.get(again.headers["location"]).text
    assert "Everyone it goes to holds it already: nothing new was issued." in outcome
    with read_session(web.engine) as session:
        message = session.exec(select(OutboxMessage)).first()
        assert message is not None
        count = len(session.exec(select(OutboxMessage)).all())
    response = officer.post(f"/transfers/{ld}/messages/{message.id}/resend")
    assert response.status_code == 422 and "has not been sent yet" in response.text
    with read_session(web.engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == count  # only sent ones resend
    with write_session(web.engine) as session:
        row = session.get(OutboxMessage, message.id)
        assert row is not None
        row.status = OutboxStatus.sent
        session.add(row)
    officer.post(f"/transfers/{ld}/messages/{message.id}/resend")
    with read_session(web.engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        keys = [n.key for n in session.exec(select(Notice)).all()]
    assert len(rows) == count + 1 and rows[-1].recipient_ref == message.recipient_ref
    assert any(":resend-" in key for key in keys)


def test_the_portal_shows_the_reg13_notice_and_records_acknowledgement(web: WebEnv) -> None:
    rep = web.as_role("union_rep")
    assert "No notices have been sent to your union yet" in rep.get("/portal").text
    _inform(web)
    portal = rep.get("/portal").text
    assert "Information under TUPE regulation 13(2)" in portal
    assert portal.count('href="/portal/notices/') == 1  # only NNC's UNISON, not NCT's
    notice_path = portal.split('href="/portal/notices/')[1].split('"')[0]
    notice = rep.get(f"/portal/notices/{notice_path}").text
    assert "6 expected to transfer" in notice
    with read_session(web.engine) as session:
        names = [e.full_name for e in session.exec(select(Employee)).all()]
    assert not any(name in notice or name in portal for name in names)
    response = rep.post(f"/portal/notices/{notice_path}/acknowledge")
    assert response.status_code == 303
    assert "Acknowledged" in rep.get(f"/portal/notices/{notice_path}").text
    # HR sees it as evidence for reg 13, with the time.
    letters = web.as_role("hr_officer").get(f"/transfers/{web.ids['ld-to-nct']}/letters").text
    assert "Received" in letters and "Sample UNISON Rep (UNISON)" in letters
    with read_session(web.engine) as session:
        entry = session.exec(select(AuditEntry)
                             .where(AuditEntry.action == "notice-acknowledged")).one()
    assert entry.transfer_id == web.ids["ld-to-nct"] and entry.data["union"] == "UNISON"


def test_a_rep_cannot_open_another_unions_notice(web: WebEnv) -> None:
    _inform(web)
    with read_session(web.engine) as session:
        ids = [m.id for m in session.exec(select(OutboxMessage)).all()]
    gmb = web.browser("gmb@example.org")
    assert "not linked to a union recognised on any transfer" in gmb.get("/portal").text
    for message_id in ids:
        assert gmb.get(f"/portal/notices/{message_id}").status_code == 404
        assert gmb.post(f"/portal/notices/{message_id}/acknowledge").status_code == 404
    unison = web.as_role("union_rep")
    visible = [i for i in ids if unison.get(f"/portal/notices/{i}").status_code == 200]
    assert len(visible) == 1  # the NCT representative's copy is not theirs
    with read_session(web.engine) as session:
        denied = session.exec(select(AuditEntry).where(
            AuditEntry.action == "access-denied",
            AuditEntry.actor == "web:gmb@example.org")).all()
    assert len(denied) == 2 * len(ids)


def test_a_notice_naming_an_employee_is_never_shown(web: WebEnv) -> None:
    _inform(web)
    with write_session(web.engine) as session:
        for message in session.exec(select(OutboxMessage)).all():
            message.body += "\nSample Employee LD-001 asked a question."
            session.add(message)
    assert 'href="/portal/notices/' not in web.as_role("union_rep").get("/portal").text


def test_letters_owed_and_not_yet_issued_are_listed_until_they_are(web: WebEnv) -> None:
    from transfer_engine.engine.advance import advance
    from transfer_engine.letters.owed import issue_pending

    # Fired by a script, which leaves the letters to the scheduler.
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance("ld-to-nct", trigger, actor="script", note="test", engine=web.engine,
                today=web_fixtures.AS_OF)
    officer = web.as_role("hr_officer")
    page = officer.get(f"/transfers/{web.ids['ld-to-nct']}/letters").text
    owed = page.split('id="letters-owed"')[1].split("</ul>")[0]
    assert "Not issued yet" in page
    assert "Information for representatives" in owed and "20 September 2022" in owed
    assert issue_pending(web.engine).errors == []
    assert 'id="letters-owed"' not in officer.get(
        f"/transfers/{web.ids['ld-to-nct']}/letters").text
