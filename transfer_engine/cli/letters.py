"""``transfer-engine letters``: templates, check, preview, issue, verify, list, data.

A typical run for a transfer::

    transfer-engine letters check ld-to-nct                 # every gap, for every recipient
    transfer-engine letters data ld-to-nct particulars.yaml # fill them in
    transfer-engine letters preview ld-to-nct reg13-information --format pdf --output r13.pdf
    transfer-engine letters issue ld-to-nct employee-notification
    transfer-engine letters verify ld-to-nct                # files and hashes still match
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import select

from transfer_engine.cli.app import (
    AsOfOption,
    JsonOption,
    actor,
    app,
    as_of_date,
    console,
    err_console,
    guarded,
    print_json,
    print_table,
)
from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.errors import ValidationError
from transfer_engine.letters import service
from transfer_engine.letters.data import encode, to_context
from transfer_engine.letters.email_html import render_html
from transfer_engine.letters.logos import set_logo
from transfer_engine.letters.orphans import MIN_AGE, sweep_orphans
from transfer_engine.letters.particulars import particulars_file_hint
from transfer_engine.letters.render_workers import MAX_WORKERS
from transfer_engine.letters.text import render_text
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.register import LetterParticulars
from transfer_engine.views.evidence import step_evidence

letters_app = typer.Typer(help="Letters: templates, check, preview, issue, verify, register.",
                          no_args_is_help=True)
app.add_typer(letters_app, name="letters")

FORMAT_CHOICES = ("html", "pdf", "docx", "text")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=False)


@letters_app.command("templates")
@guarded
def templates(as_json: bool = JsonOption) -> None:
    """Every letter template: who receives it, its legal basis and its version."""
    specs = service.letter_specs(issuable=False)
    if as_json:
        print_json([s.as_json() for s in specs])
        return
    print_table("Letter templates", ["letter", "title", "recipients", "legal basis", "version"],
                [[s.name, s.title, s.recipients, s.legal_basis, s.version[:12]] for s in specs])


@letters_app.command("check")
@guarded
def check(
    ref: str,
    letter: list[str] = typer.Option(None, "--letter", help="Only this letter (repeatable)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Every field missing for any recipient of any letter, before anything is sent.

    Exits with status 1 when some letter cannot be issued.
    """
    results = service.check_transfer(ref, letter or None, today=as_of_date(as_of))
    if as_json:
        print_json([r.as_json() for r in results])
    else:
        print_table(f"Letters of {ref}", ["letter", "recipients", "already issued", "ready",
                                          "cannot issue", "note"],
                    [[r.letter, r.recipients, r.already_issued, r.ready, r.failed,
                      r.error or r.note or ""] for r in results])
        for result in results:
            if result.problems:
                console.print(f"\n[bold]{result.letter}[/]: {result.failed} recipient(s) cannot "
                              "be issued", highlight=False)
                for problem in result.problems:
                    console.print(f"  - {problem}", highlight=False, markup=False)
                if result.failed > len(result.problems):
                    console.print(f"  ... and {result.failed - len(result.problems)} more")
            if result.sense:
                console.print(f"\n[bold]{result.letter}[/]: would be refused", highlight=False)
                for sense in result.sense:
                    console.print(f"  - {sense}", highlight=False, markup=False)
        fields = sorted({f for r in results for p in r.problems for f in p.fields})
        if fields:

            console.print("\nWhere to record what is missing:")
            for name in fields:
                console.print(f"  {name}: {particulars_file_hint(name)}", highlight=False,
                              markup=False)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@letters_app.command("preview")
@guarded
def preview(
    ref: str,
    letter: str,
    recipient: str = typer.Option(None, "--recipient",
                                  help="employee:REF, representative:ID or transferee "
                                       "(default: the first recipient)"),
    fmt: str = typer.Option("text", "--format", help="html, pdf, docx or text"),
    output: Path = typer.Option(None, "--output", help="Write to this file"),
    as_of: str = AsOfOption,
) -> None:
    """Render one letter as it would be issued, without issuing it."""
    if fmt not in FORMAT_CHOICES:
        raise ValidationError(f"--format {fmt!r}: use one of {', '.join(FORMAT_CHOICES)}")
    today = as_of_date(as_of)
    with read_session() as session:
        if fmt in ("html", "text"):
            document = service.preview(session, ref, letter, recipient, today=today)
            data = (render_html(document) if fmt == "html" else render_text(document)).encode()
        else:
            if output is None:
                raise ValidationError(f"--format {fmt} needs --output FILE")
            data, _, _ = service.preview_file(session, ref, letter, recipient,
                                              fmt="pdf" if fmt == "pdf" else "docx",
                                              today=today)
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    output.write_bytes(data)
    console.print(f"Wrote {output} ({len(data):,} bytes)")


