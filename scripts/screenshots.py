"""Take the README's screenshots from the demo: ``.venv/bin/python scripts/screenshots.py``.

Loads the demo into a scratch database, takes ld-to-nct through its first steps on the dates
the council report gives (so the pictures show a transfer under way), serves the app on a free
local port and photographs pages with Debian's Chromium. Writes docs/screenshots/*.png.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from transfer_engine.config import Settings
from transfer_engine.engine.advance import advance
from transfer_engine.ops.demo import load_demo
from transfer_engine.store.database import get_engine, init_db, write_session
from transfer_engine.web import WebSettings, create_app
from transfer_engine.web.auth import create_user

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "sample screenshot password"
# ld-to-nct's first steps, on the dates of the Joint Committee report's timetable.
# On 6 October the ELI (due 4 October) has not been sent: the dashboard shows it red, with the
# reg 12 minimum award at risk.
STEPS = [("approve", date(2022, 9, 7)), ("advise_unions", date(2022, 9, 12)),
         ("record_measures", date(2022, 9, 14)), ("inform_representatives", date(2022, 9, 16)),
         ("notify_employees", date(2022, 9, 23))]
AS_OF = date(2022, 10, 6)


def main() -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'screens.db'}"
    engine = init_db(get_engine(url))
    load_demo(engine)
    for trigger, day in STEPS:
        advance("ld-to-nct", trigger, actor="demo (sample data)", today=day, engine=engine)
    with write_session(engine) as session:
        create_user(session, username="sample.officer@example.org",
                    display_name="Sam Sample", role="hr_admin", password=PASSWORD,
                    actor="screenshots")
    app = create_app(WebSettings(as_of=AS_OF, run_scheduler=False,
                                 engine=Settings(database_url=url)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS,
                                             headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/sign-in")
        page.get_by_label("Username").fill("sample.officer@example.org")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.screenshot(path=OUT / "dashboard.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": 1700})
        page.goto(f"{base}/transfers/1")
        page.screenshot(path=OUT / "transfer.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": 1500})
        deadlines = page.locator("#deadlines")
        top = deadlines.bounding_box()
        assert top is not None
        page.screenshot(path=OUT / "transfer-deadlines.png", full_page=True,
                        clip={"x": 0, "y": top["y"] - 20, "width": 1280, "height": 720})
        browser.close()
    server.should_exit = True
    print("\n".join(str(p.relative_to(PROJECT)) for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    sys.exit(main())
