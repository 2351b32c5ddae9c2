"""The web app for HR staff and the portal for union representatives (FastAPI, GOV.UK Frontend).

Start it with ``transfer-engine serve``; build it in code with :func:`create_app`.
"""

from transfer_engine.web.app import create_app
from transfer_engine.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
