"""Benchmark: personalised TUPE letters to PDF, ours against the common HTML-to-PDF pipeline.

Every letter is an individual ``employee-notification`` (the regulation 13 information for one
employee, with their employee liability details), rendered from synthetic data: each letter
says in its first paragraph that it is synthetic test data.

Measured, on one CPU core where the OS allows pinning:

(a) ours: Jinja2 -> letter HTML -> LetterDocument -> PDF, one file per letter written to a
    temporary folder; also with the layout memos cleared before every letter ("cold"), the
    worst case in which no two letters share a paragraph;
(b) HTML only: the Jinja2 render of the letter HTML (the email body);
(c) baseline: Jinja2 -> HTML -> WeasyPrint, one PDF per letter, on a smaller sample.

Rates are medians over ``--repeat`` runs. Building the synthetic data is not timed; writing the
files is. Peak memory is the traced Python heap (tracemalloc) over a 1,000-letter run and an
N-letter run of (a): if memory is flat in the number of letters the two are about equal (the
layout memos are bounded, and may still be filling towards their caps at 1,000 letters).
Output paths are plain strings: pathlib interns every path part, which puts an interpreter
table that has nothing to do with letters into the measurement.

Run from the project root:  python bench/letters_bench.py [--n 10000] [--baseline-n 200]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transfer_engine.letters import (  # noqa: E402  (after the path set-up above)
    LetterTemplates,
    layout,
    parse_letter_html,
    render_pdf,
)
from transfer_engine.letters.samples import employee_context  # noqa: E402

LETTER = "employee-notification"
OUTPUT_BASE: str | None = None  # where the temporary output folders go; None: the system's

# What a typical HTML-to-PDF set-up adds to the letter HTML: an A4 page and print styles.
PRINT_CSS = """
@page { size: A4; margin: 19mm 22mm 24mm 22mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8.5pt; } }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; line-height: 1.38; }
header { text-align: right; border-bottom: 0.6pt solid #bbb; padding-bottom: 8pt; }
header h1 { font-size: 15pt; margin: 0; } header address { font-size: 9pt; color: #555; }
address { font-style: normal; } time { display: block; text-align: right; }
h1 { font-size: 12.5pt; margin: 10pt 0 3pt; } h2 { font-size: 11pt; margin: 7pt 0 2pt; }
p { margin: 0 0 7pt; } table { width: 100%; border-collapse: collapse; font-size: 10pt; }
th, td { text-align: left; vertical-align: top; border-bottom: 0.6pt solid #bbb; padding: 4pt; }
"""


@dataclass
class Run:
    letters: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.letters / self.seconds


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


def ours(templates: LetterTemplates, n: int, folder: Path, *, cold: bool = False,
         start: int = 0) -> tuple[Run, dict[str, float]]:
    """Pipeline (a): one PDF file per letter, streamed to disk."""
    template = templates.template(LETTER)
    stages = {"jinja": 0.0, "parse": 0.0, "pdf": 0.0, "write": 0.0}
    clock = time.perf_counter
    for index, context in enumerate(contexts(n, start)):
        if cold:
            layout.clear_memos()
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
        stages["jinja"] += t1 - t0
        stages["parse"] += t2 - t1
        stages["pdf"] += t3 - t2
        stages["write"] += t4 - t3
    return Run(n, sum(stages.values())), stages


def html_only(templates: LetterTemplates, n: int, chunk: int = 1_000) -> Run:
    """(b): the Jinja2 render alone, as for an email body.

    Contexts are built a chunk at a time outside the timed loop, so that neither building them
    nor a timer call per letter is counted in a measurement this short.
    """
    template = templates.template(LETTER)
    total = 0.0
    for start in range(0, n, chunk):
        batch = list(contexts(min(chunk, n - start), start))
        t0 = time.perf_counter()
        for context in batch:
            template.render(context)
        total += time.perf_counter() - t0
    return Run(n, total)


def baseline(templates: LetterTemplates, n: int, folder: Path, weasyprint: Any) -> Run:
    """(c): Jinja2 -> HTML -> WeasyPrint, one PDF per letter."""
    template = templates.template(LETTER)
    stylesheet = weasyprint.CSS(string=PRINT_CSS)
    clock = time.perf_counter
    total = 0.0
    for index, context in enumerate(contexts(n)):
        t0 = clock()
        html = template.render(context)
        page = f'<!DOCTYPE html><html lang="en-GB"><meta charset="utf-8"><body>{html}</body>'
        weasyprint.HTML(string=page).write_pdf(
            os.path.join(folder, f"baseline-{index:06d}.pdf"), stylesheets=[stylesheet])
        total += clock() - t0
    return Run(n, total)


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


def load_weasyprint() -> tuple[Any, str]:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the pango system libraries are missing
        return None, (f"WeasyPrint is not available ({error.__class__.__name__}: {error}). "
                      "Install it with `pip install weasyprint` and the pango libraries "
                      "(Debian: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`); "
                      "the baseline and the ratio are skipped.")
    return weasyprint, f"WeasyPrint {weasyprint.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="letters for (a) and (b)")
    parser.add_argument("--baseline-n", type=int, default=200, help="letters for (c)")
    parser.add_argument("--cold-n", type=int, default=1_000, help="letters for (a) cold")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--core", type=int, help="CPU core to pin to (default: least busy)")
    parser.add_argument("--out", help="folder in which to make the temporary output folders "
                        "(default: the system temporary folder)")
    args = parser.parse_args()
    global OUTPUT_BASE
    OUTPUT_BASE = args.out

    pinned = pin_to_one_core(args.core)
    templates = LetterTemplates(ROOT / "templates" / "letters")
    weasyprint, weasy_note = load_weasyprint()
    print(f"Python {sys.version.split()[0]}, {pinned}; {weasy_note}")
    print(f"letter: {LETTER} (synthetic data), {args.repeat} runs each, medians shown\n")

    # Warm up: compile the template, import lazily loaded modules, fill the CPU caches.
    repeat(1, lambda folder: ours(templates, 50, folder, start=10**7)[0])

    stage_totals: list[dict[str, float]] = []

    def ours_run(folder: Path) -> Run:
        run, stages = ours(templates, args.n, folder)
        stage_totals.append(stages)
        return run

    ours_runs = repeat(args.repeat, ours_run)
    ours_rate = statistics.median(r.rate for r in ours_runs)
    rss_after_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = {k: statistics.median(s[k] for s in stage_totals) / args.n * 1e6
              for k in stage_totals[0]}
    print(f"(a) ours, Jinja -> HTML -> model -> PDF file    {ours_rate:9,.0f} letters/s"
          f"   (n={args.n:,})")
    print("    per letter: " + ", ".join(f"{k} {v:,.0f} us" for k, v in stages.items()))
    render_only = 1e6 / (stages["jinja"] + stages["parse"] + stages["pdf"])
    print(f"    ours, rendering only (file writes excluded)  {render_only:9,.0f} letters/s")

    cold_runs = repeat(args.repeat, lambda folder: ours(templates, args.cold_n, folder,
                                                        cold=True)[0])
    cold_rate = statistics.median(r.rate for r in cold_runs)
    print(f"    ours, layout memos cleared per letter     {cold_rate:9,.0f} letters/s"
          f"   (n={args.cold_n:,})")

    html_runs = repeat(args.repeat, lambda _folder: html_only(templates, args.n))
    html_rate = statistics.median(r.rate for r in html_runs)
    print(f"(b) HTML only (Jinja render)                   {html_rate:9,.0f} letters/s"
          f"   (n={args.n:,}; target 20,000)")

    if weasyprint is not None:
        base_runs = repeat(args.repeat,
                           lambda folder: baseline(templates, args.baseline_n, folder, weasyprint))
        base_rate = statistics.median(r.rate for r in base_runs)
        print(f"(c) baseline, Jinja -> HTML -> WeasyPrint      {base_rate:9,.1f} letters/s"
              f"   (n={args.baseline_n:,})")
        print(f"    ratio ours / baseline                      {ours_rate / base_rate:9,.1f} x"
              "   (target >= 10x)")
    else:
        print(f"(c) baseline skipped: {weasy_note}")

    print(f"\npeak RSS of this process after (a): {rss_after_ours:,.0f} MiB "
          "(includes the interpreter and libraries)")
    if not args.no_memory:
        small = traced_peak(templates, 1_000)
        large = traced_peak(templates, args.n)
        print(f"peak traced Python heap during (a): {small:,.1f} MiB at 1,000 letters, "
              f"{large:,.1f} MiB at {args.n:,} letters")


if __name__ == "__main__":
    main()
