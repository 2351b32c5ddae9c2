"""The dashboard's figures and lists, the history's filters, pages and times, and what a closed
or cancelled transfer leaves behind (nothing on the dashboard's lists, nothing in the feed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from tests.web_fixtures import AS_OF, WebEnv
from transfer_engine.engine.advance import advance
from transfer_engine.rules.timeline import entries
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import definition_of, steps_of
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.views.vocabulary import is_due_soon


def _table(page: str, ident: str) -> str:
    start = page.index(f'id="{ident}"')
    return page[start:page.index("</table>", start)]


def _rows(page: str, ident: str) -> list[str]:
    """The body rows of table ``ident`` (none when the page says the list is empty)."""
    if f'<table class="govuk-table app-table--responsive" id="{ident}"' not in page:
        return []
    body = _table(page, ident).split("<tbody", 1)[1]
    return [row.split(">", 1)[1] for row in body.split('<tr class="govuk-table__row"')[1:]]


def _figure(page: str, ident: str) -> int:
    found = re.search(rf'id="{ident}">(\d+)</span>', page)
    assert found, f"no figure {ident}"
    return int(found.group(1))


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _open_steps(web: WebEnv) -> tuple[int, int]:
    """(overdue, due soon) open steps of every live transfer, worked out from the engine."""
    overdue = due_soon = 0
    with read_session(web.engine) as session:
        for transfer in session.exec(select(Transfer)).all():
            if definition_of(transfer, session).states[transfer.state].final:
                continue
            for entry in entries(list(steps_of(session, transfer).values()), AS_OF):
                if entry.status == "open" and entry.due_date:
                    overdue += entry.late
                    due_soon += is_due_soon(entry)
    return overdue, due_soon


def test_the_dashboards_figures_count_the_rows_of_its_lists(web: WebEnv) -> None:
    page = web.as_role("hr_admin").get("/").text
    overdue, due_soon = _rows(page, "overdue"), _rows(page, "due-soon")
    # Each figure says what it counts, and is the number of rows of the list it links to.
    assert _figure(page, "count-overdue") == len(overdue)
    assert _figure(page, "count-due-soon") == len(due_soon)
    assert re.search(r'href="#due-soon">steps? due in the next 14 days<', page)
    assert re.search(r'href="#overdue">steps? late<', page)
    # ... and the engine agrees: every open step of every live transfer, none left out.
    assert (len(overdue), len(due_soon)) == _open_steps(web)
    assert overdue and due_soon  # the demo on 20 Sep 2022 has both: the checks above bite
    # Transfers on track: the rows of the transfer tables whose status says so.
    on_track = page.count('app-rag">On track</strong>')
    assert _figure(page, "count-on-track") == on_track
    # Full step names, never an internal id or a cut-off title.
    transfers = _table(page, "transfers")
    assert "…" not in page and "..." not in _text(transfers)
    assert "advise_unions" not in page and "advise unions" not in page
    # Every step on the lists is there under its whole title (some are over 80 characters).
    listed = _text("".join(overdue + due_soon))
    with read_session(web.engine) as session:
        titles = {e.title for t in session.exec(select(Transfer)).all()
                  for e in entries(list(steps_of(session, t).values()), AS_OF)
                  if e.status == "open" and (e.late or is_due_soon(e))}
    assert max(len(t) for t in titles) > 60
    assert all(title.replace("'", "&#39;") in listed for title in titles)
    ld_row = transfers.split(f'href="/transfers/{web.ids["ld-to-nct"]}"')[1].split("</tr>")[0]
    assert "Governance decision to transfer recorded" in _text(ld_row)


def test_one_vocabulary_for_a_step_due_soon(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    dashboard = admin.get("/").text
    soon = _rows(dashboard, "due-soon")
    assert soon and all("Due soon</strong>" in row for row in soon)
    ld = web.ids["ld-to-nct"]
    transfer = admin.get(f"/transfers/{ld}").text
    assert "Due soon</strong>" in transfer
    for page in (dashboard, transfer):
        assert "Due today" not in page and "due within" not in page


def test_a_cancelled_transfer_leaves_the_dashboard_and_the_calendar_feed(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    feed_url = re.search(r'class="app-secret">http://testserver(/calendar/[^<]+\.ics)<',
                         admin.post("/account/calendar").text)
    assert feed_url
    ld = web.ids["ld-to-nct"]
    before = admin.get("/").text
    ld_link = f'href="/transfers/{ld}"'
    assert any(ld_link in row for row in _rows(before, "overdue"))
    feed = web.browser().get(feed_url.group(1)).text.replace("\r\n ", "")
    assert "SUMMARY:Late: ld-to-nct: " in feed and "send-iass-to-wnc: " in feed

    advance("ld-to-nct", "cancel", actor="test:hr-admin", today=AS_OF,
            note="The council decided to keep the service in house", engine=web.engine)

    after = admin.get("/").text
    assert not any(ld_link in row for row in _rows(after, "overdue") + _rows(after, "due-soon"))
    assert _figure(after, "count-overdue") == len(_rows(after, "overdue"))
    assert (len(_rows(after, "overdue")), len(_rows(after, "due-soon"))) == _open_steps(web)
    row = _table(after, "transfers").split(ld_link)[1].split("</tr>")[0]
    assert "None: cancelled" in _text(row) and "Ended" in row
    page = admin.get(f"/transfers/{ld}").text
    assert "Next deadline" in page and "None open" in _text(page.split("Next deadline")[1])[:40]
    feed = web.browser().get(feed_url.group(1)).text.replace("\r\n ", "")
    assert "ld-to-nct" not in feed
    assert "send-iass-to-wnc: " in feed  # the others stay
    # The officer's feed had only ld-to-nct: it is now empty.
    officer = web.as_role("hr_officer")
    officer_feed = re.search(r'class="app-secret">http://testserver(/calendar/[^<]+\.ics)<',
                             officer.post("/account/calendar").text)
    assert officer_feed
    assert "BEGIN:VEVENT" not in web.browser().get(officer_feed.group(1)).text


def _entry(web: WebEnv, at: datetime, action: str = "letter-downloaded",
           actor: str = "web:officer@example.org", **data: str) -> None:
    with write_session(web.engine) as session:
        session.add(AuditEntry(transfer_id=web.ids["ld-to-nct"], at=at, actor=actor,
                               action=action, data=data or {"letter": "reg13-information"}))


def test_history_times_are_uk_time_with_gmt_or_bst_and_in_plain_english(web: WebEnv) -> None:
    _entry(web, datetime(2022, 9, 7, 13, 5, tzinfo=UTC))     # summer: 2:05pm BST
    _entry(web, datetime(2022, 12, 1, 9, 30, tzinfo=UTC))    # winter: 9:30am GMT
    ld = web.ids["ld-to-nct"]
    page = web.as_role("hr_officer").get(f"/transfers/{ld}/history").text
    rows = [_text(r) for r in _rows(page, "history")]
    assert any(r.startswith("7 Sep 2022, 2:05pm BST Sample Officer Downloaded a letter")
               for r in rows), rows[:3]
    assert any(r.startswith("1 Dec 2022, 9:30am GMT Sample Officer") for r in rows)
    assert " UTC" not in page
    # No internal name of an action or an account anywhere on the page.
    assert "letter-downloaded" not in page.replace('value="letter-downloaded"', "")
    assert "web:officer@example.org" not in page.replace(
        'value="web:officer@example.org"', "")
    assert "demo (sample data)" in page  # the demo's loader is not an account: said as it is


def test_history_filters_by_who_what_and_uk_days(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    # 23:30 UTC on 7 September is 00:30 BST on 8 September: a UK day, not a UTC one.
    _entry(web, datetime(2022, 9, 7, 23, 30, tzinfo=UTC), letter="late-night")
    _entry(web, datetime(2022, 9, 7, 12, 0, tzinfo=UTC), letter="midday")
    _entry(web, datetime(2022, 9, 9, 8, 0, tzinfo=UTC), action="rescheduled",
           actor="web:admin@example.org", key_date="transfer", old="2022-11-01",
           new="2022-12-01", reason="The trust asked for a later date")
    officer = web.as_role("hr_officer")
    base = f"/transfers/{ld}/history"

    def shown(query: str) -> list[str]:
        response = officer.get(f"{base}?{query}")
        assert response.status_code == 200, response.text
        return [_text(r) for r in _rows(response.text, "history")]

    eighth = shown("from-day=8&from-month=9&from-year=2022&to-day=8&to-month=9&to-year=2022")
    assert len(eighth) == 1 and "late-night" in eighth[0] and "8 Sep 2022, 12:30am BST" in eighth[0]
    seventh = shown("from-day=7&from-month=9&from-year=2022&to-day=7&to-month=9&to-year=2022")
    assert len(seventh) == 1 and "midday" in seventh[0] and "1pm" not in seventh[0]
    assert "7 Sep 2022, 1:00pm BST" in seventh[0]
    by_admin = shown("who=web:admin@example.org")
    assert by_admin and all(" Sample Admin " in r for r in by_admin)
    # Plain English details: the key date's label and long dates.
    assert any("Changed a key date" in r and "1 November 2022 → 1 December 2022" in r
               for r in by_admin)
    downloads = shown("action=letter-downloaded")
    with read_session(web.engine) as session:
        stored = session.exec(select(AuditEntry).where(
            AuditEntry.transfer_id == ld, AuditEntry.action == "letter-downloaded")).all()
    assert len(downloads) == len(stored) == 2
    assert all("Downloaded a letter" in r for r in downloads)
    # A date that is not one is refused, saying which and how.
    wrong = officer.get(f"{base}?from-day=31&from-month=2&from-year=2022")
    assert wrong.status_code == 400
    assert "There is a problem" in wrong.text and "must be a real date" in wrong.text
    backwards = officer.get(f"{base}?from-day=9&from-month=9&from-year=2022"
                            "&to-day=1&to-month=9&to-year=2022")
    assert "The last day must be the same as or after the first day" in backwards.text


def test_history_comes_a_page_at_a_time_keeping_its_filter(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    start = datetime(2022, 9, 10, 9, 0, tzinfo=UTC)
    with write_session(web.engine) as session:
        for n in range(120):
            session.add(AuditEntry(transfer_id=ld, at=start + timedelta(minutes=n),
                                   actor="web:officer@example.org",
                                   action="letter-downloaded", data={"letter": f"n{n}"}))
    officer = web.as_role("hr_officer")
    base = f"/transfers/{ld}/history?action=letter-downloaded"
    first = officer.get(base).text
    assert "120 entries match the filter" in first and "(page 1 of 3)" in first
    assert len(_rows(first, "history")) == 50
    assert _text(_rows(first, "history")[0]).count("n119") == 1  # newest first
    assert 'class="govuk-pagination"' in first
    nxt = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">',
                    first)
    assert nxt and "action=letter-downloaded" in nxt.group(1) and "page=2" in nxt.group(1)
    third = officer.get(f"{base}&page=3").text
    assert len(_rows(third, "history")) == 20 and 'aria-current="page">3<' in third
    assert "n0" in _text(_rows(third, "history")[-1])
    # The whole log, filtered by transfer, pages the same way.
    audit = web.as_role("hr_admin").get(f"/admin/audit?transfer={ld}&action=letter-downloaded")
    assert "120 entries match the filter" in audit.text
    assert len(_rows(audit.text, "audit")) == 50
