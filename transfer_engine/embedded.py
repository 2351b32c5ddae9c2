"""The engine to embed in another Python program: one object holding its database and settings.

:class:`TransferEngine` is what a council's own system (a scheduler of its own, an HR system's
integration, a notebook) uses instead of the command line: it is given its database and settings
rather than reading them from the environment, and each method is one command of the engine
that owns its transaction, or one read. Errors are the engine's own
(:class:`~transfer_engine.errors.TransferEngineError` and its subclasses), carrying data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from transfer_engine.config import Settings, get_settings
from transfer_engine.engine.advance import AdvanceResult, advance
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.organisations import add_organisation, parse_organisation_create
from transfer_engine.engine.reschedule import RescheduleReport, reschedule
from transfer_engine.engine.staff import ImportReport, import_employees
from transfer_engine.engine.steps import complete_step
from transfer_engine.letters.owed import IssueReport, issue_pending
from transfer_engine.rules.exposure import Exposure, exposure
from transfer_engine.rules.timeline import TimelineEntry, timeline
from transfer_engine.store.database import get_engine, init_db, read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.workflow.loader import WorkflowLibrary, library


class TransferEngine:
    """A transfer engine on one database.

    ``database_url`` is an SQLAlchemy URL (``sqlite:///transfers.db``, or
    ``postgresql+psycopg://user:password@host/db``); the schema is created in an empty database.
    ``settings`` gives everything else (letters folder, mail, workflows); by default they are
    read from the environment once, here. ``today`` judges deadlines as if today were that date
    (training, tests); by default it is the real date.
    """

    def __init__(self, database_url: str | None = None, *, settings: Settings | None = None,
                 today: date | None = None) -> None:
        settings = settings or get_settings()
        if database_url is not None:
            settings = replace(settings, database_url=database_url)
        self.settings = settings
        self.database: Engine = init_db(get_engine(settings=settings))
        self.workflows: WorkflowLibrary = library(*settings.workflow_folders)
        self._today = today

    def today(self) -> date:
        """The date deadlines are judged against."""
        return self._today or date.today()

    # Commands: each one transaction, audited under ``actor``.

    def add_organisation(self, slug: str, name: str, kind: str, *, actor: str,
                         school_type: str | None = None, maintained_by: str | None = None,
                         headcount: int | None = None) -> Organisation:
        """Add a council, trust, school, company or other employer."""
        data = parse_organisation_create(
            {"slug": slug, "name": name, "kind": kind, "school_type": school_type,
             "maintaining_authority": maintained_by, "headcount": headcount})
        with write_session(self.database) as session:
            return add_organisation(session, data, actor=actor)

    def create_transfer(self, ref: str, *, title: str, transferor: str, transferee: str,
                        key_dates: Mapping[str, date], actor: str, regime: str | None = None,
                        regime_reason: str | None = None, workflow: str = "tupe-base",
                        parent: str | None = None, hr_owner: str | None = None,
                        escalation_contact: str | None = None,
                        proposed_dismissals: int | None = None,
                        establishment: str | None = None) -> Transfer:
        """Create a transfer from a workflow, with every step's deadline worked out.

        ``key_dates`` needs at least ``transfer`` (the transfer date); the workflow names the
        others it counts from (e.g. ``decision``). Where ``transferee`` is a school, its type
        decides the regime (give one that contradicts it only with ``regime_reason``, and the
        transfer is flagged); otherwise ``regime`` (default TUPE) needs ``regime_reason``.
        ``proposed_dismissals`` at ``establishment``: collective redundancies (TULRCA s.188).
        """
        data = parse_transfer_create({
            "ref": ref, "title": title, "workflow_id": workflow, "regime": regime,
            "regime_reason": regime_reason, "transferor": transferor, "transferee": transferee,
            "key_dates": dict(key_dates), "parent": parent, "hr_owner": hr_owner,
            "escalation_contact": escalation_contact,
            "proposed_dismissals": proposed_dismissals, "establishment": establishment})
        with write_session(self.database) as session:
            return create_transfer(session, data, actor=actor, workflows=self.workflows)

    def import_employees(self, ref: str, path: Path, *, actor: str,
                         replace: bool = False) -> ImportReport:
        """Import a CSV staff list (README, "Staff lists"): every row is checked first."""
        return import_employees(ref, path, actor=actor, replace=replace, engine=self.database)

    def advance(self, ref: str, trigger: str, *, actor: str, note: str | None = None,
                override_reason: str | None = None,
                occurred_on: date | None = None) -> AdvanceResult:
        """Fire ``trigger``; refused with the failed guards unless an override reason is given
        where the workflow allows one. ``occurred_on`` is the day it happened (default today).
        The letters the new state names are owed, not issued: see :meth:`issue_owed_letters`."""
        return advance(ref, trigger, actor=actor, note=note, override_reason=override_reason,
                       today=self.today(), occurred_on=occurred_on, engine=self.database)

    def complete_step(self, ref: str, step: str, *, actor: str, evidence: str,
                      occurred_on: date | None = None) -> StepInstance:
        """Record a step as done, with its evidence and the date it happened (default today)."""
        return complete_step(ref, step, actor=actor, evidence=evidence,
                             occurred_on=occurred_on, today=self.today(),
                             engine=self.database)

    def reschedule(self, ref: str, key_date: str, new: date, *, actor: str,
                   reason: str) -> RescheduleReport:
        """Move a key date; every deadline counted from it moves, and the report says which."""
        return reschedule(ref, key_date, new, actor=actor, reason=reason, today=self.today(),
                          engine=self.database)

    def issue_owed_letters(self, ref: str | None = None) -> IssueReport:
        """Issue the letters owed by the states transfers entered (of one transfer, if given)."""
        transfer_id = None
        if ref is not None:
            with read_session(self.database) as session:
                transfer_id = get_transfer(session, ref).id
        return issue_pending(self.database, transfer_id=transfer_id, settings=self.settings)

    # Reads.

    def transfer(self, ref: str) -> Transfer:
        """A transfer by its reference."""
        with read_session(self.database) as session:
            return get_transfer(session, ref)

    def timeline(self, ref: str) -> list[TimelineEntry]:
        """Each step: its due date, the last working day for it, its status and its law."""
        with read_session(self.database) as session:
            return timeline(session, ref, self.today())

    def money_at_risk(self, ref: str) -> Exposure:
        """The awards at risk from steps late or missed (reg 12, reg 15), from the staff list."""
        with read_session(self.database) as session:
            return exposure(session, ref, self.today())


__all__ = ["TransferEngine"]
