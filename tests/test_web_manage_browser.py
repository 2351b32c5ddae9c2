"""The pages of everything in the browser (issue 13, point 4) in a real browser: an HR officer
adds organisations, creates a school transfer (a wrong date first), records a representative,
invites an election, keeps a document, overrides a step, records the ELI's late reason and an
objection. Every page passes axe-core with no violation of any impact (best-practice rules
included), and none scrolls sideways at 320 CSS pixels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

# Skips this module, as it does itself, when Chromium or axe-core is missing.
from tests import test_web_browser as browser_tests
from tests.test_web_browser import Axe, _axe_violations, sign_in
from tests.web_fixtures import WebEnv

# Its fixtures, by the names the test asks for.
chromium = browser_tests.chromium
live = browser_tests.live
axe = browser_tests.axe


def test_managing_a_transfer_in_a_real_browser(
        web: WebEnv, live: str, chromium: Browser, axe: Axe, tmp_path: Path) -> None:
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
    ld = web.ids["ld-to-nct"]

    page.get_by_role("link", name="Organisations").click()
    check(page, "organisations")
    page.get_by_role("button", name="Add an organisation").click()
    page.get_by_role("button", name="Add the organisation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the kind")
    check(page, "add an organisation with errors")
    for slug, name, kind, school, council in (
            ("old-council", "Old Council", "Council", None, None),
            ("hill-primary", "Hill Primary", "School", "Community school", "Old Council")):
        page.goto(f"{live}/organisations/new")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Short name").fill(slug)
        page.get_by_label(kind, exact=True).check()
        if school:
            page.get_by_label(school).check()
            page.get_by_label("Maintaining council").select_option(label=council)
        page.get_by_role("button", name="Add the organisation").click()
        expect(page.get_by_text(f"Added {name}.")).to_be_visible()
    page.get_by_role("link", name="Add the logo of Old Council").click()
    check(page, "logo")

    page.goto(f"{live}/")
    page.get_by_role("button", name="Create a transfer").click()
    check(page, "choose a workflow")
    page.get_by_label("TUPE transfer (base)").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Title").fill("Support staff into Hill Primary")
    page.get_by_label("Reference").fill("into-hill")
    page.get_by_label("The employer the staff move from").select_option(label="Old Council")
    page.get_by_label("The employer the staff move to").select_option(label="Hill Primary")
    # The transfer date's three boxes (the day box carries the field's id: see date_input).
    dates = page.locator("fieldset").filter(has=page.locator("#key-date-transfer"))
    dates.get_by_label("Day").fill("31")
    dates.get_by_label("Month").fill("2")
    dates.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Create the transfer").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a real date")
    check(page, "create a transfer with errors")
    dates.get_by_label("Day").fill("28")
    page.get_by_role("button", name="Create the transfer").click()
    expect(page.get_by_text("Transfer created, under not a transfer.")).to_be_visible()

    page.goto(f"{live}/transfers/{ld}")
    page.get_by_role("link", name="Representatives and elections").click()
    check(page, "representatives")
    page.get_by_role("link", name="Add a representative of").first.click()
    page.get_by_label("An existing representative with authority").check()
    page.get_by_label("Full name").fill("Sam Forum")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_role("button", name="Add the representative").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("what authorises them")
    check(page, "add a representative with errors")
    page.get_by_label("Their authority").fill("Elected staff forum member, terms para 4")
    page.get_by_role("button", name="Add the representative").click()
    expect(page.get_by_text("Recorded Sam Forum as a representative.")).to_be_visible()

    page.goto(f"{live}/transfers/{ld}/elections/invite?party=nct")
    page.get_by_role("button", name="Save").click()
    check(page, "invite an election with errors")
    page.goto(f"{live}/transfers/{ld}/elections/result?party=nct")
    check(page, "election result")

    page.goto(f"{live}/transfers/{ld}/measures")
    check(page, "measures")
    page.goto(f"{live}/transfers/{ld}/evidence")
    check(page, "evidence")
    page.goto(f"{live}/transfers/{ld}/steps/measures/documents")
    letter = tmp_path / "nct-measures.pdf"
    letter.write_bytes(b"%PDF-1.4 NCT measures")
    page.get_by_label("Upload the document").set_input_files(str(letter))
    page.get_by_role("button", name="Attach the document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what the document is")
    check(page, "attach a document with errors")
    page.get_by_label("Upload the document").set_input_files(str(letter))
    page.get_by_label("What is the document?").fill("NCT's letter giving its measures")
    page.get_by_role("button", name="Attach the document").click()
    expect(page.get_by_text("Kept nct-measures.pdf as evidence")).to_be_visible()
    check(page, "documents")
    page.goto(f"{live}/transfers/{ld}/evidence")
    page.get_by_role("link", name="Record as done without its evidence").first.click()
    page.get_by_role("button", name="Record as done without its evidence").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("special circumstances")
    check(page, "override with errors")

    page.goto(f"{live}/transfers/{ld}/eli")
    check(page, "eli")
    page.get_by_role("button", name="Save the reason").click()
    check(page, "eli with errors")
    page.goto(f"{live}/transfers/{ld}/objections")
    page.get_by_role("button", name="Record the objection").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the employee")
    check(page, "objections with errors")
    page.get_by_label("Employee who objects").select_option(index=1)
    page.get_by_role("button", name="Record the objection").click()
    expect(page.get_by_text("Recorded the objection of")).to_be_visible()
    check(page, "objections")
    page.goto(f"{live}/transfers/{ld}")
    check(page, "transfer with the manage links")
    context.close()
    assert errors == []
    assert not found, json.dumps(found, indent=2)
    assert not wide, wide
