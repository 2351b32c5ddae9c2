"""The transfer page as a GOV.UK task list, each step's own page, transfers addressed by their
reference, and plain English on every page a user can reach."""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from tests.web_fixtures import AS_OF, ROLE_USER, USERS, Browser, WebEnv, web_settings
from transfer_engine.domain import Regime
from transfer_engine.engine.advance import advance
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, get_transfer
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.views.vocabulary import ACTION_LABELS
from transfer_engine.web import create_app
from transfer_engine.workflow.loader import library

LD = "/transfers/ld-to-nct"
TASK = re.compile(r'<li class="govuk-task-list__item[^"]*" id="step-(\w+)">(.*?)</li>', re.S)
STATUS = re.compile(r'class="govuk-task-list__status[^"]*"[^>]*>(.*?)</div>', re.S)
PHASE = re.compile(r'<h3 class="govuk-heading-s[^"]*" id="phase-([\w-]+)">([^<]+)</h3>')


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def tasks(page: str) -> dict[str, str]:
    """Each task's status on the task list, by step."""
    found = {}
    for step, body in TASK.findall(page.split('id="tasks"')[1]):
        status = STATUS.search(body)
        assert status, step
        found[step] = _text(status.group(1))
    return found


def phases(page: str) -> list[str]:
    return [label for _, label in PHASE.findall(page)]


def section(page: str, ident: str) -> str:
    """The part of a step page from the heading ``ident`` to the next heading of its level."""
    part = page.split(f'id="{ident}"')[1]
    return part.split('<h2 class="govuk-heading-m"')[0]


def officer_at(web: WebEnv, day: date) -> Browser:
    browser = Browser(create_app(web_settings(as_of=day)))
    assert browser.sign_in(ROLE_USER["hr_officer"]).status_code == 303
    return browser


def _advance(web: WebEnv, trigger: str, on: date, today: date = AS_OF) -> None:
    advance("ld-to-nct", trigger, actor="web:officer@example.org", engine=web.engine,
            today=today, occurred_on=on)


# ---------------------------------------------------------------------------------------------
# The task list


def test_the_task_list_groups_steps_by_phase_with_their_status(web: WebEnv) -> None:
    page = web.as_role("hr_officer").get(LD).text
    assert phases(page) == ["Decide", "Representatives and elections", "Inform and consult",
                            "Employee liability information", "Get ready", "Go live",
                            "After the transfer"]
    status = tasks(page)
    # 20 September 2022: the decision (7 Sep) and the unions (14 Sep) are late; informing the
    # representatives falls due today; the election does not apply (UNISON is recognised).
    assert status["decision"] == "Late" and status["advise_unions"] == "Late"
    assert status["inform_representatives"] == "Due soon"
    assert status["election_invitation"] == "Does not apply"
    # Waiting for the decision (the transfer must be approved first), or for the transfer.
    assert status["change_control"] == "Cannot start yet"
    assert status["claims_window"] == "Cannot start yet"
    # Every step of the workflow is a task, under the phase the workflow gives it.
    with read_session(web.engine) as session:
        definition = definition_of(get_transfer(session, "ld-to-nct"), session)
    assert set(status) == set(definition.steps)
    eli_group = page.split('id="phase-eli"')[1].split('id="phase-ready"')[0]
    assert 'id="step-eli"' in eli_group and 'id="step-decision"' not in eli_group
    # Each task links to its own page, by the transfer's reference.
    assert f'href="{LD}/steps/claims_window"' in page
    # The party that owes it.
    assert "Owed by the transferee (Northamptonshire Children&#39;s Trust)" in page


def test_statuses_follow_the_transfer_through_its_life(web: WebEnv) -> None:
    # Approved on the day of the minutes (7 Sep): done on time, though recorded on the 20th.
    _advance(web, "approve", date(2022, 9, 7))
    page = web.as_role("hr_officer").get(LD).text
    status = tasks(page)
    assert status["decision"] == "Done"
    assert status["change_control"] == "Not started"  # can be recorded now
    # The unions advised on the 20th, after their date (14 Sep): done late, for good.
    _advance(web, "advise_unions", AS_OF)
    assert tasks(web.as_role("hr_officer").get(LD).text)["advise_unions"] == "Done late"
    # A month on, informing the representatives (due 20 Sep) is late.
    later = tasks(officer_at(web, date(2022, 10, 20)).get(LD).text)
    assert later["inform_representatives"] == "Late"
    assert later["decision"] == "Done" and later["advise_unions"] == "Done late"
    # Cancelled: nothing more is due; what was not done says so.
    advance("ld-to-nct", "cancel", actor="test", engine=web.engine, today=AS_OF,
            note="The service stays with the council")
    ended = tasks(web.as_role("hr_admin").get(LD).text)
    assert ended["inform_representatives"] == "Not done" and ended["decision"] == "Done"


