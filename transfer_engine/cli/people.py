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
    fail,
    guarded,
    print_json,
    print_table,
)
from transfer_engine.engine.import_limits import LIMITS_TEXT
from transfer_engine.engine.organisations import add_organisation as engine_add_organisation
from transfer_engine.engine.organisations import parse_organisation_create
from transfer_engine.engine.staff import (
    ImportMode,
    add_representative,
    check_employees,
    import_employees,
)
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
    kind: str = typer.Option(..., "--kind",
                             help="council, trust (council-owned, in the LGPS), school, company, "
                                  "central-government, nhs or other"),
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
                                              "objected_on, and a column for each other item "
                                              "of the ELI, reg 11(2): start_date, sick_pay, "
                                              "... (see `eli check`)]"),
    mode: ImportMode | None = typer.Option(
        None, "--mode", case_sensitive=False,
        help="update (the default): rows update the employees with the same employee_ref and "
             "add the others; the rest are left as they are. replace: the file is the whole "
             "staff list; employees not in it are put out of scope (kept, with their history)."),
    replace: bool = typer.Option(False, "--replace", help="The same as --mode replace"),
    check: bool = typer.Option(False, "--check", help="Print what would be added, changed or "
                                                      "put out of scope, and change nothing"),
    as_json: bool = JsonOption,
) -> None:
    """Import a staff list: every row is checked first; one bad row and nothing is imported."""
    if replace and mode == ImportMode.update:
        fail("--replace and --mode update ask for different things; give one of them")
    mode = mode or (ImportMode.replace if replace else ImportMode.update)
    if check:
        plan = check_employees(ref, csv_file, mode=mode)
        if as_json:
            print_json({"ref": ref, "check": True, **plan.as_json()})
            return
        console.print(f"{ref}: checked {plan.rows} row(s) ({mode.value}); nothing was changed. "
                      f"It would be: {plan.summary()}.")
        for label, group in (("add", plan.added), ("change", plan.changed),
                             ("put out of scope (not on the list)", plan.left_off)):
            for change in group:
                fields = "" if group is plan.added else ": " + "; ".join(
                    f"{f.label} {_shown(f.old)} -> {_shown(f.new)}" for f in change.fields)
                console.print(f"  {label} {change.employee_ref}{fields}", markup=False)
        for change in plan.objected:
            console.print(f"  objection recorded for {change.employee_ref}", markup=False)
        return
    report = import_employees(ref, csv_file, actor=actor(), mode=mode)
    if as_json:
        print_json({"ref": ref, "imported": report.imported, "replaced": report.replaced,
                    "in_scope": report.in_scope, "mode": mode.value,
                    **({"changes": report.plan.as_json()} if report.plan else {})})
    else:
        console.print(f"{ref}: imported {report.imported} employee(s), {report.in_scope} in scope"
                      + (f" ({report.plan.summary()})" if report.plan else ""))


def _shown(value: object) -> str:
    return "(empty)" if value is None or value == "" else str(value)


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
    organisation: str = typer.Option(..., "--org", help="Whose employees they represent: "
                                                          "the transferor or the transferee"),
    kind: str = typer.Option("recognised-union", "--kind",
                             help="recognised-union (reg 13(3)(a)); existing: elected or "
                                  "appointed before, with authority (reg 13(3)(b)(i)); or "
                                  "elected at an election recorded with `elections` (reg 14)"),
    name: str = typer.Option(..., "--name"),
    union: str = typer.Option(None, "--union"),
    email: str = typer.Option(..., "--email"),
    authority: str = typer.Option(None, "--authority",
                                  help="For --kind existing: their authority from the affected "
                                       "employees to be informed and consulted"),
) -> None:
    """Record a trade union, existing or elected representative (reg 13(3))."""
    rep = add_representative(ref, {"organisation": organisation, "kind": kind, "name": name,
                                   "union": union, "email": email, "authority": authority},
                             actor=actor())
    elected = (f", elected at the election whose result was declared on {rep.elected_on}"
               if rep.elected_on else "")
    console.print(f"{ref}: added representative {rep.name} ({rep.kind.value}{elected})",
                  highlight=False)
