"""The web app in a real browser (Debian's Chromium, driven by Playwright), with axe-core.

An HR officer advances ``ld-to-nct``, meets a refused guard and fixes it, and downloads a PDF
letter; a union representative acknowledges the regulation 13 notice and is refused the staff
list. Every page met on the way, and every other page, is checked with axe-core: no serious or
critical accessibility violation is allowed. No browser is downloaded: the tests use
``/usr/bin/chromium`` (``apt-get install chromium``) and skip, saying so, without it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, select

from tests.test_workflow_versions import NEXT, copy_workflows, edit_ld_to_nct
from tests.web_fixtures import PASSWORD, WebEnv, web_settings
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.web.app import create_app

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():  # pragma: no cover - scripts/test installs it
    pytest.skip("Debian's chromium is not installed (scripts/test installs it)",
                allow_module_level=True)
if not AXE.exists():  # pragma: no cover - scripts/test runs npm ci
    pytest.skip("axe-core is not installed: run npm ci", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

# What a page shows may take longer than Playwright's 5 s to appear on a loaded machine (two
# suites at once on two cores); every browser test module imports this one.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                             headless=True)
        yield browser
        browser.close()


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a thread.

    The socket is bound here and handed to uvicorn: a port found free and bound again later
    could be taken in between (the other database's suite runs at the same time).
    """
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started serving"
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()


@pytest.fixture
def live(web: WebEnv) -> Iterator[str]:
    """The web app of the test, served on a free port of 127.0.0.1."""
    with served(web.app) as base:
        yield base


# Every rule is run and every violation reported in full; ``resultTypes`` only stops axe listing
# each node that passed (one example per rule is kept for those).
_AXE_RUN = """async () => {
  const result = await axe.run(document, {rules: {'target-size': {enabled: true}},
                                          resultTypes: ['violations']});
  const kinds = ['passes', 'violations', 'incomplete', 'inapplicable'];
  return {
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target)})),
    rules: kinds.flatMap(kind => result[kind].map(r => r.id)),
  };
}"""


class Axe:
    """Runs axe-core on pages and remembers every serious or critical violation, or, with
    ``impacts=None``, every violation of any impact (best-practice rules included)."""

    def __init__(self, impacts: tuple[str, ...] | None = ("serious", "critical")) -> None:
        self.source = AXE.read_text(encoding="utf-8")
        self.impacts = impacts
        self.problems: dict[str, list[dict[str, Any]]] = {}
        self.scanned: list[str] = []
        self.rules_run: set[str] = set()

    def check(self, page: Page, name: str) -> None:
        # A click that navigates returns once the next page starts to arrive, not once it has
        # loaded: check the page the user ends up on, not one half parsed.
        page.wait_for_load_state()
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        # axe's default rules, plus WCAG 2.2's target size (2.5.8, off by default in axe).
        # The page returns only what is kept: axe's whole result names every node every rule
        # passed, megabytes per page, which the browser driver would copy and check.
        result = page.evaluate(_AXE_RUN)
        serious = [v for v in result["violations"]
                   if self.impacts is None or v["impact"] in self.impacts]
        self.scanned.append(name)
        self.rules_run |= set(result["rules"])
        if serious:
            self.problems[name] = serious

    def assert_clean(self) -> None:
        assert not self.problems, json.dumps(self.problems, indent=2)


@pytest.fixture
def axe() -> Axe:
    return Axe()


