"""The check pages in a real browser (Debian's Chromium), each checked with axe-core for
violations of any impact: a new transfer date, a staff list with a bad row and then an update,
cancelling a transfer, deactivating a user. Skipped, saying so, without Chromium or axe-core
(see tests/test_web_browser.py, whose fixtures these are).
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.test_web_browser import Axe, chromium, live, sign_in  # noqa: F401 (fixtures)
from tests.web_fixtures import WebEnv

HEADER = "employee_ref,full_name,role,fte,weekly_pay,email,date_of_birth,in_scope,objected_on\n"


def test_the_check_pages_work_and_are_accessible(web: WebEnv, live: str,  # noqa: F811
                                                 chromium: Browser) -> None:  # noqa: F811
    axe = Axe(impacts=None)
    ld = web.ids["ld-to-nct"]
    officer = chromium.new_page()
    sign_in(officer, live, "officer@example.org")

    # A new transfer date: the form, a refused answer (by redirect), the check page, saved.
    officer.goto(f"{live}/transfers/{ld}/key-dates/transfer")
    axe.check(officer, "key-date form")
    officer.locator("#new_date").fill("31")
    officer.locator("#new_date-month").fill("2")
    officer.locator("#new_date-year").fill("2022")
    officer.get_by_role("button", name="Continue").click()
    expect(officer.get_by_text("There is a problem")).to_be_visible()
    axe.check(officer, "key-date form refused")
    # The summary's link puts the cursor in the date's first box, as GOV.UK asks.
    officer.locator(".govuk-error-summary__list a").first.click()
    expect(officer.get_by_role("textbox", name="Day")).to_be_focused()
    officer.locator("#new_date").fill("10")
    officer.locator("#new_date-month").fill("10")
    officer.get_by_label("Why the date moved").fill("The Trust asked for an earlier date")
    officer.get_by_role("button", name="Continue").click()
    expect(officer.get_by_role("heading", name="Check the new transfer date before saving")
           ).to_be_visible()
    expect(officer.get_by_text("These can no longer be met")).to_be_visible()
    axe.check(officer, "key-date check page")
    officer.get_by_role("button", name="Save the new date").click()
    expect(officer.locator("#flash")).to_contain_text("Transfer date changed to 10 October 2022")
    expect(officer.locator("#flash-title")).to_have_text("Important")
    axe.check(officer, "transfer page after the date change")

    # A staff list with a bad row, then the corrected one as an update.
    officer.goto(f"{live}/transfers/{ld}/employees")
    bad = HEADER + "N001,Sample New Starter,Officer,full-time,300,,,yes,\n"
    officer.get_by_label("Upload the staff list").set_input_files(files={
        "name": "staff.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    officer.get_by_role("button", name="Upload and check").click()
    expect(officer.locator("#problems")).to_contain_text("fte")
    axe.check(officer, "employees: refused upload")
    officer.get_by_label("Upload the staff list").set_input_files(files={
        "name": "staff.csv", "mimeType": "text/csv",
        "buffer": bad.replace("full-time", "1.0").encode()})
    officer.get_by_role("button", name="Upload and check").click()
    expect(officer.get_by_role("heading", name="Check the staff list before importing it")
           ).to_be_visible()
    axe.check(officer, "staff list check page")
    officer.get_by_role("button", name="Import the staff list").click()
    expect(officer.locator("#flash")).to_contain_text("1 added")

    # Cancelling (an administrator) and deactivating a user.
    admin = chromium.new_page()
    sign_in(admin, live, "admin@example.org")
    admin.goto(f"{live}/transfers/{ld}/cancel")
    axe.check(admin, "cancel page")
    admin.get_by_role("button", name="Cancel the transfer").click()
    expect(admin.get_by_text("Enter why the transfer is cancelled").first).to_be_visible()
    axe.check(admin, "cancel page refused")
    admin.get_by_label("Why is the transfer cancelled?").fill("Proposal withdrawn, minute 9")
    admin.get_by_role("button", name="Cancel the transfer").click()
    expect(admin.locator("#flash")).to_contain_text("The transfer is cancelled")
    admin.goto(f"{live}/admin/users")
    admin.get_by_role("link", name="Sample Officer").first.click()
    admin.get_by_role("button", name="Deactivate").click()
    expect(admin.get_by_role("heading", name="Deactivate Sample Officer\u2019s account?")
           ).to_be_visible()
    axe.check(admin, "deactivate page")
    admin.get_by_role("button", name="Deactivate the account").click()
    expect(admin.locator("#flash")).to_contain_text("account is deactivated")
    axe.check(admin, "user page after deactivation")
    axe.assert_clean()
