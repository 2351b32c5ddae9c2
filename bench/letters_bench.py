"""Benchmark: personalised TUPE letters as tagged PDF/A + PDF/UA, against HTML-to-PDF; bulk issue.

Every letter is an individual ``employee-notification`` (the regulation 13 information for one
employee, with their employee liability details), rendered from synthetic data: each letter
says in its first paragraph that it is synthetic test data.

Measured, on one CPU core where the OS allows pinning, in one run:

(a) ours: Jinja2 -> letter HTML -> LetterDocument -> Typst -> PDF/A-2a + PDF/UA-1 (tagged,
    fonts embedded), one file per letter written to a temporary folder;
(b) HTML only: the Jinja2 render of the letter HTML (the email body);
(c) baseline: Jinja2 -> HTML -> WeasyPrint, one PDF per letter, on a smaller sample, in the
    typeface ours uses (the shipped font files): a plain PDF, and a tagged PDF/A-2a like ours
    (WeasyPrint is not a dependency: ``pip install weasyprint`` to run it);
(d) DOCX: our writer against python-docx building the same letter;
(e) bulk issue: 1,000 employee notifications of one transfer issued end to end, as
    ``letters issue`` does it (checked first, then every format rendered, filed, registered and
    queued for sending) on a temporary SQLite database.

Rates are medians over ``--repeat`` runs; a ratio to the baseline is the median of the
rounds' ratios, given with a 95% interval for that median (wall clock; ``median_interval``: 6
rounds or more; 41 short rounds make it narrow). Building the synthetic data is not timed;
writing the files is, to a folder in memory by default (``in_memory_folder``: the disk's own
noise is not either pipeline's). Memory: the process's resident set (RSS, which counts Typst's
own memory as well as Python's) after 100 and after 1,000 more letters of (a), and the peak
traced Python heap (tracemalloc) over 100 and 1,000 letters: flat in the number of letters if
the pairs are about equal. Output paths are plain strings: pathlib interns every path part,
which puts an interpreter table that has nothing to do with letters into the measurement.

Run from the project root:  python bench/letters_bench.py [--n 2000] [--baseline-n 100]
"""

from __future__ import annotations

import argparse
import functools
import gc
import io
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transfer_engine.domain import OrganisationKind, RepresentativeKind  # noqa: E402
from transfer_engine.engine.create import create_transfer, parse_transfer_create  # noqa: E402
from transfer_engine.engine.planning import refresh_steps  # noqa: E402
from transfer_engine.letters import (  # noqa: E402  (after the path set-up above)
    LetterTemplates,
    parse_letter_html,
    render_docx,
    render_pdf,
)
from transfer_engine.letters.document import (  # noqa: E402
    LINE_BREAK,
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Paragraph,
    Table,
)
from transfer_engine.letters.issue import issue_letters  # noqa: E402
from transfer_engine.letters.sample_particulars import fill_synthetic  # noqa: E402
from transfer_engine.letters.samples import employee_context  # noqa: E402
from transfer_engine.letters.typefaces import FAMILY, FONT_DIR, FONT_FILES  # noqa: E402
from transfer_engine.store.database import get_engine, init_db, write_session  # noqa: E402
from transfer_engine.store.organisations import Organisation  # noqa: E402
from transfer_engine.store.people import Employee, Representative  # noqa: E402

LETTER = "employee-notification"
# Where (a), (c) and the memory runs write their letters: see in_memory_folder(). None: the
# system's temporary folder. The bulk issue (e) files to BULK_BASE, on disk by default, as a
# real issue does.
OUTPUT_BASE: str | None = None
BULK_BASE: str | None = None
TITLE = "Employee notification (synthetic data)"  # the baseline's document title


@dataclass(frozen=True)
class Variant:
    """One of the baseline's runs each round: WeasyPrint's ``pdf_variant``, and the results'
    name for it."""

    pdf_variant: str | None
    label: str


# The baseline's runs each round: a plain PDF (WeasyPrint's fastest) and a tagged PDF/A-2a, the
# nearest it has to ours (it makes PDF/A-2a or PDF/UA-1, not both at once).
BASELINES: dict[str, Variant] = {
    "plain": Variant(None, "(c) baseline, Jinja -> HTML -> WeasyPrint PDF"),
    "tagged": Variant("pdf/a-2a", "    the same as tagged PDF/A-2a (nearest ours)"),
}

