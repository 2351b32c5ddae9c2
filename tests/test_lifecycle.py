"""Each seed transfer driven through its whole lifecycle with `advance`, and its history."""

import json
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from tests.conftest import Cli
from tests.lifecycle import (
    ACSW_PROGRAMME_AFTER_CHILDREN,
    ACSW_PROGRAMME_BEFORE_CHILDREN,
    LD_TO_NCT,
    SCHOOL_NO_CHANGE,
    SCHOOL_TRANSFER,
    SEND_IASS,
)
from transfer_engine.engine.advance import advance
from transfer_engine.letters.owed import issue_pending
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import KeyDate


def drive(cli: Cli, ref: str, sequence: list[tuple[str, str]]) -> None:
    for trigger, as_of in sequence:
        cli("advance", ref, trigger, "--note", f"{trigger} evidence", "--as-of", as_of)


@pytest.mark.parametrize(("ref", "sequence"), [("ld-to-nct", LD_TO_NCT),
                                               ("send-iass-to-wnc", SEND_IASS)])
def test_seed_transfer_runs_to_closed_and_history_shows_every_step(
    demo, cli: Cli, ref: str, sequence: list[tuple[str, str]]
) -> None:
    drive(cli, ref, sequence)
    status = cli.json("status", ref)
    assert status["state"] == "closed"
    history = cli.json("history", ref)
    advances = [h for h in history if h["action"] == "advance"]
    assert [h["data"]["trigger"] for h in advances] == [t for t, _ in sequence]
    assert all(h["actor"] == "test:hr-officer" for h in advances)
    timeline = {row["step"]: row for row in cli.json("timeline", ref, "--as-of", "2022-12-31")}
    # Every step due by the transfer date was done, and done on time.
    for step in ("eli", "inform_representatives", "consultation", "go_live"):
        assert timeline[step]["status"] == "done"
        assert timeline[step]["late"] is False
    assert status["exposure"]["total"] == "0"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_programme_decision_refused_at_a_school_is_not_reported_as_a_success(
        demo: Engine, cli: Cli, as_json: bool) -> None:
    # One school's decision date is missing: the programme's approval cannot be that school's.
    with write_session(demo) as session:
        school = get_transfer(session, "acsws-to-schools/school-07")
        session.exec(delete(KeyDate).where(col(KeyDate.transfer_id) == school.id,
                                           col(KeyDate.name) == "decision"))

    code, out, err = cli("advance", "acsws-to-schools", "approve", "--as-of", "2022-12-22",
                         *(["--json"] if as_json else []), ok=False)

    assert code == 4  # done in part (the CLI's exit statuses), not 0
    if as_json:
        children = {c["ref"]: c for c in json.loads(out)["cascade"]["children"]}
        assert children["acsws-to-schools/school-07"]["outcome"] == "refused"
    else:
        assert "refused acsws-to-schools/school-07 approve" in " ".join(out.split())
        assert ("acsws-to-schools moved on, but 1 of its transfers did not "
                "(acsws-to-schools/school-07") in " ".join(err.split())
    assert cli.json("status", "acsws-to-schools")["state"] == "approved"
    states = {cli.json("status", f"acsws-to-schools/school-{n:02d}")["state"]
              for n in range(1, 13) if n != 7}
    assert "approved" in states  # the other schools where the employer changes moved on
    assert cli.json("status", "acsws-to-schools/school-07")["state"] == "proposed"


def test_acsw_programme_settles_every_school_then_goes_live(demo, cli: Cli) -> None:
    drive(cli, "acsws-to-schools", ACSW_PROGRAMME_BEFORE_CHILDREN)
    # The programme cannot go live while schools are unsettled.
    code, _, err = cli("advance", "acsws-to-schools", "send_eli", "--as-of", "2023-08-31",
                       ok=False)
    assert code == 1 and "acsws-to-schools/school-05: eli" in err
    for n in range(1, 13):
        ref = f"acsws-to-schools/school-{n:02d}"
        status = cli.json("status", ref)
        if status["regime"] == "not-a-transfer":
            drive(cli, ref, SCHOOL_NO_CHANGE)
        else:
            # The programme's approval was each school's too (the workflow's cascade).
            assert status["state"] == "approved" and SCHOOL_TRANSFER[0][0] == "approve"
            drive(cli, ref, SCHOOL_TRANSFER[1:])
    drive(cli, "acsws-to-schools", ACSW_PROGRAMME_AFTER_CHILDREN)
    assert cli.json("status", "acsws-to-schools")["state"] == "closed"
    states = {cli.json("status", f"acsws-to-schools/school-{n:02d}")["state"]
              for n in range(1, 13)}
    assert states == {"no_change", "transferred"}


def test_status_lists_what_can_be_done_now_and_why_not(demo, cli: Cli) -> None:
    cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07")
    status = cli.json("status", "ld-to-nct", "--as-of", "2022-09-08")
    triggers = {t["trigger"]: t for t in status["triggers"]}
    assert triggers["advise_unions"]["ready"] is True
    assert triggers["inform_representatives"]["ready"] is False
    blocked = triggers["inform_representatives"]["blocked_by"][0]
    assert blocked["kind"] == "steps_open" and blocked["satisfied_by"] == "complete_steps"
    assert [s["id"] for s in blocked["steps"]] == ["measures"]
    assert blocked["steps"][0]["completed_by"][0]["name"] == "record_measures"


def test_cancelling_from_the_cli_drops_the_letters_earlier_states_left_owed(
    demo: Engine, cli: Cli
) -> None:
    # Fired as an embedded caller would: the consulting state's letters are owed, not issued.
    for trigger, as_of in LD_TO_NCT[:4]:
        result = advance("ld-to-nct", trigger, actor="test", note="evidence",
                         today=date.fromisoformat(as_of), engine=demo)
    assert result.to_state == "consulting" and result.letters
    cli("advance", "ld-to-nct", "cancel", "--note", "the council withdrew the decision",
        "--as-of", "2022-09-20")
    assert cli.json("status", "ld-to-nct")["state"] == "cancelled"
    # Nothing owed is left for a later sweep to issue for the cancelled transfer.
    assert issue_pending(demo).issued == []
    dropped = [h for h in cli.json("history", "ld-to-nct")
               if h["action"] == "owed-letters-dropped"]
    assert len(dropped) == 1
    assert dropped[0]["data"]["letters"] == sorted(set(result.letters))
