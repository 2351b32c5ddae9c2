"""The JSON API (bearer tokens), one module per resource, mounted under ``/api/v1``."""

from transfer_engine.web.api import notices, transfers

ROUTERS = [transfers.router, notices.router]
