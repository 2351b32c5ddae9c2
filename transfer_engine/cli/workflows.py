"""Commands on workflow definitions: list, validate, show."""

from __future__ import annotations

from pathlib import Path

import typer

from transfer_engine.cli.app import JsonOption, app, console, guarded, print_json, print_table
from transfer_engine.config import get_settings
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
    if as_json:
        print_json({"valid": True, "workflows": [d.id for d in definitions]})
    else:
        where = ", ".join(map(str, folders))
        console.print(f"{len(definitions)} workflow(s) in {where} are valid: "
                      f"{', '.join(d.id for d in definitions)}")


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
