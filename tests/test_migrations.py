"""Schema migrations: the models and the migrations agree, and an upgrade keeps the data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from tests.conftest import PROJECT, Cli, fresh_database
from tests.test_elections_objections import _invite, _transfer
from transfer_engine.store.database import alembic_config, current_revision, get_engine, upgrade
from transfer_engine.workflow.loader import WorkflowLibrary

FIRST = "0001"


def test_migrations_create_exactly_the_tables_the_models_describe(database) -> None:
    with database.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection),
                                       SQLModel.metadata)
    assert differences == []


def _insert_engine_core_data(engine: Engine, *, workflow_version: int | None = None) -> None:
    """Data as the first release wrote it, in its own schema (plain SQL, no current code).

    The transfer runs on ``workflow_version`` of ld-to-nct, by default the version its shipped
    file has now (the first release kept no definitions: ``db upgrade`` takes it from the file).
    """
    if workflow_version is None:
        workflow_version = WorkflowLibrary(PROJECT / "workflows").get("ld-to-nct").version
    now = datetime(2022, 9, 7, 10, 0, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(text("INSERT INTO organisation (id, slug, name, kind) VALUES "
                       "(1, 'nnc', 'North Northamptonshire Council', 'council'), "
                       "(2, 'nct', 'Northamptonshire Children''s Trust', 'trust')"))
        c.execute(text(
            "INSERT INTO transfer (id, ref, title, workflow_id, workflow_version, regime, "
            "regime_reason, transferor_id, transferee_id, state, version, sample_data, "
            "hr_owner, created_at, updated_at) VALUES (1, 'ld-to-nct', 'L&D to NCT', "
            "'ld-to-nct', :v, 'tupe', 'owned company, not reg 3(5)', 1, 2, 'approved', 3, "
            ":t, 'hr@example.org', :now, :now)"), {"now": now, "t": True, "v": workflow_version})
        c.execute(text("INSERT INTO keydate (transfer_id, name, value) VALUES "
                       "(1, 'decision', :d), (1, 'transfer', :t)"),
                  {"d": date(2022, 9, 7), "t": date(2022, 11, 1)})
        c.execute(text(
            "INSERT INTO employee (transfer_id, employee_ref, full_name, role, fte, weekly_pay, "
            "in_scope, synthetic) VALUES (1, 'E1', 'Sample Person', 'Officer', 1.0, 600.00, "
            ":y, :y)"), {"y": True})
        c.execute(text(
            "INSERT INTO stepinstance (transfer_id, step_id, title, legal_basis, position, "
            "status, due_date, working_due_date, done_on, done_by, evidence) VALUES "
            "(1, 'decision', 'Decision', 'governance', 0, 'done', :d, :d, :d, 'hr', "
            "'Minute 7'), (1, 'eli', 'Send ELI', 'TUPE reg 11(6)', 7, 'open', :e, :e, NULL, "
            "NULL, NULL)"), {"d": date(2022, 9, 7), "e": date(2022, 10, 4)})
        c.execute(text("INSERT INTO auditentry (transfer_id, at, actor, action, from_state, "
                       "to_state, data) VALUES (1, :now, 'hr', 'advance', 'proposed', "
                       "'approved', '{\"trigger\": \"approve\"}')"), {"now": now})


def test_upgrading_a_database_of_the_first_schema_keeps_its_data(
    tmp_path: Path, monkeypatch
) -> None:
    with fresh_database(tmp_path) as url:
        monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL", url)
        monkeypatch.chdir(tmp_path)
        engine = get_engine(url)
        assert upgrade(engine, FIRST) == FIRST
        _insert_engine_core_data(engine)
        cli = Cli()
        cli("db", "upgrade")
        assert current_revision(engine) != FIRST
        status = cli.json("status", "ld-to-nct", "--as-of", "2022-09-20")
        assert status["state"] == "approved" and status["version"] == 3
        assert status["key_dates"] == {"decision": "2022-09-07", "transfer": "2022-11-01"}
        timeline = {r["step"]: r for r in cli.json("timeline", "ld-to-nct")}
        assert timeline["decision"]["done_on"] == "2022-09-07"
        assert timeline["eli"]["due_date"] == "2022-10-04"
        staff = cli.json("employees", "ld-to-nct")
        assert [(e["employee_ref"], e["weekly_pay"]) for e in staff] == [("E1", "600.00")]
        history = cli.json("history", "ld-to-nct")
        assert history[0]["data"] == {"trigger": "approve"}
        # The new tables work on the upgraded database: the scheduler can sweep it.
        cli("scheduler", "--once", "--as-of", "2022-10-05")
        assert cli.json("outbox")  # the overdue ELI was escalated
        engine.dispose()


def test_an_election_keeps_the_number_of_candidates_its_nominations_recorded(
    database: Engine, cli: Cli
) -> None:
    """Before 0012 the number who stood was kept only in the audit log; the upgrade puts it
    with the election, where a result is judged by it (reg 14(1)(e), (g)-(h))."""
    _transfer(cli, "before-0012")
    _invite(cli, "before-0012", seats="1")
    cli("elections", "nominations", "before-0012", "--closed-on", "2025-03-10", "--candidates",
        "2", "--as-of", "2025-03-12")
    with database.begin() as connection:
        command.downgrade(alembic_config(connection), "0011")
    assert current_revision(database) == "0011"
    upgrade(database)
    election = cli.json("elections", "show", "before-0012")["parties"][0]["elections"][0]
    assert election["candidates"] == 2
    code, _, err = cli("elections", "result", "before-0012", "--result-on", "2025-03-17",
                       "--elected", "Sample Cook 1 <cook1@example.org>", "--unopposed",
                       "--as-of", "2025-03-20", ok=False)
    assert code == 1 and "2 candidates stood for 1 seat" in " ".join(err.split())
