"""Benchmark: the work a letter costs, ours against WeasyPrint, in instructions (callgrind).

``letters_bench.py`` times the pipelines, and its ratio follows this machine's state: in one
run the machine made ours 37% slower than in the next and WeasyPrint 16% slower, and the ratio
was 12.5x instead of 16.4x (README, "Letters"). An instruction count does not drift. Each
pipeline of ``letters_bench.py`` runs under valgrind's callgrind twice in a process of its own:
warmed up and then stopped, and warmed up and then making ``n`` letters (the same synthetic
letters). The difference divided by ``n`` is the instructions a letter costs, whole: building
its data, Jinja, our model and Typst (or WeasyPrint), writing the file. Counts are the same
from run to run to within a tenth of a percent (the letters' data is seeded and so is Python's
hashing).

An instruction is not a unit of time: how many a core runs a second depends on the code (and
on what else shares the machine's memory). The ratio of counts is the ratio of work, which
the timed ratio approaches on a quiet machine.

Needs valgrind (Debian: ``apt-get install -y valgrind``) and, for the baseline, WeasyPrint
(``pip install weasyprint``). About four minutes on two cores.

Run from the project root:  python bench/letters_instructions.py [--n 50] [--baseline-n 8]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import letters_bench as bench

#: What a child process runs: our pipeline, or WeasyPrint's as a plain or a tagged PDF/A-2a.
PIPELINES = {
    "ours": "ours: Jinja, model, Typst PDF/A-2a + PDF/UA-1",
    "plain": "WeasyPrint, plain PDF",
    "tagged": "WeasyPrint, tagged PDF/A-2a",
}
_COLLECTED = re.compile(r"Collected : (\d+)")


def make_letters(pipeline: str, n: int) -> None:
    """In the child: warm the pipeline up, then make ``n`` letters (none if ``n`` is 0)."""
    templates = bench.LetterTemplates(bench.ROOT / "templates" / "letters")
    folder = Path(tempfile.mkdtemp(prefix="letters-instructions-",
                                   dir=bench.in_memory_folder(64 * 1024 * (n + 50))))
    try:
        if pipeline == "ours":
            bench.ours(templates, 20, folder, start=10**7)
            if n:
                bench.ours(templates, n, folder)
            return
        weasyprint, note = bench.load_weasyprint()
        if weasyprint is None:
            sys.exit(note)
        variant = None if pipeline == "plain" else "pdf/a-2a"
        bench.baseline(templates, 2, folder, weasyprint, variant)
        if n:
            bench.baseline(templates, n, folder, weasyprint, variant)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def instructions(pipeline: str, n: int) -> int:
    """Instructions a child process runs making ``n`` letters of ``pipeline``, warm-up included."""
    environment = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--child", pipeline, str(n)],
        capture_output=True, text=True, env=environment, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"{pipeline}, {n} letters, under callgrind failed (exit {done.returncode}):\n"
                 f"{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="letters of ours counted")
    parser.add_argument("--baseline-n", type=int, default=8,
                        help="letters of each WeasyPrint run counted (each costs ~3 s here)")
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        make_letters(args.child[0], int(args.child[1]))
        return
    if args.n < 1 or args.baseline_n < 1:
        parser.error("--n and --baseline-n must be at least 1")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install -y valgrind (Debian), then run "
                 "this again")
    weasyprint, note = bench.load_weasyprint()
    pipelines = list(PIPELINES) if weasyprint is not None else ["ours"]
    counts = {"ours": args.n} | {name: args.baseline_n for name in pipelines if name != "ours"}
    jobs = [(name, n) for name in pipelines for n in (0, counts[name])]
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        results = dict(zip(jobs, pool.map(lambda job: instructions(*job), jobs), strict=True))
    per_letter = {name: (results[name, counts[name]] - results[name, 0]) / counts[name]
                  for name in pipelines}
    print(f"instructions a letter, counted by callgrind (letters: ours {args.n}, "
          f"WeasyPrint {args.baseline_n} a run)")
    for name in pipelines:
        line = f"  {PIPELINES[name]:<48}{per_letter[name] / 1e6:8.1f} million"
        if name != "ours":
            line += f"   ours does {per_letter[name] / per_letter['ours']:.1f}x less work"
        print(line)
    if weasyprint is None:
        print(f"  baseline skipped: {note}")


if __name__ == "__main__":
    main()
