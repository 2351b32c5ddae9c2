"""A programme's schools (``acsws-to-schools``, 12 schools): the grid by milestone and its
filters, the programme's approval cascading to its schools, bulk actions through a check page,
and the pages in a real browser with axe-core, at desktop width and at 320 px."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from playwright.sync_api import Browser, expect
from sqlalchemy import event
from sqlmodel import col, delete, select

from tests.test_web_browser import Axe, chromium, live, sign_in  # noqa: F401 (fixtures)
from tests.web_fixtures import AS_OF, WebEnv
from transfer_engine.domain import Regime, StepStatus
from transfer_engine.engine.advance import advance
from transfer_engine.rules.timeline import entries
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import AuditEntry, KeyDate, Transfer
from transfer_engine.views.programme import programme_grid
from transfer_engine.views.vocabulary import step_status

PROGRAMME = "acsws-to-schools"


def _children(web: WebEnv) -> list[Transfer]:
    with read_session(web.engine) as session:
        parent = get_transfer(session, PROGRAMME)
        return list(session.exec(select(Transfer).where(Transfer.parent_id == parent.id)
                                 .order_by(col(Transfer.ref))).all())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _rows(page: str) -> dict[str, str]:
    """The grid's rows, by school transfer reference (as their ids spell it), as text."""
    body = page[page.index('id="grid"'):page.index("</table>", page.index('id="grid"'))]
    parts = re.split(r'<tr class="govuk-table__row" id="school-([^"]+)">', body)
    return {ref: _text(row) for ref, row in zip(parts[1::2], parts[2::2], strict=True)}


def _row_id(ref: str) -> str:
    return ref.replace("/", "-")


