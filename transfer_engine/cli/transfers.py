"""Commands on transfers: create, list, status, timeline, advance, done, reschedule, history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from sqlmodel import col, select

from transfer_engine.cli import wording
from transfer_engine.cli.app import (
    EXIT_INCOMPLETE,
    AsOfOption,
    JsonOption,
    actor,
    app,
    as_of_date,
    console,
    err_console,
    fail,
    guarded,
    parse_date,
    print_json,
    print_table,
)
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import advance as advance_transfer
from transfer_engine.engine.advance import check_guards, valid_triggers
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.limits import EVIDENCE, NOTE, OVERRIDE_REASON, RESCHEDULE_REASON
from transfer_engine.engine.redundancies import record_redundancy_proposal
from transfer_engine.engine.reschedule import reschedule as reschedule_transfer
from transfer_engine.engine.steps import complete_step
from transfer_engine.errors import GuardKind
from transfer_engine.letters.owed import IssueReport, issue_pending
from transfer_engine.rules.exposure import exposure
from transfer_engine.rules.timeline import entries as timeline_entries
from transfer_engine.rules.timeline import next_deadline
from transfer_engine.rules.timeline import timeline as transfer_timeline
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import definition_of, get_transfer, key_dates_of, steps_of
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.views.parties import open_steps_by_party, owed_by_words
from transfer_engine.views.times import london


@app.command("create")
@guarded
def create(
    ref: str = typer.Argument(..., help="Short reference, e.g. cleaning-to-acme"),
    workflow: str = typer.Option("tupe-base", "--workflow", "-w"),
    title: str = typer.Option(..., "--title"),
    transferor: str = typer.Option(..., "--from", help="Transferor organisation slug"),
    transferee: str = typer.Option(..., "--to", help="Transferee organisation slug"),
    transfer_date: str = typer.Option(..., "--transfer-date", help="YYYY-MM-DD"),
    decision_date: str = typer.Option(None, "--decision-date", help="YYYY-MM-DD"),
    other_dates: list[str] = typer.Option([], "--date", help="Other key dates: name=YYYY-MM-DD"),
    regime: str = typer.Option(
        None, "--regime", help="TUPE (the default), COSOP or not-a-transfer; a receiving "
        "school's type decides it, and a regime that contradicts the type needs a reason"),
    regime_reason: str = typer.Option(
        None, "--regime-reason",
        help="Why this regime applies (recorded); needed unless a school's type decides it"),
    parent: str = typer.Option(None, "--parent", help="Parent transfer (programme)"),
    hr_owner: str = typer.Option(None, "--hr-owner", help="Email of the HR owner"),
    escalation: str = typer.Option(None, "--escalation-contact", help="Email for escalations"),
    proposed_dismissals: int = typer.Option(
        None, "--proposed-dismissals",
        help="Dismissals as redundant proposed at one establishment (TULRCA s.188)"),
    establishment: str = typer.Option(None, "--establishment",
                                      help="The establishment where they are proposed"),
    as_json: bool = JsonOption,
) -> None:
    """Create a transfer from a workflow, with every step's deadline worked out."""
    key_dates: dict[str, object] = {"transfer": transfer_date}
    if decision_date:
        key_dates["decision"] = decision_date
    for item in other_dates:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--date {item!r}: write name=YYYY-MM-DD")
        key_dates[name.strip()] = value.strip()
    data = parse_transfer_create({
        "ref": ref, "title": title, "workflow_id": workflow, "regime": regime,
        "regime_reason": regime_reason, "transferor": transferor, "transferee": transferee,
        "key_dates": key_dates, "parent": parent, "hr_owner": hr_owner,
        "escalation_contact": escalation, "proposed_dismissals": proposed_dismissals,
        "establishment": establishment,
    })
    with write_session() as session:
        transfer = create_transfer(session, data, actor=actor())
    if as_json:
        print_json({"ref": transfer.ref, "state": transfer.state, "version": transfer.version,
                    "regime": transfer.regime.value, "regime_reason": transfer.regime_reason,
                    "regime_warning": transfer.regime_warning})
    else:
        console.print(f"Created {transfer.ref} in state {transfer.state!r}, regime "
                      f"{transfer.regime.value}: {transfer.regime_reason}", highlight=False,
                      markup=False)
        if transfer.regime_warning:  # the text holds the user's reason: printed as it is
            console.print(f"Warning: {transfer.regime_warning}", style="yellow",
                          highlight=False, markup=False)
        console.print(f"See its deadlines: transfer-engine timeline {transfer.ref}")


