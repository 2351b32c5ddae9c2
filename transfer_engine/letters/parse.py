"""Turn a rendered letter (the letter HTML subset) into a :class:`LetterDocument`.

The letter HTML subset
======================

Each letter has one Jinja2 template whose output is a fragment of HTML using only the elements
below. The same HTML is what an email preview shows, and it is the only input the PDF, DOCX and
plain-text renderers see (through this parser), so every format says the same thing.

Top level, in this order (``<address>`` and ``<time>`` may swap; whitespace between is ignored)::

    <article data-letter="NAME">   optional wrapper; data-letter names the letter in errors
      <header>                     letterhead, required
        <img src="logo:SHA256" alt="Text">   optional: the sender's logo (see letters.logos)
        <h1>Organisation</h1>      the sender's name
        <address>Line<br>Line</address>   optional: the sender's address
      </header>
      <address>Name<br>Line</address>     the recipient block, required
      <time datetime="2025-03-01">1 March 2025</time>   the letter's date, required
      <h2>Subject line</h2>        the subject, required
      <main> ...body... </main>    required
      <footer>                     optional signature block
        <p>Yours sincerely</p>     the closing
        <p>Name<br>Job title</p>   the signatory: first line is the name
      </footer>
    </article>

Inside ``<main>``: ``<h1>`` and ``<h2>`` (headings, two levels), ``<p>``, ``<ul>`` of ``<li>``,
and ``<table>`` of ``<tr>`` rows each holding exactly two cells, ``<th>`` or ``<td>`` (a row of
two ``<th>`` is a header row; a ``<th>`` first cell is a row label).

Inside ``<p>``, ``<li>``, ``<th>`` and ``<td>``: text, ``<strong>``/``<b>``, ``<em>``/``<i>``
(which may nest) and ``<br>``. Headings, ``<address>`` and ``<time>`` hold text (and ``<br>`` in
an address). Whitespace collapses as in HTML; ``&nbsp;`` keeps words together. HTML comments are
ignored. Attributes are ignored apart from ``data-letter``, ``datetime`` and the logo's ``src``
and ``alt``. Anything else is a
:class:`LetterFormatError` naming the letter and the line.

Why a hand-written scanner
==========================

The input is the output of our own autoescaped templates, so it is regular: a single regular
expression finds the tags, and a strict tree check finds template mistakes. This is several
times faster than :mod:`html.parser`, which matters when thousands of letters are issued at once.
Template data cannot inject markup, because autoescaping turns ``<`` into ``&lt;``; a stray ``<``
in the HTML is an error here rather than being guessed at.
"""

from __future__ import annotations

import re
from html import unescape

from transfer_engine.letters.document import (
    LINE_BREAK,
    Block,
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Letterhead,
    Logo,
    Paragraph,
    Run,
    Signature,
    Table,
    TableRow,
    plain_text,
)
from transfer_engine.letters.errors import LetterFormatError

__all__ = ["parse_letter_html"]

_ELEMENTS = frozenset({
    "article", "header", "h1", "h2", "address", "time", "main", "footer",
    "p", "strong", "b", "em", "i", "br", "ul", "li", "table", "tr", "th", "td", "img",
})
_VOID = frozenset({"br", "img"})
_LOGO_SRC = re.compile(r"logo:([0-9a-f]{64})")
# Elements that hold only other elements: text in them (other than whitespace) is a mistake.
_CONTAINERS = frozenset({"#root", "article", "header", "main", "footer", "ul", "table", "tr"})

# A tag, a comment or a doctype, as one outer group and four inner ones, so that ``split`` yields
# text, whole tag, "/" or None, name or None, attributes, "/" or None, text, ...
_TAG = re.compile(
    r"""(<(?:
        (/)?([A-Za-z][A-Za-z0-9]*)
        ((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)
        \s*(/)?>
      | !--.*?-->
      | ![Dd][Oo][Cc][Tt][Yy][Pp][Ee][^>]*>
    ))""",
    re.VERBOSE | re.DOTALL,
)
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_SPACES = re.compile(r"[ \t\r\n\f]+")
# Control characters cannot be shown by any renderer and are invalid in XML (DOCX): drop them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Node:
    """An element of the parsed tree: just enough to validate and walk it."""

    __slots__ = ("attrs", "children", "name", "offset")

    def __init__(self, name: str, attrs: str, offset: int) -> None:
        self.name = name
        self.attrs = attrs
        self.offset = offset
        self.children: list[_Node | str] = []

    def attr(self, key: str) -> str | None:
        for match in _ATTR.finditer(self.attrs):
            if match.group(1).lower() == key:
                value = match.group(2) or match.group(3) or match.group(4) or ""
                return unescape(value) if "&" in value else value
        return None


