"""A trigger whose steps are all done already is refused, not recorded a second time."""

from __future__ import annotations

from tests.conftest import Cli
from tests.web_fixtures import WebEnv

LD = "ld-to-nct"


def _entries(cli: Cli, trigger: str) -> list[dict]:
    return [h for h in cli.json("history", LD)
            if h["action"] == "advance" and h["data"]["trigger"] == trigger]


def test_a_trigger_already_done_is_refused_with_when_and_who(demo, cli: Cli) -> None:
    cli("advance", LD, "approve", "--on", "2022-09-07", "--as-of", "2022-09-20")
    cli("advance", LD, "advise_unions", "--on", "2022-09-12", "--as-of", "2022-09-20")
    version = cli.json("status", LD, "--as-of", "2022-09-20")["version"]
    code, _, err = cli("advance", LD, "advise_unions", "--as-of", "2022-09-20", ok=False)
    assert code == 1
    assert "already done: advise_unions (Advise the trade unions of the intention to TUPE " \
           "staff to NCT (report para 6.9)) on 2022-09-12 by test:hr-officer" in err
    assert f"transfer-engine history {LD}" in err
    # No override gets past it: there is nothing left to record.
    code, _, err = cli("advance", LD, "advise_unions", "--override-reason",
                       "special circumstances: recorded twice by mistake", ok=False)
    assert code == 1 and "already done" in err
    assert len(_entries(cli, "advise_unions")) == 1
    status = cli.json("status", LD, "--as-of", "2022-09-20")
    assert status["version"] == version
    advise = next(t for t in status["triggers"] if t["trigger"] == "advise_unions")
    assert not advise["ready"] and advise["blocked_by"][0]["kind"] == "already_done"
    assert advise["blocked_by"][0]["steps"][0]["done_by"] == "test:hr-officer"
    _, out, _ = cli("status", LD, "--as-of", "2022-09-20")
    assert "done advise_unions" in out


def test_the_web_and_the_api_refuse_it_too(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    for trigger in ("approve", "advise_unions"):
        assert officer.post(f"/transfers/{ld}/advance", {
            "trigger": trigger, "version": web.version(LD)}).status_code == 303
    page = officer.get(f"/transfers/{ld}").text
    assert 'id="trigger-advise_unions"' not in page  # nothing left to do: not offered
    version = web.version(LD)
    again = officer.post(f"/transfers/{ld}/advance", {
        "trigger": "advise_unions", "version": version})
    # The page says so at once, or after taking the person back to the transfer.
    text = officer.get(again.headers["location"]).text if again.status_code == 303 \
        else again.text
    assert "was not recorded again" in text
    assert "on 20 September 2022 by web:officer@example.org" in text
    assert web.version(LD) == version
    api = web.api("officer@example.org").post(f"/api/v1/transfers/{ld}/advance",
                                              json={"trigger": "advise_unions"})
    assert api.status_code == 409
    blocked = api.json()["blocked_by"][0]
    assert blocked["kind"] == "already_done" and not api.json()["overridable"]
    assert blocked["steps"][0]["done_on"] == "2022-09-20"
