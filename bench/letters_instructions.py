"""Benchmark: the work a letter costs, ours against WeasyPrint, in instructions (callgrind).

``letters_bench.py`` times the pipelines, and its ratio follows this machine's state: in one
run the machine made ours 37% slower than in the next and WeasyPrint 16% slower, and the ratio
was 12.5x instead of 16.4x (README, "Letters"). An instruction count does not drift from run
to run on one installation (it changes with the versions of Python, Typst and WeasyPrint, and
with the CPU's features, which choose glibc's string functions). Each pipeline of
``letters_bench.py`` runs under valgrind's callgrind in processes of their own: warmed up and
then making ``n`` letters, and warmed up and then making ``2n``. Everything a process does once
(starting Python, loading fonts, warming up) is in both counts, so their difference divided by
``n`` is what a letter costs: building its data, Jinja, our model and Typst (or WeasyPrint),
writing the file. callgrind counts the process's own instructions, not the kernel's, so writing
a file counts only the call. The counts repeat to within a tenth of a percent (the letters'
data is seeded and so is Python's hashing).

An instruction is not a unit of time: how many a core runs a second depends on the code (and
on what else shares the machine's memory). The ratio of counts is the ratio of work, which
the timed ratio comes near on a quiet machine.

Needs valgrind (Debian: ``apt-get install -y valgrind``) and, for the baseline, WeasyPrint
(``pip install weasyprint``). About five minutes on two cores.

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
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import letters_bench as bench

OURS = "ours"
#: Every pipeline this counts, by the name a child process is given, with its label.
PIPELINES = {OURS: "ours: Jinja, model, Typst PDF/A-2a + PDF/UA-1"} | {
    name: f"WeasyPrint, {name} (as in letters_bench.py)" for name in bench.BASELINES}
_COLLECTED = re.compile(r"Collected : (\d+)")


class CountFailed(Exception):
    """A pipeline could not be counted; the message says which and why."""


def make_letters(pipeline: str, n: int) -> None:
    """In the child: warm the pipeline up, then make ``n`` letters."""
    templates = bench.LetterTemplates(bench.ROOT / "templates" / "letters")
    folder = Path(tempfile.mkdtemp(prefix="letters-instructions-",
                                   dir=bench.in_memory_folder(64 * 1024 * (n + 50))))
    try:
        if pipeline == OURS:
            bench.warm_up_ours(templates)
            bench.ours(templates, n, folder)
            return
        weasyprint, note = bench.load_weasyprint()
        if weasyprint is None:
            sys.exit(note)
        variant = bench.BASELINES[pipeline]
        bench.warm_up_baseline(templates, weasyprint, [variant])
        bench.baseline(templates, n, folder, weasyprint, variant)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Counter:
    """Runs the child processes under callgrind; stops them all when one fails."""

    def __init__(self) -> None:
        self.running: set[subprocess.Popen[str]] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def count(self, pipeline: str, n: int) -> int:
        """Instructions a child process runs making ``n`` letters of ``pipeline``, warm-up
        and start included."""
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                   sys.executable, __file__, "--child", pipeline, str(n)]
        with self.lock:
            if self.stopping:
                raise CountFailed(f"{pipeline}, {n} letters: not started (another run failed)")
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=dict(os.environ, PYTHONHASHSEED="0"))
            self.running.add(child)
        try:
            _, errors = child.communicate()
        finally:
            with self.lock:
                self.running.discard(child)
        found = _COLLECTED.search(errors)
        if child.returncode != 0 or found is None:
            raise CountFailed(f"{PIPELINES[pipeline]}, {n} letters, under callgrind failed "
                              f"(exit {child.returncode}):\n{errors[-2000:]}")
        return int(found.group(1))

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for child in self.running:
                child.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50,
                        help="letters of ours counted (the processes make n and 2n)")
    parser.add_argument("--baseline-n", type=int, default=8,
                        help="letters of each WeasyPrint run counted (each costs ~7 s here)")
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        pipeline, letters = args.child
        if pipeline not in PIPELINES or not letters.isdigit():
            parser.error(f"--child takes one of {', '.join(PIPELINES)} and a number of letters")
        make_letters(pipeline, int(letters))
        return
    if args.n < 1 or args.baseline_n < 1:
        parser.error("--n and --baseline-n must be at least 1")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install -y valgrind (Debian), then run "
                 "this again")
    weasyprint, note = bench.load_weasyprint()
    pipelines = list(PIPELINES) if weasyprint is not None else [OURS]
    letters = {name: args.n if name == OURS else args.baseline_n for name in pipelines}
    jobs = [(name, n) for name in pipelines for n in (letters[name], 2 * letters[name])]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    print(f"Python {sys.version.split()[0]}; {note}; {len(jobs)} processes under callgrind, "
          f"{min(cores, len(jobs))} at a time (a few minutes)", flush=True)
    counter = Counter()
    with ThreadPoolExecutor(max_workers=min(cores, len(jobs))) as pool:
        futures = {pool.submit(counter.count, *job): job for job in jobs}
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((future for future in done if future.exception() is not None), None)
        if failed is not None:
            counter.stop()
            for future in futures:
                future.cancel()
            sys.exit(str(failed.exception()))
    counts = {futures[future]: future.result() for future in futures}
    per_letter = {name: (counts[name, 2 * letters[name]] - counts[name, letters[name]])
                  / letters[name] for name in pipelines}
    print(f"instructions a letter, counted by callgrind (letters counted: ours {args.n}, "
          f"WeasyPrint {args.baseline_n} a run)")
    for name in pipelines:
        line = f"  {PIPELINES[name]:<48}{per_letter[name] / 1e6:8.1f} million"
        if name != OURS:
            line += f"   ours does {per_letter[name] / per_letter[OURS]:.1f}x less work"
        print(line)
    if weasyprint is None:
        print(f"  baseline skipped: {note}")


if __name__ == "__main__":
    main()
