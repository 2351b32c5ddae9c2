"""Letters: template -> HTML subset -> document model -> PDF / DOCX / text / email HTML."""

# Real letters contain typographic apostrophes and dashes; the tests must use them too.
# ruff: noqa: RUF001

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pypdf
import pytest

from transfer_engine.errors import TransferEngineError
from transfer_engine.letters import (
    LetterDocument,
    LetterFormatError,
    LetterTemplates,
    parse_letter_html,
    render_docx,
    render_html,
    render_pdf,
    render_text,
)
from transfer_engine.letters import pdf as pdf_module
from transfer_engine.letters.document import (
    BulletList,
    Heading,
    Letterhead,
    Paragraph,
    Run,
    Signature,
    Table,
)
from transfer_engine.letters.samples import employee_context, representative_context

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"


@pytest.fixture(scope="module")
def templates() -> LetterTemplates:
    return LetterTemplates(TEMPLATES_DIR)


def employee(**changes: object) -> dict:
    context = employee_context(7)
    for key, value in changes.items():
        setattr(context["employee"], key, value)
    return context


def pdf_text(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return [page.extract_text() for page in reader.pages]


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces made single spaces (PDF lines wrap anywhere)."""
    return " ".join(text.split())


MINIMAL = """<article data-letter="minimal">
<header><h1>Org</h1><address>1 Road<br>Town</address></header>
<address>Ms A Person<br>2 Street</address>
<time datetime="2026-01-12">12 January 2026</time>
<h2>Subject</h2>
<main>{body}</main>
<footer><p>Yours sincerely,</p><p>Alex<br>HR</p></footer>
</article>"""


# -- PDF ------------------------------------------------------------------------------------------


def test_pdf_contains_the_personal_details_and_statutory_text(templates: LetterTemplates) -> None:
    context = employee(full_name="Siobhán O’Connor", salary=Decimal("24640.50"))
    letter = templates.render("employee-notification", context)

    data = render_pdf(letter)

    assert data.startswith(b"%PDF-1.7\n")  # PDF/A-2 is based on PDF 1.7
    assert data.rstrip().endswith(b"%%EOF")
    text = flat("\n".join(pdf_text(data)))
    assert "Siobhán O’Connor" in text
    assert "12 January 2026" in text  # letter date
    assert "1 April 2026" in text  # transfer date
    assert "£24,640.50 a year" in text
    assert "regulation 13 of TUPE" in text
    assert "Transfer of Undertakings (Protection of Employment) Regulations 2006" in text
    assert "Example Children’s Trust Ltd" in text
    assert "SYNTHETIC TEST DATA" in text
    assert "Yours sincerely," in text


def test_pdf_escapes_parentheses_and_backslashes(templates: LetterTemplates) -> None:
    name = r"Jo Smith (née Jones) \ Ltd"
    letter = templates.render("employee-notification", employee(full_name=name))

    assert name in flat("\n".join(pdf_text(render_pdf(letter))))


def test_long_letter_breaks_across_pages_and_keeps_all_its_text(
    templates: LetterTemplates,
) -> None:
    context = representative_context(measures=45)
    letter = templates.render("reg13-information", context)

    pages = pdf_text(render_pdf(letter))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    whole = flat("\n".join(pages))
    for measure in context["transfer"].transferee_measures:
        assert flat(measure) in whole
    # The signature comes last, on the last page.
    assert "Alex Example" in pages[-1]
    assert whole.index("Measure 45:") < whole.index("Yours sincerely,")


# -- DOCX -----------------------------------------------------------------------------------------


def test_docx_reads_back_with_python_docx(templates: LetterTemplates) -> None:
    context = employee(full_name="Zoë Kowalski", salary=Decimal("31000"))
    letter = templates.render("employee-notification", context)

    document = docx.Document(io.BytesIO(render_docx(letter)))

    # Dates and references are tied with non-breaking spaces (letters.typography): compare the
    # text as a reader sees it, with every kind of space as a space.
    texts = [flat(p.text) for p in document.paragraphs]
    assert "Synthetic County Council" in texts
    assert "Zoë Kowalski" in texts
    assert letter.subject in texts
    assert "12 January 2026" in texts
    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 1"]
    assert "Why the transfer is taking place" in headings
    bullets = [p.text for p in document.paragraphs if p.style and p.style.name == "List Bullet"]
    assert any(b.startswith("Legal: your contract of employment") for b in bullets)
    table = document.tables[0]
    rows = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert rows["Name"] == "Zoë Kowalski"
    assert rows["Basic salary"].startswith("£31,000.00 a year")
    assert document.core_properties.title == letter.subject
    assert any("regulation 13" in t for t in texts)


def test_docx_keeps_the_last_paragraph_with_the_closing_under_an_address() -> None:
    # Five paragraphs and a three-line letterhead address: only the fifth paragraph may be
    # kept with the closing, whatever the address's length.
    letter = LetterDocument(
        name="sample", letterhead=Letterhead("Sample Council", ("1 High Street", "Town",
                                                                "AB1 2CD")),
        date="12 January 2026", recipient=("A Reader",), subject="Sample subject",
        blocks=tuple(Paragraph((Run(f"Paragraph {n} of the letter."),)) for n in range(1, 6)),
        signature=Signature("Yours sincerely,", ("Alex Example", "Director")))

    document = docx.Document(io.BytesIO(render_docx(letter)))

    # Typography ties "Paragraph" to its number: compare the text as a reader sees it.
    kept = [flat(p.text) for p in document.paragraphs
            if p.text.startswith("Paragraph") and p.paragraph_format.keep_with_next]
    assert kept == ["Paragraph 5 of the letter."]
    closing = next(p for p in document.paragraphs if p.text == "Yours sincerely,")
    assert closing.paragraph_format.keep_with_next


def test_docx_is_a_well_formed_package(templates: LetterTemplates) -> None:
    data = render_docx(templates.render("reg13-information", representative_context()))

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {"word/document.xml", "word/styles.xml", "_rels/.rels",
                "word/_rels/document.xml.rels"} <= set(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# -- escaping and determinism ---------------------------------------------------------------------


def test_template_data_is_escaped_not_interpreted(templates: LetterTemplates) -> None:
    hostile = "<script>alert('x')</script> & <b>Bold</b>"
    context = employee(full_name=hostile)

    html = templates.render_html("employee-notification", context)
    letter = parse_letter_html(html, "employee-notification")

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert letter.recipient[0] == hostile  # shown literally, not turned into markup
    page = render_html(letter)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>Bold</b>" not in page
    assert hostile in flat("\n".join(pdf_text(render_pdf(letter))))
    assert hostile in render_text(letter)


def test_same_input_gives_identical_bytes(templates: LetterTemplates) -> None:
    def digests(index: int) -> tuple[str, str]:
        letter = templates.render("employee-notification", employee_context(index))
        return (hashlib.sha256(render_pdf(letter)).hexdigest(),
                hashlib.sha256(render_docx(letter)).hexdigest())

    first = digests(11)
    pdf_module._warm = None  # a cold compiler must give the same bytes as a warm one

    assert digests(11) == first
    other = digests(12)
    assert other[0] != first[0] and other[1] != first[1]


# -- the HTML subset ------------------------------------------------------------------------------


def test_parser_builds_the_document_model() -> None:
    body = """
      <p>Dear <strong>Ms   Person</strong>,
         thank you.</p>
      <h1>Heading one</h1><h2>Heading two</h2>
      <ul><li>First <em>item</em></li><li>Second<br>line</li></ul>
      <table><tr><th>Item</th><th>Value</th></tr><tr><th>Pay</th><td>&pound;1</td></tr></table>
    """
    letter = parse_letter_html(MINIMAL.format(body=body))

    assert isinstance(letter, LetterDocument)
    assert letter.name == "minimal"
    assert letter.letterhead.organisation == "Org"
    assert letter.letterhead.address == ("1 Road", "Town")
    assert letter.recipient == ("Ms A Person", "2 Street")
    assert (letter.date, letter.iso_date, letter.subject) == ("12 January 2026", "2026-01-12",
                                                              "Subject")
    paragraph, h1, h2, bullets, table = letter.blocks
    # Collapsed whitespace between runs is kept once, at the start of the later run.
    assert paragraph == Paragraph((Run("Dear"), Run(" Ms Person", bold=True),
                                   Run(", thank you.")))
    assert (h1, h2) == (Heading(1, "Heading one"), Heading(2, "Heading two"))
    assert isinstance(bullets, BulletList)
    assert bullets.items[0] == (Run("First"), Run(" item", italic=True))
    assert bullets.items[1] == (Run("Second"), Run("\n"), Run("line"))
    assert isinstance(table, Table)
    assert table.rows[0].header and not table.rows[1].header
    assert table.rows[1].label_is_th and table.rows[1].value == (Run("£1"),)
    assert letter.signature is not None
    assert letter.signature.closing == "Yours sincerely,"
    assert letter.signature.lines == ("Alex", "HR")


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("<div>x</div>", "<div> is not part of the letter HTML subset", 7),
        ("<p>unclosed", "</main> found where </p> (opened on line 7) was expected", 8),
        ("<p><strong>x</p>", "</p> found where </strong>", 7),
        ("loose text", "text 'loose text' directly inside <main>", 7),
        ("<table><tr><td>a</td><td>b</td><td>c</td></tr></table>", "exactly two cells", 7),
        ("<p><ul><li>x</li></ul></p>", "<ul> is not allowed inside <p>", 7),
        ("<p>a < b</p>", "a '<' that does not start a valid tag", 7),
    ],
)
def test_malformed_html_names_the_letter_and_line(body: str, message: str, line: int) -> None:
    html = MINIMAL.format(body="\n" + body + "\n")

    with pytest.raises(LetterFormatError) as raised:
        parse_letter_html(html, "fallback-name")

    error = raised.value
    assert isinstance(error, TransferEngineError)
    assert message in str(error)
    # The body starts on line 7 of the HTML; the name comes from <article data-letter>.
    assert str(error).startswith(f"letter 'minimal', line {line} of the rendered HTML")
    assert error.letter == "minimal" and error.line == line


def test_missing_letter_parts_are_reported() -> None:
    html = "<header><h1>Org</h1></header><main><p>x</p></main>"

    with pytest.raises(LetterFormatError, match=r"<main> comes before <address> \(recipient\)"):
        parse_letter_html(html, "no-recipient")


def test_template_errors_name_the_letter(tmp_path: Path) -> None:
    (tmp_path / "broken.html.j2").write_text(
        "<header><h1>{{ org }}</h1></header>\n<section>{{ org }}</section>\n"
    )
    (tmp_path / "needs-data.html.j2").write_text("<header><h1>{{ org.name }}</h1></header>")
    templates = LetterTemplates(tmp_path)

    with pytest.raises(LetterFormatError, match=r"letter 'broken', line 2 .*<section>"):
        templates.render("broken", {"org": "Org"})
    with pytest.raises(LetterFormatError, match=r"letter 'needs-data'.*not supplied"):
        templates.render("needs-data", {})
    with pytest.raises(LetterFormatError, match=r"no template missing\.html\.j2"):
        templates.render("missing", {})


# -- plain text and email HTML --------------------------------------------------------------------


def test_text_alternative_holds_the_whole_letter_wrapped(templates: LetterTemplates) -> None:
    letter = templates.render("employee-notification", employee(full_name="Rhys Lloyd"))

    text = render_text(letter)

    assert all(len(line) <= 72 for line in text.splitlines())
    assert "Rhys Lloyd" in text
    assert "Why the transfer is taking place\n================================" in text
    assert "  * Legal: your contract of employment" in text
    assert "regulation 13" in flat(text)
    assert text.rstrip().endswith("Synthetic County Council")


def test_email_page_is_a_complete_self_contained_document(templates: LetterTemplates) -> None:
    letter = templates.render("reg13-information", representative_context())

    page = render_html(letter)

    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "<style" not in page and "<script" not in page and "<img" not in page
    assert "Proposed transfer date" in page and "1 April 2026" in page
    assert "£6,850,400" in page


def test_plain_text_wraps_exactly_as_textwrap_does() -> None:
    """The short-line shortcut of the text renderer gives what textwrap would, always."""
    import textwrap

    from transfer_engine.letters.document import LINE_BREAK
    from transfer_engine.letters.text import _fill

    pieces = ["a", "bc", " ", "  ", "\t", "\n", "-", "word", "longer-word", "\u00a0", "\u2003",
              "x" * 30, "£705.00", "1 November 2022"]
    rng = random.Random(20221101)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.1:
            text += LINE_BREAK + text
        width = rng.randint(5, 80)
        first, rest = rng.choice([("", ""), ("  * ", "    ")])
        expected: list[str] = []
        for index, part in enumerate(text.split(LINE_BREAK)):
            expected.extend(textwrap.wrap(
                part, width, initial_indent=first if index == 0 else rest,
                subsequent_indent=rest, break_long_words=False, break_on_hyphens=False,
            ) or [rest.rstrip()])
        assert _fill((Run(text),), width, first, rest) == expected, (text, width)
