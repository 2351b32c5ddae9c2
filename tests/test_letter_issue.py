"""Issuing: in bulk with a progress bar, resumable, once per recipient; the workflow's state
letters as rendered emails with the PDF attached; the changed-date notice that supersedes; the
scheduler's emails from templates; the particulars file; previews."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.letter_fixtures import (
    AS_OF,
    docx_text,
    files_of,
    flat,
    letters,
    outbox,
    pdf_text,
    shipped,
)
from tests.scheduler_fixtures import body_text, read_eml
from transfer_engine.letters import issue as issue_module
from transfer_engine.letters import service
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.store.database import read_session
from transfer_engine.store.messages import NoticeKind, OutboxMessage
from transfer_engine.store.people import Employee
from transfer_engine.store.register import LetterParticulars
from transfer_engine.store.transfers import AuditEntry

TODAY = date.fromisoformat(AS_OF)


def _eml(message_row: OutboxMessage) -> EmailMessage:
    assert message_row.delivery_ref is not None, "the message was not delivered"
    return read_eml(message_row.delivery_ref)


def test_bulk_issue_renders_one_letter_per_employee_with_a_progress_bar(
        demo: Engine, cli) -> None:
    code, out, err = cli("letters", "issue", "send-iass-to-wnc", "employee-notification",
                         "--as-of", "2023-01-16")

    assert code == 0
    assert "issued employee-notification to 6 recipient(s)" in flat(out)
    assert "Issuing employee-notification" in err and "6/6" in err
    issued = letters(demo, transfer_ref="send-iass-to-wnc")
    # Only the six staff assigned to WNC (in scope), one letter each.
    assert sorted(r.recipient_ref for r in issued) == [f"employee:SEND-{n:03d}"
                                                        for n in range(2, 8)]
    messages = outbox(demo)
    assert [m.letter_id for m in messages] == [r.id for r in issued]
    assert all(m.kind == NoticeKind.letter and m.status == "pending" for m in messages)
    assert {m.recipient for m in messages} == {f"sample.send-{n:03d}@example.org"
                                               for n in range(2, 8)}
    with read_session(demo) as session:
        entry = session.exec(select(AuditEntry)
                             .where(AuditEntry.action == "letters-issued")).one()
    assert entry.data["issued"] == 6 and entry.data["letter"] == "employee-notification"
    assert "Sample Employee" not in json.dumps(entry.data)  # the audit log names nobody


def test_an_interrupted_issue_is_finished_by_running_it_again_without_duplicates(
        demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real = issue_module.record
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(issue_module, "record", failing)
    with pytest.raises(OSError, match="disk full"):
        service.issue_letters("ld-to-nct", "employee-notification", actor="test",
                              today=TODAY, chunk_size=2)
    # Two chunks of two were committed; the third rolled back as a whole.
    assert len(letters(demo)) == 2 and len(outbox(demo)) == 2

    monkeypatch.setattr(issue_module, "record", real)
    report = service.issue_letters("ld-to-nct", "employee-notification", actor="test",
                                   today=TODAY, chunk_size=2)

    assert len(report.issued) == 4 and report.already_issued == 2
    refs = [r.recipient_ref for r in letters(demo)]
    assert sorted(refs) == [f"employee:LD-{n:03d}" for n in range(1, 7)]  # each once
    assert len(outbox(demo)) == 6


def test_entering_consulting_issues_real_letters_with_the_pdf_attached(
        demo: Engine, cli, tmp_path: Path) -> None:
    for trigger, day in (("approve", "2022-09-07"), ("record_measures", "2022-09-14"),
                         ("inform_representatives", "2022-09-16")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)

    issued = letters(demo)
    assert sorted({r.letter for r in issued}) == ["employee-notification", "reg13-information"]
    assert len(issued) == 8 and {r.issued_by for r in issued} == {"test:hr-officer"}
    cli("scheduler", "--once", "--as-of", "2022-09-16")

    for message in outbox(demo):
        if message.kind != NoticeKind.letter:
            continue
        assert message.status == "sent"
        mail = _eml(message)
        assert mail.get_content_type() == "multipart/mixed"
        text = body_text(mail)
        html = body_text(mail, "html")
        (attachment,) = list(mail.iter_attachments())
        pdf = attachment.get_content()
        assert (attachment.get_filename() or "").endswith(".pdf")
        # The attachment is, byte for byte, the file in the register.
        stored = files_of(demo, message.letter_id)["pdf"]
        assert hashlib.sha256(pdf).hexdigest() == stored.sha256
        assert "1 November 2022" in flat(text) and "1 November 2022" in flat(html)
        assert "1 November 2022" in pdf_text(pdf)
    assert cli("letters", "verify", "ld-to-nct")[0] == 0


def test_a_state_letter_missing_data_alerts_hr_and_the_transfer_still_moves(
        demo: Engine, cli) -> None:
    import_particulars("ld-to-nct", {"transfer": {"reasons": None}}, actor="test")
    for trigger, day in (("approve", "2022-09-07"), ("record_measures", "2022-09-14")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)
    # The transition stands; the command says, by exit status 4, that its letters did not go.
    code, _, _ = cli("advance", "ld-to-nct", "inform_representatives", "--note", "test",
                     "--as-of", "2022-09-16", ok=False)
    assert code == 4

    status = cli.json("status", "ld-to-nct", "--as-of", "2022-09-16")
    assert status["state"] == "consulting"
    assert letters(demo) == []
    alerts = [m for m in outbox(demo) if m.kind == NoticeKind.hr_alert]
    assert len(alerts) == 2 and {a.recipient for a in alerts} == {"hr.ld-transfer@example.org"}
    body = flat(alerts[0].body)
    assert "missing transfer.reasons" in body
    assert "transfer-engine letters check ld-to-nct" in body
    assert "transfer-engine letters issue ld-to-nct" in body

    # Once the reasons are recorded, the letters are issued by hand.
    import_particulars("ld-to-nct", {"transfer": {"reasons": "Reorganisation (test)."}},
                       actor="test")
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", "2022-09-19")
    assert len(letters(demo)) == 2


def test_a_changed_date_notice_supersedes_the_earlier_letter_and_says_so(
        demo: Engine, cli, tmp_path: Path) -> None:
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF)
    cli("letters", "issue", "ld-to-nct", "employee-notification", "--as-of", AS_OF)
    code, _, err = cli("letters", "issue", "ld-to-nct", "date-change", ok=False)
    assert code == 1 and "nobody holds a letter" in flat(err)

    cli("reschedule", "ld-to-nct", "transfer", "2022-12-01", "--reason",
        "the Trust asked for a later date", "--as-of", AS_OF)
    cli("letters", "issue", "ld-to-nct", "date-change", "--as-of", "2022-09-23")

    notices = letters(demo, letter="date-change")
    assert len(notices) == 8
    for notice in notices:
        earlier = next(r for r in letters(demo) if r.id == notice.supersedes_id)
        assert earlier.recipient_ref == notice.recipient_ref
        assert earlier.status == "superseded" and earlier.superseded_by_id == notice.id
        assert notice.edition == "2022-12-01"
        text = pdf_text((tmp_path / "letters" / files_of(demo, notice.id)["pdf"].path)
                        .read_bytes())
        assert "This letter supersedes our letter of 20 September 2022" in text
        assert "Previous proposed date 1 November 2022" in text
        assert "New proposed date 1 December 2022" in text
    employee_notice = next(n for n in notices if n.recipient_ref == "employee:LD-001")
    word = docx_text((tmp_path / "letters" / files_of(demo, employee_notice.id)["docx"].path)
                     .read_bytes())
    assert "Sample Employee LD-001" in word and "1 December 2022" in word

    # Run again: everyone already has this notice. Move the date again: a new one supersedes.
    assert cli.json("letters", "issue", "ld-to-nct", "date-change")["already_issued"] == 8
    cli("reschedule", "ld-to-nct", "transfer", "2023-01-03", "--reason", "moved again",
        "--as-of", AS_OF)
    cli("letters", "issue", "ld-to-nct", "date-change", "--as-of", "2022-09-26")
    latest = letters(demo, letter="date-change")[8:]
    assert len(latest) == 8 and {n.edition for n in latest} == {"2023-01-03"}
    assert {n.supersedes_id for n in latest} == {n.id for n in notices}


def test_the_eli_goes_to_the_transferee_only(demo: Engine, cli) -> None:
    cli("letters", "issue", "ld-to-nct", "eli-cover", "--as-of", AS_OF)
    cli("letters", "issue", "ld-to-nct", "eli-schedule", "--as-of", AS_OF)

    schedules = letters(demo, letter="eli-schedule")
    assert len(schedules) == 6
    assert {r.recipient_ref for r in schedules} == {"transferee"}
    assert {r.about_ref for r in schedules} == {f"employee:LD-{n:03d}" for n in range(1, 7)}
    assert {m.recipient for m in outbox(demo)} == {"hr.nct@example.org"}
    with read_session(demo) as session:
        born = session.exec(select(Employee).where(Employee.employee_ref == "LD-004")).one()
        pdf, _, _ = service.preview_file(session, "ld-to-nct", "eli-schedule", "LD-004",
                                         today=TODAY)
    text = pdf_text(pdf)
    assert "Sample Employee LD-004" in text and "regulation 11(2)(a)" in text
    assert born.date_of_birth is not None
    assert f"{born.date_of_birth.day} {born.date_of_birth:%B %Y}" in text


def test_a_letter_whose_file_was_changed_is_not_sent(demo: Engine, cli,
                                                     tmp_path: Path) -> None:
    cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF)
    first = letters(demo)[0]
    path = tmp_path / "letters" / files_of(demo, first.id)["pdf"].path
    path.write_bytes(path.read_bytes() + b"\n% changed")

    code, _, _ = cli("scheduler", "--once", "--as-of", AS_OF, ok=False)
    assert code == 4  # done, but a message was not delivered

    by_letter = {m.letter_id: m for m in outbox(demo) if m.letter_id}
    assert first.id is not None
    assert by_letter[first.id].status == "permanent-failure"
    assert "has changed since the letter was issued" in (by_letter[first.id].last_error or "")
    assert all(m.status == "sent" for i, m in by_letter.items() if i != first.id)


def test_reminders_are_rendered_from_their_template_which_an_organisation_may_change(
        demo: Engine, cli, overrides: Path, caplog: pytest.LogCaptureFixture) -> None:
    (overrides / "reminder-email.html.j2").write_text(shipped("reminder-email").replace(
        "When it is done, record it:", "Once done, please record it in the engine:"))
    cli("scheduler", "--once", "--as-of", AS_OF)
    reminders = [m for m in outbox(demo) if m.kind == NoticeKind.reminder]
    assert reminders and all("Once done, please record it in the engine:" in m.body
                             for m in reminders)
    assert all("Deadline" in m.body and "Legal basis" in m.body for m in reminders)

    # A broken override never silences a reminder: the built-in wording goes instead.
    (overrides / "escalation-email.html.j2").write_text(
        shipped("escalation-email").replace("{% endif %}", "", 1))
    from transfer_engine.letters.catalogue import forget

    forget()
    with caplog.at_level(logging.WARNING, logger="transfer_engine.notices.planner"):
        cli("scheduler", "--once", "--as-of", "2022-09-21")
    escalations = [m for m in outbox(demo) if m.kind == NoticeKind.escalation]
    assert escalations and all("This step is still open after its deadline" in m.body
                               for m in escalations)


def test_the_particulars_file_is_checked_in_full_before_anything_is_recorded(
        demo: Engine, cli, tmp_path: Path) -> None:
    bad = tmp_path / "particulars.yaml"
    bad.write_text(
        "transfer:\n  meeting_place: Room 4\n  meeting_dat: 2022-10-01\n"
        "employees:\n  LD-001: {grade: G7}\n  LD-999: {grade: G6}\n"
        "organisations:\n  nct: {signatory_name: A Person}\n")
    with read_session(demo) as session:
        before = [(p.scope, p.data) for p in session.exec(select(LetterParticulars)).all()]

    code, _, err = cli("letters", "data", "ld-to-nct", str(bad), ok=False)

    assert code == 1
    message = flat(err)
    assert "2 problem(s); nothing was recorded" in message
    assert "transfer.meeting_dat: unknown field" in message
    assert "employees.LD-999: ld-to-nct has no such employee" in message
    with read_session(demo) as session:
        after = [(p.scope, p.data) for p in session.exec(select(LetterParticulars)).all()]
    assert after == before

    bad.write_text("transfer:\n  meeting_place: Room 4, Sheerness House\n"
                   "employees:\n  LD-001: {grade: G7}\n")
    code, out, _ = cli("letters", "data", "ld-to-nct", str(bad))
    assert "1 employee(s)" in out
    shown = cli("letters", "data", "ld-to-nct")[1]
    assert "meeting_place: Room 4, Sheerness House" in shown and "grade: G7" in shown
    text = cli("letters", "preview", "ld-to-nct", "employee-notification", "--recipient",
               "employee:LD-001", "--as-of", AS_OF)[1]
    assert "Room 4, Sheerness House" in flat(text) and "Grade G7" in flat(text)
    assert "grade G7" not in text  # the grade is given once, as recorded


def test_preview_writes_each_format_without_issuing(demo: Engine, cli,
                                                    tmp_path: Path) -> None:
    for fmt, check in (("pdf", lambda d: "regulation 13(2)" in pdf_text(d)),
                       ("docx", lambda d: "regulation 13(2)" in docx_text(d)),
                       ("html", lambda d: d.startswith(b"<!DOCTYPE html>")),
                       ("text", lambda d: b"(e) Agency workers" in d)):
        target = tmp_path / f"preview.{fmt}"
        cli("letters", "preview", "ld-to-nct", "reg13-information", "--recipient",
            "representative:2", "--format", fmt, "--output", str(target), "--as-of", AS_OF)
        assert check(target.read_bytes()), fmt
    assert letters(demo) == [] and outbox(demo) == []
    recipients = cli.json("letters", "list", "ld-to-nct", "--recipients", "eli-schedule")
    assert [r["ref"] for r in recipients] == [f"employee:LD-{n:03d}" for n in range(1, 7)]
    code, _, err = cli("letters", "preview", "ld-to-nct", "reg13-information", "--recipient",
                       "employee:LD-001", ok=False)
    assert code == 1 and "does not go to 'employee:LD-001'" in flat(err)
    # The engine says who; the CLI adds the command that lists them.
    assert "transfer-engine letters list ld-to-nct --recipients reg13-information" in flat(err)
