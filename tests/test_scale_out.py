"""Two scheduler processes on one database: 10,000 due notices, each delivered exactly once.

Runs on PostgreSQL (with TRANSFER_ENGINE_TEST_POSTGRES set), where the processes claim
messages with SELECT ... FOR UPDATE SKIP LOCKED and really work side by side, with the 10,000
notices of a production scale-out (and each claim walks the delivery queue's index to the first
free row instead of sorting the queue); and on SQLite, whose one writer makes the processes take
turns, with 2,000: the same exactly-once claim, in a fifth of the time.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import POSTGRES
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.outbox.worker import claim_query
from transfer_engine.store.database import write_session
from transfer_engine.store.messages import NoticeKind

NOTICES = 10_000 if POSTGRES else 2_000
DAY = date(2023, 3, 6)


def _claim_plan(engine: Engine) -> str:
    """PostgreSQL's plan for a scheduler's claim of the next message, as it stands now."""
    query = claim_query(DAY, datetime.now(UTC), set())
    sql = str(query.compile(engine, compile_kwargs={"render_postcompile": True,
                                                    "literal_binds": True}))
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE outboxmessage")  # the statistics a live server has
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def test_two_schedulers_send_every_notice_exactly_once(database, smtp_server) -> None:
    recorder, port = smtp_server
    for start in range(0, NOTICES, 1_000):
        with write_session(database) as session:
            for n in range(start, start + 1_000):
                enqueue(session, PlannedNotice(
                    key=f"scale-test:{n}", kind=NoticeKind.reminder, planned_for=DAY,
                    decided_on=DAY, messages=(PlannedMessage(
                        recipient_ref=f"owner:{n}", recipient=f"hr{n}@example.org",
                        audience="hr", subject=f"Reminder {n}",
                        body=f"Synthetic reminder number {n}."),)))
    if POSTGRES:
        plan = _claim_plan(database)
        assert "ix_outboxmessage_due" in plan and "Sort" not in plan, plan
    env = {**os.environ, "TRANSFER_ENGINE_MAIL": "smtp", "TRANSFER_ENGINE_SMTP_HOST": "127.0.0.1",
           "TRANSFER_ENGINE_SMTP_PORT": str(port), "TRANSFER_ENGINE_MAIL_FROM":
           "transfers@example.org"}
    schedulers = [subprocess.Popen(
        [sys.executable, "-m", "transfer_engine", "scheduler", "--once", "--as-of",
         DAY.isoformat()], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True) for _ in range(2)]
    deadline = time.monotonic() + 1_200
    for process in schedulers:
        _, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
        assert process.returncode == 0, err[-2000:]

    ids = collections.Counter(r.message_id for r in recorder.received)
    assert recorder.count() == NOTICES
    assert len(ids) == NOTICES and ids.most_common(1)[0][1] == 1
    with database.connect() as connection:
        statuses = dict(connection.execute(text(
            "SELECT status, count(*) FROM outboxmessage GROUP BY status")).all())
        workers = connection.execute(text(
            "SELECT count(DISTINCT claimed_by) FROM outboxmessage")).scalar()
    assert statuses == {"sent": NOTICES}
    assert workers == 2  # both processes delivered a share
