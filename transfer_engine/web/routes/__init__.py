"""The HTML pages, one module per resource. Every router here is mounted behind the CSRF check."""

from transfer_engine.web.routes import (
    account,
    admin,
    calendar,
    dashboard,
    employees,
    history,
    letters,
    portal,
    sign_in,
    transfers,
    workflows,
)

ROUTERS = [
    sign_in.router, dashboard.router, transfers.router, employees.router, letters.router,
    history.router, calendar.router, portal.router, account.router, admin.router,
    workflows.router,
]
