"""PDF letters typeset by Typst: exact names, tagged PDF/A-2a + PDF/UA-1, embedded fonts, a
letter stopped for a character no font can draw, byte-exact re-rendering, and the layout rules;
the DOCX from the same letter model.

PDFs are read as a person's tools read them: the text as extracted (pypdf), the structure,
fonts and metadata as a validator sees them (pikepdf).
"""

from __future__ import annotations

import io
import struct
import unicodedata
import zlib
from datetime import date
from pathlib import Path

import docx
import pikepdf
import pypdf
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.letter_fixtures import docx_text, files_of, flat, letters, pdf_text
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters import LetterTemplates, render_docx, render_pdf, service
from transfer_engine.letters.document import plain_text
from transfer_engine.letters.errors import UnsupportedCharacterError
from transfer_engine.letters.gaps import Gaps
from transfer_engine.letters.issue import issue_letters
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.letters.register import renderers
from transfer_engine.letters.samples import employee_context, representative_context
from transfer_engine.letters.typography import NBSP, prepare
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee
from transfer_engine.store.register import Letter
from transfer_engine.store.transfers import Transfer

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"
SEND = "send-iass-to-wnc"
SEND_DAY = date(2023, 1, 16)   # its employee notifications are due to be issued

NAMES = {
    "SEND-002": "Łukasz Wiśniewski",
    "SEND-003": unicodedata.normalize("NFD", "Siân Llŷr"),   # as some HR exports write it
    "SEND-004": "Nguyễn Văn An",
    "SEND-005": "Ştefan Ţurcanu",     # with cedillas; the comma-below forms are checked below
    "SEND-006": "Zoë Brontë",
    "SEND-007": "Siân Llŷr",
}


@pytest.fixture(scope="module")
def templates() -> LetterTemplates:
    return LetterTemplates(TEMPLATES_DIR)


def notification(templates: LetterTemplates, name: str, **changes: object) -> bytes:
    context = employee_context(3)
    context["employee"].full_name = name
    for key, value in changes.items():
        setattr(context["employee"], key, value)
    return render_pdf(templates.render("employee-notification", context))


def assert_archival_and_accessible(data: bytes) -> None:
    """Tagged, every font embedded, PDF/A-2a and PDF/UA-1 declared, titled, in British English."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root, "no structure tree: a screen reader has no tags"
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "en-GB"
        fonts = 0
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                fonts += 1
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.FontDescriptor
                    assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, \
                        f"{font.BaseFont} is not embedded"
        assert fonts >= 2
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "A"
        assert meta.get("pdfuaid:part") == "1"
        assert meta.get("dc:title"), "no document title"
    with pikepdf.open(io.BytesIO(data)) as pdf:  # the structure holds real headings and tables
        kinds = {str(element.get("/S")) for element in _structure(pdf.Root.StructTreeRoot)}
    assert {"/H1", "/P"} <= kinds, kinds


def _structure(node: pikepdf.Object, depth: int = 0) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []
    kids = node.get("/K")
    if kids is None or depth > 40:
        return found
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found.append(kid)
            found.extend(_structure(kid, depth + 1))
    return found


# -- every letter, every seed transfer ------------------------------------------------------------


def faces(data: bytes) -> set[str]:
    """The typefaces a PDF draws its text in, without the subset prefix ("NotoSans-Bold")."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(font.BaseFont).lstrip("/").split("+")[-1]
                for page in pdf.pages for font in page.Resources.Font.values()}


def test_every_letter_of_every_seed_transfer_is_an_archival_accessible_pdf(demo: Engine) -> None:
    """... and set without italics: the GOV.UK style guide says not to use them, because
    slanted text is harder to read, for people with dyslexia above all."""
    rendered = 0
    with read_session(demo) as session:
        refs = [t.ref for t in session.exec(select(Transfer)).all()]
        for ref in refs:
            for spec in service.letter_specs():
                try:
                    data, media_type, _ = service.preview_file(
                        session, ref, spec.name, fmt="pdf", today=date(2022, 9, 20),
                        gaps=Gaps.mark)
                except (NotFoundError, ValidationError):
                    continue  # no recipient on this transfer, or not for its regime
                assert media_type == "application/pdf"
                assert_archival_and_accessible(data)
                assert not {face for face in faces(data) if "Italic" in face}, \
                    f"{ref} {spec.name} sets text in italics: {sorted(faces(data))}"
                rendered += 1
    assert len(refs) >= 3 and rendered >= 2 * len(refs)


