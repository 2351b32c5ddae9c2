"""Issuing a letter as a recorded run: at once for a few recipients, in the background for many.

The web app and the API record every issue as an :class:`~transfer_engine.store.issue_jobs.
IssueJob` (:func:`start_issue`). A letter to at most :data:`BACKGROUND_ABOVE` recipients is
issued there and then, in the request; a larger one by a worker thread, so that no request
renders hundreds of letters, while the page that shows the run refreshes its counts. The
scheduler's sweep (:func:`run_waiting_jobs`) carries on any run a stopped process left behind:
issuing skips recipients who already hold the letter, so taking a run up again never sends
anything twice.

A run issues the letters that can be made and records exactly who was not issued and why (the
check before it showed them), so its outcome is the truth: "4 of 6 issued; not issued: ...".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import NotFoundError, TransferEngineError
from transfer_engine.letters.issue import IssueReport, issue_letters
from transfer_engine.letters.refusal import SHOWN
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.issue_jobs import IssueJob, IssueJobStatus
from transfer_engine.store.queries import get_transfer

__all__ = ["BACKGROUND_ABOVE", "STALE_AFTER", "job_json", "job_of", "run_job", "run_waiting_jobs",
           "start_issue"]

log = logging.getLogger("transfer_engine.letters.issue_jobs")

#: A letter to more recipients than this is issued in the background.
BACKGROUND_ABOVE = 25
#: A running issue whose worker has not reported for this long has stopped (its process
#: ended): the scheduler takes it up again.
STALE_AFTER = timedelta(minutes=5)
#: Letters per transaction in a run (the counts shown move on after each).
_CHUNK = 20

_JOB = IssueJob.__table__  # type: ignore[attr-defined]


def start_issue(ref: str, letter: str, *, actor: str, today: date, recipient_count: int,
                recipients: Sequence[str] | None = None, override_reason: str | None = None,
                engine: Engine | None = None, settings: Settings | None = None,
                background_above: int = BACKGROUND_ABOVE) -> IssueJob:
    """Record an issue of ``letter`` and run it: now if ``recipient_count`` is small (any
    refusal is raised, as :func:`~transfer_engine.letters.issue.issue_letters` raises it),
    otherwise on a worker thread. Returns the run as it stands."""
    settings = settings or get_settings()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref)
        assert transfer.id is not None
        job = IssueJob(transfer_id=transfer.id, transfer_ref=ref, letter=letter,
                       letter_date=today, actor=actor,
                       recipients=list(recipients) if recipients else None,
                       override_reason=override_reason, total=recipient_count)
        session.add(job)
        session.flush()
        job_id = job.id
    assert job_id is not None
    if recipient_count > background_above:
        threading.Thread(target=run_job, args=(job_id,), name=f"issue-{job_id}", daemon=True,
                         kwargs={"engine": engine, "settings": settings}).start()
    else:
        run_job(job_id, engine=engine, settings=settings, raise_refusal=True)
    return job_of(job_id, engine=engine)


def job_of(job_id: int, *, transfer_id: int | None = None,
           engine: Engine | None = None) -> IssueJob:
    """One run (of that transfer, if given: another transfer's run is "not found")."""
    with read_session(engine) as session:
        job = session.get(IssueJob, job_id)
        if job is None or (transfer_id is not None and job.transfer_id != transfer_id):
            raise NotFoundError(f"no issue run {job_id}")
        session.expunge(job)
        return job


def _claim(engine: Engine | None, job_id: int) -> bool:
    """Take the run (queued, or left running by a stopped worker); False if another has it."""
    now = utcnow()
    with write_session(engine) as session:
        taken = session.connection().execute(
            update(_JOB).where(_JOB.c.id == job_id, or_(
                _JOB.c.status == IssueJobStatus.queued.name,
                (_JOB.c.status == IssueJobStatus.running.name)
                & (_JOB.c.heartbeat_at < now - STALE_AFTER)))
            .values(status=IssueJobStatus.running.name, started_at=now, heartbeat_at=now))
        return taken.rowcount == 1


def _update(engine: Engine | None, job_id: int, **values: Any) -> None:
    with write_session(engine) as session:
        session.connection().execute(update(_JOB).where(_JOB.c.id == job_id)
                                     .values(heartbeat_at=utcnow(), **values))


def run_job(job_id: int, *, engine: Engine | None = None, settings: Settings | None = None,
            raise_refusal: bool = False) -> None:
    """Carry out one run, recording its counts as it goes and its outcome at the end.

    Never raises for what stops the run (it is recorded with the run, for the page that shows
    it), except a refusal when ``raise_refusal`` (a run in the request: the page shows it).
    """
    if not _claim(engine, job_id):
        return
    job = job_of(job_id, engine=engine)

    def checked(report: IssueReport) -> None:
        _update(engine, job_id, total=report.checked, already=report.already_issued,
                not_issued_count=report.not_issued_count,
                not_issued=[{"recipient": p.ref, "label": p.recipient, "reason": _reason(p),
                             "fields": list(p.fields)} for p in report.not_issued[:SHOWN]])

    def written(done: int, total: int) -> None:
        _update(engine, job_id, done=done, issued=done)

    try:
        report = issue_letters(job.transfer_ref, job.letter, actor=job.actor,
                               today=job.letter_date, recipients=job.recipients,
                               override_reason=job.override_reason, ready_only=True,
                               engine=engine, settings=settings, chunk_size=_CHUNK,
                               checked=checked, chunk_done=written)
    except TransferEngineError as exc:
        _update(engine, job_id, status=IssueJobStatus.failed.name, error=str(exc),
                finished_at=utcnow())
        if raise_refusal:
            raise
        return
    except Exception:
        log.exception("issue run %s (%s, %s) stopped", job_id, job.transfer_ref, job.letter)
        _update(engine, job_id, status=IssueJobStatus.failed.name, finished_at=utcnow(),
                error="an unexpected fault stopped the issue (it is in the log); the letters "
                      "counted as issued were issued. Issue the letter again to issue the "
                      "rest: no one is sent it twice")
        return
    _update(engine, job_id, status=IssueJobStatus.finished.name, issued=len(report.issued),
            done=len(report.issued), finished_at=utcnow())


def _reason(problem: Any) -> str:
    if problem.fields:
        return "missing " + ", ".join(problem.fields)
    return str(problem.message or "")


def run_waiting_jobs(engine: Engine | None = None, settings: Settings | None = None) -> int:
    """Carry out runs no worker is doing (the scheduler's sweep); how many were taken up."""
    settings = settings or get_settings()
    stale = utcnow() - STALE_AFTER
    with read_session(engine) as session:
        ids = session.exec(select(IssueJob.id).where(or_(
            col(IssueJob.status) == IssueJobStatus.queued,
            and_(col(IssueJob.status) == IssueJobStatus.running,
                 col(IssueJob.heartbeat_at) < stale))).order_by(col(IssueJob.id))).all()
    taken = 0
    for job_id in ids:
        if job_id is not None and _claim_age(engine, job_id):
            run_job(job_id, engine=engine, settings=settings)
            taken += 1
    return taken


def _claim_age(engine: Engine | None, job_id: int) -> bool:
    """A queued run is left to its worker thread for a moment (it was just recorded)."""
    with read_session(engine) as session:
        job = session.get(IssueJob, job_id)
        return job is not None and (job.status != IssueJobStatus.queued
                                    or job.created_at < utcnow() - timedelta(seconds=30))


def job_json(job: IssueJob) -> dict[str, Any]:
    """A run as the API gives it."""
    return {"id": job.id, "transfer": job.transfer_ref, "letter": job.letter,
            "letter_date": job.letter_date.isoformat(), "status": job.status.value,
            "recipients": job.total, "done": job.done, "issued": job.issued,
            "already_issued": job.already, "not_issued": job.not_issued_count,
            "not_issued_recipients": job.not_issued, "error": job.error,
            "complete": job.status == IssueJobStatus.finished and not job.not_issued_count}
