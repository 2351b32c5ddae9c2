"""A whole transfer in the browser (issue 13): an HR officer takes ``ld-to-nct`` from its
governance decision to its close with nothing but clicks and form fills in Debian's Chromium.

After the demo is loaded (the ``web`` fixture) nothing calls the engine or the command line:
every change is made through the pages, and every check is what the officer (or the union
representative, in a second browser) reads on them: statuses on the task list, banners' words,
the counts of a check page. Only the app's demo clock (``TRANSFER_ENGINE_AS_OF``, ``serve
--as-of``) is moved between phases, as a trainer restarting the demo on a later date would, so
that the weeks before the transfer, the transfer day and the weeks after it can all be reached.

The journey, on the dates of the Joint Committee report (decision 7 September 2022):

* 20 September: the decision recorded as minuted on 7 September (done on time, not late), the
  unions advised and the measures received, each on its own date; the transfer date moved
  through its check page (each deadline's old and new date); a staff list with a bad row
  (refused by row and column), then the corrected file as an update, through its check page.
* 10 October: the representatives informed; the reg 13 letter is held back because it proposes
  a meeting that has passed, which its check page says, with a link to the meeting's form; the
  letter details filled in, then the letters issued through their check pages with true counts.
  Going live is no button while consulting: the page says why and links to what unblocks it.
  The union representative reads the notice in the portal and makes a representation, which
  HR answers with reasons. The ELI is complete and sent.
* 21 November: the change control recorded on its past date, consultation concluded, the last
  steps before the transfer; going live before the transfer date is refused in words.
* 1 December: go-live (the confirmation letters go out). 12 December: closed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from playwright.sync_api import Browser, Page, expect

# Skips this module, as it does itself, when Chromium or axe-core is missing.
from tests import test_web_browser as browser_tests
from tests.test_web_browser import Axe, sign_in
from tests.web_fixtures import AS_OF, WebEnv

# Its fixtures, by the names the test asks for.
chromium = browser_tests.chromium
live = browser_tests.live
axe = browser_tests.axe

STAFF_HEADER = "employee_ref,full_name,role,fte,weekly_pay\n"
# An update from the HR system: LD-003's pay rise and LD-005's extra hours. The first export
# wrote the FTE with its unit, which the import refuses (row 3 of the file, column fte).
STAFF_ROWS = ("LD-003,Sample Employee LD-003,L&D Consultant (children's),1.0,720.00\n"
              "LD-005,Sample Employee LD-005,L&D Officer (children's),{fte},464.00\n")


def set_clock(web: WebEnv, day: date) -> None:
    """Move the app's demo clock to ``day``: the date every page judges deadlines against and
    every action is recorded on (the server reads it at each request)."""
    web.app.state.settings = dataclasses.replace(web.app.state.settings, as_of=day)


def task(page: Page, step: str) -> tuple[str, str]:
    """What the task list says of one task: its hint (due or done date) and its status."""
    page.wait_for_load_state()  # read the page a click led to once it is all there
    return (page.locator(f"#step-{step}-hint").inner_text(),
            page.locator(f"#step-{step}-status").inner_text().strip())


def banner(page: Page) -> str:
    page.wait_for_load_state()
    return page.locator("#flash").inner_text()


def record(page: Page, base: str, step: str, button: str, *, note: str = "",
           on: date | None = None) -> None:
    """Open a step's page from the task list and take its one action, dated ``on``."""
    page.goto(base)
    page.locator(f"#step-{step} a").click()
    if note:
        page.get_by_label("Note or evidence (optional)").fill(note)
    if on is not None:
        happened = page.get_by_role("group", name="Date it happened")
        happened.get_by_label("Day").fill(str(on.day))
        happened.get_by_label("Month").fill(str(on.month))
        happened.get_by_label("Year").fill(str(on.year))
    page.get_by_role("button", name=button).click()


def upload(page: Page, name: str, content: str) -> None:
    page.get_by_role("link", name="Employees", exact=True).click()
    page.get_by_label("Upload the staff list").set_input_files(files={
        "name": name, "mimeType": "text/csv", "buffer": content.encode()})
    page.get_by_label("Updates to the staff list").check()
    page.get_by_role("button", name="Upload and check").click()


