"""One letter path: what HR previews and downloads in the web app is what is issued.

The preview page, its frame (the letter's HTML) and the downloads are made by the letters
service exactly as issuing makes the letter: the same data, the organisation's own template,
the same renderers. So for a recipient whose data is complete, on a given day, each is byte for
byte the file the register holds once the letter is issued; and a gap in the data is marked in
the preview while issuing the same letter is refused, naming the field.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from tests.letter_fixtures import files_of, flat, letters, outbox, pdf_text, shipped
from tests.web_fixtures import AS_OF, Browser, WebEnv
from transfer_engine.config import get_settings
from transfer_engine.letters import service
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Representative

FRAME = re.compile(r'<iframe[^>]*\ssrc="([^"]+)"')
OURS = "NNC People Services invites you to a first meeting on"
SHIPPED = "We propose a first meeting on"


def _representative(web: WebEnv, organisation_name: str) -> str:
    """The ref of ld-to-nct's representative of the union at NNC (the letter's sender)."""
    with read_session(web.engine) as session:
        rep = session.exec(select(Representative).where(
            Representative.transfer_id == web.ids["ld-to-nct"],
            Representative.name == organisation_name)).one()
    return f"representative:{rep.id}"


def _as_shown(officer: Browser, ld: int, letter: str, to: str) -> tuple[str, dict[str, bytes]]:
    """The preview page, and the bytes of its frame and of each download."""
    page = officer.get(f"/transfers/{ld}/letters/{letter}/preview", params={"to": to})
    assert page.status_code == 200, page.text
    found = FRAME.search(page.text)
    assert found, "the preview page frames the letter"
    frame = officer.get(html.unescape(found.group(1)))
    assert frame.status_code == 200
    shown = {"frame": frame.content}
    for fmt in ("html", "pdf", "docx"):
        response = officer.get(f"/transfers/{ld}/letters/{letter}/{fmt}", params={"to": to})
        assert response.status_code == 200, (fmt, response.text)
        assert response.headers["content-disposition"].startswith("attachment")
        shown[fmt] = response.content
    return page.text, shown


def _issued_files(web: WebEnv, letter: str, to: str) -> dict[str, bytes]:
    issued = [row for row in letters(web.engine, letter=letter) if row.recipient_ref == to]
    assert len(issued) == 1
    assert issued[0].letter_date == AS_OF
    root = get_settings().letters_dir
    return {fmt: (root / row.path).read_bytes()
            for fmt, row in files_of(web.engine, issued[0].id or 0).items()}


def test_the_preview_and_every_download_are_the_files_issued_with_our_own_template(
        web: WebEnv, overrides: Path) -> None:
    # NNC, which sends the reg 13 letter, words the invitation to the meeting its own way.
    (overrides / "nnc").mkdir()
    (overrides / "nnc" / "reg13-information.html.j2").write_text(
        shipped("reg13-information").replace(SHIPPED, OURS), encoding="utf-8")
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    to = _representative(web, "UNISON branch secretary (sample)")

    page, shown = _as_shown(officer, ld, "reg13-information", to)

    # What HR reads is NNC's letter, with what is recorded for the transfer and the union.
    assert "cannot be issued yet" not in page
    letter_html = shown["frame"].decode("utf-8")
    assert OURS in letter_html and SHIPPED not in letter_html
    assert "Dear Colleague," in letter_html  # the salutation recorded, not the record's name
    assert "[not recorded" not in letter_html
    pdf = pdf_text(shown["pdf"])
    assert OURS in pdf and "UNISON office (sample address)" in pdf
    with zipfile.ZipFile(io.BytesIO(shown["docx"])) as archive:
        assert OURS in archive.read("word/document.xml").decode("utf-8")

    issued = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert issued.status_code == 303, issued.text

    files = _issued_files(web, "reg13-information", to)
    assert shown["frame"] == files["html"]
    assert shown["html"] == files["html"]
    assert shown["pdf"] == files["pdf"]
    assert shown["docx"] == files["docx"]


def test_an_employees_letter_downloaded_is_the_letter_issued(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]

    _, shown = _as_shown(officer, ld, "employee-notification", "employee:LD-003")
    assert "Sample Employee LD-003" in flat(pdf_text(shown["pdf"]))
    assert officer.post(f"/transfers/{ld}/letters/employee-notification/issue"
                        ).status_code == 303

    files = _issued_files(web, "employee-notification", "employee:LD-003")
    assert {fmt: shown[fmt] for fmt in ("html", "pdf", "docx")} == {
        fmt: files[fmt] for fmt in ("html", "pdf", "docx")}
    assert shown["frame"] == files["html"]


def test_a_gap_is_marked_in_the_preview_and_refused_when_issuing(web: WebEnv) -> None:
    import_particulars("ld-to-nct", {"transfer": {"meeting_place": None}}, actor="test",
                       engine=web.engine)
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    to = _representative(web, "UNISON branch secretary (sample)")

    page, shown = _as_shown(officer, ld, "reg13-information", to)

    marker = "[not recorded: transfer.meeting_place]"
    assert "This letter cannot be issued yet" in page and "transfer.meeting_place" in page
    assert marker in shown["frame"].decode("utf-8")
    assert marker in pdf_text(shown["pdf"])
    with zipfile.ZipFile(io.BytesIO(shown["docx"])) as archive:
        assert marker in archive.read("word/document.xml").decode("utf-8")

    # The web app's button refuses it, naming the field; nothing is issued or queued.
    refused = officer.post(f"/transfers/{ld}/letters/reg13-information/issue")
    assert refused.status_code == 422
    assert "Not recorded: the meeting place." in refused.text  # in words, as the check says
    assert "nothing was issued" in refused.text
    # So does the command line's path, for the same recipient and day.
    with pytest.raises(service.LetterDataError, match=r"missing transfer\.meeting_place"):
        service.issue_letters("ld-to-nct", "reg13-information", actor="test",
                              today=date.fromisoformat(str(AS_OF)), recipients=[to],
                              engine=web.engine)
    assert letters(web.engine) == [] and outbox(web.engine) == []