def sign_in(page: Page, base: str, username: str, axe: Axe | None = None) -> None:
    page.goto(f"{base}/sign-in")
    if axe:
        axe.check(page, "sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_hr_officer_and_a_union_rep_in_a_real_browser(
        web: WebEnv, live: str, chromium: Browser, axe: Axe, tmp_path: Path) -> None:
    ld = web.ids["ld-to-nct"]
    # --- The HR officer ---------------------------------------------------------------------
    officer = chromium.new_context(accept_downloads=True)
    page = officer.new_page()
    # A Content-Security-Policy violation or a script error shows up as a console error. (A
    # refused form is answered 409, which Chromium also logs: that one is expected.)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "status of 409" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live, "officer@example.org", axe)
    expect(page.get_by_role("heading", name="Staff transfers", level=1)).to_be_visible()
    axe.check(page, "dashboard")
    page.get_by_role("link", name="Learning and Development children's team to NCT").first.click()
    expect(page.get_by_text("Proposed", exact=True).first).to_be_visible()
    axe.check(page, "transfer")

    # Advance one step, from its own page (the transfer's page is a task list).
    page.get_by_role("link", name="Governance decision to transfer recorded").click()
    axe.check(page, "step")
    page.get_by_role("button", name="Record the decision to transfer").click()
    expect(page.get_by_text("Done: Record the decision to transfer.")).to_be_visible()
    axe.check(page, "transfer after advancing")

    # A blocked action: the representatives cannot be informed before the measures are in. It
    # is no button; the page says why, with a link to the step it waits for.
    page.get_by_role("link", name="Inform the appropriate representatives").click()
    expect(page.get_by_role("button", name="Inform the representatives (reg 13 letter)")) \
        .to_have_count(0)
    expect(page.locator(".govuk-warning-text").first) \
        .to_contain_text("envisaged measures received in writing")
    axe.check(page, "step that cannot start yet")
    page.get_by_role("link", name="Go to “Transferee's envisaged measures received in writing”") \
        .click()

    # Fix it, then inform the representatives.
    page.get_by_role("button",
                     name="Record that the transferee's measures were received in writing").click()
    expect(page.get_by_text("Done: Record that the transferee's measures")).to_be_visible()
    page.get_by_role("link", name="Inform the appropriate representatives").click()
    page.get_by_role("button", name="Inform the representatives (reg 13 letter)").click()
    expect(page.get_by_text("The transfer is now informing and consulting.")).to_be_visible()
    with read_session(web.engine) as session:
        assert get_transfer(session, "ld-to-nct").state == "consulting"

    # Download the PDF of the reg 13 letter.
    page.get_by_role("link", name="Letters and notices").click()
    axe.check(page, "letters")
    with page.expect_download() as download:
        page.locator("a[href*='reg13-information/pdf']").first.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-") and saved.suffix == ".pdf"
    # GOV.UK Frontend's scripts ran (served by the app, allowed by the CSP) without errors.
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    assert errors == []
    officer.close()

    # --- The union representative -------------------------------------------------------------
    rep = chromium.new_context()
    page = rep.new_page()
    sign_in(page, live, "rep@example.org")
    expect(page.get_by_role("heading", name="Notices to your union")).to_be_visible()
    axe.check(page, "portal")
    page.get_by_role("link", name="Information under TUPE regulation 13(2)").click()
    expect(page.get_by_text("6 expected to transfer")).to_be_visible()
    axe.check(page, "portal notice")
    page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.get_by_role("heading", name="Acknowledged")).to_be_visible()
    axe.check(page, "portal notice acknowledged")

    # The staff list is refused, and the attempt is recorded.
    response = page.goto(f"{live}/transfers/{ld}/employees")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot see this page")).to_be_visible()
    assert "Sample Employee" not in page.content()
    axe.check(page, "403 for a union rep")
    rep.close()
    with read_session(web.engine) as session:
        denied = session.exec(select(AuditEntry).where(
            AuditEntry.action == "access-denied",
            AuditEntry.actor == "web:rep@example.org")).all()
    assert any(e.data["path"] == f"/transfers/{ld}/employees" for e in denied)

    # HR sees the acknowledgement as evidence.
    hr = chromium.new_context()
    page = hr.new_page()
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{ld}/letters")
    expect(page.locator("#messages")).to_contain_text("Sample UNISON Rep (UNISON)")
    hr.close()
    axe.assert_clean()


