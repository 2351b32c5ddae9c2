"""The HTML pages, one module per resource. Every router here is mounted behind the CSRF check."""

from transfer_engine.web.routes import (
    account,
    admin,
    calendar,
    cancel,
    dashboard,
    eli,
    employees,
    evidence,
    history,
    key_dates,
    letter_data,
    letter_issue,
    letters,
    measures,
    new_transfer,
    objections,
    organisations,
    portal,
    programme,
    representations,
    representatives,
    sign_in,
    staff_import,
    transfers,
    workflows,
)

ROUTERS = [
    # letter_issue before letters: its paths (.../letters/issues/7) would otherwise be taken
    # for a letter's download (.../letters/{letter}/{format}).
    sign_in.router, dashboard.router, transfers.router, employees.router, letter_issue.router,
    letters.router,
    history.router, calendar.router, portal.router, account.router, admin.router,
    workflows.router, representations.router, letter_data.router, key_dates.router,
    staff_import.router, cancel.router,
    # Everything else in the browser (issue 13): creating, organisations, representatives and
    # elections, measures, evidence, the ELI and objections.
    new_transfer.router, organisations.router, representatives.router, measures.router,
    evidence.router, eli.router, objections.router,
    # A programme's schools by milestone, and actions for many schools (issue 13, point 5).
    programme.router,
]
