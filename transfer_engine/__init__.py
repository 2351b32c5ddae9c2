"""transfer_engine: run TUPE and public-sector staff transfers as durable state machines.

The public surface is small; everything else is internal and may change.
"""

from transfer_engine.engine.advance import AdvanceResult, advance
from transfer_engine.engine.create import create_transfer
from transfer_engine.engine.reschedule import RescheduleReport, reschedule
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
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import WorkflowLibrary, library

__all__ = [
    "AdvanceResult",
    "ConfigurationError",
    "ConflictError",
    "GuardFailure",
    "GuardRefusedError",
    "ImportRowsError",
    "InvalidTriggerError",
    "NotFoundError",
    "RescheduleReport",
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