# What a typical HTML-to-PDF set-up adds to the letter HTML: an A4 page and print styles, in the
# typeface our letters are set in. Both pipelines then draw the same glyphs from the same font
# files, whatever this machine has installed: left to fontconfig, "Helvetica" is Liberation Sans
# on one machine and DejaVu Sans on another, and WeasyPrint took 4 times as long with the latter
# (3 letters a second against 12 here), which would have made the ratio a measure of the machine.
# The font is on `html`, so that the page footer (a margin box, outside `body`) is in it too. Its
# family has a name of its own, so that a copy of the font installed on the machine (another
# version, with hinting) cannot stand in for the shipped files.
LETTER_FAMILY = f"Shipped {FAMILY}"
FONT_FACES = "".join(
    f'@font-face {{ font-family: "{LETTER_FAMILY}"; src: url("{(FONT_DIR / name).as_uri()}"); '
    f"font-weight: {700 if 'Bold' in name else 400}; "
    f"font-style: {'italic' if 'Italic' in name else 'normal'}; }}\n"
    for name in FONT_FILES)
PRINT_CSS = FONT_FACES + f"""
@page {{ size: A4; margin: 19mm 22mm 24mm 22mm;
        @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
                         font-size: 8.5pt; }} }}
html {{ font-family: "{LETTER_FAMILY}"; }} body {{ font-size: 10.5pt; line-height: 1.38; }}
header {{ text-align: right; border-bottom: 0.6pt solid #bbb; padding-bottom: 8pt; }}
header h1 {{ font-size: 15pt; margin: 0; }} header address {{ font-size: 9pt; color: #555; }}
address {{ font-style: normal; }} time {{ display: block; text-align: right; }}
h1 {{ font-size: 12.5pt; margin: 10pt 0 3pt; }} h2 {{ font-size: 11pt; margin: 7pt 0 2pt; }}
p {{ margin: 0 0 7pt; }} table {{ width: 100%; border-collapse: collapse; font-size: 10pt; }}
th, td {{ text-align: left; vertical-align: top; border-bottom: 0.6pt solid #bbb; padding: 4pt; }}
"""


@dataclass
class Run:
    letters: int
    seconds: float
    cpu: float = 0.0   # CPU seconds of this process (and of its workers, for a bulk issue)

    @property
    def rate(self) -> float:
        return self.letters / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Letters per CPU second: what a core would do with nothing else running on it."""
        return self.letters / self.cpu if self.cpu else 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (a bulk issue's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def in_memory_folder(needed: int) -> str | None:
    """A folder in memory with ``needed`` bytes free, for the letters of (a) and (c) and the
    memory runs, if this machine has one (Linux; a container's may be small).

    Both pipelines write one file per letter. On the development machine's disk (ext4 on a
    virtual disk) that took from 0.2 to 1.0 ms a letter, changing from one run to the next (in
    memory, about 0.1 ms), and the one run of short rounds that wrote there was slower at every
    stage than the run before it, in memory (Typst 4.6 ms a letter against 3.6). That is mostly
    the disk's noise, not either pipeline's; but writing is a real cost, and ours pays it
    fifteen times as often a second, so writing in memory favours ours: ``--out`` writes
    elsewhere (a disk, to see what it costs there), and the bulk issue (e) files to disk.
    """
    shm = "/dev/shm"
    if not (os.path.isdir(shm) and os.access(shm, os.W_OK)):
        return None
    free = os.statvfs(shm)
    return shm if free.f_bavail * free.f_frsize >= needed else None


def _busy_fractions(cores: set[int], interval: float = 0.3) -> dict[int, float]:
    """How busy each core was over a short interval, from /proc/stat (Linux only)."""
    def sample() -> dict[int, tuple[int, int]]:
        out = {}
        for line in Path("/proc/stat").read_text().splitlines():
            name, *fields = line.split()
            if name.startswith("cpu") and name != "cpu" and int(name[3:]) in cores:
                values = list(map(int, fields))
                idle = values[3] + values[4]  # idle + iowait
                out[int(name[3:])] = (sum(values), idle)
        return out

    before = sample()
    time.sleep(interval)
    after = sample()
    return {core: 1 - (after[core][1] - before[core][1]) / max(1, after[core][0] - before[core][0])
            for core in before}


def pin_to_one_core(core: int | None) -> str:
    """Pin to ``core``, or to the least busy core (another process on ours would skew timings)."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (os.sched_setaffinity is not available here)"
    allowed = os.sched_getaffinity(0)
    if core is None:
        try:
            busy = _busy_fractions(allowed)
            core = min(busy, key=lambda c: (busy[c], c))
        except (OSError, ValueError, KeyError):
            core = min(allowed)
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU core {core} of {len(allowed)}"


