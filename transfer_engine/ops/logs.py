"""Log lines for people or for machines: ``TRANSFER_ENGINE_LOG_FORMAT=text`` (the default) or
``json``.

With ``json``, ``serve`` and ``scheduler`` write one JSON object a line to stderr, which log
collectors (journald, Loki, CloudWatch, Elastic) read without parsing rules: ``time`` (UTC, ISO
8601), ``level``, ``logger``, ``message``, then any extra fields the line was logged with
(``log.info(..., extra={"sweep_seconds": 1.2})``) and ``exception`` with the traceback, if any.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from transfer_engine.errors import ConfigurationError

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has: anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
    # uvicorn adds a coloured copy of its message for terminals.
    "color_message",
}


def log_format() -> str:
    """``text`` or ``json``, from TRANSFER_ENGINE_LOG_FORMAT."""
    value = os.environ.get("TRANSFER_ENGINE_LOG_FORMAT", "").strip().lower() or "text"
    if value not in FORMATS:
        raise ConfigurationError(f"TRANSFER_ENGINE_LOG_FORMAT={value!r} must be text or json")
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


def formatter(fmt: str | None = None) -> logging.Formatter:
    """The formatter for ``fmt`` (default: from the environment)."""
    return JsonFormatter() if (fmt or log_format()) == "json" else logging.Formatter(TEXT)


def uvicorn_config(level: str = "info", fmt: str | None = None) -> dict[str, Any] | None:
    """A ``logging.config.dictConfig`` for ``serve``: the web server's lines and the engine's,
    as JSON; None (uvicorn's own, readable setup) for text."""
    if (fmt or log_format()) != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(),
                               "propagate": False},
            "transfer_engine": {"handlers": ["default"], "level": level.upper(),
                                "propagate": False},
            "apscheduler": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
    }