@letters_app.command("issue")
@guarded
def issue(
    ref: str,
    letter: str,
    recipient: list[str] = typer.Option(None, "--recipient",
                                        help="Only this recipient (repeatable): employee:REF "
                                             "(or REF), representative:ID, transferee"),
    check_only: bool = typer.Option(False, "--check",
                                    help="Only check: list the recipients and what stops "
                                         "anyone's letter; issue nothing"),
    ready_only: bool = typer.Option(False, "--ready-only",
                                    help="Issue to those whose letter can be made, and list "
                                         "the others with why (default: issue nothing unless "
                                         "everyone's can be made)"),
    reissue: bool = typer.Option(False, "--reissue",
                                 help="Issue a new letter to those who already hold it; it "
                                      "replaces theirs (needs --reason)"),
    reason: str = typer.Option(None, "--reason",
                               help="With --reissue: why the letter is issued again; kept in "
                                    "the register"),
    override_reason: str = typer.Option(
        None, "--override-reason",
        help="Issue it although a check refuses it (e.g. dated after the transfer): the "
             f"special circumstances, at least {OVERRIDE_REASON.min_length} characters; kept "
             "in the audit log"),
    workers: int = typer.Option(1, "--workers", min=1, max=MAX_WORKERS,
                                help="Render the letters in this many worker processes while "
                                     "they are written (a large issue on a machine with "
                                     "several cores; the letters are the same)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Issue a letter to every recipient: render, file, register, hand to the outbox.

    Everyone is checked first (--check shows the check and stops); if anyone's letter lacks
    data, nothing is issued, unless --ready-only. A letter that makes no sense as it stands
    (sent by an organisation to itself, for another regime, dated after the transfer it
    proposes, proposing a meeting already past) is refused unless --override-reason says why
    it is right. Recipients who already hold the letter are skipped (run again safely) unless
    --reissue. Exits with status 1 when someone's letter was not issued.
    """
    today = as_of_date(as_of)
    if check_only:
        result = service.check_issue(ref, letter, today=today, recipients=recipient or None,
                                     reissue=reissue)
        if as_json:
            print_json(result.as_json())
        else:
            _print_check(result)
        if not result.can_issue or result.failed:
            raise typer.Exit(1)
        return
    with _progress() as progress:
        task = progress.add_task(f"Issuing {letter}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = service.issue_letters(ref, letter, actor=actor(), today=today,
                                       recipients=recipient or None, reissue=reissue,
                                       progress=advance, override_reason=override_reason,
                                       ready_only=ready_only, reissue_reason=reason,
                                       workers=workers)
        progress.update(task, total=max(len(report.issued), 1), completed=len(report.issued))
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if not report.complete:
        raise typer.Exit(1)


@letters_app.command("reissue")
@guarded
def reissue_command(
    ref: str,
    letter_id: int = typer.Argument(..., help="The issued letter's id (letters list)"),
    reason: str = typer.Option(..., "--reason", help="Why it is issued again; kept in the "
                               "register and the audit log"),
    override_reason: str = typer.Option(None, "--override-reason",
                                        help="As for letters issue"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Issue a new letter in place of an issued one, to the same recipient, with a reason.

    The new letter supersedes the old one and says which letter it replaces.
    """
    report = service.reissue_letter(ref, letter_id, reason=reason, actor=actor(),
                                    today=as_of_date(as_of), override_reason=override_reason)
    if as_json:
        print_json(report.as_json())
        return
    _print_report(report)


@letters_app.command("send-again")
@guarded
def send_again_command(
    ref: str,
    letter_id: int = typer.Argument(..., help="The issued letter's id (letters list)"),
    as_of: str = AsOfOption,
) -> None:
    """Deliver an issued letter again: the same letter, not a new one (e.g. it did not arrive)."""
    with write_session() as session:
        service.send_letter_again(session, ref, letter_id, actor=actor(), today=as_of_date(as_of))
    console.print(f"{ref}: letter {letter_id} will be sent again at the scheduler's next "
                  "sweep; the first message stays on record.", highlight=False)


def _print_check(result: service.IssueCheck) -> None:
    console.print(f"{result.ref}: {result.letter} goes to {result.recipients} recipient(s): "
                  f"{result.ready_count} ready, {result.already} already hold it, "
                  f"{result.failed} cannot be issued.", highlight=False)
    if result.error:
        console.print(f"Cannot be issued: {result.error}", highlight=False, markup=False)
    for who_ref, who in result.ready:
        console.print(f"  ready: {who} ({who_ref})", highlight=False, markup=False)
    for problem in result.problems:
        console.print(f"  NOT READY: {problem}", highlight=False, markup=False)
    if result.failed > len(result.problems):
        console.print(f"  ... and {result.failed - len(result.problems)} more not ready")
    for sense in result.sense:
        kind = "refused" if not sense.overridable else "refused unless --override-reason"
        console.print(f"  {kind}: {sense}", highlight=False, markup=False)
    fields = sorted({f for p in result.problems for f in p.fields})
    if fields:
        console.print("Where to record what is missing:")
        for name in fields:
            console.print(f"  {name}: {particulars_file_hint(name)}", highlight=False,
                          markup=False)


def _print_report(report: service.IssueReport) -> None:
    issued = len(report.issued)
    if report.complete:
        console.print(f"{report.ref}: issued {report.letter} to {issued} recipient(s)"
                      + (f"; {report.already_issued} already held it" if report.already_issued
                         else "")
                      + f". Template version {report.version[:12]}. The scheduler sends them.",
                      highlight=False)
    else:
        lacked = issued + report.not_issued_count
        console.print(f"{report.ref}: {report.letter}: {issued} of {lacked} issued"
                      + (f" ({report.already_issued} already held it)"
                         if report.already_issued else "")
                      + f"; not issued: {report.not_issued_count}", highlight=False)
        for problem in report.not_issued:
            console.print(f"  NOT ISSUED: {problem}", highlight=False, markup=False)
        if report.not_issued_count > len(report.not_issued):
            console.print(f"  ... and {report.not_issued_count - len(report.not_issued)} more")
    for overridden in report.overridden:
        console.print(f"  Overridden (reason in the audit log): {overridden}", highlight=False,
                      markup=False)


@letters_app.command("verify")
@guarded
def verify(ref: str = typer.Argument(None), as_json: bool = JsonOption) -> None:
    """Check every issued letter's files against the register, and render each again.

    Exits with status 1 if any letter fails.
    """
    with _progress() as progress:
        task = progress.add_task("Verifying", total=None)
        report = service.verify(ref, progress=lambda n: progress.advance(task, n))
    if as_json:
        print_json(report.as_json())
    else:
        for failure in report.failures:
            console.print(f"[bold red]FAILED[/] #{failure.id} {failure.transfer_ref} "
                          f"{failure.letter} to {failure.recipient}:", highlight=False)
            for problem in failure.problems:
                console.print(f"  - {problem}", highlight=False, markup=False)
        for orphan in report.orphans:
            console.print(f"[bold red]ORPHAN[/] {orphan['path']}: {orphan['reason']}",
                          highlight=False)
        verdict = "all match" if not report.failures else f"{len(report.failures)} failed"
        console.print(f"Verified {report.checked} letter(s): {verdict}.")
        if report.orphans:
            console.print(f"{len(report.orphans)} file(s) in the letters folder belong to no "
                          "issued letter (an interrupted issue leaves them, with personal data "
                          "in them): transfer-engine letters sweep-orphans removes them.")
    if not report.ok:
        raise typer.Exit(1)


@letters_app.command("sweep-orphans")
@guarded
def sweep_orphans_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be done"),
    min_age: int = typer.Option(int(MIN_AGE.total_seconds() // 60), "--min-age", min=0,
                                help="Leave files younger than this many minutes (an issue "
                                     "may still be writing them)"),
    as_json: bool = JsonOption,
) -> None:
    """Remove letter files no issued letter owns (left by an interrupted issue).

    A file whose letter was issued but not put in place is completed instead. Files
    transfer-engine does not make are listed and left alone.
    """
    report = sweep_orphans(dry_run=dry_run, min_age=timedelta(minutes=min_age))
    if as_json:
        print_json(report.as_json())
        return
    removed, completed = ("Would remove", "Would complete") if dry_run else ("Removed",
                                                                               "Completed")
    for orphan in report.removed:
        console.print(f"{removed} {orphan.path} ({orphan.reason})", highlight=False,
                      markup=False)
    for orphan in report.completed:
        console.print(f"{completed} {orphan.path} ({orphan.reason})", highlight=False,
                      markup=False)
    for orphan in report.too_young:
        console.print(f"Left {orphan.path}: younger than {min_age} minute(s), an issue may "
                      "still be writing it", highlight=False, markup=False)
    for orphan in report.unknown:
        console.print(f"Left {orphan.path}: {orphan.reason}", highlight=False, markup=False)
    for error in report.errors:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
    console.print(f"{removed} {len(report.removed)} orphaned file(s), "
                  f"{completed.lower()} {len(report.completed)}.")
    if report.errors:
        raise typer.Exit(1)


@letters_app.command("list")
@guarded
def list_letters(
    ref: str,
    letter: str = typer.Option(None, "--letter", help="Only this letter"),
    recipients_of: str = typer.Option(None, "--recipients",
                                      help="Instead: who would receive this letter now"),
    as_json: bool = JsonOption,
) -> None:
    """The register of a transfer's issued letters (newest first)."""
    with read_session() as session:
        if recipients_of:
            choices = service.recipients(session, ref, recipients_of)
            if as_json:
                print_json([{"ref": c.ref, "label": c.label} for c in choices])
            else:
                print_table(f"Recipients of {recipients_of} ({ref})", ["recipient", "who"],
                            [[c.ref, c.label] for c in choices])
            return
        rows = service.issued_letters(session, ref, letter=letter)
        steps = [e for e in step_evidence(session, ref)
                 if e.letters and (letter is None or letter in e.letters)]
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    print_table(f"Letters issued for {ref} ({len(rows)})",
                ["id", "reference", "letter", "recipient", "edition", "status", "date",
                 "issued by", "supersedes", "pdf sha256"],
                [[r.id, r.reference or "", r.letter, r.recipient, r.edition, r.status,
                  r.letter_date, r.issued_by, r.supersedes_id or "",
                  r.files.get("pdf", "")[:16]] for r in rows])
    # What the letters are evidence for: a step overridden without them says so here too.
    print_table(f"Steps these letters complete ({ref})", ["step", "letters", "status", ""],
                [[e.step, ", ".join(e.letters), e.label.upper() if e.override_reason
                  else e.label, e.shown] for e in steps])


@letters_app.command("data")
@guarded
def data(
    ref: str,
    file: Path = typer.Argument(None, help="A particulars file (YAML) to record"),
    as_json: bool = JsonOption,
) -> None:
    """Record the particulars letters need (service, reasons, addresses...), or show them.

    The file format is described in transfer_engine/letters/particulars.py; nothing is
    recorded unless the whole file is valid.
    """
    if file is not None:
        report = service.import_particulars(ref, file, actor=actor())
        console.print(f"{ref}: recorded particulars for the transfer ({report.transfer_fields} "
                      f"field(s)), {report.organisations} organisation(s), {report.employees} "
                      f"employee(s) and {report.representatives} representative(s).")
        return

    with read_session() as session:
        transfer = get_transfer(session, ref)
        rows = session.exec(select(LetterParticulars)
                            .where(LetterParticulars.transfer_id == transfer.id)
                            .order_by(LetterParticulars.scope)).all()
        shown = {row.scope.split("/", 1)[1] if "/" in row.scope else "transfer":
                 _plain(to_context(row.data)) for row in rows}
    if as_json:
        print_json(encode(shown))
        return
    typer.echo(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True), nl=False)


@letters_app.command("logo")
@guarded
def logo(
    organisation: str = typer.Argument(..., help="The organisation's slug"),
    file: Path = typer.Argument(None, help="A PNG or SVG file (at most 256 KB)"),
    alt: str = typer.Option(None, "--alt", help="What a screen reader reads instead of the "
                            "logo: usually the organisation's name"),
    remove: bool = typer.Option(False, "--remove", help="Print letters without a logo"),
) -> None:
    """Set the logo printed in an organisation's letterhead (PDF and DOCX letters).

    Letters issued before keep the logo they were issued with.
    """
    if (file is None) == (not remove):
        raise ValidationError("give a PNG or SVG file, or --remove")
    digest = set_logo(organisation, None if remove else file, alt=alt, actor=actor())
    if digest is None:
        console.print(f"{organisation}: letters are printed without a logo from now on.")
    else:
        console.print(f"{organisation}: letters are printed with this logo from now on "
                      f"(stored as {digest[:12]}).")


def _plain(value: object) -> object:
    """Records back to mappings, for printing."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "_path"):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value) if not isinstance(value, (str, int, bool)) else value