@app.command("list")
@guarded
def list_transfers(as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Every transfer: state, next deadline, late steps and money at risk."""
    today = as_of_date(as_of)
    rows: list[dict[str, Any]] = []  # as printed by --json
    with read_session() as session:
        orgs = {o.id: o.slug for o in session.exec(select(Organisation)).all()}
        for transfer in session.exec(select(Transfer).order_by(Transfer.ref)).all():
            upcoming = next_deadline(session, transfer, today)
            entries = transfer_timeline(session, transfer.ref, today)
            late = [e.step for e in entries if e.late]
            risk = exposure(session, transfer.ref, today) if transfer.parent_id is None else None
            rows.append({
                "ref": transfer.ref, "state": transfer.state, "regime": transfer.regime.value,
                "from": orgs.get(transfer.transferor_id), "to": orgs.get(transfer.transferee_id),
                "next_step": upcoming.step if upcoming else None,
                "next_due": upcoming.working_due_date.isoformat() if upcoming and
                upcoming.working_due_date else None,
                "late": late, "money_at_risk": str(risk.total) if risk else None,
                "sample_data": transfer.sample_data,
            })
    if as_json:
        print_json(rows)
        return
    print_table(f"Transfers as of {today.isoformat()}",
                ["ref", "state", "regime", "from → to", "next deadline", "late", "at risk (GBP)"],
                [[r["ref"], r["state"], r["regime"], f"{r['from']} → {r['to']}",
                  f"{r['next_step']} {r['next_due']}" if r["next_step"] else "",
                  ", ".join(r["late"]), r["money_at_risk"] or ""] for r in rows])


@app.command("status")
@guarded
def status(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Where a transfer stands: state, dates, what can be done now and what it could cost."""
    today = as_of_date(as_of)
    with read_session() as session:
        transfer = get_transfer(session, ref)
        definition = definition_of(transfer)
        dates = key_dates_of(session, transfer)
        risk = exposure(session, ref, today)
        upcoming = next_deadline(session, transfer, today)
        possible: list[dict[str, Any]] = []  # as printed by --json
        steps = steps_of(session, transfer)  # read once: the guards and the timeline share them
        for name in valid_triggers(transfer):
            failures = check_guards(session, transfer, name, today=today, steps=steps)
            possible.append({"trigger": name, "label": definition.triggers[name].label,
                             "ready": not failures, "blocked_by": failures})
        parties = {o.id: o.name for o in session.exec(select(Organisation)).all()}
        by_party = open_steps_by_party(timeline_entries(list(steps.values()), today))
    transferor_name = parties.get(transfer.transferor_id)
    transferee_name = parties.get(transfer.transferee_id)
    data = {
        "ref": transfer.ref, "title": transfer.title, "state": transfer.state,
        "state_label": definition.states[transfer.state].label, "version": transfer.version,
        "workflow": f"{definition.id} v{transfer.workflow_version}",
        "regime": transfer.regime.value, "regime_reason": transfer.regime_reason,
        "regime_warning": transfer.regime_warning,
        "transferor": parties.get(transfer.transferor_id),
        "transferee": parties.get(transfer.transferee_id),
        "key_dates": {k: v.isoformat() for k, v in dates.items()},
        "next_deadline": upcoming.as_json() if upcoming else None,
        "triggers": possible, "exposure": risk.as_json(), "sample_data": transfer.sample_data,
        "open_steps_by_party": by_party,
        "proposed_dismissals": transfer.proposed_dismissals,
        "establishment": transfer.establishment,
    }
    if as_json:
        print_json({**data, "triggers": [
            {**item, "blocked_by": [f.as_json() for f in item["blocked_by"]]}
            for item in possible]})
        return
    sample = " [yellow](sample data)[/]" if transfer.sample_data else ""
    console.print(f"[bold]{transfer.ref}[/]: {transfer.title}{sample}")
    console.print(f"  State: [bold]{data['state_label']}[/] ({transfer.state}), "
                  f"version {transfer.version}, workflow {data['workflow']}")
    console.print(f"  {data['transferor']} → {data['transferee']}; regime "
                  f"{transfer.regime.value}: {transfer.regime_reason}", highlight=False)
    if transfer.regime_warning:  # the text holds the user's reason: printed as it is
        console.print(f"  Warning: {transfer.regime_warning}", style="yellow", highlight=False,
                      markup=False)
    console.print("  Key dates: " + ", ".join(f"{k} {v.isoformat()}" for k, v in dates.items()))
    if transfer.proposed_dismissals is not None:
        console.print(f"  Collective redundancies: {transfer.proposed_dismissals} dismissal(s) "
                      f"proposed at {transfer.establishment} (TULRCA s.188)", highlight=False)
    if upcoming:
        owed = owed_by_words(upcoming.owed_by, transferor_name, transferee_name)
        console.print(f"  Next deadline: {upcoming.title} by {upcoming.working_due_date} "
                      f"({upcoming.days_left} days)" + (f", owed by {owed}" if owed else ""),
                      highlight=False)
    for party, open_steps in by_party.items():
        owed = owed_by_words(party if party != "unstated" else None, transferor_name,
                             transferee_name) or "no party stated"
        console.print(f"  Open, owed by {owed}: {', '.join(open_steps)}", highlight=False)
    console.print(f"  Money at risk: GBP {risk.total} " +
                  (f"({'; '.join(risk.reasons)})" if risk.reasons else "(nothing late)"),
                  highlight=False)
    for item in possible:
        mark = "[green]ready[/]" if item["ready"] else "[red]blocked[/]"
        if any(f.kind == GuardKind.already_done for f in item["blocked_by"]):
            mark = "[dim]done[/]"
        console.print(f"  {mark} {item['trigger']}: {item['label']}")
        for failure in item["blocked_by"]:
            console.print(f"      - {wording.guard_failure(failure, transfer.ref)}",
                          highlight=False, markup=False)


@app.command("timeline")
@guarded
def timeline(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Each step: statutory due date, working due date, days left, late flag, legal basis."""
    today = as_of_date(as_of)
    with read_session() as session:
        entries = transfer_timeline(session, ref, today)
    if as_json:
        print_json([e.as_json() for e in entries])
        return
    print_table(f"{ref}: deadlines as of {today.isoformat()}",
                ["step", "owed by", "status", "due", "working due", "days left", "late",
                 "legal basis"],
                [[e.step, e.owed_by or "", e.status, e.due_date, e.working_due_date,
                  e.days_left if e.days_left is not None else "",
                  "LATE" if e.late else "", e.legal_basis] for e in entries])


@app.command("advance")
@guarded
def advance(
    ref: str,
    trigger: str,
    note: str = typer.Option(None, "--note", help="Evidence or a note, kept in the history "
                             f"(at most {NOTE.max_length} characters)"),
    override_reason: str = typer.Option(
        None, "--override-reason",
        help="Proceed despite overridable guards; say what the special circumstances are "
             f"({OVERRIDE_REASON.min_length} to {OVERRIDE_REASON.max_length} characters)"),
    expect_version: int = typer.Option(None, "--expect-version",
                                       help="Refuse if the transfer is no longer this version"),
    on: str = typer.Option(None, "--on", help="Date it happened, YYYY-MM-DD (default today): "
                           "the steps it completes are done, and judged, on that date"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Fire a trigger: guards, state change, step updates and audit in one transaction."""
    result = advance_transfer(ref, trigger, actor=actor(), note=note,
                              override_reason=override_reason,
                              expected_version=expect_version, today=as_of_date(as_of),
                              occurred_on=parse_date(on, "--on"))
    # The transition is committed; now issue the letters of the state it entered.
    issued = issue_pending(transfer_id=result.transfer_id) if result.letters else IssueReport()
    # Steps recorded but waiting for their evidence (the letters just issued may have brought it).
    waiting = _still_waiting(ref, result.awaiting)
    # A letter the state owes that could not be made (its data incomplete): the HR owner was
    # alerted instead. The transition stands, but the command did not do all it set out to do.
    alerted = [letter for letter in issued.issued if letter.not_issued]
    if as_json:
        print_json({"ref": result.ref, "trigger": result.trigger, "from": result.from_state,
                    "to": result.to_state, "version": result.version,
                    "completed_steps": result.completed_steps, "letters_due": result.letters,
                    "letters": [asdict(i) for i in issued.issued],
                    "letter_errors": issued.errors,
                    "overridden": [str(f) for f in result.overridden],
                    "occurred_on": result.occurred_on, "awaiting_evidence": waiting,
                    "cascade": result.cascade.as_json() if result.cascade else None})
        if issued.errors or alerted or (result.cascade is not None and result.cascade.failed):
            raise typer.Exit(EXIT_INCOMPLETE)
        return
    moved = (f"{result.from_state} → {result.to_state}" if result.from_state != result.to_state
             else f"still {result.to_state}")
    console.print(f"{ref}: {trigger} ({moved})")
    if result.completed_steps:
        console.print(f"  done: {', '.join(result.completed_steps)}")
    for failure in result.overridden:
        console.print(f"  [yellow]overridden[/] {failure}", highlight=False)
    for letter in issued.issued:
        colour = "yellow" if letter.outcome == "alert" else "green"
        console.print(f"  [{colour}]letter[/] {letter.describe()}", highlight=False)
    for error in issued.errors:
        console.print(f"  [red]letter not issued[/] {error}; the scheduler tries again at its "
                      "next sweep", highlight=False)
    if result.letters and not issued.issued and not issued.errors:
        console.print(f"  letters owed: {', '.join(result.letters)} (being issued by the "
                      "scheduler)")
    for step_id, why in waiting.items():
        console.print(f"  [yellow]not done yet[/] {step_id}: it is done once its evidence "
                      f"exists; it lacks: {why}", highlight=False)
    if result.cascade is not None:  # the programme's decision, fired on each of its schools
        for outcome in result.cascade.outcomes:
            colour = {"applied": "green", "not-applicable": "dim"}.get(outcome.outcome, "red")
            why = f": {outcome.reason}" if outcome.reason else ""
            console.print(f"  [{colour}]{outcome.outcome}[/] {outcome.ref} "
                          f"{result.cascade.action}{why}", highlight=False)
    if issued.errors:
        err_console.print(f"[bold red]error:[/] {ref} moved on, but {len(issued.errors)} of its "
                          "letters could not be issued (see above)", highlight=False)
    if alerted:
        err_console.print(f"[bold red]error:[/] {ref} moved on, but {len(alerted)} of its "
                          "letters were not issued (see above: the HR owner was alerted); put "
                          "right what each lacks (`transfer-engine letters check "
                          f"{ref}`), then issue it with `transfer-engine letters issue`",
                          highlight=False)
    failed = result.cascade.failed if result.cascade is not None else []
    if failed:
        # The programme moved on; some of its schools did not, and the command says so in its
        # exit status as well as in words (a script must not read this as a full success).
        err_console.print(f"[bold red]error:[/] {ref} moved on, but {len(failed)} of its "
                          f"transfers did not ({', '.join(o.ref for o in failed)}: see above); "
                          "put right what each lacks, then run `transfer-engine advance REF "
                          f"{result.cascade.action if result.cascade else trigger}` for each",
                          highlight=False)
    if issued.errors or alerted or failed:
        raise typer.Exit(EXIT_INCOMPLETE)


def _still_waiting(ref: str, awaiting: dict[str, str]) -> dict[str, str]:
    """Of the steps a trigger left waiting for evidence, those still open, with what each
    lacks now."""
    if not awaiting:
        return {}
    with read_session() as session:
        steps = steps_of(session, get_transfer(session, ref))
    return {s: steps[s].evidence_missing or awaiting[s] for s in awaiting
            if s in steps and steps[s].status == StepStatus.open}


@app.command("done")
@guarded
def done(
    ref: str,
    step: str,
    evidence: str = typer.Option(..., "--evidence", help="What shows it was done "
                                 f"({EVIDENCE.min_length} to {EVIDENCE.max_length} characters)"),
    on: str = typer.Option(None, "--on", help="Date it was done, YYYY-MM-DD (default today)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Mark a step done with evidence (steps that no trigger completes)."""
    instance = complete_step(ref, step, actor=actor(), evidence=evidence,
                             occurred_on=parse_date(on, "--on"), today=as_of_date(as_of))
    if as_json:
        print_json({"ref": ref, "step": step, "done_on": instance.done_on})
    else:
        console.print(f"{ref}: {step} done on {instance.done_on}")


@app.command("reschedule")
@guarded
def reschedule(
    ref: str,
    key_date: str = typer.Argument(..., help="Which key date, e.g. transfer"),
    new_date: str = typer.Argument(..., help="YYYY-MM-DD"),
    reason: str = typer.Option(..., "--reason", help="Why it moved, kept in the history "
                               f"({RESCHEDULE_REASON.min_length} to "
                               f"{RESCHEDULE_REASON.max_length} characters)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Move a key date; every deadline is recomputed and what became late is reported."""
    new = parse_date(new_date, "date")
    assert new is not None
    report = reschedule_transfer(ref, key_date, new, actor=actor(), reason=reason,
                                 today=as_of_date(as_of))
    if as_json:
        print_json({"ref": ref, "key_date": key_date, "old": report.old, "new": report.new,
                    "moved": [{"step": c.step_id, "old_due": c.old_due, "new_due": c.new_due}
                              for c in report.moved],
                    "now_late": report.now_late, "impossible": report.impossible})
        return
    console.print(f"{ref}: {key_date} {report.old} → {report.new}")
    print_table(None, ["step", "old due", "new due"],
                [[c.step_id, c.old_due, c.new_due] for c in report.moved])
    if report.now_late:
        console.print(f"[red]Now late[/] (done after the new deadline): "
                      f"{', '.join(report.now_late)}")
    if report.impossible:
        console.print(f"[red]Can no longer be met[/] (deadline already passed): "
                      f"{', '.join(report.impossible)}")


@app.command("redundancies")
@guarded
def redundancies(
    ref: str,
    proposed: int = typer.Option(..., "--proposed", help="Dismissals as redundant proposed at "
                                 "one establishment within 90 days (TULRCA s.188)"),
    establishment: str = typer.Option(..., "--establishment", help="Which establishment"),
    as_json: bool = JsonOption,
) -> None:
    """Record the collective redundancies proposed; the s.188 and HR1 deadlines follow the
    number (20-99: 30 days, 100 or more: 45 days before the first dismissal)."""
    report = record_redundancy_proposal(ref, proposed, establishment, actor=actor())
    if as_json:
        print_json({"ref": ref, "proposed_dismissals": report.proposed_dismissals,
                    "establishment": report.establishment,
                    "moved": [{"step": c.step_id, "old_due": c.old_due, "new_due": c.new_due}
                              for c in report.moved]})
        return
    console.print(f"{ref}: {report.proposed_dismissals} dismissal(s) proposed at "
                  f"{report.establishment}", highlight=False)
    print_table(None, ["step", "old due", "new due"],
                [[c.step_id, c.old_due, c.new_due] for c in report.moved])


@app.command("history")
@guarded
def history(ref: str, as_json: bool = JsonOption) -> None:
    """The audit log of a transfer, oldest first."""
    with read_session() as session:
        transfer = get_transfer(session, ref)
        entries = session.exec(select(AuditEntry).where(AuditEntry.transfer_id == transfer.id)
                               .order_by(col(AuditEntry.id))).all()
    if as_json:
        print_json([{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                     "from": e.from_state, "to": e.to_state, "data": e.data} for e in entries])
        return

    def summary(e: AuditEntry) -> str:
        d = e.data
        if e.action == "advance":
            done = f" done: {', '.join(d['completed_steps'])}" if d.get("completed_steps") else ""
            # Entries from before dates that happened were recorded have no occurred_on.
            on = f" on {d['occurred_on']}" if d.get("occurred_on") else ""
            return f"{d['trigger']}{done}{on}" + (f" ({d['note']})" if d.get("note") else "")
        if e.action == "override":
            return f"{d['trigger']} overridden: {d['reason']}"
        if e.action == "rescheduled":
            return f"{d['key_date']} {d['old']} → {d['new']}: {d['reason']}"
        if e.action == "step-done":
            return f"{d['step']} on {d['done_on']}: {d['evidence']}"
        if e.action == "step-overridden":
            return f"{d['step']} done WITHOUT its evidence on {d['done_on']}: {d['reason']}"
        if e.action == "step-reopened":
            return f"{d['step']} reopened: {d['reason']}"
        return ", ".join(f"{k}={v}" for k, v in d.items() if k != "employee_refs")

    # UK time (GMT or BST, said), as on the web pages: the stored time is UTC.
    print_table(f"{ref}: history", ["at (UK time)", "actor", "action", "state", "detail"],
                [[london(e.at).strftime("%Y-%m-%d %H:%M:%S %Z"), e.actor, e.action,
                  e.to_state if e.from_state == e.to_state else f"{e.from_state} → {e.to_state}",
                  summary(e)] for e in entries])
