"""Settings, read once from the environment.

Every setting has a working default so that a newcomer can run the engine with no configuration:
an SQLite file in the working directory and the workflow definitions shipped with the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATABASE_URL = "sqlite:///transfer_engine.db"


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


@dataclass(frozen=True)
class Settings:
    """What the engine needs to know about where it runs."""

    database_url: str = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    workflows_dir: Path = field(
        default_factory=lambda: _path("TRANSFER_ENGINE_WORKFLOWS", PROJECT_ROOT / "workflows")
    )
    templates_dir: Path = field(
        default_factory=lambda: _path(
            "TRANSFER_ENGINE_TEMPLATES", PROJECT_ROOT / "templates" / "letters"
        )
    )
    timezone: str = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_TIMEZONE", "Europe/London")
    )


def get_settings() -> Settings:
    """Read the settings now (tests change the environment between runs)."""
    return Settings()