def test_an_hr_officer_runs_ld_to_nct_from_approval_to_close_in_the_browser(
        web: WebEnv, live: str, chromium: Browser, axe: Axe) -> None:
    assert date(2022, 9, 20) == AS_OF  # the demo's clock: the decision was 13 days ago
    base = f"{live}/transfers/ld-to-nct"
    officer = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = officer.new_page()
    errors: list[str] = []
    # A script error or a refused resource shows up here. (A refused form is answered with its
    # status, which Chromium also logs: those are expected.)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "the server responded with a status of 4" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live, "officer@example.org")
    page.get_by_role("link", name="Learning and Development children's team to NCT").first.click()
    expect(page.locator("#step-decision-status")).to_have_text("Late")

    # --- 20 September 2022: the decision, minuted on 7 September ----------------------------
    page.locator("#step-decision a").click()
    expect(page.get_by_role("heading", name="What the law asks")).to_be_visible()
    axe.check(page, "step page")
    record(page, base, "decision", "Record the decision to transfer",
           note="Children's Trust Joint Committee, 7 September 2022, minute 7",
           on=date(2022, 9, 7))
    expect(page.locator("#flash")).to_contain_text(
        "Done: Record the decision to transfer. Date it happened: 7 September 2022. The "
        "transfer is now approved.")
    # Judged on the day it happened: on time, for good.
    assert task(page, "decision") == (
        "Done on 7 September 2022\nOwed by the transferor (North Northamptonshire Council)",
        "Done")
    record(page, base, "advise_unions", "Record that the trade unions were advised",
           note="Email to the UNISON branch secretary", on=date(2022, 9, 12))
    expect(page.locator("#flash")).to_contain_text("Done: Record that the trade unions")
    record(page, base, "measures",
           "Record that the transferee's measures were received in writing",
           note="NCT letter: no measures envisaged", on=date(2022, 9, 14))
    assert task(page, "advise_unions")[1] == "Done"
    assert task(page, "measures") == (
        "Done on 14 September 2022\nOwed by the transferee (Northamptonshire Children's Trust)",
        "Done")
    axe.check(page, "task list")

    # The transfer date moves a month: every deadline's old and new date, before anything.
    page.get_by_role("link", name="Change transfer date").click()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2022")
    page.get_by_label("Why the date moved").fill("The Trust asked for a later date")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check the new transfer date before saving")) \
        .to_be_visible()
    expect(page.get_by_text("Nothing has changed yet.")).to_be_visible()
    moved = page.locator("tr", has_text="Send employee liability information")
    expect(moved).to_contain_text("4 October 2022")
    expect(moved).to_contain_text("3 November 2022")
    axe.check(page, "key-date check page")
    page.get_by_role("button", name="Save the new date").click()
    expect(page.locator("#flash")).to_contain_text(
        "Transfer date changed to 1 December 2022; 13 deadlines moved")
    expect(page.locator("#flash")).to_contain_text(
        "Send employee liability information to the transferee: from 4 October 2022 to "
        "3 November 2022")
    assert task(page, "go_live")[0].startswith("Due by 1 December 2022")

    # A staff list with a bad row: nothing imported, the problem by row and column.
    upload(page, "staff-update.csv", STAFF_HEADER + STAFF_ROWS.format(fte="0.8 FTE"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("nothing was imported")
    problem = page.locator("#problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text("3")
    expect(problem.locator("td").nth(1)).to_have_text("fte")
    expect(problem.locator("td").nth(2)).to_contain_text("must be a number")
    axe.check(page, "staff list with a bad row")
    # The corrected file, as an update: each change on the check page, then imported.
    upload(page, "staff-update.csv", STAFF_HEADER + STAFF_ROWS.format(fte="0.8"))
    expect(page.get_by_role("heading", name="Check the staff list before importing it")) \
        .to_be_visible()
    expect(page.get_by_text("0 added, 2 changed, 0 unchanged")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Updates: employees not in it stay as they are")
    axe.check(page, "staff list check page")
    page.get_by_role("button", name="Import the staff list").click()
    expect(page.locator("#flash")).to_contain_text(
        "Imported staff-update.csv: 0 added, 2 changed, 0 unchanged.")
    expect(page.locator("tr", has_text="LD-005")).to_contain_text("£464.00")
    expect(page.locator("tr", has_text="LD-001")).to_contain_text("£705.00")  # not in the file

    # --- 10 October 2022: informing the representatives -------------------------------------
    set_clock(web, date(2022, 10, 10))
    page.goto(base)
    expect(page.locator("#step-inform_representatives-status")).to_have_text("Due soon")
    record(page, base, "inform_representatives", "Inform the representatives (reg 13 letter)")
    # Recorded, but its letters are held back (the meeting they propose, 22 September, has
    # passed): bad news, so no green banner, and no internal name of a letter.
    expect(page.locator("#flash-title")).to_have_text("Important")
    expect(page.locator("#flash")).to_contain_text("The transfer is now informing and consulting")
    expect(page.locator("#flash")).to_contain_text(
        "“Information for representatives (TUPE reg 13(2))” was not issued")
    assert "reg13-information" not in banner(page)
    assert task(page, "inform_representatives")[1] == "Due soon"  # not done: no letters yet
    assert "Recorded, waiting for its evidence" in task(page, "inform_representatives")[0]

    # Going live now is no button: the reason in words, and a link to what unblocks it.
    page.locator("#step-go_live a").click()
    expect(page.get_by_role("button", name="Go live (staff and funding transfer)")) \
        .to_have_count(0)
    warning = page.locator(".govuk-warning-text")
    expect(warning).to_contain_text("You cannot do this yet")
    expect(warning).to_contain_text(
        "This can be recorded only when the transfer is ready to transfer")
    axe.check(page, "step that cannot be taken yet")
    warning.get_by_role("link", name=re.compile("Consultation on measures concluded")).click()
    expect(page.get_by_role("heading", name=re.compile("Consultation on measures concluded"),
                            level=1)).to_be_visible()

    # The letter's check page says what stops it and links to the form that puts it right.
    page.goto(base)
    page.locator("#step-inform_representatives a").click()
    expect(page.get_by_text("It was recorded; it is done once the letters have reached "
                            "everyone the law requires.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Check and issue “Information to "
                                               "representatives")).click()
    expect(page.locator("#sense-checks")).to_contain_text(
        "It proposes a meeting on 22 September 2022, before the letter's own date "
        "(10 October 2022)")
    axe.check(page, "letter check page with a problem")
    page.locator("#sense-checks").get_by_role("link", name="Change the meeting date").click()
    expect(page.get_by_role("heading", name="The first meeting", level=1)).to_be_visible()
    page.get_by_label("Day").fill("18")
    page.get_by_label("Month").fill("10")
    page.get_by_label("Meeting place").fill("Room 4, Sheerness House, Kettering")
    page.get_by_role("button", name="Save").click()
    # Back on the check page: nothing stops it now, and the counts are the true ones.
    expect(page.locator("#flash")).to_contain_text("Saved the first meeting")
    expect(page.locator("#sense-checks")).to_have_count(0)
    counts = page.locator("#check-counts")
    expect(counts.locator("div", has_text="Recipients")).to_contain_text("2")
    expect(counts.locator("div", has_text="Ready to issue")).to_contain_text("2")
    expect(counts.locator("div", has_text="Cannot be issued yet")).to_contain_text("0")
    axe.check(page, "letter check page")
    page.get_by_role("button", name="Issue to 2 recipients").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Issued to 2 of 2 recipients")
    page.goto(base)
    assert task(page, "inform_representatives") == (
        "Done on 10 October 2022\nOwed by each employer, for its own affected employees",
        "Done")

    # More letter details, from the Letter details page; then the employees' letters.
    page.get_by_role("link", name="Letter details", exact=True).click()
    page.get_by_role("link", name="Change dates the letters ask for").click()
    check_by = page.get_by_role("group", name="Date employees should check their details by")
    check_by.get_by_label("Day").fill("28")
    check_by.get_by_label("Month").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text(
        "Saved dates the letters ask for: date employees should check their details by")
    page.get_by_role("link", name="Letters and notices", exact=True).click()
    page.get_by_role("button", name=re.compile(r"Check and issue\W+Letter to each affected "
                                               "employee")).click()
    counts = page.locator("#check-counts")
    expect(counts.locator("div", has_text="Recipients")).to_contain_text("6")
    expect(counts.locator("div", has_text="Ready to issue")).to_contain_text("6")
    page.get_by_role("button", name="Issue to 6 recipients").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Issued to 6 of 6 recipients")
    record(page, base, "notify_employees", "Record individual letters and meetings with employees",
           note="Letters LD-NCT/EN/0001 to 0006 issued; one-to-ones booked")
    assert task(page, "notify_employees")[1] == "Done"

    # --- The union representative, in a browser of their own --------------------------------
    union = chromium.new_context()
    rep = union.new_page()
    sign_in(rep, live, "rep@example.org")
    rep.get_by_role("link", name=re.compile("Information under TUPE regulation 13")).click()
    expect(rep.get_by_role("region", name="The letter as issued")).to_contain_text(
        "We propose a first meeting on 18 October 2022 at Room 4, Sheerness House, Kettering")
    expect(rep.get_by_role("region", name="The letter as issued")).to_contain_text(
        "Proposed transfer date\t1 December 2022")
    rep.get_by_role("button", name="Acknowledge receipt").click()
    expect(rep.get_by_role("heading", name="Acknowledged")).to_be_visible()
    rep.get_by_label("Make a representation").fill(
        "UNISON asks that the staff keep their pay dates and that one-to-ones are in work time.")
    rep.get_by_role("button", name="Send representation").click()
    expect(rep.locator("#flash")).to_contain_text(
        "Your representation is sent. The employer should reply by 24 October 2022")
    expect(rep.get_by_text("Awaiting reply")).to_be_visible()
    axe.check(rep, "portal with a representation")

    # HR answers it, with reasons; the representative reads them.
    page.get_by_role("link", name="Representations", exact=True).click()
    expect(page.locator("main")).to_contain_text("UNISON asks that the staff keep their pay dates")
    page.get_by_label("Accept part of it").check()
    page.get_by_label("Your reasons").fill(
        "One-to-ones will be in work time. Pay dates follow the Trust's payroll (the 15th); "
        "an advance is offered for the first month.")
    page.get_by_role("button", name=re.compile("Send reply")).click()
    expect(page.locator("#flash")).to_contain_text(
        "Your reply is recorded and the representative can see it in their portal")
    expect(page.locator("main")).to_contain_text("Partly accepted")
    rep.reload()
    expect(rep.get_by_text("an advance is offered for the first month")).to_be_visible()
    union.close()

    # The ELI: complete for everyone who transfers, then sent from its step's page.
    page.goto(f"{base}/eli")
    expect(page.locator("main")).to_contain_text("Complete for all 6 transferring employees")
    record(page, base, "eli",
           "Send the ELI to the transferee (cover letter and a schedule for each employee)")
    expect(page.locator("#flash")).to_contain_text(
        "“Employee liability information schedule (one employee)” issued to 6 recipients.")
    assert task(page, "eli") == (
        "Done on 10 October 2022\nOwed by the transferor (North Northamptonshire Council)",
        "Done")

    # --- 21 November 2022: the last steps before the transfer -------------------------------
    set_clock(web, date(2022, 11, 21))
    page.goto(base)
    expect(page.locator("#step-change_control-status")).to_have_text("Late")  # due 17 Nov
    record(page, base, "change_control", "Record the change control agreed",
           note="Change control note CC-14 signed by both parties", on=date(2022, 11, 16))
    assert task(page, "change_control")[1] == "Done"  # it happened on time
    record(page, base, "consultation", "Conclude consultation",
           note="Final consultation meeting 18 November; the representation was answered")
    expect(page.locator("#flash")).to_contain_text("The transfer is now ready to transfer.")
    record(page, base, "pensions", "Record pension protection arrangements",
           note="The fund confirmed no admission agreement is needed")
    record(page, base, "readiness", "Record payroll, IT and access set up")
    record(page, base, "revised_sla", "Record the revised SLA agreed",
           note="SLA for the retained elements signed")
    # Going live ten days early: no button; the date, in words, and the way to move it.
    page.locator("#step-go_live a").click()
    expect(page.get_by_role("button", name="Go live (staff and funding transfer)")) \
        .to_have_count(0)
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "The transfer date is 1 December 2022, in 10 days")
    expect(page.locator(".govuk-warning-text").get_by_role(
        "link", name="Change the transfer date")).to_be_visible()

    # --- 1 December 2022: go-live -----------------------------------------------------------
    set_clock(web, date(2022, 12, 1))
    record(page, base, "go_live", "Go live (staff and funding transfer)",
           note="Contracts moved to NCT; payroll run confirmed")
    expect(page.locator("#flash")).to_contain_text("The transfer is now transferred.")
    expect(page.locator("#flash")).to_contain_text(
        "“Confirmation of the transfer to each employee” issued to 6 recipients.")
    assert task(page, "go_live")[1] == "Done"
    assert task(page, "funding_transfer")[1] == "Done"

    # --- 12 December 2022: the confirmation recorded, the post-transfer review, closed ------
    set_clock(web, date(2022, 12, 12))
    record(page, base, "confirmation_letters", "Record confirmation letters sent by the new "
           "employer", note="Letters LD-NCT/TC/0001 to 0006")
    record(page, base, "eli_corrections", "Close after the post-transfer review",
           note="Post-transfer review held; no ELI corrections")
    expect(page.locator("#flash")).to_contain_text("The transfer is now closed.")
    where = page.locator("main .govuk-summary-list").first
    expect(where.locator("div", has_text="State")).to_contain_text("Closed")
    expect(where.locator("div", has_text="Next deadline")).to_contain_text("None open")
    for step in ("decision", "inform_representatives", "notify_employees", "eli",
                 "consultation", "go_live", "confirmation_letters", "eli_corrections"):
        assert task(page, step)[1] == "Done", step
    # Only the claims window is open: it is tracked to its end, 28 February 2023.
    expect(page.get_by_text("21 of 22 tasks are done or do not apply.")).to_be_visible()
    assert task(page, "claims_window")[0].startswith("Due by 28 February 2023")
    axe.check(page, "closed transfer")
    officer.close()
    assert errors == []
    axe.assert_clean()
