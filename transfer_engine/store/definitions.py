"""Which workflow definition a transfer runs on: the version it started with, as stored then.

A transfer records its workflow's id and version; the definition itself is kept in the
``workflowversion`` table (:mod:`transfer_engine.store.workflows`) when the transfer is created,
and read back from there for as long as the transfer runs. Editing a workflow file therefore
changes new transfers only; a running one moves to a newer version only when someone says so
(``transfer-engine workflows migrate``).

One id and version has one content while a transfer uses it: storing a different content under
a version in use is refused, and the message says to raise the version. A version that no
transfer uses any more may be stored again with new content; the newest stored row is the one
that counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import Action, NextStep, NotFoundError, WorkflowError
from transfer_engine.store.transfers import Transfer
from transfer_engine.store.workflows import WorkflowVersion
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.document import content_sha256
from transfer_engine.workflow.loader import definition_from_document, library

_VERSIONS = WorkflowVersion.__table__  # type: ignore[attr-defined]
_TRANSFERS = Transfer.__table__  # type: ignore[attr-defined]
# Built once: definitions are looked up on every trigger fired and every page shown.
_NEWEST = (
    select(_VERSIONS.c.id, _VERSIONS.c.sha256, _VERSIONS.c.source)
    .where(_VERSIONS.c.workflow_id == bindparam("workflow_id"),
           _VERSIONS.c.version == bindparam("version"))
    .order_by(_VERSIONS.c.stored_at.desc(), _VERSIONS.c.id.desc())
    .limit(1)
)
_DOCUMENT = select(_VERSIONS.c.document).where(_VERSIONS.c.id == bindparam("id"))

# Definitions built from stored documents, by SHA-256: the same content is the same definition
# in every database, so this needs no invalidation.
_BUILT: dict[str, WorkflowDefinition] = {}
# Within one session (one page, one command), each (id, version) is looked up once.
_MEMO = "transfer_engine.definitions"

Bind = Session | Connection


def _connection(bind: Bind) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


def _memo(bind: Bind) -> dict[tuple[str, int], WorkflowDefinition] | None:
    # Only sessions: a Core connection's ``info`` outlives the transaction, and a row stored
    # later by another process must be seen by the next one.
    return bind.info.setdefault(_MEMO, {}) if isinstance(bind, Session) else None


def stored_definition(bind: Bind, workflow_id: str, version: int) -> WorkflowDefinition | None:
    """The stored definition of ``workflow_id`` at ``version``, or None if none is stored."""
    memo = _memo(bind)
    if memo is not None and (workflow_id, version) in memo:
        return memo[(workflow_id, version)]
    connection = _connection(bind)
    row = connection.execute(_NEWEST, {"workflow_id": workflow_id, "version": version}).first()
    if row is None:
        return None
    definition = _BUILT.get(row.sha256)
    if definition is None:
        document = connection.execute(_DOCUMENT, {"id": row.id}).scalar_one()
        source = f"{row.source} (version {version} as stored)"
        if content_sha256(document) != row.sha256:
            raise WorkflowError(source, [
                f"the stored definition no longer matches its SHA-256 ({row.sha256[:12]}...): "
                "it was changed in the database after it was stored. Restore the database from "
                "a backup taken before the change"])
        definition = _BUILT[row.sha256] = definition_from_document(document, source)
    if memo is not None:
        memo[(workflow_id, version)] = definition
    return definition


def definition_for(bind: Bind, workflow_id: str, version: int, *,
                   ref: str = "") -> WorkflowDefinition:
    """The definition a transfer on ``workflow_id`` at ``version`` runs on."""
    stored = stored_definition(bind, workflow_id, version)
    if stored is not None:
        return stored
    # Nothing stored: a transfer from before definitions were kept (``db upgrade`` stores them)
    # or a row written straight to the database. The file serves while it has that version.
    current = library().get(workflow_id)
    if current.version == version:
        return current
    name = ref or "the transfer"
    raise WorkflowError(current.source, [
        f"{name} runs on version {version} of workflow {workflow_id!r}, which is not stored in "
        f"the database, and the file is now version {current.version}. Put version {version} "
        "of the file back (from version control) and store it in the database; then move "
        f"{name} on to version {current.version} if it should change"],
        next_step=NextStep(Action.store_workflow_version, ref=ref, version=current.version))


def every_definition(bind: Bind) -> list[WorkflowDefinition]:
    """The workflows in the files and every stored version that transfers may run on."""
    connection = _connection(bind)
    rows = connection.execute(select(_VERSIONS.c.workflow_id, _VERSIONS.c.version).distinct())
    stored = [stored_definition(bind, workflow_id, version) for workflow_id, version in rows]
    return [*library().all(), *(d for d in stored if d is not None)]


def transfers_using(session: Session, workflow_id: str, version: int) -> list[str]:
    """The references of the transfers that run on ``workflow_id`` at ``version``."""
    return list(session.execute(
        select(_TRANSFERS.c.ref)
        .where(_TRANSFERS.c.workflow_id == workflow_id,
               _TRANSFERS.c.workflow_version == version)
        .order_by(_TRANSFERS.c.ref)).scalars())


def stored_versions(session: Session, workflow_id: str) -> list[int]:
    """The versions of ``workflow_id`` kept in the database, lowest first."""
    return sorted(set(session.execute(
        select(_VERSIONS.c.version).where(_VERSIONS.c.workflow_id == workflow_id)).scalars()))


def _changed_version(definition: WorkflowDefinition, users: list[str],
                     next_version: int) -> str:
    shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
    return (f"workflow {definition.id!r} version {definition.version} has changed since "
            f"{len(users)} transfer(s) started on it ({shown}), but its version was not "
            f"raised. Set `version: {next_version}` in the file: the running transfers keep "
            f"version {definition.version}, and each can be moved on to version {next_version} "
            "when it should change")


def _next_version(session: Session, definition: WorkflowDefinition) -> int:
    return max([definition.version, *stored_versions(session, definition.id)]) + 1


def record_definition(session: Session, definition: WorkflowDefinition, *,
                      actor: str) -> WorkflowVersion:
    """Keep ``definition`` for the transfers about to run on it (once per content).

    Raises :class:`WorkflowError` if its version is in use with a different content.
    """
    rows = list(session.execute(
        select(WorkflowVersion)
        .where(_VERSIONS.c.workflow_id == definition.id,
               _VERSIONS.c.version == definition.version)
        .order_by(_VERSIONS.c.stored_at.desc(), _VERSIONS.c.id.desc())).scalars())
    if rows and rows[0].sha256 == definition.sha256:
        return rows[0]
    if rows:
        users = transfers_using(session, definition.id, definition.version)
        if users:
            next_version = _next_version(session, definition)
            raise WorkflowError(definition.source, [
                _changed_version(definition, users, next_version)],
                next_step=NextStep(Action.migrate_workflow, version=next_version))
    row = next((r for r in rows if r.sha256 == definition.sha256), None)
    if row is not None:
        # This content was stored before, then replaced while no transfer used the version:
        # it is the newest again.
        row.stored_at, row.stored_by = utcnow(), actor
        session.add(row)
    else:
        row = WorkflowVersion(
            workflow_id=definition.id, version=definition.version, sha256=definition.sha256,
            title=definition.title, source=_file_name(definition.source),
            document=dict(definition.document), stored_by=actor)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another process stored the same content at the same moment
            row = session.execute(
                select(WorkflowVersion)
                .where(_VERSIONS.c.workflow_id == definition.id,
                       _VERSIONS.c.version == definition.version,
                       _VERSIONS.c.sha256 == definition.sha256)).scalars().one()
    session.flush()
    memo = _memo(session)
    if memo is not None:
        memo[(definition.id, definition.version)] = definition
    return row


def _file_name(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def check_files_against_stored(session: Session,
                               definitions: Iterable[WorkflowDefinition]) -> None:
    """Refuse files whose content changed under a version that transfers run on.

    Raises one :class:`WorkflowError` naming every such file, the workflow and what to do.
    """
    problems: list[tuple[str, str]] = []
    for definition in definitions:
        row = _connection(session).execute(
            _NEWEST, {"workflow_id": definition.id, "version": definition.version}).first()
        if row is None or row.sha256 == definition.sha256:
            continue
        users = transfers_using(session, definition.id, definition.version)
        if users:
            problems.append((definition.source, _changed_version(
                definition, users, _next_version(session, definition))))
    # Each problem names its own next version; the next step names the command only.
    next_step = NextStep(Action.migrate_workflow)
    if len(problems) == 1:
        raise WorkflowError(problems[0][0], [problems[0][1]], next_step=next_step)
    if problems:
        raise WorkflowError(f"{len(problems)} files", [f"{s}: {p}" for s, p in problems],
                            next_step=next_step)


def store_missing_definitions(session: Session, *, actor: str) -> list[str]:
    """Store the definitions of transfers made before definitions were kept.

    Each is taken from its file when the file still has the transfer's version; the others are
    left (and named by :func:`definition_for` when used). Returns "id vN" of those stored.
    """
    used = session.execute(
        select(_TRANSFERS.c.workflow_id, _TRANSFERS.c.workflow_version).distinct()).all()
    stored = set(session.execute(
        select(_VERSIONS.c.workflow_id, _VERSIONS.c.version).distinct()).all())
    done = []
    for workflow_id, version in sorted(used):
        if (workflow_id, version) in stored:
            continue
        try:
            current = library().get(workflow_id)
        except (WorkflowError, NotFoundError):
            continue
        if current.version == version:
            record_definition(session, current, actor=actor)
            done.append(f"{workflow_id} v{version}")
    return done

