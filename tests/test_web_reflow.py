"""Every page at 320 CSS px (a phone, or 400% zoom on a 1280 px screen), in a real browser.

WCAG 2.2 1.4.10 (reflow) and 1.4.4 (resize text): nothing may scroll sideways, no element may
stick out of the window, and the deadline timeline's text is never smaller than 14 px (the
picture is shown only where it is drawn at full size; elsewhere the same deadlines are a list).
Every page is also scanned with axe-core, every impact and the best-practice rules included.

The pages are not a hand-made list: the test starts from each role's home page and follows the
links a person would, visiting the first address it meets for each of the app's GET routes,
then fails if some route of an HTML page was reached by nobody, so that a new page cannot be
missed (it must be linked from somewhere, or listed in :data:`UNLINKED` with the address to
visit, in :data:`AFTER_FORM` with the form that leads to it, or in :data:`NOT_PAGES` if it is
not a page at all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page
from starlette.routing import Match

from tests.test_web_browser import Axe, chromium, live, sign_in  # noqa: F401 (fixtures)
from tests.test_web_letters import _inform
from tests.test_workflow_versions import copy_workflows
from tests.web_fixtures import AS_OF, WebEnv
from transfer_engine.store.database import write_session
from transfer_engine.store.issue_jobs import IssueJob, IssueJobStatus
from transfer_engine.web import routes

# GET routes that answer with something other than an HTML page, and why they are not visited.
# Routes are named "module.function" (web/routes/<module>.py).
NOT_PAGES = {
    "employees.eli_download": "the employee liability information as CSV or XLSX",
    "letters.download": "an issued letter's file (PDF, DOCX, HTML)",
    "letters.preview_body": "the letter's own HTML, framed in the preview page (which is visited)",
    "calendar.feed": "the ICS calendar feed",
    "portal.notice_pdf": "a notice's letter as a PDF",
    "evidence.download": "a document kept as evidence, as it was uploaded",
}
# Pages no link leads to from where the crawl starts (a role's home page), by endpoint name:
# the paths to visit. "{ld}" is ld-to-nct's id; "{newer}" a newer version of its workflow;
# "{job}" a finished issue of a letter (the page a form leads to after issuing).
UNLINKED = {
    "sign_in.signed_out": ["/signed-out"],
    "workflows.check": ["/admin/transfers/{ld}/workflow/{newer}"],
    "letter_issue.issue_run": ["/transfers/{ld}/letters/issues/{job}"],
    # Reached by the workflow choice (a GET form) and the elections' buttons.
    "new_transfer.details_form": ["/new-transfer/details?workflow=ld-to-nct"],
    "representatives.stage_form": ["/transfers/{ld}/elections/invite?party=nnc"],
    "transfers.done_form": ["/transfers/{ld}/steps/claims_window/done"],
    # A programme's own pages (the crawl visits one transfer page: ld-to-nct's).
    "programme.schools": ["/transfers/{programme}/schools"],
}
WIDTHS = (320, 640)


def _key_date_check(page: Page, base: str, ids: dict[str, int]) -> None:
    """The check page of a key-date change: shown after its form, before anything is saved."""
    page.goto(f"{base}/transfers/{ids['ld-to-nct']}/key-dates/transfer")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2022")
    page.get_by_label("Why the date moved").fill("The trust asked for a later date")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check/**")


def _staff_list_check(page: Page, base: str, ids: dict[str, int]) -> None:
    """The check page of a staff list upload: what would change, before anything is saved."""
    page.goto(f"{base}/transfers/{ids['ld-to-nct']}/employees")
    page.locator("input[type=file]").first.set_input_files(files={
        "name": "staff.csv", "mimeType": "text/csv",
        "buffer": b"employee_ref,full_name,role,fte,weekly_pay\n"
                  b"LD-900,Sample Newcomer,Officer,1,520.00\n"})
    page.locator("form:has(input[type=file]) button[type=submit]").first.click()
    page.wait_for_url("**/check/**")


def _programme_check(page: Page, base: str, ids: dict[str, int]) -> None:
    """The check page of an action on several schools of a programme at once."""
    page.goto(f"{base}/transfers/{ids['acsws-to-schools']}/schools")
    form = page.locator("form[action$='/schools/check']")
    form.locator("input[type=checkbox]").first.check()
    radios = form.locator("input[type=radio]")
    if radios.count():
        radios.first.check()
    else:
        choice = form.locator("select option:not([value=''])").first.get_attribute("value")
        form.locator("select").first.select_option(choice)
    form.locator("button[type=submit]").first.click()
    page.wait_for_url("**/schools/check?**")


# Pages a form leads to (a check page of a change not yet saved), by endpoint name: how to get
# there as an HR administrator, given the page, the app's address and the transfers' ids.
AFTER_FORM = {
    "key_dates.check_page": _key_date_check,
    "staff_import.check_page": _staff_list_check,
    "programme.check": _programme_check,
}

_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const hidden = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      const box = e.getBoundingClientRect();
      if (style.display === 'none' || style.visibility === 'hidden') return true;
      if (box.width <= 1 && box.height <= 1 && (style.overflow === 'hidden'
          || style.clipPath !== 'none' || style.clip !== 'auto')) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if ((box.right > width + 0.5 || box.left < -0.5) && !hidden(el)) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
               + (el.className && el.className.baseVal === undefined
                  ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '')
               + ` [${Math.round(box.left)}..${Math.round(box.right)}]`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}"""

