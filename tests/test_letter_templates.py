"""Letter templates: metadata, every letter for every seed transfer in every format, the
sandbox, missing fields, malformed templates and an organisation's own letterhead."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.letter_fixtures import (
    AS_OF,
    docx_text,
    flat,
    letters,
    outbox,
    pdf_text,
    shipped,
)
from transfer_engine.domain import Regime
from transfer_engine.engine.reschedule import reschedule
from transfer_engine.errors import TransferEngineError
from transfer_engine.letters import service
from transfer_engine.letters.catalogue import catalogue, forget
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.letters.refusal import LetterDataError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import Transfer

REQUIRED = {
    "reg13-information", "measures-request", "eli-cover", "eli-schedule",
    "employee-notification", "consultation-invitation", "objection-acknowledgement",
    "transfer-confirmation", "date-change", "reminder-email", "escalation-email",
}
# What each letter must cite, in words a reader checks.
CITES = {
    "reg13-information": "regulation 13(2)",
    "measures-request": "Regulation 13(4)",
    "eli-cover": "regulation 11",
    "eli-schedule": "regulation 11(2)(a)",
    "employee-notification": "regulation 4(7)",
    "consultation-invitation": "regulation 13",
    "objection-acknowledgement": "regulation 4(7) and (8)",
    "transfer-confirmation": "section 4 of the Employment Rights Act 1996",
    "date-change": "This letter supersedes our letter of",
}
TODAY = date.fromisoformat(AS_OF)


def test_every_letter_has_its_metadata(cli) -> None:
    listed = {row["name"]: row for row in cli.json("letters", "templates")}

    assert set(listed) >= REQUIRED
    for name, row in listed.items():
        assert row["title"] and row["audience"] and row["legal_basis"], name
        assert len(row["version"]) == 64, name
    assert "TUPE 2006 reg 13(2)" in listed["reg13-information"]["legal_basis"]
    assert "transfer.reasons" in listed["reg13-information"]["fields"]
    assert listed["eli-schedule"]["recipients"] == "eli"
    assert listed["date-change"]["supersedes"] == [
        "reg13-information", "employee-notification", "objection-acknowledgement", "date-change"]


def _give_every_letter_a_recipient(engine: Engine) -> None:
    """One objector per transfer, and letters giving a date that then moves (date-change)."""
    with write_session(engine) as session:
        transfers = session.exec(select(Transfer).where(
            Transfer.regime != Regime.not_a_transfer, col(Transfer.parent_id).is_not(None))).all()
        refs = ["ld-to-nct", "send-iass-to-wnc", *(t.ref for t in transfers)]
        for ref in refs:
            transfer = session.exec(select(Transfer).where(Transfer.ref == ref)).one()
            objector = session.exec(select(Employee).where(
                Employee.transfer_id == transfer.id, col(Employee.in_scope).is_(True))
                .order_by(col(Employee.employee_ref).desc())).first()
            assert objector is not None
            objector.objected_on = TODAY - timedelta(days=2)
            session.add(objector)
    for ref in refs:
        service.issue_letters(ref, "reg13-information", actor="test", today=TODAY,
                              engine=engine)
        with read_session(engine) as session:
            old = session.exec(select(Transfer).where(Transfer.ref == ref)).one()
        reschedule(ref, "transfer", date(2023, 10, 2) if "school" in ref else date(2023, 5, 2),
                   actor="test", reason="the new employer asked for a later date",
                   today=TODAY, engine=engine)
        assert old.ref == ref


def test_every_template_renders_for_every_seed_transfer_in_every_format(demo: Engine) -> None:
    _give_every_letter_a_recipient(demo)
    seen: dict[str, int] = {}
    with read_session(demo) as session:
        transfers = session.exec(select(Transfer).where(
            Transfer.regime != Regime.not_a_transfer).order_by(Transfer.ref)).all()
        employees = {(e.transfer_id, e.employee_ref): e for e in session.exec(
            select(Employee)).all()}
        reps = {r.id: r for r in session.exec(select(Representative)).all()}
        organisations = {o.id: o.name for o in session.exec(select(Organisation)).all()}
        for transfer in transfers:
            assert transfer.id is not None
            for spec in service.letter_specs():
                choices = service.recipients(session, transfer, spec.name)
                if not choices:
                    continue
                to = choices[0].ref
                files = {fmt: service.preview_file(session, transfer.ref, spec.name, to,
                                                   fmt=fmt, today=TODAY)[0]
                         for fmt in ("pdf", "docx", "html", "txt")}
                text = pdf_text(files["pdf"])
                word = docx_text(files["docx"])
                kind, _, key = to.partition(":")
                if kind == "employee":
                    person = employees[(transfer.id, key)].full_name
                elif kind == "representative":
                    person = reps[int(key)].name
                else:
                    person = organisations[transfer.transferee_id]
                with read_session(demo) as inner:
                    from transfer_engine.store.queries import key_dates_of

                    when = key_dates_of(inner, transfer)["transfer"]
                when_text = f"{when.day} {when:%B %Y}"
                where = f"{transfer.ref} {spec.name}"
                for rendered in (text, word, flat(files["txt"].decode()),
                                 flat(files["html"].decode())):
                    assert person.replace("'", "&#x27;") in rendered or person in rendered, where
                assert when_text in text and when_text in word, where
                assert CITES[spec.name] in text and CITES[spec.name] in word, where
                assert "SYNTHETIC TEST DATA" in text, where  # demo data says so
                seen[spec.name] = seen.get(spec.name, 0) + 1
    assert set(seen) == set(CITES)  # every letter, for at least one transfer
    assert seen["reg13-information"] >= 10 and seen["eli-schedule"] >= 10


def test_a_representatives_letter_never_shows_employees_personal_data(demo: Engine) -> None:
    with read_session(demo) as session:
        for ref in ("ld-to-nct", "send-iass-to-wnc", "acsws-to-schools/school-05"):
            transfer = session.exec(select(Transfer).where(Transfer.ref == ref)).one()
            staff = session.exec(select(Employee)
                                 .where(Employee.transfer_id == transfer.id)).all()
            for choice in service.recipients(session, ref, "reg13-information"):
                pdf, _, _ = service.preview_file(session, ref, "reg13-information", choice.ref,
                                                 today=TODAY)
                text = pdf_text(pdf)
                assert f"{len([e for e in staff if e.in_scope])} expected to transfer" in text
                for employee in staff:
                    assert employee.full_name not in text
                    assert f"{employee.weekly_pay:,.2f}" not in text
                    assert employee.date_of_birth is None or \
                        employee.date_of_birth.isoformat() not in text


def test_a_missing_field_stops_the_letter_naming_the_letter_and_the_field(
        demo: Engine, cli) -> None:
    import_particulars("ld-to-nct", {"transfer": {"reasons": None},
                                     "employees": {"LD-002": {"address": None}}}, actor="test")

    code, _, err = cli("letters", "issue", "ld-to-nct", "employee-notification", "--as-of",
                       AS_OF, ok=False)

    assert code == 1
    message = flat(err)
    assert "letter 'employee-notification' for ld-to-nct" in message
    assert "nothing was issued" in message
    assert "Sample Employee LD-002 (LD-002): missing employee.address, transfer.reasons" \
        in message
    assert "employees.<employee_ref>.address in a particulars file" in message
    assert letters(demo) == [] and outbox(demo) == []
    with read_session(demo) as session, pytest.raises(LetterDataError, match=r"transfer\.reasons"):
        service.preview(session, "ld-to-nct", "reg13-information", today=TODAY)


def test_check_lists_every_missing_field_for_every_recipient_before_sending(
        demo: Engine, cli) -> None:
    import_particulars("ld-to-nct", {"employees": {"LD-002": {"address": None},
                                                   "LD-005": {"salary": None, "grade": None}}},
                       actor="test")

    code, out, _ = cli("letters", "check", "ld-to-nct", "--as-of", AS_OF, ok=False)

    assert code == 1
    assert "LD-002" in out and "LD-005" in out
    rows = {r["letter"]: r for r in _check_json(cli)}
    notification = rows["employee-notification"]
    assert (notification["recipients"], notification["ready"],
            notification["cannot_issue"]) == (6, 4, 2)
    missing = {p["ref"]: p["missing"] for p in notification["problems"]}
    assert missing == {"employee:LD-002": ["employee.address"],
                       "employee:LD-005": ["employee.grade", "employee.salary"]}
    assert rows["reg13-information"]["ok"]  # representatives' letters need neither
    # The schedule needs no home address, and reads the ELI (pay included) from the staff
    # list, not from letter particulars.
    assert rows["eli-schedule"]["ok"] and rows["eli-schedule"]["ready"] == 6
    assert outbox(demo) == []


def _check_json(cli) -> list[dict]:
    import json

    _, out, _ = cli("letters", "check", "ld-to-nct", "--as-of", AS_OF, "--json", ok=False)
    return json.loads(out)


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ transfer.__class__.__init__.__globals__ }}",
    "{{ transfer._path }}",
    "{{ cycler.__init__.__globals__.os }}",
])
def test_a_template_cannot_reach_python_internals(
        demo: Engine, overrides: Path, cli, escape: str) -> None:
    source = shipped("reg13-information").replace("<p>Our reference:",
                                                  f"<p>{escape}</p><p>Our reference:")
    (overrides / "reg13-information.html.j2").write_text(source)

    code, _, err = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF,
                       ok=False)

    assert code == 1
    assert "letter 'reg13-information'" in err
    assert "may not use" in err or "unsafe" in err
    assert letters(demo) == [] and outbox(demo) == []


def test_a_malformed_template_gives_a_clear_error_and_issues_nothing(
        demo: Engine, overrides: Path, cli) -> None:
    source = shipped("reg13-information")
    (overrides / "reg13-information.html.j2").write_text(
        source.replace("<h1>The transfer</h1>", "<div>The transfer</div>"))

    code, _, err = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of", AS_OF,
                       ok=False)

    assert code == 1
    assert "letter 'reg13-information', line" in err
    assert "<div> is not part of the letter HTML subset" in err
    assert letters(demo) == [] and outbox(demo) == []

    (overrides / "reg13-information.html.j2").write_text(
        source.replace("{% endfor %}", "", 1))
    forget()  # changed within the second: do not wait for the file check
    code, _, err = cli("letters", "issue", "ld-to-nct", "reg13-information", ok=False)
    assert code == 1 and "syntax error on line" in err and "reg13-information" in err
    assert letters(demo) == []


def test_invalid_metadata_is_refused_on_load_naming_the_letter(
        overrides: Path, database: Engine) -> None:
    source = shipped("measures-request")
    (overrides / "measures-request.html.j2").write_text(
        source.replace("title: Request", "titel: Request"))

    with pytest.raises(LetterFormatError) as raised:
        catalogue()

    assert "letter 'measures-request': its metadata is invalid" in str(raised.value)
    assert "titel: unknown key" in str(raised.value) and "title: is required" in str(
        raised.value)
    assert isinstance(raised.value, TransferEngineError)

    (overrides / "measures-request.html.j2").write_text(source.split("--- -#}", 1)[1])
    forget()
    with pytest.raises(LetterFormatError, match="must start with its metadata"):
        catalogue()


def test_an_organisation_overrides_its_letterhead_without_editing_the_package(
        demo: Engine, overrides: Path) -> None:
    (overrides / "nnc").mkdir()
    (overrides / "nnc" / "_letterhead.html.j2").write_text(
        "<header>\n  <h1>NNC People Services</h1>\n"
        "  <address>Sheerness House<br>Kettering</address>\n</header>\n")
    default_version = catalogue().get("reg13-information").version

    with read_session(demo) as session:
        reg13, _, _ = service.preview_file(session, "ld-to-nct", "reg13-information",
                                           today=TODAY)
        confirmation, _, _ = service.preview_file(session, "ld-to-nct",
                                                  "transfer-confirmation", today=TODAY)

    assert "NNC People Services" in pdf_text(reg13) and "Sheerness House" in pdf_text(reg13)
    # The new employer's letter keeps its own letterhead.
    assert "NNC People Services" not in pdf_text(confirmation)
    assert catalogue("nnc").get("reg13-information").version != default_version
    report = service.issue_letters("ld-to-nct", "reg13-information", actor="test",
                                   today=TODAY)
    issued = {row.recipient_label: row for row in letters(demo)}
    assert len(issued) == 2 and report.version == catalogue("nnc").get(
        "reg13-information").version
    # Each employer informs its own representatives (reg 13(2)): NNC's union gets NNC's letter
    # on NNC's letterhead; NCT's union gets NCT's own letter, on NCT's (not overridden).
    nnc_union = issued["UNISON branch secretary (sample) (UNISON)"]
    nct_union = issued["UNISON NCT steward (sample) (UNISON)"]
    assert nnc_union.template_version == report.version
    assert nct_union.template_version == default_version
    assert nct_union.data["sender"]["name"] == "Northamptonshire Children's Trust"
