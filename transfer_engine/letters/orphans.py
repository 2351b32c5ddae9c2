"""Letter files the register does not own: found, reported, and removed (or completed).

A letter's files are written under a temporary name in the transaction that registers them and
take their own name after it commits (:func:`transfer_engine.letters.register.stage_file`). A
process killed in the middle leaves files behind:

* *never committed*: ``<file>.part`` files (or, from versions that wrote the final name before
  the commit, files under their own name) of a letter the register does not have. They hold an
  employee's name, address and pay for an issue that did not happen: **removed**.
* *committed, not yet renamed*: a ``.part`` file whose letter is registered with the same
  SHA-256 and whose own file is missing: **completed** (renamed into place).

After a restore the register no longer knows the letters issued after the backup was taken,
though they may have reached their recipients: their files are the only record of what was
sent. :func:`set_aside_after_restore` moves them to a folder of their own, which nothing here
touches again, so that they are neither removed as orphans nor overwritten by the letters
issued next (whose ids, counted again from the backup's, would give them the same names).

Only files older than ``min_age`` are touched, so an issue still running (its transaction open,
its files staged) is left alone. Files whose names transfer-engine does not make are reported
and never removed. ``letters verify`` lists orphans of any age; ``letters sweep-orphans`` and
the scheduler's sweep act on them.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.letters.documents import DOCUMENTS
from transfer_engine.letters.register import FORMATS, STAGED, file_sha256, transfer_folder
from transfer_engine.store.database import read_session
from transfer_engine.store.register import LetterFile

log = logging.getLogger("transfer_engine.letters.orphans")

#: Files younger than this may belong to an issue in progress: never touched by default.
MIN_AGE = timedelta(minutes=10)
#: Under the letters folder: the files of letters a restore left the register without.
AFTER_BACKUP = "issued-after-backup"

_SUFFIXES = "|".join(re.escape(renderer.suffix) for renderer in FORMATS.values())
_NAME = re.compile(rf"^(?P<id>\d{{7,}})-.+?(?:{_SUFFIXES})(?P<staged>{re.escape(STAGED)})?$")


@dataclass(frozen=True)
class OrphanFile:
    """A file in the letters folder and what is to be done with it."""

    path: str          # relative to the letters folder
    action: str        # "remove", "complete" (rename into place) or "unknown" (left alone)
    reason: str
    age_seconds: float
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "reason": self.reason,
                "age_seconds": round(self.age_seconds), "size": self.size}


@dataclass
class SweepReport:
    """What :func:`sweep_orphans` found and did (or, in a dry run, would do)."""

    dry_run: bool
    removed: list[OrphanFile] = field(default_factory=list)
    completed: list[OrphanFile] = field(default_factory=list)
    too_young: list[OrphanFile] = field(default_factory=list)   # left for a later sweep
    unknown: list[OrphanFile] = field(default_factory=list)     # not ours: left alone
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run,
                "removed": [o.as_json() for o in self.removed],
                "completed": [o.as_json() for o in self.completed],
                "too_young": [o.as_json() for o in self.too_young],
                "unknown": [o.as_json() for o in self.unknown], "errors": self.errors}


def _files(root: Path, folder: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every regular file under ``folder``, by directory, without following links."""
    for directory, dirs, names in os.walk(folder):
        if Path(directory) == root:
            # Documents kept as step evidence (the register's own), and letters set aside by a
            # restore (kept for good): neither is an orphan.
            dirs[:] = [d for d in dirs if d not in (DOCUMENTS, AFTER_BACKUP)]
        for name in sorted(names):
            path = Path(directory) / name
            try:
                status = path.lstat()
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
            if path.is_file() and not path.is_symlink():
                yield path, status


