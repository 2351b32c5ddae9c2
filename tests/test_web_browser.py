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
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import select

from tests.test_workflow_versions import copy_workflows, edit_ld_to_nct
from tests.web_fixtures import PASSWORD, WebEnv
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import AuditEntry

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


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live(web: WebEnv) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


class Axe:
    """Runs axe-core on pages and remembers every serious or critical violation."""

    def __init__(self) -> None:
        self.source = AXE.read_text(encoding="utf-8")
        self.problems: dict[str, list[dict[str, Any]]] = {}
        self.scanned: list[str] = []

    def check(self, page: Page, name: str) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        # axe's default rules, plus WCAG 2.2's target size (2.5.8, off by default in axe).
        result = page.evaluate("async () => await axe.run(document, "
                               "{rules: {'target-size': {enabled: true}}})")
        serious = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5]}
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        self.scanned.append(name)
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

    # Advance one step.
    page.get_by_role("button", name="Record the decision to transfer").click()
    expect(page.get_by_text("Done: Record the decision to transfer.")).to_be_visible()
    axe.check(page, "transfer after advancing")

    # A refused guard: the representatives cannot be informed before the measures are in.
    page.get_by_role("button", name="Inform the representatives (reg 13 letter)").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("was refused")
    expect(summary).to_contain_text("envisaged measures received in writing")
    expect(page.locator("#trigger-inform_representatives-error")).to_be_visible()
    axe.check(page, "transfer with a refused guard")
    # The error summary's link moves focus to the refused button.
    summary.get_by_role("link").first.click()
    expect(page.locator("#trigger-inform_representatives")).to_be_focused()

    # Fix it, then inform the representatives.
    page.get_by_role("button", name="Record the transferee's measures").click()
    expect(page.get_by_text("Done: Record the transferee's measures")).to_be_visible()
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
        (f"/transfers/{ld}/steps/claims_window/done", "mark done"),
        (f"/transfers/{ld}/key-dates/transfer", "key date"),
        ("/account", "account"), ("/admin/users", "users"), ("/admin/users/new", "new user"),
        ("/admin/users/2", "officer user"), ("/admin/users/5", "rep user"),
        ("/admin/audit", "audit log"), ("/transfers/99999", "404"),
    ]
    for path, name in pages:
        page.goto(live + path)
        axe.check(page, name)
    # Forms with errors.
    page.goto(f"{live}/transfers/{ld}/steps/claims_window/done")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2022")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the evidence")
    axe.check(page, "mark done with errors")
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
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}")
    page.get_by_role("button", name="Record the decision to transfer").click()
    expect(page.get_by_text("Done: Record the decision to transfer.")).to_be_visible()
    # A note sits in a <details>, which opens without scripts.
    page.locator("summary", has_text="Add a note or evidence").first.click()
    page.get_by_label("Note or evidence (optional)").first.fill("Letter ref U/22/9")
    page.get_by_role("button", name="Record that the trade unions were advised").click()
    expect(page.get_by_text("Done: Record that the trade unions were advised.")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"Mark as done\W+Window for information")).click()
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
    page.get_by_role("button", name="Move to version 2").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "now runs on version 2 of its workflow")
    axe.check(page, "transfer after moving its workflow version")
    context.close()
    axe.assert_clean()
