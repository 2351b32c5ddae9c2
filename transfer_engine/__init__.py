"""transfer_engine: run TUPE and public-sector staff transfers as durable state machines.

The public surface is small: :class:`TransferEngine` (the engine on one database, with its
settings), what its methods return, and the errors they raise. Everything else is internal and
may change. The README's "Embedding the engine" shows it at work.
"""

from transfer_engine.config import Settings
from transfer_engine.embedded import TransferEngine
from transfer_engine.engine.advance import AdvanceResult, advance
from transfer_engine.engine.create import create_transfer
from transfer_engine.engine.reschedule import RescheduleReport, reschedule
from transfer_engine.engine.staff import ImportReport
from transfer_engine.engine.steps import complete_step
from transfer_engine.errors import (
    ConfigurationError,
    ConflictError,
    GuardFailure,
    GuardRefusedError,
    ImportRowsError,
    InvalidTriggerError,
    NotFoundError,
    TransferEngineError,
    TransitionError,
    ValidationError,
    WorkflowError,
)
from transfer_engine.letters.owed import IssueReport
from transfer_engine.rules.exposure import Exposure
from transfer_engine.rules.timeline import TimelineEntry
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import WorkflowLibrary, library

__all__ = [
    "AdvanceResult",
    "ConfigurationError",
    "ConflictError",
    "Exposure",
    "GuardFailure",
    "GuardRefusedError",
    "ImportReport",
    "ImportRowsError",
    "InvalidTriggerError",
    "IssueReport",
    "NotFoundError",
    "RescheduleReport",
    "Settings",
    "TimelineEntry",
    "TransferEngine",
    "TransferEngineError",
    "TransitionError",
    "ValidationError",
    "WorkflowDefinition",
    "WorkflowError",
    "WorkflowLibrary",
    "advance",
    "complete_step",
    "create_transfer",
    "library",
    "reschedule",
]
