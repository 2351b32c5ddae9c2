"""Letter details in the web app: every field the particulars file sets, set in the browser.

HR opens a letter's preview, follows the link of a gap ("Add the meeting place") to its form,
saves, comes back to the preview and issues: what was typed is in the preview and in every
file issued. A bad value is refused with the GOV.UK error linked to its field and nothing is
saved; each save is in the history (with the old and new value, except personal data); viewers
read but change nothing, union representatives never reach the pages; an employee's new name
takes the salutation with it, or asks for the new one.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sqlmodel import col, select

from tests.letter_fixtures import flat, pdf_text
from tests.test_letter_preview import _issued_files
from tests.web_fixtures import Browser, WebEnv
from transfer_engine.letters.agency_workers import agency_workers_statement
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.letters.recorded_particulars import (
    employee_scope,
    organisation_scope,
    read_particulars,
    transfer_scope,
)
from transfer_engine.letters.salutations import Treatment, follow_name
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.web.rendering import long_date

GAP_LINK = re.compile(r'<a class="govuk-link" href="([^"]+)">([^<]+)</a>')
FRAME = re.compile(r'<iframe[^>]*\ssrc="([^"]+)"')


def _rep(web: WebEnv, name: str = "UNISON branch secretary (sample)") -> str:
    with read_session(web.engine) as session:
        rep = session.exec(select(Representative).where(
            Representative.transfer_id == web.ids["ld-to-nct"],
            Representative.name == name)).one()
    return f"representative:{rep.id}"


def _recorded(web: WebEnv, scope: str) -> dict[str, Any]:
    with read_session(web.engine) as session:
        return read_particulars(session, [scope]).get(scope, {})


def _gap_links(page: str) -> dict[str, str]:
    """The preview's gap links, by their words."""
    return {text: html.unescape(href) for href, text in GAP_LINK.findall(page)
            if "/letter-data/" in href}


def _frame(officer: Browser, page: str) -> str:
    found = FRAME.search(page)
    assert found
    return officer.get(html.unescape(found.group(1))).text


def _audits(web: WebEnv, action: str = "letter-data-changed") -> list[AuditEntry]:
    with read_session(web.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(col(AuditEntry.id))).all())


