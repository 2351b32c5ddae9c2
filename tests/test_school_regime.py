"""The receiving school's type and maintaining council decide the regime, whichever interface
creates the transfer; a regime that contradicts them needs a reason and is flagged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.conftest import Cli
from tests.web_fixtures import WebEnv, web  # noqa: F401
from transfer_engine import TransferEngine
from transfer_engine.errors import ValidationError
from transfer_engine.store.database import read_session
from transfer_engine.store.transfers import Transfer


def _organisations(cli: Cli) -> None:
    cli("organisations", "add", "old-council", "--name", "Old Council", "--kind", "council")
    cli("organisations", "add", "other-council", "--name", "Other Council", "--kind", "council")
    for slug, kind, council in (("hill-primary", "community", "old-council"),
                                ("st-marys", "voluntary-controlled", "old-council"),
                                ("vale-primary", "community", "other-council"),
                                ("st-annes", "voluntary-aided", "old-council"),
                                ("ridge-school", "foundation", "old-council"),
                                ("moor-academy", "academy", None)):
        maintained = ["--maintained-by", council] if council else []
        cli("organisations", "add", slug, "--name", slug.replace("-", " ").title(), "--kind",
            "school", "--school-type", kind, *maintained)


def _create(cli: Cli, ref: str, school: str, *extra: str,
            ok: bool = True) -> tuple[int, str, str]:
    return cli("create", ref, "--workflow", "acsw-school", "--title",
               f"Support staff into {school}", "--from", "old-council", "--to", school,
               "--transfer-date", "2025-09-01",
               "--decision-date", "2025-06-02", *extra, ok=ok)


def _timeline(cli: Cli, ref: str) -> dict[str, dict]:
    return {row["step"]: row for row in cli.json("timeline", ref)}


@pytest.mark.parametrize(("school", "regime", "employer"), [
    ("hill-primary", "not-a-transfer", "Hill Primary"),        # the council already employs
    ("st-marys", "not-a-transfer", "St Marys"),
    ("vale-primary", "COSOP", "Other Council"),                # another council employs
    ("st-annes", "TUPE", "St Annes"),                          # the governing body employs
    ("ridge-school", "TUPE", "Ridge School"),
    ("moor-academy", "TUPE", "Moor Academy"),                  # the academy trust employs
])
def test_cli_created_school_transfers_get_the_regime_of_the_school_type(
        cli: Cli, school: str, regime: str, employer: str) -> None:
    _organisations(cli)
    _create(cli, "into-school", school)
    status = cli.json("status", "into-school")
    assert status["regime"] == regime and status["regime_warning"] is None
    assert status["transferee"] == employer
    eli = _timeline(cli, "into-school")["eli"]
    assert (eli["status"] == "not-applicable") == (regime == "not-a-transfer")


def test_a_community_school_of_the_transferring_council_is_not_a_transfer(cli: Cli) -> None:
    _organisations(cli)
    _, out, _ = _create(cli, "hill", "hill-primary")
    assert "not-a-transfer" in out and "already employs the staff" in " ".join(out.split())
    timeline = _timeline(cli, "hill")
    assert timeline["staff_informed_no_change"]["status"] == "open"
    assert timeline["eli"]["status"] == "not-applicable"


def test_an_academy_entered_as_not_a_transfer_is_refused_without_a_reason(cli: Cli) -> None:
    _organisations(cli)
    code, _, err = _create(cli, "moor", "moor-academy", "--regime", "not-a-transfer", ok=False)
    text = " ".join(err.split())
    assert code == 1 and "Traceback" not in err
    assert "Moor Academy is an academy school: the academy trust becomes the employer" in text
    assert "That makes it TUPE" in text and "Leave the regime out" in text
    code, _, err = cli("status", "moor", ok=False)
    assert code != 0  # nothing was created


def test_a_contradicting_regime_with_a_reason_is_recorded_and_flagged(cli: Cli) -> None:
    _organisations(cli)
    reason = "the trust has not yet taken over: the council employs until conversion"
    _, out, _ = _create(cli, "moor", "moor-academy", "--regime", "not-a-transfer",
                        "--regime-reason", reason)
    assert "Warning:" in out
    status = cli.json("status", "moor")
    assert status["regime"] == "not-a-transfer" and status["regime_reason"] == reason
    assert status["regime_warning"].startswith(
        "The school's type makes this TUPE, not not-a-transfer")
    assert reason in status["regime_warning"]
    _, text, _ = cli("status", "moor")
    assert "Warning: The school's type makes this TUPE" in " ".join(text.split())
    created = next(h for h in cli.json("history", "moor") if h["action"] == "created")
    assert created["data"]["regime_warning"] == status["regime_warning"]


def test_a_reason_given_with_the_schools_regime_adds_to_the_rules_reason(cli: Cli) -> None:
    _organisations(cli)
    _create(cli, "annes", "st-annes", "--regime", "TUPE", "--regime-reason",
            "governing body minute 4 (sample)")
    status = cli.json("status", "annes")
    assert status["regime_warning"] is None
    assert status["regime_reason"].startswith("St Annes is a voluntary-aided school")
    assert status["regime_reason"].endswith("governing body minute 4 (sample)")


def test_a_transfer_to_anyone_else_needs_a_reason_for_its_regime(cli: Cli) -> None:
    _organisations(cli)
    cli("organisations", "add", "acme", "--name", "Acme Ltd", "--kind", "company")
    code, _, err = cli("create", "out", "--title", "Cleaning out to Acme", "--from",
                       "old-council", "--to", "acme", "--transfer-date", "2025-09-01", ok=False)
    assert code == 1 and "--regime-reason" in err and "is required" in err


def test_a_community_school_without_its_council_says_what_to_record(cli: Cli) -> None:
    _organisations(cli)
    cli("organisations", "add", "lost-primary", "--name", "Lost Primary", "--kind", "school",
        "--school-type", "community")
    code, _, err = _create(cli, "lost", "lost-primary", ok=False)
    text = " ".join(err.split())
    assert code == 1 and "Traceback" not in err
    assert "Lost Primary is a community school" in text and "maintaining council" in text


def test_the_embedding_api_decides_the_regime_the_same_way(database) -> None:
    engine = TransferEngine(database.url.render_as_string(hide_password=False),
                            today=date(2025, 6, 2))
    hr = "hr@example.org"
    engine.add_organisation("council", "A Council", "council", actor=hr)
    engine.add_organisation("academy", "An Academy", "school", school_type="academy", actor=hr)
    transfer = engine.create_transfer(
        "into-academy", title="Support staff into the academy", transferor="council",
        transferee="academy", key_dates={"transfer": date(2025, 9, 1)}, actor=hr)
    assert transfer.regime.value == "TUPE" and transfer.regime_warning is None
    with pytest.raises(ValidationError, match="That makes it TUPE"):
        engine.create_transfer(
            "wrong", title="Support staff into the academy", transferor="council",
            transferee="academy", key_dates={"transfer": date(2025, 9, 1)},
            regime="not-a-transfer", actor=hr)


def test_the_seed_send_iass_is_cosop_and_its_letters_say_so(demo, cli: Cli) -> None:
    status = cli.json("status", "send-iass-to-wnc")
    assert status["regime"] == "COSOP" and "reg 3(5)" in status["regime_reason"]
    _, letter, _ = cli("letters", "preview", "send-iass-to-wnc", "reg13-information")
    text = " ".join(letter.split())
    assert "in law it is not a transfer under the Transfer of Undertakings" in text
    assert "The transfer is made under the Transfer of Undertakings" not in text
    _, notice, _ = cli("letters", "preview", "send-iass-to-wnc", "employee-notification")
    text = " ".join(notice.split())
    assert "In law this is not a transfer under the Transfer of Undertakings" in text
    assert "automatically to West Northamptonshire Council on that date under regulation 4" \
        not in text


def test_the_transfer_page_shows_the_warning(web: WebEnv, cli: Cli) -> None:  # noqa: F811
    _organisations(cli)
    _create(cli, "moor", "moor-academy", "--regime", "not-a-transfer", "--regime-reason",
            "the trust has not yet taken over the staff")
    with read_session(web.engine) as session:
        moor = session.exec(select(Transfer).where(Transfer.ref == "moor")).one()
    page = web.as_role("hr_admin").get(f"/transfers/{moor.id}").text
    warning = page.split('id="regime-warning"')[1].split("</div>")[0]
    assert "govuk-visually-hidden\">Warning</span>" in warning
    assert "The school&#39;s type makes this TUPE" in warning
    assert "the trust has not yet taken over the staff" in warning