def test_every_page_passes_axe(web: WebEnv, live: str, chromium: Browser, axe: Axe) -> None:
    ld = web.ids["ld-to-nct"]
    school = web.ids["acsws-to-schools/school-01"]
    context = chromium.new_context()
    page = context.new_page()
    for path, name in (("/accessibility", "accessibility"), ("/privacy", "privacy"),
                       ("/signed-out", "signed out")):
        page.goto(live + path)
        axe.check(page, name)
    page.goto(f"{live}/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe.check(page, "sign-in with errors")
    sign_in(page, live, "admin@example.org")
    pages = [
        ("/", "dashboard (admin)"), (f"/transfers/{ld}", "transfer"),
        (f"/transfers/{school}", "school transfer"),
        (f"/transfers/{web.ids['acsws-to-schools']}", "programme"),
        (f"/transfers/{ld}/employees", "employees"),
        (f"/transfers/{ld}/employees/edit?ref=LD-001", "employee"),
        (f"/transfers/{ld}/letters", "letters"),
        (f"/transfers/{ld}/letters/reg13-information/preview?to=representative:1", "preview"),
        (f"/transfers/{ld}/letters/employee-notification/preview?to=employee:LD-002",
         "employee letter preview"),
        (f"/transfers/{ld}/history", "history"),
        (f"/transfers/{ld}/steps/claims_window", "step that cannot start yet"),
        ("/transfers/ld-to-nct/steps/decision", "step by reference"),
        (f"/transfers/{ld}/key-dates/transfer", "key date"),
        ("/account", "account"), ("/admin/users", "users"), ("/admin/users/new", "new user"),
        ("/admin/users/2", "officer user"), ("/admin/users/5", "rep user"),
        ("/admin/audit", "audit log"), ("/transfers/99999", "404"),
    ]
    for path, name in pages:
        page.goto(live + path)
        axe.check(page, name)
    # Forms with errors.
    page.goto(f"{live}/transfers/{ld}/steps/decision")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2022")
    page.get_by_role("button", name="Record the decision to transfer").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a real date")
    axe.check(page, "step with errors")
    page.goto(f"{live}/transfers/{ld}/employees")
    page.get_by_label("Upload the staff list").set_input_files(files={
        "name": "staff.csv", "mimeType": "text/csv",
        "buffer": b"employee_ref,full_name,role,fte,weekly_pay\nX1,,Officer,lots,1\n"})
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("#problems")).to_contain_text("fte")
    axe.check(page, "upload with errors")
    page.goto(f"{live}/admin/users/new")
    page.get_by_role("button", name="Add user").click()
    axe.check(page, "new user with errors")
    page.goto(f"{live}/account")
    page.get_by_role("button", name="Make a calendar link").click()
    axe.check(page, "account with a calendar link")
    context.close()
    assert len(axe.scanned) == len(pages) + 8
    axe.assert_clean()


def test_the_pages_work_without_javascript(web: WebEnv, live: str, chromium: Browser) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live, "officer@example.org")
    # From the task list to each step's page, its action there, and back to the task list.
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}")
    page.get_by_role("link", name="Governance decision to transfer recorded").click()
    page.get_by_role("button", name="Record the decision to transfer").click()
    expect(page.get_by_text("Done: Record the decision to transfer.")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Advise the trade unions")).click()
    page.get_by_label("Note or evidence (optional)").fill("Letter ref U/22/9")
    page.get_by_role("button", name="Record that the trade unions were advised").click()
    expect(page.get_by_text("Done: Record that the trade unions were advised.")).to_be_visible()
    # A refused action comes back to its step's page, filled in, with its error.
    page.get_by_role("link", name=re.compile(r"^Transferee.s envisaged measures")).click()
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_role("button", name=re.compile(r"^Record that the transferee")).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Day")).to_have_value("31")
    page.locator("form[action='/sign-out'] button").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    context.close()
    # A step no action completes is marked done on its page, once it can have happened: the
    # claims window once it has closed (the transfer was on 1 November 2022: from 1 February).
    with served(create_app(web_settings(as_of=date(2023, 2, 2)))) as later:
        context = chromium.new_context(java_script_enabled=False)
        page = context.new_page()
        sign_in(page, later, "officer@example.org")
        page.goto(f"{later}/transfers/{web.ids['ld-to-nct']}")
        page.get_by_role("link", name=re.compile(r"^Window for information")).click()
        page.get_by_label("Evidence").fill("Claims register checked")
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_text("Marked as done: Window for information")).to_be_visible()
        page.locator("form[action='/sign-out'] button").click()
        expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
        context.close()


