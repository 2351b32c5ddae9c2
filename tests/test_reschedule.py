"""Moving a key date recomputes every deadline, is audited, and reports the fallout."""

from tests.conftest import Cli


def _due(cli: Cli, ref: str) -> dict[str, str]:
    return {r["step"]: r["due_date"] for r in cli.json("timeline", ref)}


def test_slipping_the_transfer_date_moves_every_deadline(demo, cli: Cli) -> None:
    before = _due(cli, "send-iass-to-wnc")
    report = cli.json("reschedule", "send-iass-to-wnc", "transfer", "2023-05-01", "--reason",
                      "Deed of variation delayed", "--as-of", "2022-11-01")
    after = _due(cli, "send-iass-to-wnc")
    assert before["eli"] == "2023-03-04" and after["eli"] == "2023-04-03"
    assert after["go_live"] == "2023-05-01"
    assert after["claims_window"] == "2023-07-31"
    moved = {m["step"] for m in report["moved"]}
    assert {"eli", "go_live", "inform_representatives", "claims_window"} <= moved
    assert "decision" not in moved  # counted from the decision date, which did not move
    assert report["now_late"] == [] and report["impossible"] == []
    entry = [h for h in cli.json("history", "send-iass-to-wnc") if h["action"] == "rescheduled"]
    assert entry[0]["data"]["old"] == "2023-04-01" and entry[0]["data"]["new"] == "2023-05-01"
    assert entry[0]["data"]["reason"] == "Deed of variation delayed"


def test_bringing_the_date_forward_reports_late_and_impossible_steps(demo, cli: Cli) -> None:
    cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07")
    cli("advance", "ld-to-nct", "advise_unions", "--as-of", "2022-09-14")
    # On 20 Sep the transfer is brought forward to 14 Oct: the 28-day ELI date (16 Sep) has
    # already passed. Advising the unions counts from the decision, so it stays on time.
    report = cli.json("reschedule", "ld-to-nct", "transfer", "2022-10-14", "--reason",
                      "Trust asked to bring the date forward", "--as-of", "2022-09-20")
    assert "eli" in report["impossible"]
    assert "inform_representatives" in report["impossible"]  # 6 weeks before: 2 Sep
    assert "advise_unions" not in report["now_late"]
    report = cli.json("reschedule", "ld-to-nct", "decision", "2022-09-01", "--reason",
                      "Decision date corrected from the minutes", "--as-of", "2022-09-20")
    # Recorded on 7 Sep and advised on 14 Sep; against a 1 Sep decision both are now late
    # (5 working days after 1 Sep is 8 Sep).
    assert report["now_late"] == ["decision", "advise_unions"]


def test_reschedule_rejects_unknown_key_dates_and_no_change(demo, cli: Cli) -> None:
    code, _, err = cli("reschedule", "ld-to-nct", "golive", "2022-12-01", "--reason", "moved",
                       ok=False)
    assert code == 1 and "its key dates are decision, transfer" in err
    code, _, err = cli("reschedule", "ld-to-nct", "transfer", "2022-11-01", "--reason",
                       "no change", ok=False)
    assert code == 1 and "already 2022-11-01" in err
    code, _, err = cli("reschedule", "ld-to-nct", "transfer", "1 Nov", "--reason", "bad date",
                       ok=False)
    assert code == 1 and "YYYY-MM-DD" in err


def test_a_transfer_needs_two_employers_and_a_decision_before_the_transfer(
        demo, cli: Cli) -> None:
    """TUPE reg 3(1): a transfer is to another person; and the decision comes first. Each is
    refused with the reason, creating nothing."""
    code, _, err = cli("create", "to-itself", "--title", "Council to itself", "--from", "nnc",
                       "--to", "nnc", "--transfer-date", "2027-09-01", "--regime", "TUPE",
                       "--regime-reason", "staff moving from council to council", ok=False)
    assert code == 1 and "is the same organisation as the transferor (nnc)" in " ".join(err.split())
    assert "(TUPE reg 3(1))" in " ".join(err.split())
    code, _, err = cli("create", "late-decision", "--title", "Decided too late", "--from",
                       "nnc", "--to", "nct", "--transfer-date", "2027-03-01",
                       "--decision-date", "2027-05-01", "--regime-reason",
                       "outsourcing of a service, reg 3(1)(b)(ii)", ok=False)
    assert code == 1 and "the decision date (2027-05-01) is after the transfer date" in \
        " ".join(err.split())
    assert not {"to-itself", "late-decision"} & {t["ref"] for t in cli.json("list")}
    code, _, err = cli("reschedule", "ld-to-nct", "decision", "2022-12-01", "--reason",
                       "minuted late", ok=False)
    assert code == 1 and "the decision date (2022-12-01) is after the transfer date " \
        "(2022-11-01)" in " ".join(err.split())
