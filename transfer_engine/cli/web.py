"""Commands for the web app: ``serve``, and ``users`` to manage who can sign in.

The web package (FastAPI, uvicorn, the page templates) is imported inside these commands, not
at the top: it takes about half a second to load, which every other command of the CLI would
pay for nothing. The CLI is the top layer, so no cycle is involved.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from typing import Any

import typer
from sqlmodel import select

from transfer_engine.cli.app import (
    JsonOption,
    actor,
    app,
    console,
    guarded,
    parse_date,
    print_json,
)
from transfer_engine.cli.app import print_table as table
from transfer_engine.errors import ValidationError
from transfer_engine.ops.logs import uvicorn_config
from transfer_engine.store.accounts import Role, User
from transfer_engine.store.database import init_db, read_session, require_existing, write_session
from transfer_engine.store.queries import get_organisation, get_transfer

users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
app.add_typer(users_app, name="users")

DEMO_AS_OF = date(2022, 9, 20)
# Sample accounts made by `serve --demo` only; their passwords change at every demo start.
DEMO_USERS = [
    ("demo-admin", "Sample HR administrator", Role.hr_admin),
    ("demo-officer", "Sample HR officer", Role.hr_officer),
    ("demo-viewer", "Sample viewer", Role.viewer),
    ("demo-unison", "Sample UNISON representative", Role.union_rep),
]


def _password() -> str:
    return secrets.token_urlsafe(12)


def create_demo_users() -> list[tuple[str, str, Role]]:
    """Make (or reset) the sample accounts; returns (username, password, role) to print."""
    from transfer_engine.web.auth import assign, create_user, link_union, set_password

    made = []
    with write_session() as session:
        for username, name, role in DEMO_USERS:
            password = _password()
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                user = create_user(session, username=username, display_name=name, role=role,
                                   password=password, actor="demo (sample data)", demo=True)
            elif user.demo:
                set_password(session, user, password, actor="demo (sample data)")
            else:  # a real account that happens to have this name: leave it alone
                continue
            made.append((username, password, role))
            if role == Role.hr_officer:
                for ref in ("ld-to-nct", "send-iass-to-wnc"):
                    assign(session, user, get_transfer(session, ref), actor="demo (sample data)")
            if role == Role.union_rep:
                link_union(session, user, "UNISON", get_organisation(session, "nnc"),
                           actor="demo (sample data)")
    return made


@app.command("serve")
@guarded
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port"),
    demo: bool = typer.Option(False, "--demo",
                              help="Load the demo transfers and make sample accounts "
                                   "(passwords printed here)"),
    as_of: str = typer.Option(None, "--as-of",
                              help="Judge deadlines as if today were this date (with --demo: "
                                   f"{DEMO_AS_OF.isoformat()})"),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler",
                                   help="Run the deadline scheduler in the same process"),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="Web processes to run (about one per CPU core); with "
                                     "more than one, run the scheduler on its own with "
                                     "`transfer-engine scheduler`"),
) -> None:
    """Start the web app for HR staff and union representatives (and the scheduler)."""
    clock = parse_date(as_of, "--as-of") or (DEMO_AS_OF if demo else None)
    import uvicorn

    from transfer_engine.web import WebSettings, create_app

    # Without --as-of, TRANSFER_ENGINE_AS_OF (if set) applies, as in every worker. Settings
    # first: a mistaken one is reported before anything is made or loaded.
    settings = (WebSettings(run_scheduler=scheduler, as_of=clock) if clock
                else WebSettings(run_scheduler=scheduler))
    if demo:
        init_db()  # the demo may make its database; anything else must find one
    else:
        require_existing()
        init_db(create=False)
    web = create_app(settings)  # refuses to start without GOV.UK Frontend (npm ci)
    if demo:
        from transfer_engine.ops.demo import load_demo

        load_demo()
        console.print("[yellow]Demo:[/] sample transfers loaded; sample accounts (reset at "
                      "every demo start, never use them for real data):")
        table(None, ["username", "password", "role"],
              [[u, p, r.value] for u, p, r in create_demo_users()])
    with read_session() as session:
        if session.exec(select(User.id).where(User.role == Role.hr_admin)).first() is None:
            console.print("[yellow]No HR administrator can sign in yet:[/] add one with "
                          "`transfer-engine users add NAME --name ... --role hr_admin`.")
    if clock:
        console.print(f"Deadlines are judged as if today were {clock.isoformat()}.")
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.secure_cookies:
        console.print("[yellow]Listening beyond this machine over plain HTTP:[/] put it behind "
                      "HTTPS and set TRANSFER_ENGINE_SECURE_COOKIES=yes.")
    console.print(f"Open http://{host}:{port}/ (Ctrl+C stops it)")
    # TRANSFER_ENGINE_LOG_FORMAT=json: every line as one JSON object (see ops.logs).
    logs: dict[str, Any] = {"log_level": "info"}
    json_config = uvicorn_config("info")
    if json_config is not None:
        logs["log_config"] = json_config
    if workers == 1:
        uvicorn.run(web, host=host, port=port, proxy_headers=False, **logs)
        return
    # Each worker process builds its own app from the environment: pass the options on.
    if clock:
        os.environ["TRANSFER_ENGINE_AS_OF"] = clock.isoformat()
    os.environ["TRANSFER_ENGINE_WEB_SCHEDULER"] = "yes" if scheduler else "no"
    # One key for every worker, or a form served by one would be refused by another.
    os.environ.setdefault("TRANSFER_ENGINE_SECRET_KEY", settings.secret_key)
    uvicorn.run("transfer_engine.web.app:create_app", factory=True, workers=workers,
                host=host, port=port, proxy_headers=False, **logs)


@users_app.command("add")
@guarded
def add_user(
    username: str,
    name: str = typer.Option(..., "--name", help="The person's name, as shown to others"),
    role: str = typer.Option(..., "--role", help="hr_admin, hr_officer, viewer or union_rep"),
    as_json: bool = JsonOption,
) -> None:
    """Add a user with a generated password (printed once: give it to them securely)."""
    from transfer_engine.web.auth import create_user

    init_db()
    password = _password()
    with write_session() as session:
        user = create_user(session, username=username, display_name=name, role=role,
                           password=password, actor=actor())
        data = {"username": user.username, "role": user.role.value, "password": password}
    if as_json:
        print_json(data)
    else:
        console.print(f"Added {data['username']} ({data['role']}). Password (shown once): "
                      f"{password}", highlight=False)


@users_app.command("list")
@guarded
def list_users(as_json: bool = JsonOption) -> None:
    """Everyone who can sign in, with role and what they are assigned or linked to."""
    from transfer_engine.web.auth import assignments_of, links_of

    init_db()
    with read_session() as session:
        rows: list[dict[str, Any]] = []
        for user in session.exec(select(User).order_by(User.username)).all():
            rows.append({
                "username": user.username, "name": user.display_name, "role": user.role.value,
                "active": user.active, "demo": user.demo,
                "transfers": [t.ref for t in assignments_of(session, user)],
                "unions": [link.union for link in links_of(session, user)]})
    if as_json:
        print_json(rows)
        return
    table("Users", ["username", "name", "role", "active", "assigned / union"],
          [[r["username"], r["name"], r["role"], "yes" if r["active"] else "no",
            ", ".join(r["transfers"] + r["unions"])] for r in rows])


@users_app.command("assign")
@guarded
def assign_user(username: str, ref: str) -> None:
    """Assign an HR officer to a transfer (a programme includes its child transfers)."""
    from transfer_engine.web.auth import assign, get_user

    with write_session() as session:
        assign(session, get_user(session, username), get_transfer(session, ref), actor=actor())
    console.print(f"{username} is assigned to {ref}")


@users_app.command("link-union")
@guarded
def link_union_command(username: str, union: str, organisation: str) -> None:
    """Let a union representative see the notices to UNION for ORGANISATION's staff."""
    from transfer_engine.web.auth import get_user, link_union

    with write_session() as session:
        user = get_user(session, username)
        if user.role != Role.union_rep:
            raise ValidationError(f"{username} is not a union representative")
        link_union(session, user, union, get_organisation(session, organisation), actor=actor())
    console.print(f"{username} sees notices to {union} at {organisation}")
