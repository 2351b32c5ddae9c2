"""Guard refusals, invalid triggers and overrides with a written reason."""

from tests.conftest import Cli
from tests.lifecycle import LD_TO_NCT


def to_ready_without_eli(cli: Cli) -> None:
    for trigger, as_of in LD_TO_NCT:
        if trigger == "go_live":
            break
        if trigger != "send_eli":
            cli("advance", "ld-to-nct", trigger, "--as-of", as_of)


def test_early_go_live_is_refused_naming_the_missing_step(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    code, _, err = cli("advance", "ld-to-nct", "go_live", "--as-of", "2022-11-01", ok=False)
    assert code == 1
    assert "eli (Send employee liability information to the transferee)" in err
    assert "reg 11(6)" in err
    assert "--override-reason" in err
    assert "Traceback" not in err
    assert cli.json("status", "ld-to-nct")["state"] == "ready"


def test_override_with_a_written_reason_is_audited(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    reason = "Transferee's payroll system failure; ELI given as soon as reasonably practicable"
    cli("advance", "ld-to-nct", "go_live", "--as-of", "2022-11-01", "--override-reason", reason)
    assert cli.json("status", "ld-to-nct")["state"] == "transferred"
    overrides = [h for h in cli.json("history", "ld-to-nct") if h["action"] == "override"]
    assert len(overrides) == 1
    assert overrides[0]["data"]["reason"] == reason
    assert any("eli" in text for text in overrides[0]["data"]["overridden"])
    # The late ELI now shows as money at risk: at least GBP 500 x 6 transferring employees.
    assert cli.json("status", "ld-to-nct", "--as-of", "2022-11-02")["exposure"][
        "reg12_minimum"] == "3000"


def test_an_override_cannot_skip_a_condition_that_is_not_overridable(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    cli("advance", "ld-to-nct", "send_eli", "--as-of", "2022-10-03")
    code, _, err = cli("advance", "ld-to-nct", "go_live", "--as-of", "2022-10-28",
                       "--override-reason", "we would like to go early please", ok=False)
    assert code == 1
    assert "date_reached" in err and "2022-11-01" in err
    assert cli.json("status", "ld-to-nct")["state"] == "ready"


def test_an_override_reason_must_say_something(demo, cli: Cli) -> None:
    to_ready_without_eli(cli)
    code, _, err = cli("advance", "ld-to-nct", "go_live", "--as-of", "2022-11-01",
                       "--override-reason", "late", ok=False)
    assert code == 1 and "special circumstances" in err


def test_invalid_trigger_lists_the_valid_ones(demo, cli: Cli) -> None:
    code, _, err = cli("advance", "ld-to-nct", "go_live", ok=False)
    assert code == 1
    assert "not valid from state 'proposed'" in err
    assert "Valid triggers now: approve, cancel" in err
    code, _, err = cli("advance", "ld-to-nct", "go-live-now", ok=False)
    assert "'go-live-now' is not valid" in err


def test_refused_guard_can_be_fixed_then_passes(demo, cli: Cli) -> None:
    cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07")
    code, _, err = cli("advance", "ld-to-nct", "inform_representatives", ok=False)
    assert code == 1 and "measures" in err and "reg 13(4)" in err
    cli("advance", "ld-to-nct", "record_measures", "--note", "NCT letter: no measures envisaged",
        "--as-of", "2022-09-14")
    cli("advance", "ld-to-nct", "inform_representatives", "--as-of", "2022-09-16")
    assert cli.json("status", "ld-to-nct")["state"] == "consulting"


def test_cancel_needs_a_reason(demo, cli: Cli) -> None:
    code, _, err = cli("advance", "ld-to-nct", "cancel", ok=False)
    assert code == 1 and "--note" in err
    cli("advance", "ld-to-nct", "cancel", "--note", "Joint Committee did not approve")
    assert cli.json("status", "ld-to-nct")["state"] == "cancelled"


def test_step_completed_by_a_trigger_cannot_be_ticked_off_directly(demo, cli: Cli) -> None:
    code, _, err = cli("done", "ld-to-nct", "eli", "--evidence", "sent by email", ok=False)
    assert code == 1 and "advance ld-to-nct send_eli" in err
    cli("done", "ld-to-nct", "claims_window", "--evidence", "no claims received", "--on",
        "2023-02-01")
    timeline = {r["step"]: r for r in cli.json("timeline", "ld-to-nct")}
    assert timeline["claims_window"]["status"] == "done"
    assert timeline["claims_window"]["done_on"] == "2023-02-01"