# ---------------------------------------------------------------------------------------------
# A step's page


def test_a_step_page_shows_the_law_evidence_party_and_its_one_action(web: WebEnv) -> None:
    _advance(web, "approve", date(2022, 9, 7))
    page = web.as_role("hr_officer").get(f"{LD}/steps/measures").text
    assert "<h1 class=\"govuk-heading-l\">Transferee&#39;s envisaged measures received" in page
    law = _text(section(page, "law"))
    assert "TUPE reg 13(4)" in law
    assert "Owed by The transferee (Northamptonshire Children's Trust)" in law
    assert "Due 14 September 2022" in law
    evidence = _text(section(page, "evidence-needed"))
    assert "A dated record that it was done" in evidence and "Missing" in evidence
    action = section(page, "action")
    # One action: one button, that records one outcome, with the date it happened (today).
    assert action.count("<button") == 1
    assert "Record that the transferee&#39;s measures were received in writing</button>" in action
    assert 'name="occurred_on-day" type="text" inputmode="numeric" value="20"' in action
    assert 'name="step" value="measures"' in action
    # A viewer reads the step but has no action.
    viewer = web.as_role("viewer").get(f"{LD}/steps/measures").text
    assert "<button" not in section(viewer, "action")
    assert "can look at this step but not change it" in viewer


