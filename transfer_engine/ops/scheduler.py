"""The deadline scheduler: a periodic sweep that decides what is due and delivers it.

A sweep stands on one *day*: the notices planned for that day and earlier are due. The day is
the ``--as-of`` date when one is given (a replay: HR's dry run, or a test walking a transfer
through time), otherwise today in ``TRANSFER_ENGINE_TIMEZONE`` once the configured send time
(default 09:00) has passed, and yesterday before it. So in a replay the time of day plays no
part, and in service nothing planned for a day goes out before its send time.

Each sweep:

0. issues the letters owed by transitions (:mod:`transfer_engine.letters.owed`) first, since a
   letter can complete a step (its evidence) and so change which notices are due;
1. decides the notices due by its day (:mod:`transfer_engine.notices.planner`) and writes them with
   outbox messages in one transaction; a notice already decided is skipped by its key;
2. remembers the day it swept, and says so in the log when days were missed (what was missed
   is sent now, marked late) or when the clock went backwards (then nothing new is decided
   until the clock has caught up; the keys would stop a repeat anyway, but an older reminder
   superseded by a later sweep must not surface either);
3. delivers the outbox messages due (:mod:`transfer_engine.outbox.worker`), one commit per message.

:meth:`Runner.run_forever` runs sweeps with APScheduler (3.x): at start-up, every
``TRANSFER_ENGINE_SWEEP_INTERVAL`` seconds and at the send time on weekdays. Deadlines are
never held in APScheduler's memory: it only says "sweep now", so a restart loses nothing. The
process catches every error of a sweep, logs it and sweeps again at the next interval.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import ConfigurationError, TransferEngineError
from transfer_engine.letters.issue_jobs import run_waiting_jobs
from transfer_engine.letters.orphans import sweep_orphans
from transfer_engine.letters.owed import IssuedLetter, issue_pending, pending
from transfer_engine.notices.planner import due_digests, due_escalations, due_reminders
from transfer_engine.outbox.delivery import DeliveryBackend, backend_from_settings
from transfer_engine.outbox.queue import PlannedNotice, enqueue, enqueue_many, existing_keys
from transfer_engine.outbox.worker import Delivery, deliver_due, due_messages
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import SWEEP_FINISHED, OutboxStatus, SchedulerState

log = logging.getLogger("transfer_engine.ops.scheduler")

LAST_DAY = "last_sweep_day"


def zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"TRANSFER_ENGINE_TIMEZONE={settings.timezone!r} is not a time zone; "
            "use a name such as Europe/London") from None


@dataclass(frozen=True)
class SweepClock:
    """Where a sweep stands in time.

    ``day``: notices planned for this day or earlier are due. ``today``: the local date now,
    against which lateness is judged. In a replay both are the ``--as-of`` date.
    """

    day: date
    today: date
    replay: bool

    @classmethod
    def at(cls, as_of: date | None, settings: Settings,
           now: datetime | None = None) -> SweepClock:
        if as_of is not None:
            return cls(as_of, as_of, True)
        local = (now or datetime.now(UTC)).astimezone(zone(settings))
        day = local.date() if local.time() >= settings.send_time else local.date() - timedelta(1)
        return cls(day, local.date(), False)


@dataclass
class SweepReport:
    """What a sweep decided and delivered (or, in a dry run, would)."""

    day: date
    dry_run: bool
    decided: list[PlannedNotice] = field(default_factory=list)
    letters: list[IssuedLetter] = field(default_factory=list)
    letters_owed: list[dict[str, object]] = field(default_factory=list)  # dry run: not issued
    deliveries: list[Delivery] = field(default_factory=list)
    would_deliver: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recovered: int = 0
    held: int = 0           # found with the mail server when their process stopped: for HR
    orphans_removed: int = 0
    stopped_early: str | None = None

    def failures(self) -> list[str]:
        """What this sweep could not do: each message not delivered (it is retried, or HR is
        shown it), letter not issued or notice not recorded. Empty when everything went out."""
        undelivered = [d for d in self.deliveries if d.status in (
            OutboxStatus.failed.value, OutboxStatus.permanent_failure.value) or (
            d.in_doubt and d.status == OutboxStatus.pending.value)]  # held: for HR
        return [f"outbox #{d.id} to {d.recipient or '(no address)'} not delivered: {d.error}"
                for d in undelivered] + self.errors

    def as_json(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(), "dry_run": self.dry_run,
            "decided": [_notice_json(n) for n in self.decided],
            "letters": [{"transfer": i.transfer_ref, "letter": i.letter, "day": i.day.isoformat(),
                         "outcome": i.outcome, "recipients": i.recipients,
                         "problem": i.problem} for i in self.letters],
            "letters_owed": self.letters_owed,
            "deliveries": [d.as_json() for d in self.deliveries],
            "would_deliver": self.would_deliver, "warnings": self.warnings,
            "errors": self.errors, "recovered_in_doubt": self.recovered,
            "held_in_doubt": self.held, "orphan_letter_files_removed": self.orphans_removed,
            "stopped_early": self.stopped_early, "failures": self.failures(),
            "counts": {s.value: sum(1 for d in self.deliveries if d.status == s.value)
                       for s in OutboxStatus},
        }


def _notice_json(notice: PlannedNotice) -> dict[str, object]:
    return {
        "key": notice.key, "kind": notice.kind.value, "transfer": notice.transfer_ref,
        "step": notice.step_id,
        "due_date": notice.due_date.isoformat() if notice.due_date else None,
        "planned_for": notice.planned_for.isoformat(), "late": notice.late,
        "recipients": [{"to": m.recipient, "audience": m.audience, "subject": m.subject,
                        "problem": m.problem} for m in notice.messages],
    }


def plan(session: Session, day: date, settings: Settings,
         report: SweepReport) -> list[PlannedNotice]:
    """Every notice due by ``day`` that has not been decided yet. Never raises for bad data."""
    finders: list[tuple[str, Callable[[], list[PlannedNotice]]]] = [
        ("reminders", lambda: due_reminders(session, day, catch_up_days=settings.catch_up_days)),
        ("escalations", lambda: due_escalations(session, day,
                                                catch_up_days=settings.catch_up_days)),
        ("digests", lambda: due_digests(session, day, digest_days=settings.digest_days,
                                        catch_up_days=settings.catch_up_days)),
    ]
    found: list[PlannedNotice] = []
    for what, finder in finders:
        try:
            found.extend(finder())
        except Exception as exc:
            log.exception("could not work out the %s due by %s", what, day)
            report.errors.append(f"{what}: {exc}")
    done = existing_keys(session, [n.key for n in found])
    return [n for n in found if n.key not in done]


def _check_clock(session: Session, clock: SweepClock, report: SweepReport,
                 catch_up_days: int) -> bool:
    """Remember the day swept; False when the clock went backwards (decide nothing new then).

    Deciding again for an earlier day could only repeat what a later sweep already covered
    (an older reminder that the later one superseded), so a sweep standing before the last
    day swept only delivers what is already in the outbox.
    """
    state = _locked_state(session)
    last = date.fromisoformat(state.value) if state.value else None
    if last is not None and clock.day < last:
        message = (f"clock moved backwards: a sweep already stood on {last}, this one stands on "
                   f"{clock.day}. Nothing new is decided until the clock passes {last}; "
                   "messages already in the outbox are still delivered.")
        log.warning(message)
        report.warnings.append(message)
        return False
    if last is not None and (clock.day - last).days > 1:
        missed = (clock.day - last).days - 1
        limit = (f" (only the last {catch_up_days} are made up: TRANSFER_ENGINE_CATCH_UP_DAYS)"
                 if missed > catch_up_days else "")
        message = (f"the last sweep stood on {last}: catching up {missed} day(s) missed"
                   f"{limit}; what was missed is sent now, marked late")
        log.warning(message)
        report.warnings.append(message)
    state.value, state.updated_at = clock.day.isoformat(), utcnow()
    session.add(state)
    return True


def _locked_state(session: Session) -> SchedulerState:
    """The last-swept-day row, created if missing and locked for the rest of the transaction.

    Two schedulers starting at once would otherwise both create it (one failing on the
    primary key); locked, their deciding phases run one after the other, and the second finds
    the first one's notices already decided.
    """
    table = SchedulerState.__table__  # type: ignore[attr-defined]
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.connection().execute(
        insert(table).values(name=LAST_DAY, value="", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"]))
    return session.exec(select(SchedulerState).where(SchedulerState.name == LAST_DAY)
                        .with_for_update()).one()


def sweep(*, as_of: date | None = None, dry_run: bool = False, engine: Engine | None = None,
          backend: DeliveryBackend | None = None, settings: Settings | None = None,
          stop: threading.Event | None = None, now: datetime | None = None) -> SweepReport:
    """Decide what is due and deliver it (or, with ``dry_run``, only say what would happen)."""
    settings = settings or get_settings()
    clock = SweepClock.at(as_of, settings, now)
    report = SweepReport(clock.day, dry_run)
    if dry_run:
        with read_session(engine) as session:
            report.decided = plan(session, clock.day, settings, report)
            report.letters_owed = [
                {"transfer": p.transfer_ref, "letter": p.letter, "day": p.letter_date.isoformat(),
                 "attempts": p.attempts, "last_error": p.last_error} for p in pending(session)]
            for row in due_messages(session, clock.day, now or datetime.now(UTC)):
                report.would_deliver.append({
                    "id": row.id, "kind": row.kind.value, "transfer": row.transfer_ref,
                    "to": row.recipient, "subject": row.subject,
                    "planned_for": row.planned_for.isoformat(), "status": row.status.value})
        return report

    # Letters first: state letters owed by transitions whose caller did not issue them (see
    # state_letters), and letters issued in the background whose process stopped before the
    # end (web, API). A letter can be a step's evidence and complete it, so the notices are
    # decided after: a reminder of a step its own letter has just done would only be cancelled.
    issued = issue_pending(engine, settings=settings, stop=stop)
    report.letters, report.errors = issued.issued, report.errors + issued.errors
    run_waiting_jobs(engine, settings)
    with write_session(engine) as session:
        forward = _check_clock(session, clock, report, settings.catch_up_days)
        planned = plan(session, clock.day, settings, report) if forward else []
        try:
            with session.begin_nested():
                report.decided.extend(enqueue_many(session, planned, settings))
            planned = []
            for notice in report.decided:
                log.info("decided %s%s: %s -> %s", notice.key, " (late)" if notice.late else "",
                         notice.messages[0].subject if notice.messages else "",
                         ", ".join(m.recipient or "(no address)" for m in notice.messages))
        except Exception:
            # One bad notice must not hold back the others: decide them one by one instead.
            log.exception("could not record the notices together; recording them one by one")
        for notice in planned:
            try:
                with session.begin_nested():
                    if enqueue(session, notice, settings) is not None:
                        report.decided.append(notice)
                        log.info("decided %s%s: %s -> %s", notice.key,
                                 " (late)" if notice.late else "",
                                 notice.messages[0].subject if notice.messages else "",
                                 ", ".join(m.recipient or "(no address)"
                                           for m in notice.messages))
            except Exception as exc:
                log.exception("could not record notice %s; it will be tried at the next sweep",
                              notice.key)
                report.errors.append(f"{notice.key}: {exc}")
    _sweep_letter_files(engine, settings, report)
    backend = backend or backend_from_settings(settings)
    delivery = deliver_due(backend, today=clock.today, due_by=clock.day, engine=engine,
                           settings=settings, stop=stop)
    report.deliveries = delivery.deliveries
    report.recovered = delivery.recovered
    report.held = delivery.held
    report.stopped_early = delivery.stopped_early
    if delivery.stopped_early:
        log.warning("delivery stopped for this sweep: %s", delivery.stopped_early)
    return report


# When this process last swept the letters folder (time.monotonic()); None: not yet.
_LETTER_FILES_SWEPT: list[float] = []
LETTER_FILES_EVERY = 3600.0


def _sweep_letter_files(engine: Engine | None, settings: Settings, report: SweepReport) -> None:
    """Remove letter files an interrupted issue left (see letters.orphans), hourly at most:
    walking the folder costs more than a quiet sweep, and orphans only come from crashes."""
    if _LETTER_FILES_SWEPT and time.monotonic() - _LETTER_FILES_SWEPT[-1] < LETTER_FILES_EVERY:
        return
    _LETTER_FILES_SWEPT[:] = [time.monotonic()]
    try:
        swept = sweep_orphans(engine=engine, settings=settings)
    except OSError as exc:
        report.errors.append(f"letters folder {settings.letters_dir}: {exc}")
        return
    report.orphans_removed = len(swept.removed)
    report.errors.extend(swept.errors)


def summary(report: SweepReport) -> str:
    counts = report.as_json()["counts"]
    assert isinstance(counts, dict)
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    return (f"sweep for {report.day}: {len(report.decided)} notice(s) decided, "
            f"{len(report.letters)} owed letter(s) issued; delivered: "
            f"{', '.join(parts) or 'nothing'}")


# ---------------------------------------------------------------------------------------------
# The long-running process


def record_heartbeat(engine: Engine | None, seconds: float) -> None:
    """Say that a sweep finished, and how long it took (read by /readyz and /metrics).

    An upsert, so that several scheduler processes writing their first heartbeat at once do
    not collide on the row's key.
    """
    table = SchedulerState.__table__  # type: ignore[attr-defined]
    with write_session(engine) as session:
        dialect = session.connection().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = {"value": f"{seconds:.3f}", "updated_at": utcnow()}
        session.connection().execute(
            insert(table).values(name=SWEEP_FINISHED, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values))


class Runner:
    """Sweeps on APScheduler's timetable, one at a time, until told to stop."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None,
                 interval: int | None = None) -> None:
        self.settings = settings or get_settings()
        self.engine = engine
        self.interval = interval or self.settings.sweep_interval
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.sweeps = 0

    def run_sweep(self) -> None:
        """One sweep; never raises (the scheduler must outlive any bad row or outage)."""
        if not self._lock.acquire(blocking=False):
            log.info("a sweep is still running; this one is skipped")
            return
        try:
            if self.stop.is_set():
                return
            started = time.monotonic()
            report = sweep(engine=self.engine, settings=self.settings, stop=self.stop)
            self.sweeps += 1
            record_heartbeat(self.engine, time.monotonic() - started)
            log.info(summary(report), extra={"sweep_seconds": round(time.monotonic() - started,
                                                                    3)})
        except TransferEngineError as exc:  # the database or a folder is unavailable, say
            log.error("the sweep failed: %s. The next one runs in %s s", exc, self.interval)
        except Exception:
            log.exception("the sweep failed; the next one runs in %s s", self.interval)
        finally:
            self._lock.release()

    def run_forever(self) -> None:
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        tz = zone(self.settings)
        scheduler = BlockingScheduler(timezone=tz, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        scheduler.add_job(self.run_sweep, IntervalTrigger(seconds=self.interval, timezone=tz),
                          id="sweep", name="deadline sweep", next_run_time=datetime.now(tz))
        send = self.settings.send_time
        scheduler.add_job(self.run_sweep, CronTrigger(day_of_week="mon-fri", hour=send.hour,
                                                      minute=send.minute, timezone=tz),
                          id="send-time", name="sweep at the send time")

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s: finishing the message in hand, then stopping", signum)
            self.stop.set()
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("scheduler started: sweeps every %s s and at %s on weekdays (%s); mail: %s",
                 self.interval, send.strftime("%H:%M"), tz.key, self._mail_description())
        scheduler.start()
        log.info("scheduler stopped")

    def _mail_description(self) -> str:
        s = self.settings
        if s.mail_backend == "files":
            return f".eml files in {s.outbox_dir.resolve()}"
        return (f"SMTP {s.smtp_host}:{s.smtp_port}{' with STARTTLS' if s.smtp_starttls else ''}"
                f"{' as ' + s.smtp_user if s.smtp_user else ''}")
