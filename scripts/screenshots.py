"""Take the README's screenshots from the demo: ``.venv/bin/python scripts/screenshots.py``.

Loads the demo (synthetic staff) into a scratch database, takes ld-to-nct through its first
steps on the dates the council report gives (so the pictures show a transfer under way), serves
the app on a free local port and photographs pages with Debian's Chromium: the dashboard, the
task list (at desktop width and at 320 CSS pixels, a phone), a step's page, the check pages of
a key-date change and of a letter, the representatives' portal with a representation and HR's
reply, the programme's grid of schools, and the deadlines. The changes the pictures show are
made in the browser, as a user would. Writes docs/screenshots/*.png as palette PNGs (a few
dozen kilobytes each: GOV.UK pages use few colours).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import Page, ViewportSize, sync_playwright

# Everything the demo writes (database, letters, uploads) goes to a scratch folder, never into
# the checkout: set before the engine reads its settings.
SCRATCH = Path(tempfile.mkdtemp(prefix="transfer-engine-screens-"))
os.environ["TRANSFER_ENGINE_DATABASE_URL"] = f"sqlite:///{SCRATCH / 'screens.db'}"
os.environ["TRANSFER_ENGINE_LETTERS_DIR"] = str(SCRATCH / "letters")
os.environ["TRANSFER_ENGINE_UPLOADS_DIR"] = str(SCRATCH / "uploads")

from transfer_engine.config import get_settings  # noqa: E402
from transfer_engine.engine.advance import advance  # noqa: E402
from transfer_engine.letters.owed import issue_pending  # noqa: E402
from transfer_engine.ops.demo import load_demo  # noqa: E402
from transfer_engine.store.database import get_engine, init_db, write_session  # noqa: E402
from transfer_engine.store.queries import get_organisation  # noqa: E402
from transfer_engine.web import WebSettings, create_app  # noqa: E402
from transfer_engine.web.auth import create_user, link_union  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "sample screenshot password"
OFFICER = "sample.officer@example.org"
REP = "sample.rep@example.org"
# ld-to-nct's first steps, on the dates of the Joint Committee report's timetable.
# On 6 October the ELI (due 4 October) has not been sent: the dashboard shows it red, with the
# reg 12 minimum award at risk.
STEPS = [("approve", date(2022, 9, 7)), ("advise_unions", date(2022, 9, 12)),
         ("record_measures", date(2022, 9, 14)), ("inform_representatives", date(2022, 9, 16)),
         ("notify_employees", date(2022, 9, 23))]
AS_OF = date(2022, 10, 6)
DESKTOP: ViewportSize = {"width": 1280, "height": 1000}
# A new starter joins the team after the employees' letters went out (a synthetic person).
NEW_STARTER = ("employee_ref,full_name,role,fte,weekly_pay\n"
               "LD-007,Sample Employee LD-007,L&D Officer (children's),0.5,290.00\n")


def save(page: Page, name: str, *, top: float = 0, height: float | None = None) -> None:
    """A screenshot of the page from ``top`` (CSS pixels), ``height`` tall (default: to the
    end), saved as an optimised palette PNG."""
    width = page.viewport_size["width"] if page.viewport_size else 1280
    full = page.evaluate("() => document.documentElement.scrollHeight")
    height = min(height or full, full - top)
    path = OUT / name
    page.screenshot(path=path, full_page=True,
                    clip={"x": 0, "y": top, "width": width, "height": height})
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def top_of(page: Page, selector: str) -> float:
    """Where ``selector`` starts on the page (a box is measured from the window's top)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["y"] + page.evaluate("() => window.scrollY"))


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def main() -> None:
    engine = init_db(get_engine(get_settings().database_url))
    load_demo(engine)
    for trigger, day in STEPS:
        advance("ld-to-nct", trigger, actor="demo (sample data)", today=day, engine=engine)
        issue_pending(engine)  # the letters of the state it entered, as the scheduler would
    with write_session(engine) as session:
        create_user(session, username=OFFICER, display_name="Sam Sample", role="hr_admin",
                    password=PASSWORD, actor="screenshots")
        rep = create_user(session, username=REP, display_name="Sample UNISON Rep",
                          role="union_rep", password=PASSWORD, actor="screenshots")
        link_union(session, rep, "UNISON", get_organisation(session, "nnc"),
                   actor="screenshots")
    app = create_app(WebSettings(as_of=AS_OF, run_scheduler=False, engine=get_settings()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    ld = f"{base}/transfers/ld-to-nct"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS,
                                             headless=True)
        hr = browser.new_context(viewport=DESKTOP)
        page = hr.new_page()
        sign_in(page, base, OFFICER)
        save(page, "dashboard.png", height=1400)

        page.goto(ld)
        save(page, "transfer.png", height=1100)
        save(page, "task-list.png", top=top_of(page, "#tasks") - 20, height=1500)
        save(page, "transfer-deadlines.png", top=top_of(page, "#deadlines") - 20, height=720)
        page.locator("#step-eli a").click()
        save(page, "step.png", height=1500)

        # A key date moved: every deadline's old and new date, and the letter that must follow.
        page.goto(f"{ld}/key-dates/transfer")
        page.get_by_label("Day").fill("1")
        page.get_by_label("Month").fill("12")
        page.get_by_label("Year").fill("2022")
        page.get_by_label("Why the date moved").fill("The Trust asked for a later date")
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("Nothing has changed yet.").wait_for()
        save(page, "key-date-check.png")

        # A new starter after the employees' letters: the check shows who lacks the letter.
        page.goto(f"{ld}/employees")
        page.get_by_label("Upload the staff list").set_input_files(files={
            "name": "new-starter.csv", "mimeType": "text/csv", "buffer": NEW_STARTER.encode()})
        page.get_by_role("button", name="Upload and check").click()
        page.get_by_role("button", name="Import the staff list").click()
        page.get_by_text("Imported new-starter.csv").wait_for()
        page.goto(f"{ld}/letters/employee-notification/check")
        # The first meeting (22 September) has passed: its new date, from the check's link.
        page.get_by_role("link", name="Change the meeting date").click()
        page.get_by_label("Day").fill("13")
        page.get_by_label("Month").fill("10")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved the first meeting").wait_for()
        save(page, "letter-check.png")

        # The union's representative makes a representation on the reg 13 notice; HR replies.
        union = browser.new_context(viewport=DESKTOP)
        rep_page = union.new_page()
        sign_in(rep_page, base, REP)
        rep_page.get_by_role("link", name="Information under TUPE regulation 13(2)").first.click()
        rep_page.get_by_role("button", name="Acknowledge receipt").click()
        rep_page.get_by_label("Make a representation").fill(
            "UNISON asks that the staff keep their pay dates, and that the one-to-one meetings "
            "are held in work time.")
        rep_page.get_by_role("button", name="Send representation").click()
        rep_page.get_by_text("Your representation is sent").wait_for()
        page.goto(f"{ld}/representations")
        page.get_by_label("Accept part of it").check()
        page.get_by_label("Your reasons").fill(
            "The one-to-ones will be held in work time. Pay dates follow the Trust's payroll "
            "(the 15th of the month), which it cannot change for one team; an advance is "
            "offered for the first month.")
        page.get_by_role("button", name="Send reply").click()
        page.get_by_text("Your reply is recorded").wait_for()
        rep_page.reload()
        save(rep_page, "portal.png", top=top_of(rep_page, "#representations") - 20,
             height=1000)
        union.close()

        page.goto(f"{base}/transfers/acsws-to-schools/schools")
        save(page, "programme.png", height=1500)

        # The task list on a phone: 320 CSS pixels wide, nothing scrolls sideways.
        phone = browser.new_context(viewport={"width": 320, "height": 800})
        small = phone.new_page()
        sign_in(small, base, OFFICER)
        small.goto(ld)
        save(small, "task-list-320.png", top=top_of(small, "#tasks") - 20, height=1500)
        browser.close()
    server.should_exit = True
    engine.dispose()
    shutil.rmtree(SCRATCH, ignore_errors=True)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(PROJECT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