def find_orphans(transfer_ref: str | None = None, *, engine: Engine | None = None,
                 settings: Settings | None = None) -> list[OrphanFile]:
    """Files under the letters folder (one transfer's, or all) that no register entry owns."""
    settings = settings or get_settings()
    root = settings.letters_dir
    folder = root / transfer_folder(transfer_ref) if transfer_ref else root
    if not folder.is_dir():
        return []
    now = time.time()
    found: list[OrphanFile] = []
    batch: list[tuple[Path, os.stat_result, re.Match[str]]] = []
    with read_session(engine) as session:

        def judge() -> None:
            ids = sorted({int(match["id"]) for _p, _s, match in batch})
            owned = {row.path: row.sha256 for row in session.exec(
                select(LetterFile).where(col(LetterFile.letter_id).in_(ids))).all()}
            for path, status, match in batch:
                relative = path.relative_to(root).as_posix()
                age, size = now - status.st_mtime, status.st_size
                if not match["staged"]:
                    if relative not in owned:
                        found.append(OrphanFile(relative, "remove", "no issued letter owns it",
                                                age, size))
                    continue
                final = relative[:-len(STAGED)]
                if final not in owned:
                    found.append(OrphanFile(relative, "remove", "left by an issue that never "
                                            "committed", age, size))
                elif (root / final).exists():
                    found.append(OrphanFile(relative, "remove", "a leftover copy; the letter's "
                                            "file is in place", age, size))
                elif file_sha256(path) == owned[final]:
                    found.append(OrphanFile(relative, "complete", "its letter is issued but the "
                                            "file was not put in place", age, size))
                else:
                    found.append(OrphanFile(relative, "remove", "not the file its letter "
                                            "recorded", age, size))
            batch.clear()

        for path, status in _files(root, folder):
            match = _NAME.match(path.name)
            if match is None:
                found.append(OrphanFile(path.relative_to(root).as_posix(), "unknown",
                                        "not a file transfer-engine makes; left alone",
                                        now - status.st_mtime, status.st_size))
                continue
            batch.append((path, status, match))
            if len(batch) >= 500:
                judge()
        if batch:
            judge()
    return found


def sweep_orphans(*, dry_run: bool = False, min_age: timedelta = MIN_AGE,
                  engine: Engine | None = None,
                  settings: Settings | None = None) -> SweepReport:
    """Remove orphaned letter files older than ``min_age``, and complete unfinished ones."""
    settings = settings or get_settings()
    report = SweepReport(dry_run)
    for orphan in find_orphans(engine=engine, settings=settings):
        if orphan.action == "unknown":
            report.unknown.append(orphan)
            continue
        if orphan.age_seconds < min_age.total_seconds():
            report.too_young.append(orphan)
            continue
        path = settings.letters_dir / orphan.path
        try:
            if orphan.action == "complete":
                if not dry_run:
                    os.replace(path, settings.letters_dir / orphan.path[:-len(STAGED)])
                report.completed.append(orphan)
            else:
                if not dry_run:
                    path.unlink(missing_ok=True)
                report.removed.append(orphan)
        except OSError as exc:
            report.errors.append(f"{orphan.path}: {exc.strerror or exc}")
    if not dry_run and (report.removed or report.completed):
        log.warning("letters folder: removed %s orphaned file(s), completed %s",
                    len(report.removed), len(report.completed))
    return report


def set_aside_after_restore(stamp: str, *, engine: Engine | None = None,
                            settings: Settings | None = None) -> tuple[list[str], list[str]]:
    """Move every letter file the (restored) register does not own, whatever its age, to
    ``<letters>/issued-after-backup/<stamp>/``, keeping its path. Returns the paths moved, as
    they now are, and the files that could not be moved, each with why (relative to the
    letters folder): the restore has happened by then, so a file is never a reason to stop."""
    settings = settings or get_settings()
    root = settings.letters_dir
    moved: list[str] = []
    stuck: list[str] = []
    for orphan in find_orphans(engine=engine, settings=settings):
        if orphan.action == "unknown":
            continue
        target = root / AFTER_BACKUP / stamp / orphan.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / orphan.path, target)
        except OSError as exc:
            stuck.append(f"{orphan.path} ({exc.strerror or exc})")
            continue
        moved.append(target.relative_to(root).as_posix())
    return moved, stuck