def test_headings_lists_and_tables_are_tagged(templates: LetterTemplates) -> None:
    data = render_pdf(templates.render("employee-notification", employee_context(1)))

    with pikepdf.open(io.BytesIO(data)) as pdf:
        kinds = [str(element.get("/S")) for element in _structure(pdf.Root.StructTreeRoot)]
    # The subject is the level-1 heading, the letter's own headings levels 2 and 3.
    assert kinds.count("/H1") == 1 and "/H2" in kinds and "/H3" in kinds
    assert {"/L", "/LI", "/Table", "/TR", "/TH", "/TD"} <= set(kinds)


# -- names exactly as written ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "Łukasz Wiśniewski", "Siân Llŷr", unicodedata.normalize("NFD", "Siân Llŷr"),
    "Nguyễn Văn An", "Ştefan Ţurcanu", "Ștefan Țurcanu", "Zoë Brontë", "Gwŷn ap Ŵil",
])
def test_the_pdf_shows_each_name_exactly(templates: LetterTemplates, name: str) -> None:
    data = notification(templates, name, address=["12 Żółkiewski Court", "Llanfair"])

    text = pdf_text(data)
    assert unicodedata.normalize("NFC", name) in text
    assert "12 Żółkiewski Court" in text
    assert "Lukasz" not in text and "?" not in text.split("Llanfair")[0]


@pytest.mark.parametrize("name", ["#set text(red)", "]", "Jo [Smith] #strong[x] $x$ \\ *b*"])
def test_a_name_that_looks_like_typst_markup_is_printed_literally(
        templates: LetterTemplates, name: str) -> None:
    assert name in pdf_text(notification(templates, name))


@pytest.mark.parametrize(("name", "code"), [("Wang 中文", "U+4E2D"), ("Jo 😀 Smith", "U+1F600")])
def test_a_character_no_font_can_draw_stops_the_letter(
        templates: LetterTemplates, name: str, code: str) -> None:
    with pytest.raises(UnsupportedCharacterError) as raised:
        notification(templates, name)

    error = raised.value
    assert error.recipient == name and f"{code} " in str(error)
    assert f"the letter to {name} cannot be typeset" in str(error)
    assert "Correct the text where it is recorded" in str(error)


# -- issued, registered, verified -----------------------------------------------------------------


def _rename(engine: Engine, names: dict[str, str]) -> None:
    with write_session(engine) as session:
        for employee in session.exec(select(Employee).where(
                Employee.employee_ref.in_(list(names)))).all():  # type: ignore[attr-defined]
            employee.full_name = names[employee.employee_ref]
            session.add(employee)


def test_issued_letters_show_the_exact_names_and_verify_byte_for_byte(
        demo: Engine, tmp_path: Path) -> None:
    _rename(demo, NAMES)
    import_particulars(SEND, {"employees": {"SEND-007": {
        "address": ["12 Żółkiewski Court", "Northampton"]}}}, actor="test", engine=demo)

    report = issue_letters(SEND, "employee-notification", actor="test", today=SEND_DAY,
                           engine=demo)

    assert len(report.issued) == 6
    root = tmp_path / "letters"
    for row in letters(demo, transfer_ref=SEND):
        assert row.renderer == renderers()
        files = files_of(demo, row.id)
        pdf = (root / files["pdf"].path).read_bytes()
        name = unicodedata.normalize("NFC", NAMES[row.recipient_ref.split(":")[1]])
        assert name in pdf_text(pdf), row.recipient_ref
        assert name in docx_text((root / files["docx"].path).read_bytes())
        assert_archival_and_accessible(pdf)
        if row.recipient_ref == "employee:SEND-007":
            assert "12 Żółkiewski Court" in pdf_text(pdf)
    verified = service.verify(SEND)
    assert verified.checked == 6 and verified.ok, verified.as_json()


