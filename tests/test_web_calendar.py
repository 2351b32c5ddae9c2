"""The ICS calendar feed of deadlines, and the pictures drawn on the server."""

from __future__ import annotations

import re
from datetime import date

from tests.web_fixtures import WebEnv
from transfer_engine.domain import StepStatus
from transfer_engine.rules.timeline import TimelineEntry
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer, steps_of
from transfer_engine.web import ics, svg
from transfer_engine.workflow.loader import library


def _feed_url(page: str) -> str:
    found = re.search(r'class="app-secret">http://testserver(/calendar/[^<]+\.ics)<', page)
    assert found, "no calendar link on the page"
    return found.group(1)


def test_an_officer_subscribes_to_their_transfers_deadlines(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    url = _feed_url(officer.post("/account/calendar").text)
    feed = web.browser().get(url)  # no session: Outlook cannot sign in
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    raw = feed.content.split(b"\r\n")
    assert all(len(line) <= 75 for line in raw)  # folded per RFC 5545
    unfolded = text.replace("\r\n ", "")
    events = unfolded.count("BEGIN:VEVENT")
    with read_session(web.engine) as session:
        steps = steps_of(session, get_transfer(session, "ld-to-nct")).values()
        applicable = [s for s in steps if s.status != StepStatus.not_applicable]
    assert events == len(applicable)  # ld-to-nct's steps; nothing from other transfers
    assert "ld-to-nct: Send employee liability information" in unfolded
    assert "DTSTART;VALUE=DATE:20221004" in unfolded  # ELI: 28 days before 1 Nov 2022
    assert "send-iass" not in unfolded
    assert "Sample Employee" not in unfolded
    uids = re.findall(r"UID:(\S+)", unfolded)
    assert len(uids) == len(set(uids)) == events


def test_a_new_link_retires_the_old_one_and_reps_have_none(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    first = _feed_url(officer.post("/account/calendar").text)
    second = _feed_url(officer.post("/account/calendar").text)
    assert web.browser().get(first).status_code == 404
    assert web.browser().get(second).status_code == 200
    assert web.as_role("union_rep").post("/account/calendar").status_code == 403
    assert web.browser().get("/calendar/made-up.ics").status_code == 404


def test_ics_text_is_escaped_and_folded() -> None:
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 60
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def _entry(step: str, due: date, status: str = "open", late: bool = False,
           done_on: date | None = None) -> TimelineEntry:
    return TimelineEntry(step=step, title=f"Step {step}", legal_basis="TUPE reg 11",
                         status=status, due_date=due, working_due_date=due, days_left=None,
                         late=late, done_on=done_on, done_by=None, note="")


def test_the_timeline_marks_today_and_lateness_in_words_and_shapes() -> None:
    picture = svg.timeline(
        [_entry("eli", date(2022, 10, 4), late=True),
         _entry("measures", date(2022, 9, 14), status="done", late=True,
                done_on=date(2022, 9, 16)),
         _entry("go_live", date(2022, 11, 1))],
        date(2022, 10, 10), {"transfer": date(2022, 11, 1)}, key_labels={"transfer": "Transfer"})
    assert picture.startswith("<svg") and 'role="img"' in picture
    assert "Today 10 Oct 2022" in picture
    assert ">late<" in picture and ">done late<" in picture
    assert "Late: Step eli." in picture  # in the description a screen reader reads
    assert "style=" not in picture


def test_the_state_diagram_marks_the_current_state() -> None:
    definition = library().get("ld-to-nct")
    picture = svg.state_diagram(definition, "consulting")
    assert "Current state: Informing and consulting." in picture
    assert ">Now<" in picture and 'fill="#ffdd00"' in picture
    for state in definition.states.values():
        assert state.label.split()[0] in picture
    # A school that stays with its council ends in "no change", drawn beside the main route.
    school = svg.state_diagram(library().get("acsw-school"), "no_change")
    assert "Current state: No change of employer." in school
    assert "confirm no change" in school