def contexts(n: int, start: int = 0) -> Any:
    for index in range(start, start + n):
        yield employee_context(index)


def ours(templates: LetterTemplates, n: int, folder: Path, *,
         start: int = 0) -> tuple[Run, dict[str, float]]:
    """Pipeline (a): one tagged PDF/A + PDF/UA file per letter, streamed to disk."""
    template = templates.template(LETTER)
    stages = {"jinja": 0.0, "parse": 0.0, "pdf": 0.0, "write": 0.0}
    clock = time.perf_counter
    cpu = 0.0
    for index, context in enumerate(contexts(n, start)):
        c0 = time.process_time()
        t0 = clock()
        html = template.render(context)
        t1 = clock()
        letter = parse_letter_html(html, LETTER)
        t2 = clock()
        data = render_pdf(letter)
        t3 = clock()
        with open(os.path.join(folder, f"letter-{index:06d}.pdf"), "wb") as file:
            file.write(data)
        t4 = clock()
        cpu += time.process_time() - c0
        stages["jinja"] += t1 - t0
        stages["parse"] += t2 - t1
        stages["pdf"] += t3 - t2
        stages["write"] += t4 - t3
    # Building each letter's data (about 50 us, through the register's form) is outside both
    # clocks, as in the baseline.
    return Run(n, sum(stages.values()), cpu), stages


def html_only(templates: LetterTemplates, n: int, chunk: int = 1_000) -> Run:
    """(b): the Jinja2 render alone, as for an email body.

    Contexts are built a chunk at a time outside the timed loop, so that neither building them
    nor a timer call per letter is counted in a measurement this short.
    """
    template = templates.template(LETTER)
    total = cpu = 0.0
    for start in range(0, n, chunk):
        batch = list(contexts(min(chunk, n - start), start))
        t0, c0 = time.perf_counter(), time.process_time()
        for context in batch:
            template.render(context)
        total += time.perf_counter() - t0
        cpu += time.process_time() - c0
    return Run(n, total, cpu)


@dataclass(frozen=True)
class WeasyPrint:
    """WeasyPrint, loaded, with what every baseline run of a benchmark shares: one font
    configuration, as WeasyPrint asks for with @font-face (the fonts are read once, and its
    font caches stay warm from round to round: a configuration made for each run would make
    each run's first letter cold, and the ratio of short rounds would favour ours), and the
    stylesheet made with it."""

    module: Any
    fonts: Any
    stylesheet: Any

    @classmethod
    def load(cls, module: Any) -> WeasyPrint:
        fonts = module.text.fonts.FontConfiguration()
        return cls(module, fonts, module.CSS(string=PRINT_CSS, font_config=fonts))


def baseline(templates: LetterTemplates, n: int, folder: Path, weasyprint: WeasyPrint,
             variant: Variant, *, start: int = 0) -> Run:
    """(c): Jinja2 -> HTML -> WeasyPrint, one PDF per letter, as ``variant`` (a plain PDF, or
    tagged and archival PDF/A-2a, the nearest it has to ours)."""
    template = templates.template(LETTER)
    clock = time.perf_counter
    total = cpu = 0.0
    for index, context in enumerate(contexts(n, start)):
        t0, c0 = clock(), time.process_time()
        html = template.render(context)
        page = ('<!DOCTYPE html><html lang="en-GB"><meta charset="utf-8">'
                f"<title>{TITLE}</title><body>{html}</body>")
        weasyprint.module.HTML(string=page).write_pdf(
            os.path.join(folder, f"baseline-{index:06d}.pdf"),
            stylesheets=[weasyprint.stylesheet], font_config=weasyprint.fonts,
            pdf_variant=variant.pdf_variant)
        total += clock() - t0
        cpu += time.process_time() - c0
    return Run(n, total, cpu)


