"""The register: files, hashes, template versions and data kept; verify passes on issued
letters, fails on a tampered file or record, and still passes after the template is edited."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.letter_fixtures import (
    AS_OF,
    TEMPLATES,
    files_of,
    letters,
    outbox,
    pdf_text,
)
from transfer_engine.letters import service
from transfer_engine.letters.catalogue import forget
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.register import LetterTemplateVersion


def _issue_reg13(cli) -> dict:
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF)
    return {row["recipient_ref"]: row for row in cli.json("letters", "list", "ld-to-nct")}


def test_each_issued_letter_is_registered_with_its_files_hashes_version_and_data(
        demo: Engine, cli, tmp_path: Path) -> None:
    listed = _issue_reg13(cli)

    assert set(listed) == {"representative:1", "representative:2"}
    for row in letters(demo):
        entry = listed[row.recipient_ref]
        files = files_of(demo, row.id)
        assert set(files) == {"pdf", "docx", "html", "txt"}
        for fmt, stored in files.items():
            path = tmp_path / "letters" / stored.path  # TRANSFER_ENGINE_LETTERS_DIR default
            assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256
            assert entry["sha256"][fmt] == stored.sha256 and stored.size == path.stat().st_size
        assert row.issued_by == "test:hr-officer" and row.letter_date == date(2022, 9, 20)
        assert row.data["transfer"]["transfer_date"] == {"$date": "2022-11-01"}
        assert row.recipient_label.startswith(row.data["representative"]["name"])
        assert "employee" not in row.data  # a representative's letter holds no employee
        assert row.subject.startswith("[sample data] Information under TUPE regulation 13(2)")
        assert row.supersedes_id is None and row.status == "issued"
    with read_session(demo) as session:
        version = session.exec(select(LetterTemplateVersion)).one()
    assert version.version == letters(demo)[0].template_version
    assert set(version.sources) == {"reg13-information.html.j2", "_letterhead.html.j2",
                                    "_signature.html.j2", "_synthetic.html.j2",
                                    "_replaces.html.j2"}
    # Handed to the outbox: the text, the HTML and the PDF, linked to the register entry.
    messages = outbox(demo)
    assert len(messages) == 2
    for message in messages:
        assert message.letter_id in {row.id for row in letters(demo)}
        assert message.html_body and message.html_body.startswith("<!DOCTYPE html>")
        (attachment,) = message.attachments or []
        assert attachment["media_type"] == "application/pdf"
        assert attachment["sha256"] == files_of(demo, message.letter_id)["pdf"].sha256


def test_verify_passes_on_issued_letters_and_fails_on_a_tampered_file(
        demo: Engine, cli, tmp_path: Path) -> None:
    _issue_reg13(cli)
    cli("letters", "issue", "ld-to-nct", "employee-notification", "--as-of", AS_OF)

    code, out, _ = cli("letters", "verify", "ld-to-nct")
    assert code == 0 and "Verified 8 letter(s): all match." in " ".join(out.split())

    target = letters(demo, recipient_ref="employee:LD-003")[0]
    pdf = tmp_path / "letters" / files_of(demo, target.id)["pdf"].path
    original = pdf.read_bytes()
    middle = len(original) // 2
    pdf.write_bytes(original[:middle] + bytes([original[middle] ^ 1]) + original[middle + 1:])

    code, out, _ = cli("letters", "verify", "ld-to-nct", ok=False)
    assert code == 1
    flat_out = " ".join(out.split())
    assert f"FAILED #{target.id} ld-to-nct employee-notification" in flat_out
    assert "has changed since it was issued" in flat_out
    assert "Verified 8 letter(s): 1 failed." in flat_out

    pdf.write_bytes(original)
    (tmp_path / "letters" / files_of(demo, target.id)["docx"].path).unlink()
    failures = _verify_json(cli)["failures"]
    assert [f["id"] for f in failures] == [target.id]
    assert any("docx: file" in p and "is missing" in p for p in failures[0]["problems"])


def _verify_json(cli) -> dict:
    import json

    _, out, _ = cli("letters", "verify", "--json", ok=False)
    return json.loads(out)


def test_verify_fails_when_the_stored_data_is_altered(demo: Engine, cli) -> None:
    _issue_reg13(cli)
    with write_session(demo) as session:
        session.connection().execute(text(
            "UPDATE letter SET data = json_set(data, '$.transfer.employee_count', 60) "
            "WHERE id = 1") if demo.dialect.name == "sqlite" else text(
            "UPDATE letter SET data = jsonb_set(data::jsonb, '{transfer,employee_count}', "
            "'60')::json WHERE id = 1"))

    report = _verify_json(cli)

    assert not report["ok"] and [f["id"] for f in report["failures"]] == [1]
    problems = " ".join(report["failures"][0]["problems"])
    assert "stored data has changed" in problems
    assert "rendering the stored data again gives different bytes" in problems


def test_verify_renders_with_the_stored_template_even_after_hr_edits_it(
        demo: Engine, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = tmp_path / "templates"
    shutil.copytree(TEMPLATES, ours)
    monkeypatch.setenv("TRANSFER_ENGINE_TEMPLATES", str(ours))
    _issue_reg13(cli)
    first = letters(demo)[0].template_version

    source = (ours / "reg13-information.html.j2").read_text()
    (ours / "reg13-information.html.j2").write_text(
        source.replace("<h1>Next steps</h1>", "<h1>What happens next</h1>"))
    forget()

    code, out, _ = cli("letters", "verify")
    assert code == 0 and "all match" in out
    with read_session(demo) as session:
        preview = service.preview(session, "ld-to-nct", "reg13-information",
                                  today=date(2022, 9, 20))
    assert any(getattr(b, "text", "") == "What happens next" for b in preview.blocks)
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--reissue",
        "--reason", "the template was reworded", "--recipient", "representative:1",
        "--as-of", AS_OF)
    newest = letters(demo)[-1]
    assert newest.template_version != first
    with read_session(demo) as session:
        assert len(session.exec(select(LetterTemplateVersion)).all()) == 2
    assert cli("letters", "verify")[0] == 0


def test_issuing_again_sends_nothing_twice_and_reissue_supersedes(
        demo: Engine, cli, tmp_path: Path) -> None:
    _issue_reg13(cli)
    out = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF)[1]
    assert "issued reg13-information to 0 recipient(s); 2 already held it" in " ".join(
        out.split())
    assert len(letters(demo)) == 2 and len(outbox(demo)) == 2

    report = cli.json("letters", "issue", "ld-to-nct", "reg13-information", "--reissue",
                      "--reason", "the union moved office", "--recipient", "representative:2",
                      "--as-of", "2022-09-22")

    assert report["issued"] == 1 and report["already_issued"] == 0
    old, new = letters(demo, recipient_ref="representative:2")
    assert (old.status, old.superseded_by_id) == ("superseded", new.id)
    assert (new.edition, new.supersedes_id, new.status) == ("2", old.id, "issued")
    assert len(outbox(demo)) == 3 and outbox(demo)[-1].letter_id == new.id
    rows = {r["id"]: r for r in cli.json("letters", "list", "ld-to-nct")}
    assert rows[new.id]["supersedes"] == old.id and rows[old.id]["superseded_by"] == new.id
    pdf = tmp_path / "letters" / files_of(demo, new.id)["pdf"].path
    assert "22 September 2022" in pdf_text(pdf.read_bytes())


def test_the_web_app_gets_the_exact_file_that_was_issued(demo: Engine, cli,
                                                         tmp_path: Path) -> None:
    _issue_reg13(cli)
    letter = letters(demo)[0]
    assert letter.id is not None
    with read_session(demo) as session:
        path, media_type, name = service.issued_file(session, letter.id, "pdf")
        assert media_type == "application/pdf" and name.endswith(".pdf")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == files_of(
            demo, letter.id)["pdf"].sha256
        path.write_bytes(b"%PDF-1.4 forged")
        with pytest.raises(Exception, match="missing or has changed"):
            service.issued_file(session, letter.id, "pdf")