def test_a_transfer_page_prints_with_its_pictures(web: WebEnv, live: str,
                                                  chromium: Browser) -> None:
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, live, "admin@example.org")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}")
    page.emulate_media(media="print")
    expect(page.locator("svg[role='img']").first).to_be_visible()
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator("button", has_text="Record the decision to transfer")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 20_000
    context.close()


def test_a_letter_preview_shows_the_email_as_sent_within_the_pages_policy(
        web: WebEnv, live: str, chromium: Browser, axe: Axe) -> None:
    """The preview frames the letter's own HTML: its inline styles apply, nothing is refused."""
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}/letters/reg13-information/preview"
              "?to=representative:1")
    letter = page.frame_locator("iframe#letter")
    expect(letter.get_by_text("Dear Colleague,")).to_be_visible()
    framed = next(f for f in page.frames if f.url.split("?")[0].endswith("/letter.html"))
    # The email's grey surround comes from its inline style: allowed in the frame only.
    assert framed.evaluate("() => getComputedStyle(document.body).backgroundColor") \
        == "rgb(243, 243, 243)"
    axe.check(page, "letter preview")
    assert errors == []
    context.close()
    axe.assert_clean()


def test_the_axe_scan_would_catch_a_real_problem(chromium: Browser) -> None:
    """Guards the guard: a page with known serious violations must fail the scan."""
    page = chromium.new_page()
    page.set_content('<html><body><img src="x.png"><input type="text">'
                     '<p style="color:#ddd;background:#fff">faint</p>'
                     '<button style="width:8px;height:8px;padding:0">a</button>'
                     '<button style="width:8px;height:8px;padding:0">b</button></body></html>')
    scanner = Axe()
    scanner.check(page, "bad page")
    found = {v["id"] for v in scanner.problems.get("bad page", [])}
    assert {"image-alt", "label", "color-contrast", "target-size"} <= found
    page.close()


def test_moving_a_transfer_to_a_new_workflow_version_in_a_real_browser(
        web: WebEnv, live: str, chromium: Browser, axe: Axe, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_workflows(tmp_path / "own-workflows")
    edit_ld_to_nct(folder)
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(folder))  # the server is in-process
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, live, "admin@example.org")
    page.get_by_role("link", name="Workflows").click()
    axe.check(page, "workflow versions")
    page.get_by_role("link", name="Check the changes for Learning and Development").click()
    expect(page.locator("#deadline-advise_unions")).to_contain_text("6 October 2022")
    axe.check(page, "workflow version check")
    page.get_by_role("button", name=f"Move to version {NEXT}").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"now runs on version {NEXT} of its workflow")
    axe.check(page, "transfer after moving its workflow version")
    context.close()
    axe.assert_clean()


