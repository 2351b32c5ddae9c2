"""Everything in the browser (issue 13, point 4): creating a transfer, organisations,
representatives and elections, measures, documents as evidence, the ELI's completeness,
objections and overrides.

Each form changes what the command line would (read back through the CLI), refuses bad input
with the GOV.UK error linked to its field and saves nothing, is audited, and is refused to
viewers and union representatives.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from sqlmodel import col, select

from tests.conftest import Cli
from tests.web_fixtures import Browser, WebEnv
from transfer_engine.store.database import read_session
from transfer_engine.store.transfers import AuditEntry

LD = "ld-to-nct"


def _errors(page: str) -> dict[str, str]:
    """The error summary's links: field id -> message."""
    summary = page.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary"
    body = summary[1].split("</ul>", 1)[0]
    return {field: html.unescape(text) for field, text in
            re.findall(r'<a href="#([^"]+)">([^<]+)</a>', body)}


def _audits(web: WebEnv, action: str) -> list[AuditEntry]:
    with read_session(web.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(col(AuditEntry.id))).all())


def _add_organisation(officer: Browser, **fields: str) -> Any:
    return officer.post("/organisations/new", fields)


def _create(officer: Browser, **fields: str) -> Any:
    day, month, year = fields.pop("transfer_date", "1-9-2025").split("-")
    data = {"workflow": "tupe-base", "key-date-transfer-day": day,
            "key-date-transfer-month": month, "key-date-transfer-year": year, **fields}
    return officer.post("/new-transfer/details", data)


def _schools(officer: Browser) -> None:
    for fields in (
            {"slug": "old-council", "name": "Old Council", "kind": "council"},
            {"slug": "hill-primary", "name": "Hill Primary", "kind": "school",
             "school_type": "community", "maintaining_authority": "old-council"},
            {"slug": "moor-academy", "name": "Moor Academy", "kind": "school",
             "school_type": "academy", "headcount": "80"}):
        assert _add_organisation(officer, **fields).status_code == 303