def test_details_added_from_the_preview_gaps_appear_in_the_preview_and_the_issued_letter(
        web: WebEnv) -> None:
    import_particulars("ld-to-nct", {
        "transfer": {"meeting_place": None, "meeting_date": None, "agency_workers": None,
                     "transferee_measures": None, "transferor_measures": None},
        "representatives": {"UNISON branch secretary (sample)": {"salutation": None}},
    }, actor="test", engine=web.engine)
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    to = _rep(web)
    preview_path = f"/transfers/{ld}/letters/reg13-information/preview?to={to}"
    page = officer.get(preview_path).text
    assert "This letter cannot be issued yet" in page
    links = _gap_links(page)
    assert {"Add the meeting place", "Add the meeting date", "Add the agency workers",
            "Add the measures the transferee envisages",
            "Add the measures the transferor envisages", "Add the salutation"} <= set(links)

    # Each link opens its form, which goes back to the preview once saved.
    form = officer.get(links["Add the meeting place"])
    assert form.status_code == 200 and 'id="meeting_place"' in form.text
    found = re.search(r'action="([^"]*/letter-data/[^"]+)"', form.text)
    assert found is not None
    action = html.unescape(found[1])
    saved = officer.post(action, {"meeting_date-day": "22", "meeting_date-month": "9",
                                  "meeting_date-year": "2022", "meeting_time": "14:30",
                                  "meeting_place": "Room 4, Sheerness House"})
    assert saved.status_code == 303 and saved.headers["location"].startswith(
        f"/transfers/{ld}/letters/reg13-information/preview?to=")
    assert "Saved the first meeting" in officer.get(saved.headers["location"]).text

    agency = html.unescape(links["Add the agency workers"]).split("#")[0]
    assert officer.post(agency, {"agency_worker_count": "3",
                                 "agency_worker_places": "the north depot",
                                 "agency_worker_work": "driving refuse collection vehicles"}
                        ).status_code == 303
    # Two distinct outcomes: measures listed, and none envisaged.
    assert officer.post(f"/transfers/{ld}/letter-data/transferee-measures", {
        "transferee_measures-choice": "some",
        "transferee_measures": "Pay day moves to the 15th of the month\n\n"
                               "Staff move to the NCT payroll system\n"}).status_code == 303
    assert officer.post(f"/transfers/{ld}/letter-data/transferor-measures", {
        "transferor_measures-choice": "none", "transferor_measures": "ignored"}
                        ).status_code == 303
    salutation = html.unescape(links["Add the salutation"]).split("#")[0]
    assert officer.post(salutation, {"salutation": "Ms Branch-Secretary",
                                     "address": "UNISON office\n1 Union Street\nKettering"}
                        ).status_code == 303
    assert _recorded(web, transfer_scope(ld))["transferor_measures"] == []

    page = officer.get(preview_path).text
    assert "cannot be issued yet" not in page
    shown = _frame(officer, page)
    for text in ("Room 4, Sheerness House", "22 September 2022",
                 "3 agency workers are working temporarily for us and under our supervision "
                 "and direction, in the north depot, doing driving refuse collection vehicles.",
                 "Pay day moves to the 15th of the month", "Staff move to the NCT payroll system",
                 "does not envisage taking any measures", "Dear Ms Branch-Secretary,",
                 "1 Union Street"):
        assert text in html.unescape(shown), text

    assert officer.post(f"/transfers/{ld}/letters/reg13-information/issue").status_code == 303
    files = _issued_files(web, "reg13-information", to)
    issued = flat(pdf_text(files["pdf"]))
    for text in ("Room 4, Sheerness House", "22 September 2022", "in the north depot",
                 "Pay day moves to the 15th of the month", "Dear Ms Branch-Secretary,"):
        assert text in issued, text
    assert files["html"] == shown.encode("utf-8")


