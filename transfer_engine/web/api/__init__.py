"""The JSON API (bearer tokens), one module per resource, mounted under ``/api/v1``."""

from transfer_engine.web.api import (
    elections,
    eli,
    evidence,
    letters,
    notices,
    representations,
    transfers,
)

ROUTERS = [transfers.router, eli.router, notices.router, elections.router, letters.router,
           representations.router, evidence.router]