def repeat(times: int, work: Callable[[Path], Run]) -> list[Run]:
    runs = []
    for _ in range(times):
        folder = Path(tempfile.mkdtemp(prefix="letters-bench-", dir=OUTPUT_BASE))
        try:
            gc.collect()
            runs.append(work(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return runs


def traced_peak(templates: LetterTemplates, n: int) -> float:
    """Peak traced Python heap, in MiB, while rendering ``n`` letters with pipeline (a)."""
    folder = Path(tempfile.mkdtemp(prefix="letters-bench-mem-", dir=OUTPUT_BASE))
    try:
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        ours(templates, n, folder)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 2**20
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def rss_mib() -> float:
    """This process's resident set now (Linux), in MiB: Typst's memory is not Python's heap."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_growth(templates: LetterTemplates, first: int, then: int) -> tuple[float, float]:
    """RSS after ``first`` letters of (a), and after ``then`` more (different) letters."""
    folder = Path(tempfile.mkdtemp(prefix="letters-bench-rss-", dir=OUTPUT_BASE))
    try:
        ours(templates, first, folder, start=2 * 10**6)
        after_first = rss_mib()
        ours(templates, then, folder, start=3 * 10**6)
        return after_first, rss_mib()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _python_docx_runs(paragraph: Any, runs: Inline) -> None:
    for run in runs:
        if run.text == LINE_BREAK:
            paragraph.add_run().add_break()
        else:
            added = paragraph.add_run(run.text)
            added.bold, added.italic = run.bold or None, run.italic or None


def python_docx(letter: LetterDocument, docx: Any) -> bytes:
    """(d) the same letter built with python-docx (styles, headings, lists, a real table)."""
    document = docx.Document()
    document.core_properties.title = letter.subject
    document.core_properties.language = "en-GB"
    document.add_paragraph(letter.letterhead.organisation)
    for line in (*letter.letterhead.address, *letter.recipient, letter.date):
        document.add_paragraph(line)
    document.add_paragraph(letter.subject)
    for block in letter.blocks:
        if isinstance(block, Paragraph):
            _python_docx_runs(document.add_paragraph(), block.runs)
        elif isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, BulletList):
            for item in block.items:
                _python_docx_runs(document.add_paragraph(style="List Bullet"), item)
        elif isinstance(block, Table):
            table = document.add_table(rows=0, cols=2)
            for row in block.rows:
                cells = table.add_row().cells
                _python_docx_runs(cells[0].paragraphs[0], row.label)
                _python_docx_runs(cells[1].paragraphs[0], row.value)
    if letter.signature is not None:
        document.add_paragraph(letter.signature.closing).paragraph_format.keep_with_next = True
        for line in letter.signature.lines:
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_rates(templates: LetterTemplates, n: int) -> tuple[float, float | None]:
    """(d) DOCX letters per second: our writer, and python-docx if it is installed."""
    letters = [templates.render(LETTER, context) for context in contexts(n, 4 * 10**6)]
    t0 = time.perf_counter()
    for letter in letters:
        render_docx(letter)
    ours_rate = n / (time.perf_counter() - t0)
    try:
        import docx
    except ImportError:
        return ours_rate, None
    t0 = time.perf_counter()
    for letter in letters:
        python_docx(letter, docx)
    return ours_rate, n / (time.perf_counter() - t0)


def bulk_issue(employees: int, folder: Path, workers: int = 1) -> tuple[Run, float]:
    """(e) One transfer's ``employees`` notifications issued end to end: (the run, MiB RSS
    growth). A fresh SQLite database and letters folder in ``folder``; data set up untimed.
    ``workers`` above 1: letters rendered by that many worker processes (their CPU is
    counted)."""
    os.environ["TRANSFER_ENGINE_OUTBOX"] = str(folder / "outbox")
    os.environ["TRANSFER_ENGINE_LETTERS_DIR"] = str(folder / "letters")
    engine = init_db(get_engine(f"sqlite:///{folder / 'bench.db'}"))
    transfer_date = date(2026, 6, 1)
    with write_session(engine) as session:
        session.add(Organisation(slug="bench-council", name="Bench Council (sample)",
                                 kind=OrganisationKind.council))
        session.add(Organisation(slug="bench-trust", name="Bench Trust (sample)",
                                 kind=OrganisationKind.company))
        session.flush()
        transfer = create_transfer(session, parse_transfer_create({
            "ref": "bench-bulk", "title": "Bulk letters (sample data)", "workflow_id": "tupe-base",
            "regime": "TUPE", "regime_reason": "synthetic benchmark transfer",
            "sample_data": True, "hr_owner": "hr.owner@example.org",
            "transferor": "bench-council", "transferee": "bench-trust",
            "key_dates": {"decision": transfer_date - timedelta(days=120),
                          "transfer": transfer_date}}), actor="bench")
        assert transfer.id is not None
        session.add(Representative(transfer_id=transfer.id, organisation_id=transfer.transferor_id,
                                   kind=RepresentativeKind.recognised_union,
                                   name="UNISON branch (sample)", union="UNISON",
                                   email="rep@example.org"))
        for n in range(employees):
            session.add(Employee(transfer_id=transfer.id, employee_ref=f"E{n:05d}",
                                 full_name=f"Sample Employee {n} (sample)", role="Officer",
                                 email=f"e{n}@example.org", fte=Decimal(1),
                                 weekly_pay=Decimal("512.40"), synthetic=True))
        session.flush()
        refresh_steps(session, transfer)
        fill_synthetic(session, transfer, actor="bench")
    gc.collect()
    before = rss_mib()
    t0, c0 = time.perf_counter(), cpu_seconds()
    report = issue_letters("bench-bulk", LETTER, actor="bench", engine=engine,
                           today=transfer_date - timedelta(days=70), workers=workers)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    assert len(report.issued) == employees, report.as_json()
    engine.dispose()
    return Run(employees, seconds, cpu), rss_mib() - before


def load_weasyprint() -> tuple[WeasyPrint | None, str]:
    try:
        import weasyprint
        import weasyprint.text.fonts  # FontConfiguration, for the @font-face rules
    except (ImportError, OSError) as error:  # OSError: the pango system libraries are missing
        return None, (f"WeasyPrint is not available ({error.__class__.__name__}: {error}). "
                      "Install it with `pip install weasyprint` and the pango libraries "
                      "(Debian: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`); "
                      "the baseline and the ratio are skipped.")
    return WeasyPrint.load(weasyprint), f"WeasyPrint {weasyprint.__version__}"


def warm_up(templates: LetterTemplates, weasyprint: WeasyPrint | None) -> None:
    """Both pipelines run once first (the template compiled, the fonts loaded into Typst and into
    WeasyPrint, the CPU caches filled), on letters that are not measured: a cold first run of
    either would tilt its round."""
    warm_up_ours(templates)
    if weasyprint is not None:
        warm_up_baseline(templates, weasyprint)


def warm_up_ours(templates: LetterTemplates) -> None:
    repeat(1, lambda folder: ours(templates, 50, folder, start=10**7)[0])


def warm_up_baseline(templates: LetterTemplates, weasyprint: WeasyPrint,
                     variants: Iterable[Variant] = BASELINES.values()) -> None:
    for variant in variants:
        repeat(1, functools.partial(baseline, templates, 5, weasyprint=weasyprint,
                                    variant=variant, start=10**7))


def _rates(runs: list[Run]) -> tuple[float, float]:
    """Median letters per wall-clock second and per CPU second."""
    return statistics.median(r.rate for r in runs), statistics.median(r.cpu_rate for r in runs)


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """An interval holding the median of the rounds' population with at least ``confidence``.

    Distribution-free, from the order statistics: the k-th smallest and the k-th largest of the
    n values, with k the largest for which fewer than k values fall below the median with
    probability at most (1 - confidence) / 2 (binomial, p = 1/2). No assumption about how the
    ratios spread, which on a machine whose speed drifts is not a bell curve; it does take the
    rounds as independent, and rounds next to each other share the machine's moment. ``None``
    if there are too few values (fewer than 6 for 95%).
    """
    ordered = sorted(values)
    n = len(ordered)
    tail = (1 - confidence) / 2
    k = below = 0
    while k < n:
        chance = math.comb(n, k) / 2**n
        if below + chance > tail:
            break
        below += chance
        k += 1
    if k == 0:
        return None
    return ordered[k - 1], ordered[n - k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2_000, help="letters for (a) and (b)")
    parser.add_argument("--baseline-n", type=int, default=100, help="letters for (c)")
    parser.add_argument("--docx-n", type=int, default=200, help="letters for (d)")
    parser.add_argument("--bulk", type=int, default=1_000, help="employees for (e)")
    parser.add_argument("--workers", type=int, default=2,
                        help="also run (e) with the letters rendered by this many worker "
                             "processes on every core (0 or 1: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--parts", default="abcde", help="which measurements to run (letters)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--core", type=int, help="CPU core to pin to (default: least busy)")
    parser.add_argument("--out", help="folder in which (a), (c) and the memory runs make "
                        "their temporary output folders (default: /dev/shm, in memory, where "
                        "there is one with room; else the system temporary folder)")
    parser.add_argument("--bulk-out", help="folder in which the bulk issue (e) makes its "
                        "database and letters folders (default: the system temporary folder)")
    args = parser.parse_args()
    for option, folder in (("--out", args.out), ("--bulk-out", args.bulk_out)):
        if folder is not None and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            parser.error(f"{option} {folder}: not a folder this user can write in; give an "
                         "existing, writable folder, or leave the option out")
    global OUTPUT_BASE, BULK_BASE
    # A round's letters stay until the round ends: 1,100 letters for the RSS run; a letter's
    # PDF is under 64 KB, WeasyPrint's too; twice that, for room to spare.
    most = max(args.n, args.baseline_n, 1_100)
    OUTPUT_BASE = args.out if args.out is not None else in_memory_folder(2 * 64 * 1024 * most)
    BULK_BASE = args.bulk_out

    every_core = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    pinned = pin_to_one_core(args.core)
    templates = LetterTemplates(ROOT / "templates" / "letters")
    weasyprint, weasy_note = load_weasyprint()
    print(f"Python {sys.version.split()[0]}, {pinned}; {weasy_note}")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} cores")
    print(f"(a), (c) and the memory runs write in {OUTPUT_BASE or tempfile.gettempdir()}; "
          f"(e) files to {BULK_BASE or tempfile.gettempdir()}")
    print(f"letter: {LETTER} (synthetic data), {args.repeat} runs each, medians shown; "
          "letters per second of wall-clock time / per CPU second of this process\n")

    # WeasyPrint, when the baseline is to run and can.
    compared = weasyprint if "c" in args.parts else None
    warm_up(templates, compared)

    # (a) and (c) take turns, a run of each per round, and each round gives its own ratio:
    # this machine's speed drifts within minutes, and a ratio of runs made side by side is
    # what carries from one moment, or one machine, to another. The ratio shown is the median
    # of the rounds' ratios. WeasyPrint runs once a round for each of BASELINES.
    stage_totals: list[dict[str, float]] = []
    ours_runs: list[Run] = []
    base_runs: dict[str, list[Run]] = {name: [] for name in BASELINES}

    def ours_run(folder: Path) -> Run:
        run, stages = ours(templates, args.n, folder)
        stage_totals.append(stages)
        return run

    for _ in range(args.repeat):
        if "a" in args.parts:
            ours_runs.extend(repeat(1, ours_run))
        if compared is not None:
            for name, runs in base_runs.items():
                runs.extend(repeat(1, functools.partial(
                    baseline, templates, args.baseline_n, weasyprint=compared,
                    variant=BASELINES[name])))

    if ours_runs:
        ours_rate, ours_cpu = _rates(ours_runs)
        stages = {k: statistics.median(s[k] for s in stage_totals) / args.n * 1e6
                  for k in stage_totals[0]}
        print(f"(a) ours, Jinja -> model -> Typst PDF/A-2a+UA-1 file {ours_rate:7,.0f} / "
              f"{ours_cpu:,.0f} letters/s   (n={args.n:,}; target 100)")
        print("    per letter (wall): " +
              ", ".join(f"{k} {v:,.0f} us" for k, v in stages.items()))

    if "b" in args.parts:
        html_rate, html_cpu = _rates(repeat(args.repeat,
                                            lambda _folder: html_only(templates, args.n)))
        print(f"(b) HTML only (Jinja render)                       {html_rate:7,.0f} / "
              f"{html_cpu:,.0f} letters/s")

    if compared is not None:
        for name, runs in base_runs.items():
            base_rate, base_cpu = _rates(runs)
            print(f"{BASELINES[name].label:<51}{base_rate:7,.1f} / {base_cpu:,.1f} letters/s   "
                  f"(n={args.baseline_n:,}, in turn with (a))")
            if ours_runs:
                pairs = list(zip(ours_runs, runs, strict=True))
                wall = statistics.median(o.rate / b.rate for o, b in pairs)
                cpu = statistics.median(o.cpu_rate / b.cpu_rate for o, b in pairs)
                ratios = [o.rate / b.rate for o, b in pairs]
                rounds = ", ".join(f"{ratio:.1f}" for ratio in ratios)
                print(f"    ratio ours / that, median of the rounds         {wall:7,.1f} x / "
                      f"{cpu:,.1f} x   (target >= 15x; each round, wall: {rounds})")
                interval = median_interval(ratios)
                print("    95% interval for that median (wall)            " +
                      (f"{interval[0]:5.1f} x to {interval[1]:.1f} x" if interval else
                       "  too few rounds: give --repeat 6 or more"))
    elif "c" in args.parts:
        print(f"(c) baseline skipped: {weasy_note}")

    if "d" in args.parts:
        docx_runs = [docx_rates(templates, args.docx_n) for _ in range(args.repeat)]
        ours_docx = statistics.median(r[0] for r in docx_runs)
        print(f"(d) DOCX, our writer                               {ours_docx:7,.0f} letters/s"
              f"   (n={args.docx_n:,})")
        if docx_runs[0][1] is not None:
            other = statistics.median(r[1] or 0.0 for r in docx_runs)
            print(f"    DOCX, python-docx, the same letter             {other:7,.0f} letters/s")

    if "e" in args.parts:
        bulk_runs = []
        for _ in range(args.repeat):
            folder = Path(tempfile.mkdtemp(prefix="letters-bench-bulk-", dir=BULK_BASE))
            try:
                bulk_runs.append(bulk_issue(args.bulk, folder))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        bulk_rate, bulk_cpu = _rates([r[0] for r in bulk_runs])
        print(f"(e) bulk issue, {args.bulk:,} employee notifications end to end, one core "
              f"{bulk_rate:7,.0f} / {bulk_cpu:,.0f} letters/s   (PDF, DOCX, HTML, text filed, "
              "registered, queued; target 50)")
        print(f"    RSS growth during the issue: "
              f"{statistics.median(r[1] for r in bulk_runs):,.0f} MiB")
        if args.workers > 1 and every_core:
            pinned_to = os.sched_getaffinity(0)
            os.sched_setaffinity(0, every_core)  # the workers inherit it
            worker_runs = []
            try:
                for _ in range(args.repeat):
                    folder = Path(tempfile.mkdtemp(prefix="letters-bench-bulk-",
                                                   dir=BULK_BASE))
                    try:
                        worker_runs.append(bulk_issue(args.bulk, folder, args.workers)[0])
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
            finally:
                os.sched_setaffinity(0, pinned_to)
            rate, cpu = _rates(worker_runs)
            print(f"    with --workers {args.workers} on {len(every_core)} cores: {rate:7,.0f} "
                  f"letters/s (wall), {rate / bulk_rate:.2f} x one core; {cpu:,.0f} per CPU "
                  "second of the issuer and its workers (worker start-up included)")

    if not args.no_memory:
        first, then = rss_growth(templates, 100, 1_000)
        print(f"\nRSS after 100 letters of (a): {first:,.0f} MiB; after 1,000 more: {then:,.0f} "
              "MiB (Typst's memory included)")
        small = traced_peak(templates, 100)
        large = traced_peak(templates, 1_000)
        print(f"peak traced Python heap during (a): {small:,.1f} MiB at 100 letters, "
              f"{large:,.1f} MiB at 1,000 letters")


if __name__ == "__main__":
    main()