class _Parser:
    def __init__(self, html: str, name: str) -> None:
        self.html = html
        self.name = name

    # -- errors --------------------------------------------------------------------------------

    def error(self, offset: int, problem: str) -> LetterFormatError:
        line = self.html.count("\n", 0, offset) + 1
        return LetterFormatError(self.name, problem, line)

    # -- stage 1: scan into a tree, checking element names and nesting --------------------------

    def tree(self) -> _Node:
        html = self.html
        root = _Node("#root", "", 0)
        stack = [root]
        top = root
        parts = _TAG.split(html)
        offset = 0
        # parts: text, then (whole tag, close, name, attrs, selfclose, text) for each tag.
        text = parts[0]
        if text:
            self._text(text, offset, top)
            offset += len(text)
        pieces = iter(parts)
        next(pieces)
        for whole, close, name, attrs, selfclose, text in zip(*[pieces] * 6, strict=True):
            start = offset
            offset += len(whole)
            if name is not None:
                if name not in _ELEMENTS:
                    name = name.lower()
                    if name not in _ELEMENTS:
                        raise self.error(
                            start,
                            f"<{name}> is not part of the letter HTML subset "
                            f"(allowed: {', '.join(sorted(_ELEMENTS))})",
                        )
                if close:
                    if name in _VOID:
                        pass  # </br> is tolerated and means nothing
                    elif top is root:
                        raise self.error(start, f"</{name}> closes an element that was never "
                                         "opened")
                    elif top.name != name:
                        line = html.count("\n", 0, top.offset) + 1
                        raise self.error(
                            start, f"</{name}> found where </{top.name}> (opened on line "
                            f"{line}) was expected",
                        )
                    else:
                        stack.pop()
                        top = stack[-1]
                else:
                    node = _Node(name, attrs, start)
                    top.children.append(node)
                    if name == "article":  # the letter's own name, for any error from here on
                        self.name = node.attr("data-letter") or self.name
                    if name not in _VOID and not selfclose:
                        stack.append(node)
                        top = node
            if text:
                # A single space between blocks is by far the most common text: skip it fast.
                if text != " " or top.name not in _CONTAINERS:
                    self._text(text, offset, top)
                offset += len(text)
        if top is not root:
            raise self.error(len(html), f"<{top.name}> opened on line "
                             f"{html.count(chr(10), 0, top.offset) + 1} is never closed")
        return root

    def _text(self, text: str, offset: int, parent: _Node) -> None:
        if parent.name in _CONTAINERS:
            stripped = text.lstrip()
            if stripped:
                where = "the top level" if parent.name == "#root" else \
                    f"<{parent.name}>"
                raise self.error(offset + len(text) - len(stripped),
                                 f"text {stripped.rstrip()[:40]!r} directly inside {where}; "
                                 "put it in a <p>")
            return  # whitespace between blocks means nothing
        if "<" in text:
            raise self.error(offset + text.index("<"), "a '<' that does not start a valid tag "
                             "(data must be escaped; is autoescaping off?)")
        if "&" in text:
            text = unescape(text)
        parent.children.append(text)

    # -- stage 2: walk the tree into the document model -----------------------------------------

    def document(self, root: _Node) -> LetterDocument:
        top = self._elements(root)
        if len(top) == 1 and top[0].name == "article":
            article = top[0]
            self.name = article.attr("data-letter") or self.name
            top = self._elements(article)
        letterhead: Letterhead | None = None
        recipient: tuple[str, ...] | None = None
        date: str | None = None
        iso_date = ""
        subject: str | None = None
        blocks: tuple[Block, ...] | None = None
        signature: Signature | None = None
        for node in top:
            name = node.name
            if blocks is not None and name != "footer":
                raise self.error(node.offset, f"<{name}> after <main>; only <footer> may follow")
            if name == "header" and letterhead is None:
                letterhead = self._letterhead(node)
            elif letterhead is None:
                raise self.error(node.offset, f"<{name}> before <header>: the letter must start "
                                 "with its letterhead")
            elif name == "address" and recipient is None:
                recipient = self._lines(node)
            elif name == "time" and date is None:
                date = self._flat(node)
                iso_date = node.attr("datetime") or ""
            elif name == "h2" and subject is None:
                subject = self._flat(node)
            elif name == "main" and blocks is None:
                missing = [label for label, value in
                           (("<address> (recipient)", recipient), ("<time> (date)", date),
                            ("<h2> (subject)", subject)) if value is None]
                if missing:
                    raise self.error(node.offset, f"<main> comes before {', '.join(missing)}")
                blocks = self._body(node)
            elif name == "footer" and blocks is not None and signature is None:
                signature = self._signature(node)
            else:
                raise self.error(node.offset, f"<{name}> is not allowed here at the top level "
                                 "(expected header, address, time, h2, main, footer, each once)")
        if letterhead is None or blocks is None:
            raise self.error(len(self.html), "the letter needs a <header> and a <main>")
        assert recipient is not None and date is not None and subject is not None
        return LetterDocument(
            name=self.name, letterhead=letterhead, date=date, recipient=recipient,
            subject=subject, blocks=blocks, signature=signature, iso_date=iso_date,
        )

    @staticmethod
    def _elements(node: _Node) -> list[_Node]:
        """The child elements of a container (the scanner has already refused text in one)."""
        return [child for child in node.children if not isinstance(child, str)]

    def _letterhead(self, node: _Node) -> Letterhead:
        organisation: str | None = None
        address: tuple[str, ...] = ()
        logo: Logo | None = None
        for child in self._elements(node):
            if child.name == "img" and organisation is None and logo is None:
                logo = self._logo(child)
            elif child.name == "h1" and organisation is None:
                organisation = self._flat(child)
            elif child.name == "address" and organisation is not None and not address:
                address = self._lines(child)
            else:
                raise self.error(child.offset, f"<{child.name}> is not allowed in <header> "
                                 "(expected optionally <img>, then <h1>, then optionally "
                                 "<address>)")
        if not organisation:
            raise self.error(node.offset, "<header> needs an <h1> naming the organisation")
        return Letterhead(organisation, address, logo)

    def _logo(self, node: _Node) -> Logo:
        """``<img src="logo:SHA256" alt="...">``: a stored logo, never an address to fetch."""
        found = _LOGO_SRC.fullmatch(node.attr("src") or "")
        if found is None:
            raise self.error(node.offset, "<img> in <header> must be a stored logo, "
                             'src="logo:<its SHA-256>"')
        alt = " ".join((node.attr("alt") or "").split())
        if not alt:
            raise self.error(node.offset, "the logo <img> needs alt text (alt=\"...\")")
        return Logo(found.group(1), alt)

    def _body(self, node: _Node) -> tuple[Block, ...]:
        blocks: list[Block] = []
        for child in self._elements(node):
            name = child.name
            if name == "p":
                runs = self._inline(child)
                if runs:  # an empty <p> (e.g. from a false {% if %}) is not an error
                    blocks.append(Paragraph(runs))
            elif name == "h1" or name == "h2":
                blocks.append(Heading(1 if name == "h1" else 2, self._flat(child)))
            elif name == "ul":
                items = []
                for li in self._elements(child):
                    if li.name != "li":
                        raise self.error(li.offset, f"<{li.name}> inside <ul>; only <li> may be")
                    items.append(self._inline(li))
                if items:
                    blocks.append(BulletList(tuple(items)))
            elif name == "table":
                rows = [self._row(tr) for tr in self._elements(child)]
                if rows:
                    blocks.append(Table(tuple(rows)))
            else:
                raise self.error(child.offset, f"<{name}> is not allowed in <main> "
                                 "(allowed: h1, h2, p, ul, table)")
        return tuple(blocks)

    def _row(self, tr: _Node) -> TableRow:
        if tr.name != "tr":
            raise self.error(tr.offset, f"<{tr.name}> inside <table>; only <tr> may be")
        cells = self._elements(tr)
        if len(cells) != 2 or any(cell.name not in ("th", "td") for cell in cells):
            raise self.error(tr.offset, "a table row must hold exactly two cells (<th> or <td>)")
        label, value = cells
        both_th = label.name == "th" and value.name == "th"
        return TableRow(self._inline(label), self._inline(value), header=both_th,
                        label_is_th=label.name == "th")

    def _signature(self, node: _Node) -> Signature:
        paragraphs = self._elements(node)
        for p in paragraphs:
            if p.name != "p":
                raise self.error(p.offset, f"<{p.name}> in <footer>; only <p> may be")
        if not paragraphs:
            raise self.error(node.offset, "<footer> needs a <p> with the closing")
        closing = plain_text(self._inline(paragraphs[0]))
        lines: list[str] = []
        for p in paragraphs[1:]:
            lines.extend(self._split_lines(self._inline(p)))
        return Signature(closing, tuple(lines))

    # -- inline content -------------------------------------------------------------------------

    def _inline(self, node: _Node) -> Inline:
        children = node.children
        if len(children) == 1 and type(children[0]) is str:
            # Fast path: plain text (most cells, headings and list items).
            text = children[0]
            if "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
                text = _SPACES.sub(" ", text)
            text = text.strip(" ")
            return (Run(text),) if text else ()
        raw: list[Run] = []
        self._collect(node, False, False, raw)
        return _normalise(raw)

    def _collect(self, node: _Node, bold: bool, italic: bool, out: list[Run]) -> None:
        for child in node.children:
            if isinstance(child, str):
                out.append(Run(child, bold, italic))
                continue
            name = child.name
            if name == "br":
                out.append(Run(LINE_BREAK, bold, italic))
            elif name == "strong" or name == "b":
                self._collect(child, True, italic, out)
            elif name == "em" or name == "i":
                self._collect(child, bold, True, out)
            else:
                raise self.error(child.offset, f"<{name}> is not allowed inside <{node.name}> "
                                 "(only text, strong, b, em, i and br)")

    def _flat(self, node: _Node) -> str:
        """Text-only content (headings, date): styling inside is dropped."""
        return plain_text(self._inline(node))

    def _lines(self, node: _Node) -> tuple[str, ...]:
        """An <address>: lines separated by <br>."""
        return tuple(self._split_lines(self._inline(node)))

    @staticmethod
    def _split_lines(runs: Inline) -> list[str]:
        text = "".join(run.text for run in runs)
        return [line.strip() for line in text.split(LINE_BREAK) if line.strip()]