def test_a_blocked_action_is_no_button_and_says_why_with_a_link(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    # Before the decision: informing the representatives needs an approved transfer.
    page = officer.get(f"{LD}/steps/inform_representatives").text
    action = section(page, "action")
    assert "<button" not in action and "<form" not in action
    assert "This can be recorded only when the transfer is approved" in _text(action)
    assert f'href="{LD}/steps/decision"' in action
    # After it: the transferee's measures must be in first (reg 13(2)(d), 13(4)).
    _advance(web, "approve", date(2022, 9, 7))
    action = section(officer.get(f"{LD}/steps/inform_representatives").text, "action")
    assert "<button" not in action
    assert "Not done yet: Transferee's envisaged measures received in writing" in _text(action)
    assert f'href="{LD}/steps/measures"' in action
    # The claims window cannot be recorded before it closes: the day, how it is counted, and a
    # link to the date it is counted from.
    action = section(officer.get(f"{LD}/steps/claims_window").text, "action")
    assert "<button" not in action
    assert ("It cannot happen before 1 February 2023 (3 months beginning with transfer plus 1 "
            "day, counted from the transfer date)") in _text(action)
    assert f'href="{LD}/key-dates/transfer"' in action


def test_a_step_recorded_with_a_past_date_is_judged_on_that_date(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    form = {"trigger": "approve", "step": "decision", "version": web.version("ld-to-nct"),
            "note": "Joint Committee minute 7", "occurred_on-day": "7",
            "occurred_on-month": "9", "occurred_on-year": "2022"}
    response = officer.post(f"{LD}/advance", form)
    assert response.status_code == 303 and response.headers["location"] == LD
    page = officer.get(LD).text
    assert "Done: Record the decision to transfer" in page
    assert tasks(page)["decision"] == "Done"  # 7 Sep: on its date, not late
    step = officer.get(f"{LD}/steps/decision").text
    assert "Done on 7 September 2022 by Sample Officer." in _text(section(step, "happened"))
    assert "Note: Joint Committee minute 7" in _text(section(step, "notes"))
    assert "web:officer@example.org" not in step
    # A date in the future is refused on the step's page, the form kept.
    refused = officer.post(f"{LD}/advance", {
        "trigger": "advise_unions", "step": "advise_unions",
        "version": web.version("ld-to-nct"), "occurred_on-day": "1",
        "occurred_on-month": "1", "occurred_on-year": "2030"})
    assert refused.headers["location"] == f"{LD}/steps/advise_unions"
    again = officer.get(f"{LD}/steps/advise_unions")
    assert again.status_code == 422
    assert 'href="#occurred_on-advise_unions"' in again.text
    assert tasks(officer.get(LD).text)["advise_unions"] == "Late"


# ---------------------------------------------------------------------------------------------
# Addresses by reference


def test_transfers_are_addressed_by_their_reference(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    by_ref, by_id = admin.get(LD), admin.get(f"/transfers/{web.ids['ld-to-nct']}")
    assert by_ref.status_code == by_id.status_code == 200
    assert "Learning and Development children&#39;s team to NCT</h1>" in by_ref.text.replace(
        " <strong", "</h1>").replace("\n", "")
    # Every page of a transfer, the admin's pages and the API take the reference too.
    for path in (f"{LD}/history", f"{LD}/letters", f"{LD}/employees", f"{LD}/steps/eli",
                 "/admin/transfers/ld-to-nct/workflow/2"):
        response = admin.get(path)
        assert response.status_code in (200, 303, 409), (path, response.status_code)
    api = web.api("admin@example.org").get("/api/v1/transfers/ld-to-nct")
    assert api.status_code == 200 and api.json()["ref"] == "ld-to-nct"
    # A programme's school: the '/' of its reference is '~' in the address.
    school = admin.get("/transfers/acsws-to-schools~school-05")
    assert school.status_code == 200 and "acsws-to-schools/school-05" in school.text
    programme = admin.get("/transfers/acsws-to-schools").text
    assert 'href="/transfers/acsws-to-schools~school-05"' in programme
    # Unknown, or not one's own: not found, as for an id.
    assert admin.get("/transfers/no-such-transfer").status_code == 404
    assert admin.get("/transfers/no-such-transfer/steps/eli").status_code == 404
    officer = web.as_role("hr_officer")
    assert officer.get("/transfers/send-iass-to-wnc").status_code == 404
    assert officer.get(f"/transfers/{web.ids['send-iass-to-wnc']}").status_code == 404
    # A step the transfer does not have.
    assert admin.get(f"{LD}/steps/no_such_step").status_code == 404


# ---------------------------------------------------------------------------------------------
# Plain English on every page


class _VisibleText(HTMLParser):
    """The text a reader sees: not attributes (URLs, form values, ids), not scripts, styles or
    what a text box holds (a form value)."""

    SKIP = frozenset({"script", "style", "textarea"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return re.sub(r"https?://\S+", " ", text)  # a URL shown as text (a calendar link)


def forbidden_words(web: WebEnv) -> set[str]:
    """Internal names of the demo: step ids and trigger names of every workflow, regime keys,
    account ids and audit action names. Those that are also plain words ("decision",
    "approve", "created") cannot be told from English and are left out: the compound ones
    (``claims_window``, ``go_live``, ``not-a-transfer``, ``letter-downloaded``,
    ``web:officer@example.org``) are what a developer's name looks like."""
    names: set[str] = set()
    definitions = list(library().all())
    with read_session(web.engine) as session:
        definitions += [definition_of(t, session) for t in session.exec(select(Transfer)).all()]
        actions = set(session.exec(select(AuditEntry.action)).all())
        actors = set(session.exec(select(AuditEntry.actor)).all())
    for definition in definitions:
        names |= set(definition.steps) | set(definition.triggers)
    names |= {r.value for r in Regime} | set(ACTION_LABELS) | actions
    names |= {f"web:{user}" for user in USERS} | {a for a in actors if ":" in a}
    return {n for n in names if re.search(r"[_:-]", n)}


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a [^>]*href="(/[^"#]*)', html)]


#: Addresses that are files, or that change something when followed.
_NOT_PAGES = re.compile(r"^/(assets|static|calendar)/|/sign-out|\.(pdf|docx|csv|xlsx|ics|html)$"
                        r"|/letters/[^/]+/(pdf|docx)|/documents/\d+$|/api/")


def crawl(browser: Browser, limit: int) -> dict[str, str]:
    """Every page reachable from the dashboard (or portal) by following links."""
    seen: dict[str, str] = {}
    queue = deque(["/"])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or _NOT_PAGES.search(path) or _school_shortcut(path):
            continue
        response = browser.get(path, follow_redirects=True)
        seen[path] = response.text if "text/html" in response.headers.get(
            "content-type", "") else ""
        queue.extend(link for link in _links(seen[path]) if link not in seen)
    return seen


def _school_shortcut(path: str) -> bool:
    """The programme's twelve schools share one workflow: the pages of one (school-01) stand
    for those of the others, so that the crawl stays a few seconds long."""
    found = re.search(r"school-(\d+)", path)
    return found is not None and found.group(1) != "01"


@pytest.mark.parametrize("role", ["hr_officer", "hr_admin", "viewer", "union_rep"])
def test_no_page_names_an_internal_name(web: WebEnv, role: str) -> None:
    forbidden = forbidden_words(web)
    assert {"claims_window", "go_live", "not-a-transfer", "web:officer@example.org",
            "letter-downloaded", "inform_representatives"} <= forbidden
    pattern = re.compile("|".join(rf"(?<![\w@.:-]){re.escape(w)}(?![\w@-])"
                                  for w in sorted(forbidden, key=len, reverse=True)))
    browser = web.as_role(role)
    pages = crawl(browser, limit=600)
    assert len(pages) > (1 if role == "union_rep" else 20), sorted(pages)
    found = {}
    for path, html in pages.items():
        if role in ("viewer", "union_rep"):  # and no personal data (step pages included)
            assert not re.search(r"\bLD-0\d\d\b", html), path
        hits = sorted(set(pattern.findall(visible_text(html))))
        if hits:
            found[path] = hits
    assert not found, "\n".join(f"{p}: {h}" for p, h in sorted(found.items()))

