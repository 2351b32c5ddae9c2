"""A bulk issue with its letters rendered by worker processes (``letters issue --workers N``):
the same letters, registered and queued once, as an issue in one process makes."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.letter_fixtures import files_of, flat, letters, outbox
from transfer_engine.letters import render_workers, service
from transfer_engine.letters.register import verify

TODAY = date(2023, 1, 16)
REF = "send-iass-to-wnc"


def _taken_from_workers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, bytes]]:
    """The files the writer took from the workers, by format (the real ones, only recorded)."""
    taken: list[dict[str, bytes]] = []
    real = render_workers.RenderWorkers.take

    def take(self: render_workers.RenderWorkers, letter: Any) -> dict[str, bytes] | None:
        made = real(self, letter)
        if made is not None:
            taken.append(made)
        return made

    monkeypatch.setattr(render_workers.RenderWorkers, "take", take)
    return taken


def test_letters_rendered_by_workers_are_the_letters_one_process_makes(
        demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = _taken_from_workers(monkeypatch)

    # Chunks of two: the workers render the next chunk while one is written.
    report = service.issue_letters(REF, "employee-notification", actor="hr", today=TODAY,
                                   engine=demo, chunk_size=2, workers=2)

    issued = letters(demo, transfer_ref=REF, letter="employee-notification")
    assert len(report.issued) == len(issued) == 6
    assert len(taken) == 6, "every letter should have come from a worker"
    # One notice per letter, as without workers.
    assert [m.letter_id for m in outbox(demo)] == [r.id for r in issued]
    # Each registered file is byte for byte what this process renders from the stored data:
    # `letters verify` renders every letter again and compares it with the register.
    check = verify(REF, engine=demo)
    assert check.ok and check.checked == 6, check.as_json()
    # ... and every format of it is the one a worker made.
    for fmt in ("pdf", "docx", "html", "txt"):
        made = {hashlib.sha256(files[fmt]).hexdigest() for files in taken}
        assert {files_of(demo, row.id)[fmt].sha256 for row in issued} == made, fmt


def test_running_the_issue_again_with_workers_issues_nothing_twice(
        demo: Engine, cli) -> None:
    code, out, _ = cli("letters", "issue", REF, "employee-notification", "--as-of",
                       TODAY.isoformat(), "--workers", "2")
    assert code == 0, out
    assert "issued employee-notification to 6 recipient(s)" in flat(out)

    code, out, _ = cli("letters", "issue", REF, "employee-notification", "--as-of",
                       TODAY.isoformat(), "--workers", "2")

    assert code == 0, out
    assert len(letters(demo, transfer_ref=REF, letter="employee-notification")) == 6
    assert len(outbox(demo)) == 6


def test_a_worker_count_out_of_range_is_refused_with_the_range(cli) -> None:
    code, _, err = cli("letters", "issue", REF, "employee-notification", "--workers", "0",
                       ok=False)

    assert code == 2
    assert "Invalid value for '--workers'" in err
    assert "greater than or equal to 1" in flat(err)


def test_the_letter_rendered_in_this_process_is_used_when_no_worker_made_it(
        demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker that fails (or data that changed after it was rendered) leaves the writer to
    # render the letter itself: the issue completes with the same letters.
    monkeypatch.setattr(render_workers.RenderWorkers, "take", lambda self, letter: None)

    report = service.issue_letters(REF, "employee-notification", actor="hr", today=TODAY,
                                   engine=demo, chunk_size=4, workers=2)

    assert len(report.issued) == 6
    assert verify(REF, engine=demo).ok