def test_the_grid_lists_every_school_with_its_milestones_and_statuses(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    page = browser.get(f"/transfers/{web.ids[PROGRAMME]}/schools")
    assert page.status_code == 200, page.text[:300]
    children = _children(web)
    assert len(children) == 12
    rows = _rows(page.text)
    assert sorted(rows) == sorted(_row_id(c.ref) for c in children)
    assert "Showing 12 of 12 schools" in _text(page.text)
    # The columns are the milestones of the children's workflow.
    head = _text(page.text[page.text.index('id="grid"'):page.text.index("</thead>")])
    for milestone in ("Decide", "Inform and consult", "Employee liability information",
                      "Go live"):
        assert milestone in head
    # Each school's ELI milestone says what the engine says of its ELI step, in words.
    with read_session(web.engine) as session:
        for child in children:
            eli = next(e for e in entries(list(steps_of(session, child).values()), AS_OF)
                       if e.step == "eli")
            row = rows[_row_id(child.ref)]
            assert step_status(eli).label in row, (child.ref, row)
            if eli.status == StepStatus.open.value and eli.working_due_date:
                assert f"Due {eli.working_due_date.day} " in row
    # And the programme's page links to it near the top, before its task list.
    overview = browser.get(f"/transfers/{web.ids[PROGRAMME]}").text
    link = overview.index(f'href="/transfers/{PROGRAMME}/schools"')
    assert link < overview.index("Where it stands")


def test_the_grid_reads_the_same_few_queries_for_twelve_schools_as_for_one(
        web: WebEnv) -> None:
    """A council's programme may have two hundred schools: the grid's queries must not grow
    with them (before, each school's steps were a query of their own)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def queries(visible: set[int] | None) -> int:
        statements.clear()
        with read_session(web.engine) as session:
            grid = programme_grid(session, get_transfer(session, PROGRAMME), AS_OF,
                                  visible=visible)
        assert grid.rows
        return len(statements)

    one = {_children(web)[0].id or 0}
    queries(one)  # a first read of the stored workflow is remembered by the process
    event.listen(web.engine, "before_cursor_execute", count)
    try:
        assert queries(None) == queries(one)
    finally:
        event.remove(web.engine, "before_cursor_execute", count)


def test_a_filter_narrows_the_grid(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    base = f"/transfers/{web.ids[PROGRAMME]}/schools"
    children = _children(web)
    none = [c for c in children if c.regime == Regime.not_a_transfer]
    assert 0 < len(none) < len(children)
    page = browser.get(base, params={"regime": "not-a-transfer"}).text
    assert sorted(_rows(page)) == sorted(_row_id(c.ref) for c in none)
    assert f"Showing {len(none)} of 12 schools (filtered)" in _text(page)
    # By school type: the academies, as the organisations record them.
    with read_session(web.engine) as session:
        academies = session.exec(select(Organisation.slug).where(
            Organisation.school_type == "academy")).all()
    page = browser.get(base, params={"school_type": "academy"}).text
    assert sorted(_rows(page)) == sorted(_row_id(f"{PROGRAMME}/{slug}") for slug in academies)
    # A milestone late: none on the demo's day, and the page says so rather than showing 12.
    page = browser.get(base, params={"milestone": "decide", "timing": "late"}).text
    assert 'id="grid"' not in page and "No school matches these filters" in page


def test_approving_the_programme_cascades_to_its_schools(web: WebEnv) -> None:
    # One school's decision date was taken off: the approval is refused there, said and kept.
    with write_session(web.engine) as session:
        blocked = get_transfer(session, f"{PROGRAMME}/school-07")
        session.exec(delete(KeyDate).where(col(KeyDate.transfer_id) == blocked.id,
                                           col(KeyDate.name) == "decision"))
    result = advance(PROGRAMME, "approve", actor="test:hr", note="Executive minute 7",
                     today=AS_OF, engine=web.engine)
    assert result.to_state == "approved" and result.cascade is not None
    outcomes = {o.ref: o for o in result.cascade.outcomes}
    children = _children(web)
    assert sorted(outcomes) == [c.ref for c in children]
    with read_session(web.engine) as session:
        for child in children:
            outcome = outcomes[child.ref]
            history = session.exec(select(AuditEntry).where(AuditEntry.transfer_id == child.id)
                                   .order_by(col(AuditEntry.id))).all()
            if child.ref == blocked.ref:
                assert outcome.outcome == "refused" and "decision" in outcome.reason
                assert child.state == "proposed"
                assert history[-1].action == "programme-action-not-applied"
                assert history[-1].data["reason"] == outcome.reason
            elif child.regime == Regime.not_a_transfer:
                # Not a transfer: the employer does not change, so approval is not for it.
                assert outcome.outcome == "not-applicable" and child.state == "proposed"
                assert history[-1].action == "programme-action-not-applied"
            else:
                assert outcome.outcome == "applied" and child.state == "approved", outcome
                steps = steps_of(session, child)
                assert steps["decision"].status == StepStatus.done
                assert steps["decision"].done_by == "test:hr"
                last = history[-1]
                assert (last.action, last.actor, last.data["trigger"]) == (
                    "advance", "test:hr", "approve")
                assert last.data["note"] == "Executive minute 7"
        parent = get_transfer(session, PROGRAMME)
        entry = session.exec(select(AuditEntry).where(
            AuditEntry.transfer_id == parent.id, AuditEntry.action == "programme-action")).one()
    assert entry.data["cascaded_from"] == "approve"
    assert sorted(entry.data["applied"]) == sorted(o.ref for o in result.cascade.applied)
    assert {n["ref"] for n in entry.data["not_applied"]} == {
        o.ref for o in result.cascade.not_applied}


def test_approving_in_the_browser_reports_each_school(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    programme = web.ids[PROGRAMME]
    response = browser.post(f"/transfers/{programme}/advance", {
        "trigger": "approve", "version": web.version(PROGRAMME)})
    page = _text(browser.follow(response).text)
    # Every school's transfer where the decision applies is approved; the others are named
    # with the reason in words (no internal names), and nothing failed, so a success.
    applies = [c for c in _children(web) if c.regime != Regime.not_a_transfer]
    assert all(c.state == "approved" for c in applies)
    assert f"was recorded for {len(applies)} of the 12 schools" in page
    assert "Success" in page
    assert "Does not apply: this transfer is under Not a transfer" in page
    assert "regime_is" not in page and "not-a-transfer" not in page


def test_a_bulk_action_reports_which_schools_it_was_done_for_and_why_not(
        web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    programme = web.ids[PROGRAMME]
    children = _children(web)
    refs = [c.ref for c in children]
    check = browser.get(f"/transfers/{programme}/schools/check",
                        params=[("action", "trigger:approve")] + [("school", r) for r in refs])
    assert check.status_code == 200
    text = _text(check.text)
    none = [c for c in children if c.regime == Regime.not_a_transfer]
    assert f"This can be done for {12 - len(none)} of the 12 schools chosen" in text
    assert text.count("Does not apply: this transfer is under Not a transfer") == len(none)
    ready = re.findall(r'name="school" value="([^"]+)"', check.text)
    assert sorted(ready) == sorted(c.ref for c in children if c not in none)
    # Meanwhile someone approves one school on its own page: confirming still goes ahead for
    # the others, and reports that one as not done, and why.
    advance(ready[0], "approve", actor="test:other", today=AS_OF, engine=web.engine)
    response = browser.post(f"/transfers/{programme}/schools/apply", {
        "action": "trigger:approve", "school": ready, "note": "Executive minute 7",
        "occurred_on-day": "7", "occurred_on-month": "9", "occurred_on-year": "2022"})
    page = browser.follow(response)
    assert response.headers["location"].endswith("/schools")
    text = _text(page.text)
    assert "Important" in text and "Success" not in text
    assert f"done for {len(ready) - 1} of {len(ready)} schools" in text
    first = next(c for c in children if c.ref == ready[0])
    assert f"{first.title}: not done. Does not apply: its transfer is approved" in text
    with read_session(web.engine) as session:
        for ref in ready[1:]:
            child = get_transfer(session, ref)
            assert child.state == "approved"
            assert str(steps_of(session, child)["decision"].done_on) == "2022-09-07"
    # A bulk action every school can take: a success banner naming each.
    nones = [c.ref for c in none]
    response = browser.post(f"/transfers/{programme}/schools/apply", {
        "action": "trigger:confirm_no_change", "school": nones})
    text = _text(browser.follow(response).text)
    assert "Success" in text and f"Done for all {len(nones)} schools chosen" in text
    with read_session(web.engine) as session:
        assert {get_transfer(session, r).state for r in nones} == {"no_change"}
        definition = definition_of(get_transfer(session, nones[0]), session)
    assert definition.states["no_change"].final


def test_a_bulk_action_with_a_date_in_the_future_changes_no_school(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    programme = web.ids[PROGRAMME]
    refs = [c.ref for c in _children(web) if c.regime != Regime.not_a_transfer]
    response = browser.post(f"/transfers/{programme}/schools/apply", {
        "action": "trigger:approve", "school": refs,
        "occurred_on-day": "1", "occurred_on-month": "1", "occurred_on-year": "2030"})
    page = browser.follow(response)
    assert "must be today or in the past" in _text(page.text)
    assert {c.state for c in _children(web)} == {"proposed"}


def test_school_pages_offer_only_actions_that_can_apply(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    children = _children(web)
    tupe = next(c for c in children if c.regime == Regime.tupe)
    none = next(c for c in children if c.regime == Regime.not_a_transfer)
    tupe_page = browser.get(f"/transfers/{tupe.id}").text
    none_page = browser.get(f"/transfers/{none.id}").text
    # A TUPE school is not offered "no change of employer" (before, it was, with a refusal in
    # internal words); a school whose employer does not change is not offered the approval.
    assert "Confirm no change of employer" not in tupe_page
    assert "Record the programme decision" not in none_page
    assert 'value="approve"' in browser.get(f"/transfers/{tupe.id}/steps/decision").text
    step = browser.get(f"/transfers/{none.id}/steps/staff_informed_no_change").text
    assert 'value="confirm_no_change"' in step


def test_the_programme_pages_pass_axe_at_desktop_and_at_320px(
        web: WebEnv, live: str, chromium: Browser) -> None:  # noqa: F811
    axe = Axe(impacts=None)
    programme = web.ids[PROGRAMME]
    for width in (1280, 320):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, live, "admin@example.org")
        page.goto(f"{live}/transfers/{programme}")
        page.get_by_role("link", name="See every school by milestone").click()
        # expect() waits for the page the click leads to; a bare count() could read the page
        # before it had arrived (the page clicked from has one table too).
        expect(page).to_have_url(re.compile(r"/schools$"))
        expect(page.get_by_role("table")).to_have_count(1)
        checks = [("schools", page.url)]
        page.get_by_label("What to do").select_option("trigger:approve")
        page.get_by_role("button", name="Check what it would do").click()
        expect(page.get_by_role("heading", name="Check before you go ahead")).to_be_visible()
        checks.append(("check", page.url))
        checks.append(("filtered", f"{live}/transfers/{programme}/schools?regime=TUPE"))
        for name, url in checks:
            page.goto(url)
            axe.check(page, f"{name} at {width}px")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, f"{name} scrolls sideways at {width}px ({wide}px)"
        context.close()
    axe.assert_clean()
