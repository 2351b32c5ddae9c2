"""Absurd ids and page numbers: the app's own 404 or 400, with its security headers, never a
500, for every route that takes a number, every role, the pages and the API."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx2 import Response

from tests.web_fixtures import WebEnv
from transfer_engine.web import api, routes
from transfer_engine.web.forms import parse_date_fields, whole_number
from transfer_engine.web.ids import MAX_ID, int_parameters

HUGE = "99999999999999999999999"
# Values for the path parameters that are not numbers.
WORDS = {"step_id": "claims_window", "name": "transfer", "letter": "reg13-information",
         "fmt": "pdf", "token": "abc", "section_key": "meeting", "employee_ref": "LD-001",
         "stage": "invite", "slug": "nnc", "to_version": "2"}


def _check(response: Response, status: int, *, api: bool, where: str) -> None:
    assert response.status_code == status, (where, response.status_code, response.text[:300])
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"], where
    assert response.headers["cache-control"] == "no-store", where
    assert response.headers["x-content-type-options"] == "nosniff", where
    kind = response.headers["content-type"]
    if api:
        assert kind.startswith("application/json"), where
        assert "detail" in response.json(), where
    else:
        assert kind.startswith("text/html"), where
        assert "govuk-template" in response.text, where  # the app's page, not plain text
    assert "Traceback" not in response.text and "OverflowError" not in response.text


def _numbered_routes() -> list[tuple[str, str]]:
    """(method, path with HUGE for every whole-number path parameter) of every such route."""
    found = []
    mounted = [("", r) for r in routes.ROUTERS] + [("/api/v1", r) for r in api.ROUTERS]
    for prefix, route in ((p, route) for p, router in mounted for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        numbers, _ = int_parameters(route)
        if not numbers:
            continue
        path = prefix + route.path
        for name in re.findall(r"{(\w+)}", route.path):
            path = path.replace(f"{{{name}}}", HUGE if name in numbers else WORDS[name])
        for method in sorted(route.methods or ()):
            found.append((method, path))
    return found


def test_every_numbered_route_is_found(web: WebEnv) -> None:
    paths = {path for _, path in _numbered_routes()}
    assert f"/transfers/{HUGE}" in paths and f"/api/v1/transfers/{HUGE}" in paths
    assert f"/portal/notices/{HUGE}" in paths and f"/api/v1/notices/{HUGE}/acknowledge" in paths
    assert len(paths) >= 20


@pytest.mark.parametrize("role", ["hr_admin", "viewer", "union_rep"])
def test_huge_ids_in_pages_are_not_found(web: WebEnv, role: str) -> None:
    browser = web.as_role(role)
    for method, path in _numbered_routes():
        if path.startswith("/api/"):
            continue
        response = browser.client.request(method, path)
        _check(response, 404, api=False, where=f"{role} {method} {path}")
        negative = browser.client.request(method, path.replace(HUGE, "-" + HUGE))
        _check(negative, 404, api=False, where=f"{role} {method} {path} (negative)")


@pytest.mark.parametrize("username", ["viewer@example.org", "rep@example.org",
                                      "admin@example.org"])
def test_huge_ids_in_the_api_are_not_found(web: WebEnv, username: str) -> None:
    api = web.api(username)
    for method, path in _numbered_routes():
        if path.startswith("/api/"):
            _check(api.request(method, path), 404, api=True, where=f"{username} {path}")


@pytest.mark.parametrize("role", ["hr_admin", "viewer", "union_rep"])
def test_huge_page_numbers_are_a_bad_request(web: WebEnv, role: str) -> None:
    browser = web.as_role(role)
    for path in ("/", "/admin/audit"):
        response = browser.get(f"{path}?page={HUGE}")
        _check(response, 400, api=False, where=f"{role} {path}")
        assert "too large" in response.text
    # The largest number a database row can have is still a number: no error.
    assert web.as_role("hr_admin").get(f"/admin/audit?page={MAX_ID}").status_code == 200


def test_a_number_thousands_of_digits_long_is_refused_too(web: WebEnv) -> None:
    browser = web.as_role("viewer")
    _check(browser.get("/transfers/" + "9" * 5000), 404, api=False, where="5000 digits")
    _check(browser.get("/?page=" + "9" * 5000), 400, api=False, where="5000 digits")


def test_huge_numbers_in_forms_are_not_found(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    token = admin.token("/admin/users")
    officer_id = 2  # any user: the transfer is what cannot exist
    response = admin.client.post(f"/admin/users/{officer_id}/assignments",
                                 data={"csrf_token": token, "transfer_id": HUGE})
    _check(response, 404, api=False, where="assignment form")


def test_the_calendar_feed_with_a_numeric_token_is_not_found(web: WebEnv) -> None:
    response = TestClient(web.app).get(f"/calendar/{HUGE}.ics")
    _check(response, 404, api=False, where="calendar")


def test_an_unexpected_error_is_the_apps_page_with_headers(web: WebEnv) -> None:
    def broken() -> None:
        raise RuntimeError("something the code did not expect")

    web.app.add_api_route("/broken-for-test", broken)
    web.app.add_api_route("/api/v1/broken-for-test", broken)
    client = TestClient(web.app, raise_server_exceptions=False)
    _check(client.get("/broken-for-test"), 500, api=False, where="page")
    _check(client.get("/api/v1/broken-for-test"), 500, api=True, where="api")


def test_digits_a_number_cannot_be_read_from_are_refused_not_a_500(web: WebEnv) -> None:
    """"²" (or "٣") is a digit to Python's str.isdigit but not a number int() reads: a page
    number, a filter, a version or a count written with one is refused like any other
    non-number, never an error page."""
    assert [whole_number(t) for t in ("12", " 7 ", "²", "٣", "1e3", "", "9" * 10)] == [
        12, 7, None, None, None, None, None]
    ld = web.ids["ld-to-nct"]
    admin = web.as_role("hr_admin")
    for path in (f"/transfers/{ld}/history?page=²", f"/transfers/{ld}/history?page=٣",
                 "/admin/audit?transfer=²"):
        response = admin.get(path)
        _check(response, 200, api=False, where=path)
        assert "entries" in response.text or "entry" in response.text, path
    # A page number the route declares is checked before it: the app's "bad request" page.
    _check(admin.get("/admin/audit?page=²"), 400, api=False, where="audit page")
    # The first page, as for any page number that is not one.
    assert admin.get(f"/transfers/{ld}/history?page=²").text == \
        admin.get(f"/transfers/{ld}/history?page=x").text
    officer = web.as_role("hr_officer")
    # A count of rows that is not a number: no rows (the form's other errors still shown).
    rows = officer.post(f"/transfers/{ld}/letter-data/redundancies",
                        {"redundancy_groups-rows": "²"})
    assert rows.status_code in (303, 422), rows.status_code
    # A version that is not a number is no version: the step is still overridden.
    step = "claims_window"
    override = officer.post(f"/transfers/{ld}/steps/{step}/override", {
        "override_reason": "The claims register was checked at the meeting of the board",
        "version": "²", "occurred_on-day": "²", "occurred_on-month": "9",
        "occurred_on-year": "2022"})
    assert override.status_code == 422, override.status_code
    assert "must be a real date" in override.text


def test_a_date_too_large_to_be_one_is_the_date_error(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    officer = web.as_role("hr_officer")
    sent = officer.post(f"/transfers/{ld}/steps/claims_window/done", {
        "version": web.version("ld-to-nct"), "evidence": "Claims register checked, ref CR-9",
        "done_on-day": "99999999999999999999", "done_on-month": "9", "done_on-year": "2022"})
    page = officer.follow(sent)
    assert page.status_code == 422  # the step's page, its form with the error
    assert "The date it was done must be a real date, like 27 3 2023" in page.text
    # However the boxes hold it: too many digits for a day, or a year that no date has.
    for day, month, year in (("99999999999999999999", "1", "2022"), ("1", "1", "99999"),
                             ("1", "99999999999", "2022"), ("9" * 400, "9" * 400, "9999")):
        assert parse_date_fields(day, month, year, "the date")[1] in (
            "The date must be a real date, like 27 3 2023", "Year must include 4 numbers")
