"""Commands on organisations, employees and representatives."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import select

from transfer_engine.cli.app import (
    JsonOption,
    actor,
    app,
    console,
    guarded,
    print_json,
    print_table,
)
from transfer_engine.engine.import_limits import LIMITS_TEXT
from transfer_engine.engine.organisations import add_organisation as engine_add_organisation
from transfer_engine.engine.organisations import parse_organisation_create
from transfer_engine.engine.staff import add_representative, import_employees
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import get_transfer

organisations_app = typer.Typer(help="Councils, trusts, schools and companies.",
                                no_args_is_help=True)
app.add_typer(organisations_app, name="organisations")


@organisations_app.command("add")
@guarded
def add_organisation(
    slug: str,
    name: str = typer.Option(..., "--name"),
    kind: str = typer.Option(..., "--kind", help="council, trust, school, company or other"),
    school_type: str = typer.Option(None, "--school-type",
                                    help="community, voluntary-controlled, foundation, "
                                         "voluntary-aided or academy"),
    maintaining: str = typer.Option(None, "--maintained-by", help="Maintaining council's slug"),
    headcount: int = typer.Option(None, "--headcount", help="Employees (reg 13A thresholds)"),
) -> None:
    """Add an organisation."""
    spec = parse_organisation_create({
        "slug": slug, "name": name, "kind": kind, "school_type": school_type,
        "maintaining_authority": maintaining, "headcount": headcount})
    with write_session() as session:
        engine_add_organisation(session, spec, actor=actor())
    console.print(f"Added {slug}: {name}")


@organisations_app.command("list")
@guarded
def list_organisations(as_json: bool = JsonOption) -> None:
    """Every organisation."""
    with read_session() as session:
        rows = session.exec(select(Organisation).order_by(Organisation.slug)).all()
    data = [{"slug": o.slug, "name": o.name, "kind": o.kind.value,
             "school_type": o.school_type.value if o.school_type else None,
             "headcount": o.headcount} for o in rows]
    if as_json:
        print_json(data)
        return
    print_table("Organisations", ["slug", "name", "kind", "school type", "headcount"],
                [[d["slug"], d["name"], d["kind"], d["school_type"] or "", d["headcount"] or ""]
                 for d in data])


@app.command("import-employees", help=(
    "Import a staff list (CSV UTF-8 with a header row, or an .xlsx workbook): every row is "
    f"checked first; one bad row and nothing is imported. The file can be {LIMITS_TEXT}."))
@guarded
def import_employees_command(
    ref: str,
    csv_file: Path = typer.Argument(..., help="CSV (comma, semicolon or tab) or .xlsx with "
                                              "employee_ref, full_name, role, fte, "
                                              "weekly_pay [, email, date_of_birth, in_scope, "
                                              "objected_on]"),
    replace: bool = typer.Option(False, "--replace", help="Replace the whole staff list"),
    as_json: bool = JsonOption,
) -> None:
    """Import a staff list: every row is checked first; one bad row and nothing is imported."""
    report = import_employees(ref, csv_file, actor=actor(), replace=replace)
    if as_json:
        print_json({"ref": ref, "imported": report.imported, "replaced": report.replaced,
                    "in_scope": report.in_scope})
    else:
        console.print(f"{ref}: imported {report.imported} employee(s), {report.in_scope} in scope"
                      + (f"; replaced {report.replaced}" if report.replaced else ""))


@app.command("employees")
@guarded
def employees(ref: str, as_json: bool = JsonOption) -> None:
    """The employees of a transfer."""
    with read_session() as session:
        transfer = get_transfer(session, ref)
        rows = session.exec(select(Employee).where(Employee.transfer_id == transfer.id)
                            .order_by(Employee.employee_ref)).all()
    data = [{"employee_ref": e.employee_ref, "full_name": e.full_name, "role": e.role,
             "fte": str(e.fte), "weekly_pay": str(e.weekly_pay), "in_scope": e.in_scope,
             "objected_on": e.objected_on, "synthetic": e.synthetic} for e in rows]
    if as_json:
        print_json(data)
        return
    print_table(f"{ref}: employees" + (" (synthetic sample data)" if any(e.synthetic for e in rows)
                                       else ""),
                ["ref", "name", "role", "FTE", "weekly pay", "in scope", "objected"],
                [[d["employee_ref"], d["full_name"], d["role"], d["fte"], d["weekly_pay"],
                  "yes" if d["in_scope"] else "no", d["objected_on"] or ""] for d in data])


@app.command("add-representative")
@guarded
def add_representative_command(
    ref: str,
    organisation: str = typer.Option(..., "--org", help="Whose employees they represent"),
    kind: str = typer.Option("recognised-union", "--kind", help="recognised-union or elected"),
    name: str = typer.Option(..., "--name"),
    union: str = typer.Option(None, "--union"),
    email: str = typer.Option(..., "--email"),
) -> None:
    """Record a trade union or elected representative (reg 13(3))."""
    rep = add_representative(ref, {"organisation": organisation, "kind": kind, "name": name,
                                   "union": union, "email": email}, actor=actor())
    console.print(f"{ref}: added representative {rep.name} ({rep.kind.value})")
