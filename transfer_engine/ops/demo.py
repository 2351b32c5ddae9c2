"""The three transfers of the council reports, loaded with synthetic staff.

The reports name no employees. Everyone created here is synthetic, flagged ``synthetic`` in the
database and named "Sample ..." so that no one mistakes it for real personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.inputs import EmployeeRow, RepresentativeCreate
from transfer_engine.engine.staff import _add_representative, store_employees
from transfer_engine.letters.sample_particulars import fill_synthetic, synthetic_eli
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit, get_organisation, get_transfer
from transfer_engine.store.transfers import Transfer
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import library
from transfer_engine.workflow.schema import SeedSpec

SEED_WORKFLOWS = ("ld-to-nct", "send-iass-to-wnc", "acsws-to-schools")
ACTOR = "demo (sample data)"


@dataclass(frozen=True)
class DemoReport:
    created: list[str]
    skipped: list[str]


def _ensure_organisations(session: Session, definition: WorkflowDefinition) -> None:
    # Councils first: schools point at their maintaining council.
    ordered = sorted(definition.organisations.items(), key=lambda kv: kv[1].kind == "school")
    for slug, spec in ordered:
        if session.exec(select(Organisation).where(Organisation.slug == slug)).first():
            continue
        maintaining = (get_organisation(session, spec.maintaining_authority).id
                       if spec.maintaining_authority else None)
        session.add(Organisation(slug=slug, name=spec.name, kind=spec.kind,
                                 school_type=spec.school_type, headcount=spec.headcount,
                                 maintaining_authority_id=maintaining))
        session.flush()


def _staff_rows(seed: SeedSpec, prefix: str) -> list[EmployeeRow]:
    rows = []
    number = 0
    for group in seed.staff:
        for _ in range(int(group.get("count", 1))):
            number += 1
            ref = f"{prefix.upper()}-{number:03d}"
            fte, pay = Decimal(str(group["fte"])), Decimal(str(group["weekly_pay"]))
            rows.append(EmployeeRow(
                employee_ref=ref, full_name=f"Sample Employee {ref}",
                email=f"sample.{ref.lower()}@example.org", role=group["role"],
                fte=fte, weekly_pay=pay, in_scope=bool(group.get("in_scope", True)),
                # The rest of the ELI (reg 11(2)), made up and labelled "(sample)".
                **synthetic_eli(ref, fte, seed.key_dates.get("transfer"), pay),
            ))
    return rows


def _representatives(session: Session, ref: str, seed: SeedSpec) -> None:
    for i, rep in enumerate(seed.representatives, start=1):
        slug = ref.replace("/", "-")
        spec = RepresentativeCreate(
            organisation=rep["organisation"], kind=rep["kind"], name=rep["name"],
            union=rep.get("union"),
            email=f"{(rep.get('union') or 'rep').lower()}.{slug}.{i}@example.org")
        _add_representative(session, ref, spec, actor=ACTOR, synthetic=True)


def _create(ref: str, values: dict, engine: Engine | None) -> Transfer:
    with write_session(engine) as session:
        return create_transfer(session, parse_transfer_create(values), actor=ACTOR)


def load_demo(engine: Engine | None = None) -> DemoReport:
    """Create the seed transfers that do not exist yet (running it twice changes nothing)."""
    created, skipped = [], []
    lib = library()
    for workflow_id in SEED_WORKFLOWS:
        definition = lib.get(workflow_id)
        seed = definition.seed
        assert seed is not None, f"{workflow_id} has no transfer section"
        with write_session(engine) as session:
            exists = session.exec(select(Transfer.id).where(Transfer.ref == seed.ref)).first()
            _ensure_organisations(session, definition)
        if exists:
            skipped.append(seed.ref)
            continue
        base = {
            "ref": seed.ref, "title": seed.title, "workflow_id": definition.id,
            "regime": seed.regime, "regime_reason": " ".join(seed.regime_reason.split()),
            "transferor": seed.transferor, "transferee": seed.transferee,
            "key_dates": seed.key_dates, "hr_owner": seed.hr_owner,
            "escalation_contact": seed.escalation_contact, "sample_data": True,
        }
        _create(seed.ref, base, engine)
        created.append(seed.ref)
        if seed.children:
            _create_children(seed, engine, created)
        else:
            store_employees(seed.ref, _staff_rows(seed, seed.ref.split("-")[0]), actor=ACTOR,
                            replace=False, source="demo (synthetic)", synthetic=True,
                            engine=engine)
            with write_session(engine) as session:
                _representatives(session, seed.ref, seed)
        with write_session(engine) as session:
            # What the letters need beyond the staff list (address, grade, reasons...).
            fill_synthetic(session, get_transfer(session, seed.ref), actor=ACTOR)
    return DemoReport(created, skipped)


def _create_children(seed: SeedSpec, engine: Engine | None, created: list[str]) -> None:
    assert seed.children_workflow
    child_workflow = library().get(seed.children_workflow)
    for child in seed.children:
        with write_session(engine) as session:
            school = get_organisation(session, child.transferee)
        # No regime is given: the school's type decides it when the transfer is created, as
        # for a transfer created any other way (engine.create.settle_regime).
        values = {
            "ref": child.ref, "title": child.title or f"ACSWs into {school.name}",
            "workflow_id": child_workflow.id, "transferor": seed.transferor,
            "transferee": school.slug,
            "key_dates": {k: v for k, v in seed.key_dates.items()
                          if k in child_workflow.key_dates},
            "parent": seed.ref, "hr_owner": seed.hr_owner,
            "escalation_contact": seed.escalation_contact, "sample_data": True,
        }
        regime = _create(child.ref, values, engine).regime
        created.append(child.ref)
        prefix = f"acsw{child.transferee.split('-')[-1]}"
        store_employees(child.ref, _staff_rows(seed, prefix), actor=ACTOR, replace=False,
                        source="demo (synthetic)", synthetic=True, engine=engine)
        with write_session(engine) as session:
            _representatives(session, child.ref, seed)
            fill_synthetic(session, get_transfer(session, child.ref), actor=ACTOR)
            audit(session, None, ACTOR, "demo-child", data={"child": child.ref,
                                                            "regime": regime.value})
