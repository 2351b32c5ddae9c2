"""Errors as data: a guard failure's fields for each kind, and each front end's words for them.

The engine says what failed (kind, steps, key date, children, law, what would satisfy it) and
never how to type it; the CLI words it as commands and options, the web as its buttons.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col, select

import transfer_engine
from tests.conftest import Cli
from tests.test_guards import to_ready_without_eli
from tests.web_fixtures import Browser, WebEnv, web_settings
from transfer_engine.cli import app as cli_app
from transfer_engine.cli import wording as cli_wording
from transfer_engine.engine.advance import advance, check_guards
from transfer_engine.engine.create import parse_transfer_create
from transfer_engine.engine.inputs import EmployeeRow
from transfer_engine.engine.limits import EVIDENCE, OVERRIDE_REASON, RESCHEDULE_REASON
from transfer_engine.engine.reschedule import reschedule
from transfer_engine.engine.staff import store_employees
from transfer_engine.engine.steps import complete_step
from transfer_engine.errors import (
    Action,
    GuardFailure,
    GuardKind,
    GuardRefusedError,
    TransferEngineError,
    ValidationError,
)
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import get_organisation, get_transfer
from transfer_engine.store.transfers import KeyDate, Transfer
from transfer_engine.validation import field_problems
from transfer_engine.web import create_app
from transfer_engine.web import wording as web_wording
from transfer_engine.web.rendering import long_date

LD = "ld-to-nct"


def _failures(engine: Engine, ref: str, trigger: str, today: date,
              note: str | None = None) -> list[GuardFailure]:
    with read_session(engine) as session:
        return check_guards(session, get_transfer(session, ref), trigger, today=today,
                            note=note)


def _one(failures: list[GuardFailure], kind: GuardKind) -> GuardFailure:
    found = [f for f in failures if f.kind == kind]
    assert len(found) == 1, failures
    return found[0]


def _new_transfer(cli: Cli, engine: Engine) -> str:
    """A TUPE transfer with a transfer date only: no decision date, staff or representatives."""
    with read_session(engine) as session:
        slugs = session.exec(select(Organisation.slug).order_by(Organisation.slug)).all()
    cli("create", "bare-transfer", "--workflow", "tupe-base", "--title", "A bare transfer",
        "--from", slugs[0], "--to", slugs[1], "--transfer-date", "2023-04-03",
        "--regime-reason", "a service provision change under reg 3(1)(b)")
    return "bare-transfer"


# ---------------------------------------------------------------------------------------------
# The fields of each kind


def test_steps_open_names_each_step_its_title_and_the_trigger_that_completes_it(demo) -> None:
    advance(LD, "approve", actor="test", today=date(2022, 9, 7))
    failure = _one(_failures(demo, LD, "inform_representatives", date(2022, 9, 8)),
                   GuardKind.steps_open)
    assert failure.guard == "steps_done" and failure.satisfied_by == Action.complete_steps
    assert [s.id for s in failure.steps] == ["measures"]
    assert failure.step_titles == ["Transferee's envisaged measures received in writing"]
    assert [t.name for t in failure.steps[0].completed_by] == ["record_measures"]
    assert "reg 13(4)" in failure.legal_basis and not failure.overridable


def test_go_live_too_early_and_without_the_eli(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    today = date(2022, 10, 28)
    failures = _failures(demo, LD, "go_live", today)
    early = _one(failures, GuardKind.date_not_reached)
    assert (early.key_date, early.key_date_label) == ("transfer", "Transfer date")
    assert early.key_date_value == date(2022, 11, 1) and early.days_to_go == 4
    assert early.satisfied_by == Action.wait_for_date and not early.overridable
    late = _one(failures, GuardKind.step_late)
    eli = late.steps[0]
    assert eli.id == "eli" and eli.done_on is None and eli.due is not None and eli.due < today
    assert "28 days" in eli.due_rule and "reg 11(6)" in late.legal_basis
    assert late.satisfied_by == Action.give_special_circumstances and late.overridable
    open_steps = [f for f in failures if f.kind == GuardKind.steps_open]
    assert any(s.id == "eli" and s.completed_by[0].name == "send_eli"
               for f in open_steps for s in f.steps)
    assert all(f.overridable for f in open_steps)


def test_a_missing_key_date_no_representatives_and_no_employees(demo, cli: Cli) -> None:
    ref = _new_transfer(cli, demo)
    today = date(2022, 9, 1)
    missing = _one(_failures(demo, ref, "approve", today), GuardKind.key_date_missing)
    assert (missing.key_date, missing.key_date_label) == ("decision", "Decision to transfer")
    assert missing.satisfied_by == Action.record_key_date and missing.key_date_value is None
    nobody = _one(_failures(demo, ref, "inform_representatives", today),
                  GuardKind.no_representatives)
    assert nobody.satisfied_by == Action.record_representatives
    assert nobody.legal_basis == "TUPE reg 13(3), reg 14"
    staff = _one(_failures(demo, ref, "send_eli", today), GuardKind.no_employees)
    assert staff.satisfied_by == Action.import_employees and staff.legal_basis == "TUPE reg 11(2)"


def test_a_trigger_that_needs_a_note(demo) -> None:
    failure = _one(_failures(demo, LD, "cancel", date(2022, 9, 8)), GuardKind.note_missing)
    assert failure.guard == "note_given" and failure.satisfied_by == Action.give_note
    assert _failures(demo, LD, "cancel", date(2022, 9, 8), note="did not go ahead") == []


def test_the_wrong_regime_and_child_transfers_not_ready(demo) -> None:
    with read_session(demo) as session:
        children = session.exec(select(Transfer).where(Transfer.parent_id.is_not(None))  # type: ignore[union-attr]
                                .order_by(Transfer.ref)).all()
        stays = next(c for c in children if c.regime.value == "not-a-transfer")
        moves = next(c for c in children if c.regime.value != "not-a-transfer")
        parent = session.get(Transfer, moves.parent_id)
        assert parent is not None
        parent_ref = parent.ref
    today = date(2022, 9, 20)
    wrong = _one(_failures(demo, stays.ref, "approve", today), GuardKind.wrong_regime)
    assert wrong.regime == "not-a-transfer" and wrong.regimes == ("TUPE", "COSOP")
    assert wrong.regime_reason == stays.regime_reason
    assert wrong.satisfied_by == Action.use_another_trigger
    behind = _one(_failures(demo, parent_ref, "send_eli", today), GuardKind.children_not_ready)
    assert behind.satisfied_by == Action.advance_children and not behind.child_states
    assert moves.ref in {c.ref for c in behind.children}
    assert all(c.open_steps == ("eli",) for c in behind.children)
    waiting = _one(_failures(demo, parent_ref, "go_live", date(2023, 6, 1)),
                   GuardKind.children_not_ready)
    assert set(waiting.child_states) == {"transferred", "closed", "no_change"}
    assert {c.ref for c in waiting.children} == {c.ref for c in children}
    assert all(c.state == "proposed" for c in waiting.children)


def test_a_failure_as_json_carries_its_fields(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    late = _one(_failures(demo, LD, "go_live", date(2022, 11, 1)), GuardKind.step_late)
    data = late.as_json()
    assert data["kind"] == "step_late" and data["satisfied_by"] == "give_special_circumstances"
    due = late.steps[0].due
    assert due is not None
    assert data["steps"][0]["id"] == "eli" and data["steps"][0]["due"] == due.isoformat()
    assert data["overridable"] is True and "reg 11(6)" in data["legal_basis"]


# ---------------------------------------------------------------------------------------------
# The same failure in the CLI's words and in the web's


def test_the_cli_and_the_web_word_the_same_failure_for_their_readers(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    failures = _failures(demo, LD, "go_live", date(2022, 11, 1))
    late = _one(failures, GuardKind.step_late)
    open_eli = next(f for f in failures if f.kind == GuardKind.steps_open
                    and any(s.id == "eli" for s in f.steps))
    due = late.steps[0].due
    assert due is not None

    # The CLI: ids, ISO dates, the option and the command to type.
    cli_late = cli_wording.guard_failure(late, LD)
    assert f"was due by {due.isoformat()}" in cli_late and "--override-reason" in cli_late
    assert f"at least {OVERRIDE_REASON.min_length} characters" in cli_late
    assert f"`transfer-engine advance {LD} send_eli`" in cli_wording.guard_failure(open_eli, LD)
    code, _, err = cli("advance", LD, "go_live", "--as-of", "2022-11-01", ok=False)
    assert code == 1 and f"transfer-engine advance {LD} send_eli" in err
    assert "Every failed condition may be overridden: give --override-reason" in err

    # The web: titles, long dates and the page's own buttons; never a command or an option.
    reason, remedy = web_wording.guard_failure(late)
    assert f"was due by {long_date(due)}" in reason and late.legal_basis in reason
    assert "override reason" in remedy
    reason, remedy = web_wording.guard_failure(open_eli)
    assert "Send employee liability information to the transferee" in reason
    assert ("“Send the ELI to the transferee (cover letter and a schedule for each "
            "employee)”") in remedy
    for text in (*web_wording.guard_failure(late), *web_wording.guard_failure(open_eli)):
        assert "transfer-engine" not in text and "--" not in text


def test_each_kind_is_worded_by_both_front_ends(demo, cli: Cli) -> None:
    ref = _new_transfer(cli, demo)
    today = date(2022, 9, 1)
    failures = (_failures(demo, ref, "approve", today)
                + _failures(demo, ref, "inform_representatives", today)
                + _failures(demo, ref, "send_eli", today)
                + _failures(demo, ref, "cancel", today))
    assert {f.kind for f in failures} >= {GuardKind.key_date_missing, GuardKind.steps_open,
                                          GuardKind.no_representatives, GuardKind.no_employees,
                                          GuardKind.note_missing}
    for failure in failures:
        text = cli_wording.guard_failure(failure, ref)
        assert text.startswith(f"{failure.guard}: ") and "To proceed: " in text
        reason, remedy = web_wording.guard_failure(failure)
        assert reason and remedy and "transfer-engine" not in reason + remedy
    missing = _one(failures, GuardKind.key_date_missing)
    assert (f"`transfer-engine reschedule {ref} decision YYYY-MM-DD --reason ...`"
            in cli_wording.guard_failure(missing, ref))
    assert "“Key dates”" in web_wording.guard_remedy(missing)
    staff = _one(failures, GuardKind.no_employees)
    assert f"transfer-engine import-employees {ref}" in cli_wording.guard_failure(staff, ref)
    assert "Employees page" in web_wording.guard_remedy(staff)


# ---------------------------------------------------------------------------------------------
# No engine message names a command or an option


def _cli_vocabulary() -> tuple[set[str], set[str]]:
    """Every command name and every option of the ``transfer-engine`` CLI."""
    root = typer.main.get_command(cli_app)
    commands: set[str] = set()
    options: set[str] = set()

    def walk(command: Any) -> None:
        for param in command.params:
            options.update(o for o in param.opts if o.startswith("--"))
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                commands.add(name)
                walk(sub)

    walk(root)
    options.discard("--help")
    return commands, options


def _speaks_cli(text: str, commands: set[str], options: set[str]) -> list[str]:
    found = [f"transfer-engine {c}" for c in commands
             if re.search(rf"transfer-engine {re.escape(c)}\b", text)]
    return found + [o for o in options if re.search(rf"(?<![\w-]){re.escape(o)}\b", text)]


def test_engine_errors_name_no_command_or_option(demo, cli: Cli, tmp_path: Path) -> None:
    commands, options = _cli_vocabulary()
    assert {"advance", "done", "reschedule", "import-employees"} <= commands
    assert {"--override-reason", "--note", "--evidence", "--reason", "--replace"} <= options
    caught: list[TransferEngineError] = []

    def attempt(action: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        with pytest.raises(TransferEngineError) as raised:
            action(*args, **kwargs)
        caught.append(raised.value)

    to_ready_without_eli(cli)
    attempt(advance, LD, "go_live", actor="t", today=date(2022, 10, 28))
    attempt(advance, LD, "go_live", actor="t", today=date(2022, 11, 1), override_reason="late")
    attempt(advance, LD, "go_live", actor="t", note="x" * 5000)
    attempt(advance, LD, "approve", actor="t", expected_version=1)
    attempt(advance, "no-such-transfer", "approve", actor="t")
    attempt(complete_step, LD, "eli", actor="t", evidence="sent by email")
    attempt(complete_step, LD, "claims_window", actor="t", evidence="ok")
    attempt(complete_step, LD, "claims_window", actor="t", evidence="minutes",
            occurred_on=date.today() + timedelta(days=2))
    attempt(reschedule, LD, "transfer", date(2022, 12, 1), actor="t", reason="")
    attempt(reschedule, LD, "golive", date(2022, 12, 1), actor="t", reason="it moved")
    attempt(parse_transfer_create, {"ref": "Bad Ref!", "title": "x"})
    # An update may now overlap the list (it changes those rows); an objection dated on or
    # after the transfer (1 November 2022) is still refused, row by row (reg 4(7)).
    rows = [EmployeeRow(employee_ref="LD-001", full_name="A Person", role="Officer",
                        fte=Decimal("1.0"), weekly_pay=Decimal("500.00"),
                        objected_on=date(2022, 11, 2))]
    attempt(store_employees, LD, rows, actor="t", replace=False, source="staff.csv")
    with write_session(demo) as session:
        attempt(get_organisation, session, "no-such-organisation")

    failures = [f for e in caught if isinstance(e, GuardRefusedError) for f in e.failures]
    assert {f.kind for f in failures} >= {GuardKind.date_not_reached, GuardKind.step_late}
    texts = [str(e) for e in caught] + [str(f) for f in failures] + [
        str(f.as_json()) for f in failures] + [
        str(p) for e in caught if isinstance(e, ValidationError) for p in e.field_problems]
    for text in texts:
        assert "transfer-engine" not in text and not _speaks_cli(text, commands, options), text
    # Yet the CLI still says what to type, from the data.
    worded = "\n".join(cli_wording.describe(e) for e in caught)
    for advice in ("--override-reason", "--note", "--evidence", "--on", "--reason",
                   f"transfer-engine advance {LD} send_eli",
                   f"transfer-engine status {LD}", "transfer-engine organisations add"):
        assert advice in worded, advice


def test_with_no_transfers_yet_the_cli_says_how_to_make_one(database: Engine, cli: Cli) -> None:
    with pytest.raises(TransferEngineError) as raised, read_session(database) as session:
        get_transfer(session, "anything")
    assert raised.value.next_step is not None
    assert raised.value.next_step.action == Action.create_transfer
    assert "transfer-engine" not in str(raised.value)
    code, _, err = cli("status", "anything", ok=False)
    assert code == 1 and "there are none yet" in err
    assert "transfer-engine create" in err and "transfer-engine demo" in err


#: Where the engine keeps its errors' words: the layers below the views and the front ends.
_ENGINE_MODULES = ["errors.py", "store", "outbox", "engine", "rules", "letters"]
#: Functions whose text is a message to a person rather than an error: the HR owner's alert
#: that a state letter could not be issued is an email, and names the commands deliberately.
_MESSAGES_NOT_ERRORS = {("letters/owed.py", "_hr_alert")}
#: Lines for the operator's log may name the command that repairs things: only operators read it.
_LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}


def _string_constants(path: Path, relative: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (relative, node.name) in _MESSAGES_NOT_ERRORS):
            skipped.update(id(n) for n in ast.walk(node))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _LOG_CALLS and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("log", "logger", "logging")):
            skipped.update(id(n) for n in ast.walk(node))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings and id(n) not in skipped]


def test_no_engine_module_puts_a_command_or_an_option_in_a_message() -> None:
    commands, options = _cli_vocabulary()
    root = Path(transfer_engine.__file__).parent
    files: list[Path] = []
    for entry in _ENGINE_MODULES:
        files += sorted((root / entry).rglob("*.py")) if (root / entry).is_dir() else [
            root / entry]
    offending = []
    for path in files:
        relative = path.relative_to(root).as_posix()
        for line, text in _string_constants(path, relative):
            found = _speaks_cli(text, commands, options)
            if found or ("transfer-engine " in text and "`" in text):
                offending.append(f"{relative}:{line}: {found or text}")
    assert offending == []


# ---------------------------------------------------------------------------------------------
# Input problems, worded for people; the same limits in every front end


def test_pydantic_problems_are_worded_for_people() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_transfer_create({"ref": "Bad Ref!", "workflow_id": "tupe-base",
                               "regime": "TUPE", "regime_reason": "short",
                               "transferor": "a", "transferee": "b",
                               "key_dates": {"transfer": "1 Nov"}})
    problems = {p.field: p for p in raised.value.field_problems}
    assert problems["ref"].message == "must be lower-case letters, digits, '-' and '/'"
    assert problems["title"].message == "is required" and problems["title"].code == "required"
    assert problems["regime_reason"].message == "must be at least 10 characters"
    assert problems["regime_reason"].limit == 10
    assert problems["key_dates.transfer"].message.startswith("must be a date written YYYY-MM-DD")
    for problem in problems.values():
        assert "Input should" not in problem.message and "Field required" not in problem.message

    import pydantic

    with pytest.raises(pydantic.ValidationError) as bad_row:
        EmployeeRow.model_validate({"employee_ref": "E1", "full_name": "A", "role": "R",
                                    "fte": "2", "weekly_pay": "x", "in_scope": "maybe"})
    worded = {p.field: p.message for p in field_problems(bad_row.value, show_input=True)}
    assert worded == {"fte": "must be 1.5 or less (got '2')",
                      "weekly_pay": "must be a number (got 'x')",
                      "in_scope": "write yes or no (got 'maybe')"}


def _help(command: str, option: str) -> str:
    root: Any = typer.main.get_command(cli_app)
    param = next(p for p in root.commands[command].params if option in p.opts)
    assert param.help
    return str(param.help)


def test_the_cli_shows_the_engines_limits() -> None:
    assert (f"({OVERRIDE_REASON.min_length} to {OVERRIDE_REASON.max_length} characters)"
            in _help("advance", "--override-reason"))
    assert (f"({EVIDENCE.min_length} to {EVIDENCE.max_length} characters)"
            in _help("done", "--evidence"))
    assert (f"({RESCHEDULE_REASON.min_length} to {RESCHEDULE_REASON.max_length} characters)"
            in _help("reschedule", "--reason"))


def test_the_web_shows_the_engines_limits_and_relies_on_its_checks(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    # The mark-done form is on the step's own page; the claims window can be recorded once
    # it has closed (the transfer was on 1 November 2022: from 1 February 2023).
    later = Browser(create_app(web_settings(as_of=date(2023, 2, 2))))
    later.sign_in("officer@example.org")
    form = later.get(f"/transfers/{ld}/steps/claims_window").text
    assert f"at least {EVIDENCE.min_length} characters" in form
    # Both problems at once, worded for the page from the engine's fields (post/redirect/get:
    # the step's page shows them).
    posted = officer.post(f"/transfers/{ld}/steps/claims_window/done", {
        "version": web.version(LD), "evidence": "ok", "done_on-day": "1",
        "done_on-month": "1", "done_on-year": "2030"})
    response = officer.get(posted.headers["location"])
    assert response.status_code == 422
    assert f"(at least {EVIDENCE.min_length} characters)" in response.text
    assert "Date it happened must be today or in the past" in response.text
    assert 'href="#evidence"' in response.text and 'href="#done_on"' in response.text
    posted = officer.post(f"/transfers/{ld}/key-dates/transfer", {
        "version": web.version(LD), "reason": "", "new_date-day": "",
        "new_date-month": "", "new_date-year": ""})
    assert posted.status_code == 303  # post/redirect/get: the form again, with its problems
    key_date = officer.get(posted.headers["location"])
    assert key_date.status_code == 422
    assert "Enter the transfer date" in key_date.text
    assert f"Enter why the date moved; it is kept in the history (at least " \
           f"{RESCHEDULE_REASON.min_length} characters)" in key_date.text
    with read_session(web.engine) as session:
        assert get_transfer(session, LD).version == web.version(LD)  # nothing was written


def test_the_api_returns_a_refusal_and_input_problems_as_fields(web: WebEnv) -> None:
    api = web.api("officer@example.org")
    ld = web.ids[LD]
    # Cancelling is for HR administrators; without the reason it is refused as data.
    assert api.post(f"/api/v1/transfers/{ld}/advance",
                    json={"trigger": "cancel"}).status_code == 403
    refused = web.api("admin@example.org").post(f"/api/v1/transfers/{ld}/advance",
                                                json={"trigger": "cancel"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["overridable"] is False
    assert body["blocked_by"][0]["kind"] == "note_missing"
    assert body["blocked_by"][0]["satisfied_by"] == "give_note"
    short = api.post(f"/api/v1/transfers/{ld}/steps/claims_window/done",
                     json={"evidence": "ok"})
    assert short.status_code == 422
    problem = short.json()["problems"][0]
    assert problem["field"] == "evidence" and problem["code"] == "too_short"
    assert problem["limit"] == EVIDENCE.min_length
    with write_session(web.engine) as session:
        session.execute(delete(KeyDate).where(col(KeyDate.transfer_id) == ld,
                                              col(KeyDate.name) == "decision"))
    blocked = api.get(f"/api/v1/transfers/{ld}").json()
    approve = next(t for t in blocked["triggers"] if t["trigger"] == "approve")
    assert approve["blocked_by"][0]["kind"] == "key_date_missing"
    assert approve["blocked_by"][0]["key_date"] == "decision"


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_bad_as_of_date_is_worded_before_anything_starts(cli: Cli, command: str) -> None:
    code, out, err = cli(command, "--as-of", "2022-13-01", ok=False)

    assert code == 1
    assert "--as-of: '2022-13-01' is not a date; write YYYY-MM-DD" in " ".join(err.split())
    assert "Traceback" not in out + err