def test_verify_rerenders_only_what_the_current_renderers_made(
        demo: Engine, tmp_path: Path) -> None:
    issue_letters(SEND, "employee-notification", actor="test", today=SEND_DAY, engine=demo)
    with write_session(demo) as session:
        first = session.exec(select(Letter)).first()
        assert first is not None
        first.renderer = None   # as a letter issued before renderer versions were recorded
        session.add(first)

    assert service.verify(SEND).ok  # its PDF and DOCX are checked against their hashes only
    pdf = tmp_path / "letters" / files_of(demo, first.id)["pdf"].path
    pdf.write_bytes(pdf.read_bytes().replace(b"NotoSans", b"NotoSanz", 1))
    failed = service.verify(SEND)
    assert not failed.ok
    assert any("pdf: file" in p and "has changed" in p for p in failed.failures[0].problems)


def test_an_unprintable_name_stops_the_issue_naming_recipient_and_character(
        demo: Engine, cli) -> None:
    _rename(demo, {"SEND-004": "Wang 中文"})

    code, out, err = cli("letters", "issue", SEND, "employee-notification",
                         "--as-of", SEND_DAY.isoformat(), ok=False)

    said = flat(out + err)
    assert code != 0
    assert "Wang 中文" in said and "U+4E2D" in said and "nothing was issued" in said
    assert "Traceback" not in said
    assert letters(demo, transfer_ref=SEND) == []


# -- layout ---------------------------------------------------------------------------------------


def test_dates_and_references_are_tied_in_the_letter_model(templates: LetterTemplates) -> None:
    letter = prepare(templates.render("employee-notification", employee_context(2)))

    assert letter.date == f"12{NBSP}January{NBSP}2026"
    body = " ".join(plain_text(runs) for block in letter.blocks
                    for runs in getattr(block, "items", (getattr(block, "runs", ()),)))
    assert f"regulation{NBSP}4(2)" in body and f"regulation{NBSP}13" in body
    assert f"1{NBSP}April{NBSP}2026" in body
    assert " 1 April 2026" not in body


def test_the_letterhead_does_not_repeat_the_organisation(templates: LetterTemplates) -> None:
    context = employee_context(2)
    context["sender"].address = ["Human Resources", "Synthetic County Council", "Northampton"]
    letter = templates.render("employee-notification", context)

    text = pdf_text(render_pdf(letter))
    head = text.split("Jamal")[0] if "Jamal" in text else text[:200]
    assert head.count("Synthetic County Council") == 1, head
    assert "Human Resources" in head and "Northampton" in head


@pytest.mark.parametrize("measures", range(0, 48, 3))
def test_the_closing_is_never_alone_on_a_page(templates: LetterTemplates, measures: int) -> None:
    letter = templates.render("reg13-information", representative_context(measures=measures))
    last = letter.blocks[-1]
    last_words = flat(" ".join(run.text for run in getattr(last, "runs", ())))[-40:]

    reader = pypdf.PdfReader(io.BytesIO(render_pdf(letter)))
    pages = [flat(page.extract_text()) for page in reader.pages]
    (closing_page,) = [p for p in pages if "Yours sincerely," in p]
    assert "Alex Example" in closing_page
    assert last_words and last_words in closing_page


# -- DOCX from the same model ---------------------------------------------------------------------


def test_the_docx_has_the_exact_names_a_title_and_a_language(templates: LetterTemplates) -> None:
    for name in NAMES.values():
        context = employee_context(4)
        context["employee"].full_name = name
        letter = templates.render("employee-notification", context)

        document = docx.Document(io.BytesIO(render_docx(letter)))

        text = flat("\n".join(p.text for p in document.paragraphs))
        assert unicodedata.normalize("NFC", name) in text
        assert document.core_properties.title == letter.subject
        assert document.core_properties.language == "en-GB"
        styles = {p.style.name for p in document.paragraphs if p.style is not None}
        assert {"Heading 1", "Heading 2"} <= styles
        assert len(document.tables) == 1 and len(document.tables[0].columns) == 2
        closing = next(p for p in document.paragraphs if p.text == "Yours sincerely,")
        assert closing.paragraph_format.keep_with_next


# -- the organisation's logo ----------------------------------------------------------------------


