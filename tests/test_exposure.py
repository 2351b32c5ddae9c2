"""Money at risk from late statutory steps (reg 12 and reg 15)."""

from decimal import Decimal

from tests.conftest import Cli
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import get_transfer


def test_nothing_at_risk_before_any_deadline_passes(demo, cli: Cli) -> None:
    risk = cli.json("status", "ld-to-nct", "--as-of", "2022-09-08")["exposure"]
    assert risk["total"] == "0" and risk["reasons"] == []


def test_late_representatives_and_eli_put_money_at_risk(demo, cli: Cli) -> None:
    # Nothing done by 5 October: reg 13 information (due 20 Sep) and the ELI (4 Oct) are late.
    risk = cli.json("status", "ld-to-nct", "--as-of", "2022-10-05")["exposure"]
    staff = cli.json("employees", "ld-to-nct")
    weekly = sum(Decimal(e["weekly_pay"]) for e in staff if e["in_scope"])
    assert Decimal(risk["reg15_maximum"]) == weekly * 13
    assert Decimal(risk["reg12_minimum"]) == 500 * len(staff)
    assert any("reg 12" in r for r in risk["reasons"])
    assert any("reg 15" in r for r in risk["reasons"])


def test_an_objector_is_not_owed_eli(demo, cli: Cli, tmp_path) -> None:
    csv = tmp_path / "staff.csv"
    csv.write_text(
        "employee_ref,full_name,role,fte,weekly_pay,in_scope,objected_on\n"
        "S1,Sample One,Officer,1,500,yes,\n"
        "S2,Sample Two,Officer,1,500,yes,2022-10-01\n"
        "S3,Sample Three,Officer,1,500,no,\n")
    cli("import-employees", "ld-to-nct", str(csv), "--replace")
    risk = cli.json("status", "ld-to-nct", "--as-of", "2022-10-05")["exposure"]
    assert risk["reg12_minimum"] == "500"      # S1 only: S2 objected, S3 is out of scope
    assert risk["reg15_maximum"] == "13000.00"  # S1 and S2 were affected: 2 x 13 x 500


def test_programme_adds_up_its_schools(demo, cli: Cli) -> None:
    risk = cli.json("status", "acsws-to-schools", "--as-of", "2023-08-10")["exposure"]
    # Nine schools change employer, each with two synthetic ACSWs whose ELI is late.
    assert risk["reg12_minimum"] == str(500 * 2 * 9)


def test_a_cancelled_transfer_has_nothing_at_risk(demo, cli: Cli) -> None:
    # Late on 5 October (as above) ...
    before = cli.json("status", "ld-to-nct", "--as-of", "2022-10-05")["exposure"]
    assert Decimal(before["total"]) > 0
    listed = {r["ref"]: r for r in cli.json("list", "--as-of", "2022-10-05")}
    assert Decimal(listed["ld-to-nct"]["money_at_risk"]) == Decimal(before["total"])
    # ... then it does not go ahead: nothing is owed, so nothing is at risk.
    cli("advance", "ld-to-nct", "cancel", "--note", "The trust withdrew from the transfer",
        "--as-of", "2022-10-05")
    after = cli.json("status", "ld-to-nct", "--as-of", "2022-10-05")["exposure"]
    assert after["total"] == "0" and after["reasons"] == [] and after["items"] == []
    listed = {r["ref"]: r for r in cli.json("list", "--as-of", "2022-10-05")}
    assert listed["ld-to-nct"]["state"] == "cancelled"
    assert listed["ld-to-nct"]["money_at_risk"] == "0"


def test_a_closed_transfer_stays_at_risk_until_its_claims_window_ends(demo, cli: Cli) -> None:
    # Reg 12(2) and reg 15(12): a complaint can be made to a tribunal within three months
    # beginning with the date of the transfer (1 November 2022), so up to 31 January 2023. A
    # transfer closed with its reg 13 and ELI steps late keeps them at risk until then.
    with write_session(demo) as session:  # closed as it stands (the lifecycle is tested apart)
        transfer = get_transfer(session, "ld-to-nct")
        transfer.state = "closed"
        session.add(transfer)
    timeline = {row["step"]: row for row in cli.json("timeline", "ld-to-nct")}
    assert timeline["claims_window"]["due_date"] == "2023-01-31"

    last_day = cli.json("status", "ld-to-nct", "--as-of", "2023-01-31")["exposure"]
    day_after = cli.json("status", "ld-to-nct", "--as-of", "2023-02-01")["exposure"]

    assert Decimal(last_day["reg12_minimum"]) > 0 and Decimal(last_day["reg15_maximum"]) > 0
    assert day_after["total"] == "0" and day_after["items"] == []
