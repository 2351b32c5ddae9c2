"""Backups of the embedded database and the purge of personal data after retention."""

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import POSTGRES, Cli
from tests.lifecycle import LD_TO_NCT


def test_purge_removes_personal_data_of_finished_transfers_only(demo, cli: Cli) -> None:
    for trigger, as_of in LD_TO_NCT:
        cli("advance", "ld-to-nct", trigger, "--as-of", as_of)
    letter_files = list(Path("letters").rglob("*.pdf"))
    assert letter_files, "entering the states issued letters"
    # Too soon: claims can be brought for three months after the transfer.
    code, _, err = cli("purge-personal-data", "--retention-days", "30", ok=False)
    assert code == 1 and "reg 15(12)" in err
    _, out, _ = cli("purge-personal-data", "--retention-days", "365", "--as-of", "2023-11-02",
                    "--dry-run")
    assert "Would purge personal data of 6 employee(s) in 1 transfer(s): ld-to-nct" in out
    assert cli.json("employees", "ld-to-nct")[0]["full_name"].startswith("Sample")
    cli("purge-personal-data", "--retention-days", "365", "--as-of", "2023-11-02")
    staff = cli.json("employees", "ld-to-nct")
    assert {e["full_name"] for e in staff} == {"(personal data purged)"}
    assert {e["weekly_pay"] for e in staff} == {"0.00"}
    assert [e["employee_ref"] for e in staff][:1] == ["LD-001"]  # references stay
    # Transfers still running keep their data.
    assert cli.json("employees", "send-iass-to-wnc")[0]["full_name"].startswith("Sample")
    purges = [h for h in cli.json("history", "ld-to-nct") if h["action"] == "personal-data-purged"]
    assert purges[0]["data"]["employees"] == 6 and purges[0]["data"]["letters"] > 0
    # The rendered letters and the message bodies held names too: gone, their hashes kept.
    assert not any(path.exists() for path in letter_files)
    with demo.connect() as connection:
        bodies = set(connection.execute(text(
            "SELECT body FROM outboxmessage WHERE transfer_ref = 'ld-to-nct'")).scalars())
    assert bodies == {"(personal data purged)"}
    # The rest of the employee liability information (reg 11(2)) was personal data too.
    with demo.connect() as connection:
        eli = connection.execute(text(
            "SELECT e.start_date, e.sick_pay, e.grievances, e.claims FROM employee e JOIN "
            "transfer t ON t.id = e.transfer_id WHERE t.ref = 'ld-to-nct'")).all()
    assert len(eli) == 6 and all(tuple(row) == (None, None, None, None) for row in eli)


@pytest.mark.skipif(bool(POSTGRES), reason="backup copies the embedded SQLite database")
def test_backup_while_in_use_then_restore(demo, cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "before-go-live.db"
    cli("backup", str(target))
    cli("advance", "ld-to-nct", "approve")
    assert cli.json("status", "ld-to-nct")["state"] == "approved"
    code, out, _ = cli("restore", str(target), ok=False)
    assert code == 1 and "--yes" in out
    cli("restore", str(target), "--yes")
    assert cli.json("status", "ld-to-nct")["state"] == "proposed"
    code, _, err = cli("backup", str(target), ok=False)
    assert code == 1 and "already exists" in err


@pytest.mark.skipif(bool(POSTGRES), reason="backup copies the embedded SQLite database")
def test_a_restore_keeps_the_letters_issued_after_the_backup(demo, cli: Cli,
                                                             tmp_path: Path) -> None:
    """The restored register does not know a letter issued after the backup, but it may have
    reached its recipient: its file is kept, not overwritten by the next letter (whose id is
    counted again from the backup's) and not removed as an orphan."""
    target = tmp_path / "backups" / "before.db"
    cli("backup", str(target))
    cli("record-objection", "ld-to-nct", "LD-006", "--on", "2022-09-15", "--as-of",
        "2022-09-20", "--acknowledge")
    (issued,) = (tmp_path / "letters").rglob("*LD-006.pdf")
    first = issued.read_bytes()

    _, out, _ = cli("restore", str(target), "--yes")
    assert "issued after the backup was taken are kept in issued-after-backup/" in \
        " ".join(out.split())
    (kept,) = (tmp_path / "letters" / "issued-after-backup").rglob("*LD-006.pdf")
    assert kept.read_bytes() == first and not issued.exists()

    # The objection recorded again (a day later) issues a new letter under the same name.
    cli("record-objection", "ld-to-nct", "LD-006", "--on", "2022-09-14", "--as-of",
        "2022-09-22", "--acknowledge")
    assert issued.exists() and issued.read_bytes() != first
    assert kept.read_bytes() == first
    cli("letters", "sweep-orphans", "--min-age", "0")
    assert kept.read_bytes() == first