def test_an_employees_details_and_the_letterhead_reach_the_employees_letter(
        web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    import_particulars("ld-to-nct", {"employees": {"LD-003": {"address": None, "grade": None}},
                                     "organisations": {"nnc": {"signatory_name": None}}},
                       actor="test", engine=web.engine)
    page = officer.get(f"/transfers/{ld}/letters/employee-notification/preview"
                       "?to=employee:LD-003").text
    links = _gap_links(page)
    assert {"Add the address", "Add the grade",
            "Add the name of who signs the letters"} <= set(links)
    assert "key=LD-003" in links["Add the address"] and "key=nnc" in links[
        "Add the name of who signs the letters"]
    employee = links["Add the address"].split("#")[0]
    form = officer.get(employee).text
    assert 'value="Sample Employee LD-003"' in form  # the name, to correct it here
    # Continuity and hours as the staff list records them for the ELI: a letter may not tell
    # the employee other facts than the transferee is given (letters/sense_checks.py).
    with read_session(web.engine) as session:
        staff = session.exec(select(Employee).where(Employee.employee_ref == "LD-003")).one()
    began, hours = staff.continuous_start, staff.weekly_hours
    assert began is not None and hours is not None
    assert officer.post(employee, {
        "full_name": "Sample Employee LD-003", "salutation": "Sample Employee LD-003",
        "address": "12 Żółkiewski Court\nNorthampton", "grade": "Grade 7",
        "salary": "£36,663.00", "hours": f"{hours.normalize():f}",
        "service_start-day": str(began.day), "service_start-month": str(began.month),
        "service_start-year": str(began.year)}).status_code == 303
    assert officer.post(links["Add the name of who signs the letters"].split("#")[0], {
        "address": "One Angel Square\nNorthampton", "signatory_name": "Siân Llŷr",
        "signatory_title": "Director of People"}).status_code == 303
    page = officer.get(f"/transfers/{ld}/letters/employee-notification/preview"
                       "?to=employee:LD-003").text
    assert "cannot be issued yet" not in page
    assert officer.post(f"/transfers/{ld}/letters/employee-notification/issue"
                        ).status_code == 303
    issued = flat(pdf_text(_issued_files(web, "employee-notification", "employee:LD-003")
                           ["pdf"]))
    for text in ("12 Żółkiewski Court", "Grade 7", "£36,663.00", long_date(began), "Siân Llŷr",
                 "Director of People"):
        assert text in issued, text


def test_a_bad_value_is_refused_linked_to_its_field_and_nothing_is_saved(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    before = _recorded(web, transfer_scope(ld))
    response = officer.post(f"/transfers/{ld}/letter-data/meeting", {
        "meeting_date-day": "31", "meeting_date-month": "2", "meeting_date-year": "2022",
        "meeting_time": "10:00", "meeting_place": "A new place that must not be saved"})
    assert response.status_code == 422
    page = response.text
    assert '<div class="govuk-error-summary"' in page and "There is a problem" in page
    assert '<a href="#meeting_date">Meeting date must be a real date' in page
    assert 'id="meeting_date-error"' in page
    assert 'value="A new place that must not be saved"' in page  # shown again to correct
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page

    response = officer.post(f"/transfers/{ld}/letter-data/agency-workers", {
        "agency_worker_count": "lots", "agency_worker_places": "", "agency_worker_work": ""})
    assert response.status_code == 422
    assert ('<a href="#agency_worker_count">Number of agency workers must be a whole number, '
            'like 3</a>') in response.text
    response = officer.post(f"/transfers/{ld}/letter-data/agency-workers", {
        "agency_worker_count": "2", "agency_worker_places": "", "agency_worker_work": "x"})
    assert '<a href="#agency_worker_places">Where they work is needed when there are agency ' \
           'workers (reg 13(2A))</a>' in response.text
    response = officer.post(f"/transfers/{ld}/letter-data/transferee-measures",
                            {"transferee_measures": "x"})
    assert '<a href="#transferee_measures">Select whether the transferee envisages any ' \
           'measures</a>' in response.text
    response = officer.post(f"/transfers/{ld}/letter-data/employee?key=LD-001", {
        "full_name": "", "salary": "-5", "hours": "full time", "address": "1 Street"})
    assert response.status_code == 422
    for message in ('<a href="#full_name">Full name must not be empty</a>',
                    '<a href="#salary">Annual salary in pounds must be a number, like '
                    '36663.00</a>',
                    '<a href="#hours">Hours a week must be a number, like 37</a>'):
        assert message in response.text, message
    response = officer.post(f"/transfers/{ld}/letter-data/contact", {
        "contact_email": "hr at nnc", "contact_name": "HR\u202eteam"})
    assert '<a href="#contact_email">Contact email address must be an email address' \
        in response.text
    assert "reverses the direction of text" in response.text
    response = officer.post(f"/transfers/{ld}/letter-data/redundancies", {
        "redundancy_groups-rows": "2", "redundancy_groups-1-description": "Drivers",
        "redundancy_groups-1-proposed": "9", "redundancy_groups-1-employed": "4"})
    assert '<a href="#redundancy_groups-1-proposed">' in response.text
    assert 'id="redundancy_groups-1-proposed"' in response.text
    for raw in ("Input should", "Value error", "pydantic", "Traceback"):
        assert raw not in response.text
    assert _recorded(web, transfer_scope(ld)) == before
    with read_session(web.engine) as session:
        assert session.exec(select(Employee).where(
            Employee.employee_ref == "LD-001")).one().full_name == "Sample Employee LD-001"
    assert _audits(web) == []


def test_the_history_holds_each_change_without_personal_data(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    old_place = _recorded(web, transfer_scope(ld))["meeting_place"]
    officer.post(f"/transfers/{ld}/letter-data/meeting", {
        "meeting_date-day": "", "meeting_date-month": "", "meeting_date-year": "",
        "meeting_time": "10:00", "meeting_place": "Room 9"})
    officer.post(f"/transfers/{ld}/letter-data/employee?key=LD-002", {
        "full_name": "Sample Employee LD-002", "salutation": "Sample Employee LD-002",
        "address": "99 Secret Lane\nNorthampton"})
    meeting, employee = _audits(web)
    assert meeting.actor == "web:officer@example.org" and meeting.transfer_id == ld
    assert meeting.data["section"] == "meeting"
    changes = {c["field"]: c for c in meeting.data["changes"]}
    assert changes["meeting_place"] == {"field": "meeting_place", "old": old_place,
                                        "new": "Room 9"}
    assert changes["meeting_date"]["new"] is None  # blank: no longer recorded
    assert "meeting_time" not in changes  # unchanged
    assert employee.data["employee_ref"] == "LD-002"
    assert employee.data["changes"] == [{"field": "address", "change": "changed"}]
    assert "Secret Lane" not in str(employee.data)
    # The transfer's History names the change; a viewer sees no employee reference.
    history = officer.get(f"/transfers/{ld}/history").text
    assert "letter-data-changed" in history or "Room 9" in history
    viewer = web.as_role("viewer").get(f"/transfers/{ld}/history").text
    assert "LD-002" not in viewer


def test_a_viewer_reads_the_transfers_details_and_changes_nothing(web: WebEnv) -> None:
    viewer = web.as_role("viewer")
    ld = web.ids["ld-to-nct"]
    page = viewer.get(f"/transfers/{ld}/letter-data")
    assert page.status_code == 200
    assert "(sample) Meeting Room 1, Council Offices" in page.text
    assert "your role cannot change them" in page.text
    assert "Sample Employee" not in page.text and "Change<span" not in page.text
    before = _recorded(web, transfer_scope(ld))
    assert viewer.get(f"/transfers/{ld}/letter-data/meeting").status_code == 403
    assert viewer.post(f"/transfers/{ld}/letter-data/meeting",
                       {"meeting_place": "Viewer's room"}).status_code == 403
    assert viewer.get(f"/transfers/{ld}/letter-data/employee?key=LD-001").status_code == 403
    assert viewer.post(f"/transfers/{ld}/letter-data/employee?key=LD-001",
                       {"full_name": "Changed"}).status_code == 403
    assert _recorded(web, transfer_scope(ld)) == before
    denied = _audits(web, "access-denied")
    assert {e.data["path"] for e in denied} >= {f"/transfers/{ld}/letter-data/meeting"}
    assert _audits(web) == []


def test_a_union_representative_and_an_officer_of_another_transfer_cannot_reach_them(
        web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    rep = web.as_role("union_rep")
    for path in ("/letter-data", "/letter-data/meeting", "/letter-data/employee?key=LD-001"):
        response = rep.get(f"/transfers/{ld}{path}")
        assert response.status_code == 403 and "Sample Employee" not in response.text
    assert rep.post(f"/transfers/{ld}/letter-data/meeting",
                    {"meeting_place": "Rep's room"}).status_code == 403
    other = web.browser("other@example.org")
    assert other.get(f"/transfers/{ld}/letter-data").status_code == 404
    assert other.post(f"/transfers/{ld}/letter-data/meeting",
                      {"meeting_place": "Elsewhere"}).status_code == 404
    # Without the form's token, nothing is accepted either.
    officer = web.as_role("hr_officer")
    assert officer.post(f"/transfers/{ld}/letter-data/meeting", {"meeting_place": "Forged"},
                        csrf=False).status_code == 403
    assert _recorded(web, transfer_scope(ld))["meeting_place"] != "Forged"
    assert _audits(web) == []
    # An organisation that is not a party, an employee of another transfer: not found.
    assert officer.get(f"/transfers/{ld}/letter-data/organisation?key=wnc").status_code == 404
    assert officer.get(f"/transfers/{ld}/letter-data/employee?key=IASS-001").status_code == 404


def test_a_name_change_takes_the_salutation_with_it_or_asks_for_it(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    path = f"/transfers/{ld}/letter-data/employee?key=LD-004"
    # The salutation was the name: it follows the new one.
    response = officer.post(path, {"full_name": "Sarah Jones",
                                   "salutation": "Sample Employee LD-004"})
    assert response.status_code == 303
    assert "The salutation follows the new name: “Dear Sarah Jones”" in officer.get(
        response.headers["location"]).text
    assert _recorded(web, employee_scope(ld, "LD-004"))["salutation"] == "Sarah Jones"
    renamed = _audits(web, "employee-renamed")
    assert renamed[0].data == {"employee_ref": "LD-004", "eli_changes": 0}
    assert "Sarah" not in str(renamed[0].data) and "Sarah" not in str(_audits(web)[0].data)

    # A salutation made from part of the name: HR is asked to confirm the new one.
    officer.post(path, {"full_name": "Sarah Jones", "salutation": "Ms Jones"})
    prompt = officer.post(path, {"full_name": "Sarah Smith", "salutation": "Ms Jones"})
    assert prompt.status_code == 200
    assert "Check the salutation for the new name" in prompt.text
    assert "“Dear Ms Jones”" in prompt.text
    assert 'id="salutation" name="salutation" type="text" value="Ms Smith"' in prompt.text
    assert 'name="salutation_confirmed" value="yes"' in prompt.text
    with read_session(web.engine) as session:  # nothing saved yet
        assert session.exec(select(Employee).where(
            Employee.transfer_id == ld, Employee.employee_ref == "LD-004")).one().full_name \
            == "Sarah Jones"
    confirmed = officer.post(path, {"full_name": "Sarah Smith", "salutation": "Mrs Smith",
                                    "salutation_confirmed": "yes"})
    assert confirmed.status_code == 303
    assert _recorded(web, employee_scope(ld, "LD-004"))["salutation"] == "Mrs Smith"
    page = officer.get(f"/transfers/{ld}/letters/employee-notification/preview"
                       "?to=employee:LD-004").text
    letter = _frame(officer, page)
    assert "Dear Mrs Smith," in letter and "Sarah Smith" in letter

    # A salutation that does not use the name stays as it is, without a question.
    officer.post(path, {"full_name": "Sarah Smith", "salutation": "Colleague"})
    kept = officer.post(path, {"full_name": "Sarah Brown", "salutation": "Colleague"})
    assert kept.status_code == 303
    assert _recorded(web, employee_scope(ld, "LD-004"))["salutation"] == "Colleague"


def test_the_overview_lists_every_section_and_links_each_form(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    page = officer.get(f"/transfers/{ld}/letter-data").text
    for title in ("The service and the reasons", "The first meeting", "Agency workers",
                  "Measures the transferor envisages", "Measures the transferee envisages",
                  "Measures the transferee envisages for its own staff",
                  "Employee liability information", "Collective redundancies",
                  "North Northamptonshire Council", "UNISON branch secretary (sample)",
                  "Sample Employee LD-001 (LD-001)"):
        assert title in page, title
    for href in ("/letter-data/meeting", "/letter-data/organisation?key=nnc",
                 "/letter-data/employee?key=LD-001", "/letter-data/eli"):
        assert f'href="/transfers/{ld}{href}"' in page, href
        assert officer.get(f"/transfers/{ld}{href}").status_code == 200, href
    assert officer.get(f"/transfers/{ld}/letter-data/no-such-section").status_code == 404
    # The ELI late reason recorded here is what the ELI letters print (reg 11(6)).
    reason = "The transferor's payroll provider failed in August and rebuilt the records."
    assert officer.post(f"/transfers/{ld}/letter-data/eli", {
        "eli_late_reason": reason, "collective_agreements": "Green Book"}).status_code == 303
    assert _recorded(web, transfer_scope(ld))["eli_late_reason"] == reason
    assert _recorded(web, organisation_scope("nnc"))  # untouched, still recorded


def test_which_salutations_follow_a_new_name() -> None:
    follows = follow_name("Siân Llŷr", "Siân Llŷr", "Siân Evans")
    assert (follows.treatment, follows.proposed) == (Treatment.follows, "Siân Evans")
    asked = follow_name("Ms Llŷr", "Siân Llŷr", "Siân Evans")
    assert (asked.treatment, asked.proposed) == (Treatment.confirm, "Ms Evans")
    given = follow_name("Siân", "Siân Llŷr", "Sian Llŷr")
    assert (given.treatment, given.proposed) == (Treatment.confirm, "Sian")
    # A middle name used and then dropped: asked, with the salutation as it was to correct.
    middle = follow_name("Dear Anne", "Mary Anne Jones", "Mary Jones")
    assert middle.treatment is Treatment.confirm
    assert follow_name("Colleague", "Siân Llŷr", "Siân Evans").treatment is Treatment.keeps
    assert follow_name(None, "Siân Llŷr", "Siân Evans").treatment is Treatment.keeps
    # The same name in another Unicode form is no change.
    assert follow_name("Ms Llŷr", "Siân Llŷr", "Sia\u0302n Llŷr").treatment is Treatment.keeps


def test_the_agency_workers_statement_of_reg_13_2a() -> None:
    assert agency_workers_statement({}) is None
    assert agency_workers_statement({"agency_worker_count": 0}) == (
        "No agency workers are working temporarily for us and under our supervision and "
        "direction.")
    assert agency_workers_statement({"agency_worker_count": 1,
                                     "agency_worker_places": "the depot.",
                                     "agency_worker_work": "cleaning"}) == (
        "1 agency worker is working temporarily for us and under our supervision and "
        "direction, in the depot, doing cleaning.")
    # Some agency workers, but not where or what: a gap, not half a statement.
    assert agency_workers_statement({"agency_worker_count": 4,
                                     "agency_worker_work": "cleaning"}) is None


def test_a_representative_of_another_transfer_is_not_found(web: WebEnv) -> None:
    """The form's key names one of this transfer's representatives: another transfer's is
    "not found", its name never shown, whether the form is opened or sent (with errors)."""
    ld = web.ids["ld-to-nct"]
    other = next(i for ref, i in web.ids.items() if ref != "ld-to-nct")
    with write_session(web.engine) as session:
        mine = session.exec(select(Representative).where(
            Representative.transfer_id == ld)).first()
        assert mine is not None
        foreign = Representative(transfer_id=other, organisation_id=mine.organisation_id,
                                 kind=mine.kind, name="Rep Of Another Transfer",
                                 email="another@example.org")
        session.add(foreign)
        session.flush()
        foreign_key, own_key = str(foreign.id), str(mine.id)
    officer = web.as_role("hr_officer")
    # This transfer's own representative: its form, and a bad value refused on it.
    assert officer.get(f"/transfers/{ld}/letter-data/representative?key={own_key}"
                       ).status_code == 200
    own = officer.post(f"/transfers/{ld}/letter-data/representative?key={own_key}",
                       {"salutation": "x" * 5000})
    assert own.status_code == 422 and mine.name in own.text
    for key in (foreign_key, "²", "9" * 30):
        path = f"/transfers/{ld}/letter-data/representative?key={key}"
        shown = officer.get(path)
        sent = officer.post(path, {"salutation": "x" * 5000})
        for response in (shown, sent):
            assert response.status_code == 404, (key, response.status_code)
            assert "Rep Of Another Transfer" not in response.text
    assert _audits(web) == []
