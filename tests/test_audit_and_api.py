"""The audit log is append-only in the database itself; the public API is pinned."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

import transfer_engine
from tests.conftest import run_cli


def test_audit_entries_cannot_be_changed_or_deleted(demo) -> None:
    for statement in ("UPDATE auditentry SET actor = 'someone else'", "DELETE FROM auditentry"):
        with demo.connect() as connection, pytest.raises(DatabaseError, match="append-only"):
            connection.execute(text(statement))
    with demo.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM auditentry")).scalar()
    assert count > 0


def test_public_api() -> None:
    assert transfer_engine.__all__ == [
        "AdvanceResult", "ConfigurationError", "ConflictError", "Exposure", "GuardFailure",
        "GuardRefusedError", "ImportReport", "ImportRowsError", "InvalidTriggerError",
        "IssueReport", "NotFoundError", "RescheduleReport", "Settings", "TimelineEntry",
        "TransferEngine", "TransferEngineError", "TransitionError", "ValidationError",
        "WorkflowDefinition", "WorkflowError", "WorkflowLibrary", "advance", "complete_step",
        "create_transfer", "library", "reschedule",
    ]
    for name in transfer_engine.__all__:
        assert hasattr(transfer_engine, name)


def test_unknown_transfer_and_bad_database_url_are_clear_errors(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli("init", env={"TRANSFER_ENGINE_DATABASE_URL": url}).returncode == 0
    result = run_cli("status", "no-such-transfer", env={"TRANSFER_ENGINE_DATABASE_URL": url})
    assert result.returncode == 1
    assert "no transfer 'no-such-transfer'" in result.stderr
    assert "transfer-engine demo" in result.stderr
    result = run_cli("list", env={"TRANSFER_ENGINE_DATABASE_URL": "nonsense://x"})
    assert result.returncode == 1 and "TRANSFER_ENGINE_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_twice_without_duplicates(tmp_path) -> None:
    env = {"TRANSFER_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    first = run_cli("demo", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sample data" in first.stdout
    second = run_cli("demo", env=env, cwd=tmp_path)
    assert "Already loaded: ld-to-nct, send-iass-to-wnc, acsws-to-schools" in second.stdout
    listing = run_cli("list", "--json", env=env, cwd=tmp_path)
    import json
    refs = [row["ref"] for row in json.loads(listing.stdout)]
    assert len(refs) == len(set(refs)) == 15


def test_a_database_url_that_cannot_be_used_never_shows_its_password(tmp_path) -> None:
    for url in ("postgresql+nodriver://hr:S3cretPw@db.example.org/transfers",
                "not a url at all S3cretPw"):
        result = run_cli("list", env={"TRANSFER_ENGINE_DATABASE_URL": url}, cwd=tmp_path)
        assert result.returncode != 0
        assert "TRANSFER_ENGINE_DATABASE_URL" in result.stderr
        assert "S3cretPw" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