def _normalise(raw: list[Run]) -> Inline:
    """Collapse whitespace as a browser would, and merge neighbouring runs of the same style.

    A space between two runs is kept once and given to the later run; spaces at the start or
    end of the content, and around a line break, are dropped.
    """
    out: list[Run] = []
    pending_space = False
    at_line_start = True
    for run in raw:
        text = run.text
        if text == LINE_BREAK:
            out.append(run)
            pending_space = False
            at_line_start = True
            continue
        if "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
            text = _SPACES.sub(" ", text)
        if not text:
            continue
        if text[0] == " ":
            text = text[1:]
            if not at_line_start:
                pending_space = True
        if not text:
            continue
        trailing = text[-1] == " "
        if trailing:
            text = text[:-1]
        if pending_space:
            text = " " + text
        pending_space = trailing
        at_line_start = False
        if out and out[-1].bold == run.bold and out[-1].italic == run.italic \
                and out[-1].text != LINE_BREAK:
            out[-1] = Run(out[-1].text + text, run.bold, run.italic)
        else:
            out.append(Run(text, run.bold, run.italic))
    while out and out[-1].text == LINE_BREAK:
        out.pop()
    return tuple(out)


def parse_letter_html(html: str, name: str = "letter") -> LetterDocument:
    """Parse a rendered letter; ``name`` is used in errors unless the HTML gives ``data-letter``.

    Raises :class:`LetterFormatError` if the HTML is not the letter subset described above.
    """
    if _CONTROL.search(html):
        html = _CONTROL.sub("", html)
    # Collapsing whitespace once over the whole text is much faster than per piece of text,
    # but loses line numbers; so if there is an error, parse again uncollapsed to report it.
    # Joining stripped lines removes nearly all of it (template indentation) far faster than a
    # regular expression; what is left (doubled spaces, tabs) is collapsed piece by piece.
    stripped = [line.strip(" \t\r\f") for line in html.split("\n")]
    parser = _Parser(" ".join([line for line in stripped if line]), name)
    try:
        return parser.document(parser.tree())
    except LetterFormatError:
        parser = _Parser(html, name)
        parser.document(parser.tree())
        raise