_TIMELINE_TEXT = """() => {
  const svg = document.querySelector('svg[aria-labelledby^="timeline-title"]');
  const list = document.querySelector('#timeline-list');
  const shown = (el) => el && el.getClientRects().length > 0
                         && getComputedStyle(el).visibility !== 'hidden';
  const sizes = [];
  if (shown(svg)) {
    const scale = svg.getScreenCTM().a;
    for (const text of svg.querySelectorAll('text')) {
      sizes.push(parseFloat(text.getAttribute('font-size')) * scale);
    }
  }
  if (shown(list)) {
    for (const item of list.querySelectorAll('li, li *')) {
      if (shown(item)) sizes.push(parseFloat(getComputedStyle(item).fontSize));
    }
  }
  return {picture: shown(svg), list: shown(list), smallest: Math.min(...sizes)};
}"""


def _page_routes() -> dict[str, APIRoute]:
    """The app's HTML pages: every GET route of its page routers, as "module.function"."""
    found = {}
    for router in routes.ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
                module = route.endpoint.__module__.rsplit(".", 1)[-1]
                found[f"{module}.{route.endpoint.__name__}"] = route
    return found


def _route_of(path: str, pages: dict[str, Any]) -> str | None:
    scope = {"type": "http", "path": path, "method": "GET"}
    for name, route in pages.items():
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return name
    return None


class Crawl:
    """Visits, as one signed-in person, the first address met for each page route."""

    def __init__(self, page: Page, base: str, role: str, axe: Axe,
                 pages: dict[str, Any]) -> None:
        self.page, self.base, self.role, self.axe, self.pages = page, base, role, axe, pages
        self.reached: dict[str, str] = {}
        self.problems: list[str] = []

    def links(self) -> list[str]:
        hrefs = self.page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))")
        out = []
        for href in hrefs:
            url = urljoin(self.page.url, href)
            parts = urlsplit(url)
            if url.startswith(self.base) and not parts.path.startswith(("/assets", "/static")):
                out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return out

    def arrive(self, name: str) -> None:
        """Check the page a form has led to, if it is the page ``name``."""
        path = urlsplit(self.page.url).path
        if name not in self.reached and _route_of(path, self.pages) == name:
            self.reached[name] = path
            self.check(f"{self.role} {path}")

    def run(self, start: list[str]) -> None:
        queue = list(start)
        while queue:
            path = queue.pop(0)
            name = _route_of(path.split("?")[0], self.pages)
            if name is None or name in NOT_PAGES or name in self.reached:
                continue
            response = self.page.goto(self.base + path)
            assert response is not None
            if response.status in (403, 404):  # not this role's page
                continue
            assert response.status == 200, f"{self.role} {path}: {response.status}"
            self.reached[name] = path
            self.check(f"{self.role} {path}")
            queue += self.links()

    def check(self, where: str) -> None:
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800})
            found = self.page.evaluate(_OVERFLOWING)
            if found["scroll"] > width or found["out"]:
                self.problems.append(f"{where} at {width} px: {found}")
            timeline = self.page.evaluate(_TIMELINE_TEXT)
            if (timeline["picture"] or timeline["list"]) and timeline["smallest"] < 14:
                self.problems.append(f"{where} at {width} px: timeline text {timeline}")
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        self.axe.check(self.page, where)


def _an_issue_run(web: WebEnv) -> int:
    """A finished issue of the employees' letter to ld-to-nct's staff: some not issued."""
    with write_session(web.engine) as session:
        job = IssueJob(transfer_id=web.ids["ld-to-nct"], transfer_ref="ld-to-nct",
                       letter="employee-notification", letter_date=AS_OF, actor="web:officer",
                       status=IssueJobStatus.finished, total=6, done=6, issued=5,
                       not_issued=[{"recipient": "employee:LD-006", "label": "LD-006",
                                    "reason": "no postal address or email is recorded"}],
                       not_issued_count=1)
        session.add(job)
        session.flush()
        assert job.id is not None
        return job.id