def test_creating_school_transfers_in_the_browser_follows_the_school_type(
        web: WebEnv, cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    _schools(officer)
    listed = {o["slug"]: o for o in cli.json("organisations", "list")}
    assert listed["hill-primary"]["school_type"] == "community"
    assert listed["moor-academy"]["headcount"] == 80
    assert [a.actor for a in _audits(web, "organisation-added")][-3:] == \
        ["web:officer@example.org"] * 3
    page = officer.get("/organisations").text
    assert "Community school, maintained by Old Council" in page

    # The workflow is chosen first; its key dates are asked for next.
    form = officer.get("/new-transfer/details?workflow=tupe-base").text
    assert 'id="key-date-transfer"' in form and 'id="key-date-decision"' in form

    made = _create(officer, title="Support staff into Hill Primary", ref="into-hill",
                   transferor="old-council", transferee="hill-primary")
    assert made.status_code == 303, _errors(made.text)
    status = cli.json("status", "into-hill")
    assert status["regime"] == "not-a-transfer" and status["regime_warning"] is None
    # The officer who created it is assigned to it, so they can go on with it.
    shown = officer.get(made.headers["location"])
    assert shown.status_code == 200 and "Transfer created, under not a transfer." in shown.text
    assert _audits(web, "created")[-1].actor == "web:officer@example.org"

    made = _create(officer, title="Support staff into Moor Academy", ref="into-moor",
                   transferor="old-council", transferee="moor-academy")
    assert made.status_code == 303
    assert cli.json("status", "into-moor")["regime"] == "TUPE"


def test_a_regime_against_the_school_type_needs_a_reason_and_is_flagged(
        web: WebEnv, cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    _schools(officer)
    refused = _create(officer, title="Moor staff", ref="moor-not", transferor="old-council",
                      transferee="moor-academy", regime="not-a-transfer")
    assert refused.status_code == 422
    errors = _errors(refused.text)
    assert "regime" in errors and "academy trust becomes the employer" in errors["regime"]
    assert "not-a-transfer" not in errors["regime"]  # the regime in words, not its key
    assert "moor-not" not in {t["ref"] for t in cli.json("list")}
    made = _create(officer, title="Moor staff", ref="moor-not", transferor="old-council",
                   transferee="moor-academy", regime="not-a-transfer",
                   regime_reason="The trust is only a nominal employer under the agreement")
    assert made.status_code == 303
    status = cli.json("status", "moor-not")
    assert status["regime"] == "not-a-transfer" and status["regime_warning"]
    assert 'id="regime-warning"' in officer.get(made.headers["location"]).text


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(web: WebEnv,
                                                                  cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    before = len(cli.json("list"))
    refused = officer.post("/new-transfer/details", {"workflow": "tupe-base",
                                                     "ref": "Not A Ref!",
                                                     "key-date-transfer-day": "31",
                                                     "key-date-transfer-month": "2",
                                                     "key-date-transfer-year": "2025"})
    assert refused.status_code == 422
    errors = _errors(refused.text)
    assert errors["key-date-transfer"] == "Transfer date must be a real date, like 27 3 2023"
    assert errors["transferor"] == "Select the employer the staff move from"
    assert errors["title"] == "Enter a title for the transfer"
    assert errors["ref"] == "The reference must be lower-case letters, digits, '-' and '/'"
    assert len(cli.json("list")) == before
    no_workflow = officer.get("/new-transfer/details")
    assert no_workflow.status_code == 422 and "workflow" in _errors(no_workflow.text)

    bad = _add_organisation(officer, slug="Bad Slug", name="X", kind="")
    assert bad.status_code == 422
    errors = _errors(bad.text)
    assert errors["kind"] == "Select the kind of organisation"
    assert set(errors) >= {"slug", "name"}
    taken = _add_organisation(officer, slug="nnc", name="North Northamptonshire",
                              kind="council")
    assert _errors(taken.text) == {
        "slug": "An organisation already has this short name: choose another"}
    assert "bad-slug" not in {o["slug"] for o in cli.json("organisations", "list")}


def test_viewers_and_union_representatives_are_refused_and_audited(web: WebEnv) -> None:
    ld = web.ids[LD]
    viewer, rep = web.as_role("viewer"), web.as_role("union_rep")
    denied = len(_audits(web, "access-denied"))
    assert viewer.get("/new-transfer").status_code == 403
    assert viewer.post("/organisations/new", {"slug": "x-co", "name": "X Co",
                                              "kind": "company"}).status_code == 403
    assert viewer.get("/organisations").status_code == 200  # reading the list is fine
    for path in (f"/transfers/{ld}/representatives", f"/transfers/{ld}/evidence",
                 f"/transfers/{ld}/eli", f"/transfers/{ld}/objections"):
        assert viewer.get(path).status_code == 403, path
        assert rep.get(path).status_code == 403, path
    assert rep.get(f"/transfers/{ld}/measures").status_code == 403
    assert viewer.get(f"/transfers/{ld}/measures").status_code == 200
    assert viewer.post(f"/transfers/{ld}/objections", {"employee": "LD-001"}).status_code == 403
    assert rep.post(f"/transfers/{ld}/steps/measures/override",
                    {"override_reason": "x" * 20}).status_code == 403
    # An officer not assigned to the transfer cannot find it.
    other = web.browser("other@example.org")
    assert other.get(f"/transfers/{ld}/representatives").status_code == 404
    assert len(_audits(web, "access-denied")) >= denied + 12


def test_representatives_and_an_election_are_recorded_as_the_cli_would(
        web: WebEnv, cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    base = f"/transfers/{ld}"
    refused = officer.post(f"{base}/representatives/add", {
        "organisation": "nnc", "kind": "existing", "name": "Sam Forum",
        "email": "not an email"})
    assert refused.status_code == 422
    errors = _errors(refused.text)
    assert errors["email"].startswith("Enter an email address in the correct format")
    refused = officer.post(f"{base}/representatives/add", {
        "organisation": "nnc", "kind": "existing", "name": "Sam Forum",
        "email": "sam@example.org"})
    assert "authority" in _errors(refused.text)
    added = officer.post(f"{base}/representatives/add", {
        "organisation": "nnc", "kind": "existing", "name": "Sam Forum",
        "email": "sam@example.org", "authority": "Elected staff forum member, terms para 4"})
    assert added.status_code == 303
    parties = {p["role"]: p for p in cli.json("elections", "show", LD)["parties"]}
    assert parties["transferor"]["existing"] == 1
    assert _audits(web, "representative-added")[-1].actor == "web:officer@example.org"

    # A recognised union is recorded for NCT's staff: no election is offered for them.
    page = officer.get(f"{base}/representatives").text
    assert f"{base}/elections/invite?party=nct" not in page
    assert "Through the representatives of the recognised trade union" in page

    # At a new transfer into an academy, the academy's staff elect theirs, stage by stage,
    # each on its date.
    _schools(officer)
    made = _create(officer, title="Support staff into Moor Academy", ref="into-moor",
                   transferor="old-council", transferee="moor-academy")
    assert made.status_code == 303
    base = made.headers["location"]
    assert f"{base}/elections/invite?party=moor-academy" in officer.get(
        f"{base}/representatives").text

    def stage(name: str, **fields: str) -> Any:
        return officer.post(f"{base}/elections/{name}?party=moor-academy", fields)

    def day(box: str, value: str) -> dict[str, str]:
        d, m, y = value.split("-")
        return {f"{box}-day": d, f"{box}-month": m, f"{box}-year": y}

    bad = stage("invite", seats="two", term="until the transfer",
                **day("invited_on", "12-9-2022"), **day("nominations_close_on", "10-9-2022"))
    assert bad.status_code == 422 and "seats" in _errors(bad.text)
    later = stage("invite", seats="2", term="until the transfer",
                  **day("invited_on", "12-9-2022"), **day("nominations_close_on", "10-9-2022"))
    assert _errors(later.text) == {"nominations_close_on": (
        "The date nominations close must be on or after 12 September 2022, the invitation")}
    assert cli.json("elections", "show", "into-moor")["parties"][1]["elections"] == []
    invited = stage("invite", seats="2", term="until the transfer",
                    **day("invited_on", "12-9-2022"), **day("nominations_close_on", "14-9-2022"))
    assert invited.status_code == 303
    assert stage("nominations", candidates="3", **day("closed_on", "14-9-2022")
                 ).status_code == 303
    assert stage("ballot", **day("held_on", "16-9-2022")).status_code == 303
    assert stage("result", **day("result_on", "17-9-2022"),
                 **{"elected-1-name": "Ann Elected", "elected-1-email": "ann@example.org"}
                 ).status_code == 303
    election = {p["role"]: p for p in cli.json("elections", "show", "into-moor")["parties"]}[
        "transferee"]
    assert election["route"] == "elected-representatives" and election["elected"] == 1
    assert election["elections"][0]["ballot_on"] == "2022-09-16"
    assert len(_audits(web, "election-result")) == 1
    page = officer.get(f"{base}/representatives").text
    assert "Through representatives the employees elected" in page
    assert "elected-representatives" not in page


def test_a_document_is_kept_with_its_sha256_and_a_step_is_overridden(
        web: WebEnv, cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    base = f"/transfers/{ld}"
    content = b"%PDF-1.4 NCT letter giving its measures"
    token = officer.token(f"{base}/steps/measures/documents")

    def attach(**fields: str) -> Any:
        return officer.client.post(f"{base}/steps/measures/documents", data={
            "csrf_token": token, "version": str(web.version(LD)), **fields},
            files={"file": ("nct-measures.pdf", content, "application/pdf")})

    refused = attach(description="", **{"document_date-day": "14", "document_date-month": "9",
                                        "document_date-year": "2022"})
    assert refused.status_code == 422 and "description" in _errors(refused.text)
    assert not [r for r in cli.json("evidence", LD) if r["documents"]]
    kept = attach(description="NCT's letter of 14 September giving its measures",
                  **{"document_date-day": "14", "document_date-month": "9",
                     "document_date-year": "2022"})
    assert kept.status_code == 303
    row = {r["step"]: r for r in cli.json("evidence", LD)}["measures"]
    digest = hashlib.sha256(content).hexdigest()
    assert row["documents"][0]["sha256"] == digest
    page = officer.get(kept.headers["location"]).text
    assert digest in page
    document_id = row["documents"][0]["id"]
    download = officer.get(f"{base}/documents/{document_id}")
    assert download.status_code == 200 and download.content == content
    assert _audits(web, "document-downloaded")[-1].actor == "web:officer@example.org"
    assert web.as_role("viewer").get(f"{base}/documents/{document_id}").status_code == 403

    open_step = next(r["step"] for r in cli.json("evidence", LD) if r["status"] == "open")
    short = officer.post(f"{base}/steps/{open_step}/override", {
        "override_reason": "late", "version": str(web.version(LD)),
        "occurred_on-day": "20", "occurred_on-month": "9", "occurred_on-year": "2022"})
    assert short.status_code == 422
    assert _errors(short.text)["override_reason"].startswith("Enter the special circumstances")
    done = officer.post(f"{base}/steps/{open_step}/override", {
        "override_reason": "The employees were told at a meeting; letters were impossible",
        "version": str(web.version(LD)),
        "occurred_on-day": "20", "occurred_on-month": "9", "occurred_on-year": "2022"})
    assert done.status_code == 303
    row = {r["step"]: r for r in cli.json("evidence", LD)}[open_step]
    assert row["overridden"] and row["override_reason"].startswith("The employees were told")


def test_the_eli_page_lists_each_gap_and_records_the_late_reason(web: WebEnv,
                                                                 cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    page = officer.get(f"/transfers/{ld}/eli").text
    check = cli.json("eli", "check", LD)
    for employee in check["employees"]:
        assert f'id="employee-{employee["employee_ref"]}"' in page
        assert f'/transfers/{ld}/employees/edit?ref={employee["employee_ref"]}' in page
    refused = officer.post(f"/transfers/{ld}/eli/late-reason", {"reason": "late"})
    assert refused.status_code == 422 and "reason" in _errors(refused.text)
    assert not _audits(web, "eli-late-reason")
    saved = officer.post(f"/transfers/{ld}/eli/late-reason",
                         {"reason": "The payroll system failed during the migration"})
    assert saved.status_code == 303
    assert "The payroll system failed" in officer.get(saved.headers["location"]).text
    assert _audits(web, "eli-late-reason")[-1].actor == "web:officer@example.org"


def test_an_objection_is_dated_before_the_transfer_and_offers_its_letter(
        web: WebEnv, cli: Cli) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    employee = next(e for e in cli.json("employees", LD) if e["in_scope"])
    ref = employee["employee_ref"]

    def object_on(day: str, month: str, year: str) -> Any:
        return officer.post(f"/transfers/{ld}/objections", {
            "employee": ref, "objected_on-day": day, "objected_on-month": month,
            "objected_on-year": year, "version": str(web.version(LD))})

    future = object_on("25", "9", "2022")
    assert future.status_code == 422
    assert _errors(future.text) == {
        "objected_on": "The date of the objection must be today or in the past"}
    assert all(e["objected_on"] is None for e in cli.json("employees", LD)
               if e["employee_ref"] == ref)
    recorded = object_on("19", "9", "2022")
    assert recorded.status_code == 303
    objector = next(e for e in cli.json("employees", LD) if e["employee_ref"] == ref)
    assert objector["objected_on"] == "2022-09-19" and objector["in_scope"]
    page = officer.get(recorded.headers["location"]).text
    assert (f"/transfers/{ld}/letters/objection-acknowledgement/check?to=employee:{ref}"
            in html.unescape(page))
    assert _audits(web, "employee-updated")[-1].actor == "web:officer@example.org"


def test_the_measures_page_links_to_the_letter_details_and_the_steps_documents(
        web: WebEnv) -> None:
    ld = web.ids[LD]
    page = web.as_role("hr_officer").get(f"/transfers/{ld}/measures").text
    for section in ("transferee-measures", "transferee-own-measures", "transferor-measures"):
        assert f'href="/transfers/{ld}/letter-data/{section}"' in page
    assert f"/transfers/{ld}/steps/measures/documents" in page
    transfer_page = web.as_role("hr_officer").get(f"/transfers/{ld}").text
    for link in ("representatives", "measures", "evidence", "eli", "objections"):
        assert f'href="/transfers/{ld}/{link}"' in transfer_page
