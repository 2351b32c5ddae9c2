"""transfer_engine: run TUPE and public-sector staff transfers as durable state machines.

The public surface is small; everything else is internal and may change.
"""

from transfer_engine.engine import (
    AdvanceResult,
    RescheduleReport,
    advance,
    complete_step,
    create_transfer,
    reschedule,
)
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
from transfer_engine.workflow import WorkflowDefinition, WorkflowLibrary, library

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
