"""Commands on workflow definitions: list, validate, show, and moving a transfer to another
version of its workflow (migrate)."""

from __future__ import annotations

from pathlib import Path

import typer

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
from transfer_engine.config import get_settings
from transfer_engine.engine.migrate import MigrationReport, migrate, migration_report
from transfer_engine.errors import ConfigurationError, DatabaseMissingError, WorkflowError
from transfer_engine.store.database import init_db, read_session, require_existing
from transfer_engine.store.definitions import check_files_against_stored
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.dependencies import deadline_order_problems
from transfer_engine.workflow.loader import WorkflowLibrary, library

workflows_app = typer.Typer(help="Workflow definitions (workflows/*.yaml).", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")

FolderOption = typer.Option(
    None, "--folder",
    help="Read only this folder (default: the shipped workflows and TRANSFER_ENGINE_WORKFLOWS)")


@workflows_app.command("list")
@guarded
def list_workflows(folder: Path = FolderOption, as_json: bool = JsonOption) -> None:
    """The workflows that can be used to create transfers."""
    definitions = (library(folder) if folder else library()).all()
    rows = [{"id": d.id, "version": d.version, "title": d.title, "extends": d.extends,
             "states": len(d.states), "steps": len(d.steps), "seed": d.seed.ref if d.seed else None}
            for d in definitions]
    if as_json:
        print_json(rows)
        return
    print_table("Workflows", ["id", "version", "title", "extends", "states", "steps"],
                [[r["id"], r["version"], r["title"], r["extends"] or "", r["states"], r["steps"]]
                 for r in rows])


@workflows_app.command("validate")
@guarded
def validate(folder: Path = FolderOption, as_json: bool = JsonOption) -> None:
    """Check every workflow file; errors name the file, the key and what is wrong."""
    folders = (folder,) if folder else get_settings().workflow_folders
    definitions = WorkflowLibrary(*folders).all()  # raises WorkflowError listing every problem
    _check_deadline_order(definitions)
    checked = _check_against_database(definitions)
    if as_json:
        print_json({"valid": True, "workflows": [d.id for d in definitions],
                    "checked_against_database": checked})
    else:
        where = ", ".join(map(str, folders))
        console.print(f"{len(definitions)} workflow(s) in {where} are valid: "
                      f"{', '.join(d.id for d in definitions)}")
        if not checked:
            console.print("No database to check them against: the versions running transfers "
                          "use were not compared.")


def _check_deadline_order(definitions: list[WorkflowDefinition]) -> None:
    """Refuse a workflow that makes a step due before a step it requires."""
    found = {d.source: deadline_order_problems(d) for d in definitions}
    found = {source: problems for source, problems in found.items() if problems}
    if len(found) == 1:
        ((source, problems),) = found.items()
        raise WorkflowError(source, problems)
    if found:
        raise WorkflowError(f"{len(found)} files", [f"{source}: {problem}" for source, problems
                                                     in found.items() for problem in problems])


def _check_against_database(definitions: list[WorkflowDefinition]) -> bool:
    """Refuse a file changed under a version that transfers in the database run on.

    Files can be checked with no database at all (in CI, say); then this says so.
    """
    try:
        require_existing()
        engine = init_db(create=False)
    except (DatabaseMissingError, ConfigurationError):
        return False
    with read_session(engine) as session:
        check_files_against_stored(session, definitions)
    return True


@workflows_app.command("show")
@guarded
def show(workflow_id: str, folder: Path = FolderOption, as_json: bool = JsonOption) -> None:
    """A workflow's steps, triggers and guards, and its state diagram in Mermaid."""
    d = (library(folder) if folder else library()).get(workflow_id)
    if as_json:
        print_json({
            "id": d.id, "version": d.version, "title": d.title, "initial": d.initial,
            "states": {k: v.model_dump() for k, v in d.states.items()},
            "triggers": {t.name: {"label": t.label, "sources": t.sources, "dest": t.dest,
                                  "guards": [g.describe() for g in t.guards],
                                  "completes": t.completes} for t in d.triggers.values()},
            "steps": {s.id: {"title": s.title, "rules": [
                {"effective_from": r.effective_from, "due": r.due.text,
                 "legal_basis": r.legal_basis} for r in s.rules], "reminders": s.reminders}
                for s in d.steps.values()},
            "mermaid": d.mermaid(),
        })
        return
    console.print(f"[bold]{d.id}[/] v{d.version}: {d.title}")
    print_table("Steps", ["step", "due", "legal basis", "reminders (days before)"],
                [[s.id, "; ".join(f"{r.due.text}" + (f" (from {r.effective_from})"
                                                      if r.effective_from else "")
                                  for r in s.rules),
                  s.rules[-1].legal_basis, ", ".join(map(str, s.reminders))]
                 for s in d.steps.values()])
    print_table("Triggers", ["trigger", "from", "to", "guards", "completes"],
                [[t.name, ", ".join(t.sources), t.dest or "(same)",
                  "; ".join(g.describe() for g in t.guards), ", ".join(t.completes)]
                 for t in d.triggers.values()])
    console.print("\nState diagram (Mermaid):\n")
    console.print(d.mermaid(), markup=False, highlight=False)


@workflows_app.command("migrate")
@guarded
def migrate_command(
    ref: str,
    to_version: int = typer.Option(..., "--to-version", help="The workflow version to move to"),
    yes: bool = typer.Option(False, "--yes", help="Apply without asking"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would change"),
    as_json: bool = JsonOption,
) -> None:
    """Move a running transfer to another version of its workflow.

    Shows which steps, deadlines, guards and letters change for this transfer, asks before
    applying (unless --yes), then re-plans every step in one transaction, recorded in the
    history with both versions.
    """
    require_existing()
    engine = init_db(create=False)
    if as_json and not (yes or dry_run):
        fail("--json needs --yes (apply) or --dry-run (only show): it cannot ask first")
    with read_session(engine) as session:
        report = migration_report(session, ref, to_version)
    if as_json and (dry_run or report.problems):
        print_json({"applied": False, **report.as_json()})
    elif not as_json:
        _show(report)
    if report.problems:
        fail(f"{ref} cannot move to version {to_version}: " + "; ".join(report.problems))
    if dry_run:
        if not as_json:
            console.print("Dry run: nothing was changed.")
        return
    if not yes and not typer.confirm(
            f"Move {ref} to version {to_version} of {report.workflow_id}?", default=False):
        console.print("Nothing was changed.")
        return
    # Applied only if the transfer is still as the report saw it.
    applied = migrate(ref, to_version, actor=actor(), expected_version=report.transfer_version,
                      engine=engine)
    if as_json:
        print_json({"applied": True, **applied.as_json()})
        return
    console.print(f"{ref} now runs on version {applied.to_version} of {applied.workflow_id}; "
                  f"{len(applied.deadlines)} deadline(s) changed. Recorded in the history.")


def _show(report: MigrationReport) -> None:
    console.print(f"[bold]{report.ref}[/]: workflow {report.workflow_id}, version "
                  f"{report.from_version} to {report.to_version} (state {report.state})")
    if not report.changes_anything:
        console.print("Nothing changes for this transfer but the version number.")
    sections = [("Steps", report.steps), ("Triggers and their guards", report.triggers),
                ("Letters issued on entering a state", report.letters),
                ("States", report.states), ("Key dates", report.key_dates)]
    for title, changes in sections:
        if changes:
            print_table(title, ["name", "", "change", "what"],
                        [[c.name, c.label, c.change, "; ".join(c.details)] for c in changes])
    if report.deadlines:
        print_table("Deadlines of this transfer", ["step", "now", "after", "status"],
                    [[d.step, d.old_due or "none", d.new_due or "none", d.status]
                     for d in report.deadlines])