def _png(width: int = 6, height: int = 2) -> bytes:
    """A small valid PNG (red and blue stripes), made here rather than shipped as a fixture."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + (b"\xc0\x10\x10" if y % 2 else b"\x10\x10\xc0") * width
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20">'
       b'<rect width="60" height="20" fill="#1d70b8"/></svg>')


def _sender_of_send(engine: Engine) -> str:
    with read_session(engine) as session:
        transfer = session.exec(select(Transfer).where(Transfer.ref == SEND)).one()
        organisation = session.get(Organisation, transfer.transferor_id)
        assert organisation is not None
        return organisation.slug


def _figures(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [str(element.get("/Alt")) for element in _structure(pdf.Root.StructTreeRoot)
                if str(element.get("/S")) == "/Figure"]


def test_an_organisations_logo_is_in_the_letterhead_with_its_alt_text(
        demo: Engine, cli, tmp_path: Path) -> None:
    sender = _sender_of_send(demo)
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png())
    code, out, _ = cli("letters", "logo", sender, str(logo), "--alt", "Council crest (sample)")
    assert code == 0 and "printed with this logo" in flat(out)

    issue_letters(SEND, "employee-notification", actor="test", today=SEND_DAY, engine=demo)

    row = letters(demo, transfer_ref=SEND)[0]
    files = files_of(demo, row.id)
    pdf = (tmp_path / "letters" / files["pdf"].path).read_bytes()
    assert _figures(pdf) == ["Council crest (sample)"]
    assert_archival_and_accessible(pdf)
    document = docx.Document(io.BytesIO((tmp_path / "letters" / files["docx"].path).read_bytes()))
    (shape,) = document.inline_shapes
    assert shape._inline.docPr.get("descr") == "Council crest (sample)"
    # A new logo later does not change what was issued: verify re-renders with the old one.
    logo.write_bytes(SVG)
    cli("letters", "logo", sender, str(logo), "--alt", "New logo (sample)")
    assert service.verify(SEND).ok


def test_an_svg_logo_and_refusals(demo: Engine, cli, tmp_path: Path) -> None:
    sender = _sender_of_send(demo)
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    assert cli("letters", "logo", sender, str(logo), "--alt", "Sample logo")[0] == 0
    with read_session(demo) as session:
        data, _, _ = service.preview_file(session, SEND, "employee-notification",
                                          fmt="pdf", today=SEND_DAY)
        docx_data, _, _ = service.preview_file(session, SEND, "employee-notification",
                                               fmt="docx", today=SEND_DAY)
    assert _figures(data) == ["Sample logo"]
    assert len(docx.Document(io.BytesIO(docx_data)).inline_shapes) == 1

    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    code, out, err = cli("letters", "logo", sender, str(text), "--alt", "x", ok=False)
    assert code != 0 and "must be a PNG or an SVG file" in flat(out + err)
    code, out, err = cli("letters", "logo", sender, str(logo), ok=False)
    assert code != 0 and "needs alt text" in flat(out + err)
    # A PNG cut short (only its signature and part of its header) is refused when it is set,
    # rather than failing later, when a DOCX letter reads the image's size from it.
    broken = tmp_path / "broken.png"
    broken.write_bytes(_png()[:20])
    code, out, err = cli("letters", "logo", sender, str(broken), "--alt", "X", ok=False)
    assert code != 0 and "damaged or cut short" in flat(out + err)
    assert "Traceback" not in out + err
    assert cli("letters", "logo", sender, "--remove")[0] == 0
    with read_session(demo) as session:
        data, _, _ = service.preview_file(session, SEND, "employee-notification",
                                          fmt="pdf", today=SEND_DAY)
    assert _figures(data) == []


@pytest.mark.parametrize("name, data", [
    # Its signature and image size are right, but its image data is cut off half way.
    ("inside.png", _png()[:-20]),
    # It starts as an SVG and then stops.
    ("cut.svg", SVG[:40]),
])
def test_a_logo_broken_inside_is_refused_when_it_is_set_not_during_an_issue(
        demo: Engine, cli, tmp_path: Path, name: str, data: bytes) -> None:
    sender = _sender_of_send(demo)
    logo = tmp_path / name
    logo.write_bytes(data)

    code, out, err = cli("letters", "logo", sender, str(logo), "--alt", "Crest", ok=False)

    assert code == 1 and "the logo cannot be drawn" in flat(out + err)
    assert "export it again" in flat(out + err) and "Traceback" not in out + err
    # Nothing was stored: the letters still issue, without a logo.
    report = issue_letters(SEND, "employee-notification", actor="test", today=SEND_DAY,
                           engine=demo)
    assert report.complete and report.issued
    row = letters(demo, transfer_ref=SEND)[0]
    assert _figures((tmp_path / "letters" / files_of(demo, row.id)["pdf"].path).read_bytes()) == []