@pytest.fixture
def strict_axe() -> Axe:
    return Axe(impacts=None)


@pytest.fixture
def newer_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """ld-to-nct's workflow file has a newer version (returned), so that the workflow check
    page has something to show."""
    folder = copy_workflows(tmp_path / "own-workflows")
    path = folder / "ld-to-nct.yaml"
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^version: (\d+)$", text, re.MULTILINE)
    assert found
    newer = int(found.group(1)) + 1
    path.write_text(text.replace(found.group(0), f"version: {newer}", 1), encoding="utf-8")
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(folder))  # the server is in-process
    yield newer


def test_every_page_reflows_at_320_px_and_passes_axe_for_every_role(
        web: WebEnv, live: str, chromium: Browser, strict_axe: Axe,  # noqa: F811
        newer_workflow: int) -> None:
    _inform(web)  # letters issued, a notice in the portal: the pages that show them have rows
    job = _an_issue_run(web)
    pages = _page_routes()
    reached: dict[str, str] = {}
    problems: list[str] = []
    # Before signing in.
    context = chromium.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    anonymous = Crawl(page, live, "signed out", strict_axe, pages)
    anonymous.run(["/sign-in", "/accessibility", "/privacy", "/signed-out"])
    reached.update(anonymous.reached)
    problems += anonymous.problems
    context.close()
    for username, home in (("officer@example.org", "/"), ("admin@example.org", "/"),
                           ("rep@example.org", "/portal")):
        context = chromium.new_context(viewport={"width": 320, "height": 800})
        page = context.new_page()
        sign_in(page, live, username)
        crawl = Crawl(page, live, username.split("@")[0], strict_axe, pages)
        extra = [p.format(ld=web.ids["ld-to-nct"], programme=web.ids["acsws-to-schools"],
                          newer=newer_workflow, job=job)
                 for paths in UNLINKED.values() for p in paths]
        crawl.run([home, *extra])
        if username.startswith("admin"):
            for name, arrive_at in AFTER_FORM.items():
                arrive_at(page, live, web.ids)
                crawl.arrive(name)
        for name, path in crawl.reached.items():
            reached.setdefault(name, path)
        problems += crawl.problems
        context.close()
    missed = sorted(set(pages) - set(reached) - set(NOT_PAGES))
    assert not missed, (f"no role reached these pages: {missed}; link them from a page, or "
                        "add them to UNLINKED, AFTER_FORM or NOT_PAGES")
    # The pages this is about were among them.
    assert {"dashboard.home", "transfers.show", "employees.employees", "history.audit_log",
            "history.transfer_history", "portal.portal", "portal.notice"} <= set(reached)
    assert not problems, "\n".join(problems)
    strict_axe.assert_clean()
    # Every role's pages were scanned, best-practice rules included.
    assert len(strict_axe.scanned) >= len(reached)
    assert "region" in strict_axe.rules_run


def test_the_timeline_is_a_picture_at_full_size_and_a_list_when_narrow(
        web: WebEnv, live: str, chromium: Browser) -> None:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live, "officer@example.org")
    page.goto(f"{live}/transfers/{web.ids['ld-to-nct']}")
    wide = page.evaluate(_TIMELINE_TEXT)
    assert wide["picture"] and not wide["list"] and wide["smallest"] >= 14, wide
    # Step titles are whole (no "…"), however long.
    texts = page.locator("svg[aria-labelledby^='timeline-title'] text").all_text_contents()
    titles = " ".join(texts)
    assert "…" not in titles
    # 200% zoom of the same screen: the list, at the page's own text size.
    page.set_viewport_size({"width": 640, "height": 900})
    narrow = page.evaluate(_TIMELINE_TEXT)
    assert narrow["list"] and not narrow["picture"] and narrow["smallest"] >= 14, narrow
    items = page.locator("#timeline-list li").all_inner_texts()
    assert any(re.match(r"Today, 20 Sep 2022", item) for item in items)
    assert any("Window for information" in item for item in items)
    context.close()


def test_the_strict_axe_scan_reports_minor_and_best_practice_problems(
        chromium: Browser) -> None:  # noqa: F811
    """Guards the guard: a page whose only problems are of minor or moderate impact, or
    best-practice rules, fails the strict scan (the serious-only one lets it through)."""
    page = chromium.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                     '<h1>Page</h1><h4>Skipped heading levels</h4></main>'
                     '<p>Outside any landmark</p></body></html>')
    strict, serious = Axe(impacts=None), Axe()
    strict.check(page, "bad page")
    serious.check(page, "bad page")
    found = {v["id"] for v in strict.problems.get("bad page", [])}
    assert {"heading-order", "region"} <= found, json.dumps(strict.problems)
    assert "bad page" not in serious.problems
    page.close()