def test_the_portal_letter_representations_and_replies_pass_axe(
        web: WebEnv, live: str, chromium: Browser, axe: Axe) -> None:
    """The representatives' portal with the letter as issued, a representation (with an error
    first) and HR's reply page (with an error first), in a real browser with axe."""
    from tests.test_web_letters import _inform

    _inform(web)
    rep = chromium.new_context(accept_downloads=True)
    page = rep.new_page()
    sign_in(page, live, "rep@example.org")
    page.get_by_role("link", name="Information under TUPE regulation 13(2)").click()
    expect(page.get_by_role("region", name="The letter as issued")).to_contain_text(
        "6 expected to transfer")
    axe.check(page, "portal notice with the letter")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the letter as a PDF")).click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("button", name="Send representation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your representation")
    axe.check(page, "portal representation with errors")
    page.get_by_label("Make a representation").fill(
        "UNISON asks for pay protection of at least three years for the staff transferring.")
    # GOV.UK Frontend's character count ran (its live message replaces the static one).
    expect(page.locator(".govuk-character-count__status")).to_contain_text("characters remaining")
    page.get_by_role("button", name="Send representation").click()
    expect(page.get_by_text("Your representation is sent")).to_be_visible()
    expect(page.get_by_text("Awaiting reply")).to_be_visible()
    axe.check(page, "portal notice with a representation")
    rep.close()

    hr = chromium.new_context()
    page = hr.new_page()
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}/representations")
    axe.check(page, "representations")
    page.get_by_label("Reject it").check()
    page.get_by_role("button", name=re.compile("Send reply")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reasons")
    axe.check(page, "representations reply with errors")
    page.get_by_label("Your reasons").fill("The budget for next year is not set until February.")
    page.get_by_role("button", name=re.compile("Send reply")).click()
    expect(page.get_by_text("Your reply is recorded")).to_be_visible()
    axe.check(page, "representations answered")
    hr.close()

    rep = chromium.new_context()
    page = rep.new_page()
    sign_in(page, live, "rep@example.org")
    page.get_by_role("link", name="Information under TUPE regulation 13(2)").click()
    expect(page.get_by_text("The budget for next year is not set until February.")).to_be_visible()
    axe.check(page, "portal notice answered")
    rep.close()
    axe.assert_clean()


def _axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """Every axe-core violation on the page, of any impact, best-practice rules included."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, "
                           "{rules: {'target-size': {enabled: true}}})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def test_letter_details_in_a_real_browser(web: WebEnv, live: str, chromium: Browser,
                                          axe: Axe) -> None:
    """HR fills a letter's gap from its preview (a wrong date first), records measures, and
    renames an employee (confirming the salutation): every page passes axe with no violation
    of any impact, and none scrolls sideways at 320 CSS pixels."""
    ld = web.ids["ld-to-nct"]
    import_particulars("ld-to-nct", {"transfer": {"meeting_place": None},
                                     "employees": {"LD-004": {"salutation": "Ms Jones"}}},
                       actor="test", engine=web.engine)
    with Session(web.engine) as session:
        employee = session.exec(select(Employee).where(Employee.transfer_id == ld,
                                                       Employee.employee_ref == "LD-004")).one()
        employee.full_name = "Sarah Jones"
        session.add(employee)
        session.commit()
    found: dict[str, list[dict[str, Any]]] = {}
    wide: dict[str, int] = {}

    def check(page: Page, name: str) -> None:
        violations = _axe_violations(page, axe.source)
        if violations:
            found[name] = violations
        page.set_viewport_size({"width": 320, "height": 800})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 320:
            wide[name] = width
        page.set_viewport_size({"width": 1024, "height": 800})

    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{ld}/letters/reg13-information/preview?to=representative:1")
    expect(page.locator("#letter-gaps")).to_contain_text("Add the meeting place")
    check(page, "preview with a gap")
    page.get_by_role("link", name="Add the meeting place").click()
    expect(page.get_by_role("heading", name="The first meeting", level=1)).to_be_visible()
    check(page, "meeting form")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Meeting place").fill("Room 4, Sheerness House")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Meeting date must be a real date")
    check(page, "meeting form with an error")
    page.get_by_label("Day").fill("22")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the first meeting")).to_be_visible()
    expect(page.get_by_role("heading", name="Preview of the letter")).to_be_visible()
    expect(page.locator("#letter-gaps")).to_have_count(0)
    expect(page.frame_locator("iframe#letter").get_by_text("Room 4, Sheerness House")
           ).to_be_visible()

    page.get_by_role("link", name="Back to letters").click()
    page.get_by_role("link", name="Record or change the letter details").click()
    expect(page.get_by_role("heading", name="Letter details")).to_be_visible()
    check(page, "letter details")
    page.get_by_role("link", name="Change measures the transferee envisages",
                     exact=True).click()
    check(page, "measures form")
    page.get_by_label("Yes, it envisages measures").check()
    page.get_by_label("The measures, one a line").fill("Pay day moves to the 15th")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#transferee-measures")).to_contain_text("Pay day moves to the 15th")
    page.goto(f"{live}/transfers/{ld}/letter-data/redundancies")
    check(page, "collective redundancies form")
    page.goto(f"{live}/transfers/{ld}/letter-data/organisation?key=nnc")
    check(page, "letterhead form")

    page.goto(f"{live}/transfers/{ld}/letter-data")
    page.get_by_role("link", name="Change the details of Sarah Jones").click()
    check(page, "employee form")
    page.get_by_label("Full name").fill("Sarah Smith")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Check the salutation for the new name")).to_be_visible()
    expect(page.get_by_label("Salutation")).to_have_value("Ms Smith")
    check(page, "salutation prompt")
    page.get_by_label("Salutation").fill("Mrs Smith")
    page.get_by_role("button", name="Save with this salutation").click()
    expect(page.get_by_text("Saved an employee's details")).to_be_visible()
    context.close()
    assert errors == []
    assert not found, json.dumps(found, indent=2)
    assert not wide, wide


def test_the_letter_issue_flow_in_a_real_browser_passes_axe(
        web: WebEnv, live: str, chromium: Browser, axe: Axe) -> None:
    """Check, issue (one recipient not ready), the truthful outcome, the register and the
    reissue form with an error: each page in a real browser, scanned with axe."""
    from transfer_engine.letters.particulars import import_particulars

    import_particulars("ld-to-nct", {"representatives": {
        "UNISON NCT steward (sample)": {"address": None}}}, actor="test", engine=web.engine)
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}/letters")
    page.get_by_role("button", name=re.compile(r"Check and issue\W+Information for "
                                               "representatives")).click()
    expect(page.get_by_role("heading", name=re.compile("Check before issuing"))).to_be_visible()
    expect(page.locator("#not-ready")).to_contain_text("Not ready (1)")
    axe.check(page, "letter issue check")
    page.get_by_role("button", name=re.compile(r"Issue to 1 recipient")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("1 of 2 issued")
    expect(page.locator(".govuk-notification-banner--success")).to_have_count(0)
    axe.check(page, "letter issue outcome")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}/letters")
    expect(page.locator("#register")).to_contain_text("LD-NCT/R13/0001")
    axe.check(page, "letters with the register")
    page.get_by_role("link", name=re.compile(r"Reissue\W+letter LD-NCT.R13.0001")).click()
    page.get_by_role("button", name="Reissue the letter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("at least 10 characters")
    axe.check(page, "letter reissue with an error")
    context.close()
    axe.assert_clean()


def test_the_task_list_and_a_step_page_have_no_axe_violation(
        web: WebEnv, live: str, chromium: Browser) -> None:
    """The transfer's task list and a step's page, as an HR officer: no violation of any
    impact (best-practice rules included); the task list is GOV.UK's, grouped by phase."""
    strict = Axe(impacts=None)
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/ld-to-nct")
    expect(page.locator(".govuk-task-list")).to_have_count(7)  # one list per phase
    expect(page.get_by_role("heading", name="Employee liability information")).to_be_visible()
    strict.check(page, "task list")
    page.get_by_role("link", name="Transferee's envisaged measures received in writing").click()
    expect(page.get_by_role("heading", name="What the law asks")).to_be_visible()
    strict.check(page, "step (blocked)")
    page.goto(f"{live}/transfers/ld-to-nct/steps/decision")
    expect(page.get_by_role("button", name="Record the decision to transfer")).to_be_visible()
    strict.check(page, "step (its action)")
    context.close()
    strict.assert_clean()
