"""Fill a database quickly with many synthetic transfers, for the benchmarks.

Creating transfers one by one through the engine is what HR does, and what the engine benchmark
measures; a benchmark of the scheduler or the web app over 100,000 transfers needs the data in
place first, so this module writes the same rows in bulk: transfers from the base TUPE workflow
with their key dates, every step with its deadline worked out by the engine's own rules
(:func:`transfer_engine.engine.plan_step`), synthetic employees and a union representative.
Transfer dates are spread over three years around ``centre`` so that, on any one day, only a
small share of the deadlines is due, as in a real shared service.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from transfer_engine.dates.clock import utcnow
from transfer_engine.dates.working_days import last_working_day_on_or_before
from transfer_engine.domain import StepStatus
from transfer_engine.engine.planning import Facts, plan_step
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import KeyDate, StepInstance, Transfer
from transfer_engine.workflow.loader import library

CHUNK = 2_000


def populate(engine: Engine, transfers: int, *, employees_per_transfer: int = 3,
             centre: date = date(2025, 6, 2), spread_days: int = 540, seed: int = 7,
             prefix: str = "bulk") -> None:
    """Insert ``transfers`` synthetic transfers (refs ``<prefix>-000001`` ...), their transfer
    dates spread ``spread_days`` either side of ``centre``."""
    rng = random.Random(seed)
    definition = library().get("tupe-base")
    facts = Facts(regime="TUPE", representatives=1, transferor_headcount=5000,
                  transferring=employees_per_transfer)
    now = utcnow()
    tables = {m: m.__table__  # type: ignore[union-attr]  # SQLModel does not declare __table__
              for m in (Organisation, Transfer, KeyDate, StepInstance, Employee, Representative)}
    with engine.begin() as connection:
        existing = connection.execute(
            select(Organisation.__table__.c.id).where(  # type: ignore[attr-defined]
                Organisation.__table__.c.slug == "bulk-council")).scalar()  # type: ignore[attr-defined]
        if existing is None:
            connection.execute(insert(tables[Organisation]), [
                {"slug": "bulk-council", "name": "Synthetic Council", "kind": "council",
                 "headcount": 5000},
                {"slug": "bulk-provider", "name": "Synthetic Provider Ltd", "kind": "company",
                 "headcount": 800}])
        council, provider = connection.execute(
            select(tables[Organisation].c.id).where(
                tables[Organisation].c.slug.in_(["bulk-council", "bulk-provider"]))
            .order_by(tables[Organisation].c.slug)).scalars().all()
        start_id = (connection.execute(select(tables[Transfer].c.id)
                                       .order_by(tables[Transfer].c.id.desc()).limit(1)).scalar()
                    or 0) + 1
    for chunk_start in range(0, transfers, CHUNK):
        count = min(CHUNK, transfers - chunk_start)
        rows_t, rows_k, rows_s, rows_e, rows_r = [], [], [], [], []
        for offset in range(count):
            number = chunk_start + offset
            transfer_id = start_id + number
            transfer_date = centre + timedelta(days=rng.randint(-spread_days, spread_days))
            decision = transfer_date - timedelta(days=90)
            rows_t.append({
                "id": transfer_id, "ref": f"{prefix}-{number + 1:06d}",
                "title": f"Synthetic transfer {number + 1}", "workflow_id": definition.id,
                "workflow_version": definition.version, "regime": "tupe",
                "regime_reason": "synthetic benchmark data", "transferor_id": council,
                "transferee_id": provider, "state": "approved", "version": 1,
                "hr_owner": f"hr{number % 50}@example.org",
                "escalation_contact": "head.of.hr@example.org", "sample_data": True,
                "created_at": now, "updated_at": now})
            key_dates = {"decision": decision, "transfer": transfer_date}
            rows_k += [{"transfer_id": transfer_id, "name": k, "value": v}
                       for k, v in key_dates.items()]
            for step in definition.steps.values():
                plan = plan_step(step, key_dates, facts)
                rows_s.append({
                    "transfer_id": transfer_id, "step_id": step.id, "title": step.title,
                    "legal_basis": plan.rule.legal_basis if plan.rule else "",
                    "position": step.position,
                    "status": "not_applicable" if plan.not_applicable else (
                        "done" if step.id == "decision" else "open"),
                    "due_date": plan.due,
                    "working_due_date": last_working_day_on_or_before(plan.due)
                    if plan.due else None,
                    "rule_effective_from": plan.rule.effective_from if plan.rule else None,
                    "not_applicable_reason": plan.not_applicable,
                    "done_on": decision if step.id == "decision" else None})
            for e in range(employees_per_transfer):
                rows_e.append({
                    "transfer_id": transfer_id, "employee_ref": f"E{e:03d}",
                    "full_name": f"Synthetic Employee {number + 1}-{e}",
                    "email": f"employee.{number + 1}.{e}@example.org", "role": "Officer",
                    "fte": Decimal("1.00"), "weekly_pay": Decimal(rng.randint(350, 900)),
                    "in_scope": True, "synthetic": True})
            rows_r.append({"transfer_id": transfer_id, "organisation_id": council,
                           "kind": "recognised_union", "name": "Synthetic UNISON steward",
                           "union": "UNISON", "email": f"rep{number % 20}@example.org",
                           "synthetic": True})
        with engine.begin() as connection:
            connection.execute(insert(tables[Transfer]), rows_t)
            connection.execute(insert(tables[KeyDate]), rows_k)
            connection.execute(insert(tables[StepInstance]), rows_s)
            if rows_e:
                connection.execute(insert(tables[Employee]), rows_e)
            connection.execute(insert(tables[Representative]), rows_r)


__all__ = ["StepStatus", "populate"]
