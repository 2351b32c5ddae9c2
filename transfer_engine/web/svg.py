"""The state diagram and the deadline timeline, drawn on the server as SVG.

Drawn here rather than in the browser so that they work without JavaScript, print as they look
(vectors, black text, meaning carried by shape and words as well as colour, so a black-and-white
printout still shows which step is late), and are the same in a PDF as on screen.

Both pictures are ``role="img"`` with a title and a description, and every fact in them is also
in a table on the same page: the picture helps people scan, the table is the record.
No ``style`` attributes are used: the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from itertools import pairwise

from transfer_engine.rules.timeline import TimelineEntry
from transfer_engine.workflow.definition import WorkflowDefinition

BLACK = "#0b0c0c"
GREY = "#505a5f"
LIGHT = "#f3f2f1"
MID = "#b1b4b6"
YELLOW = "#ffdd00"
RED = "#d4351c"
BLUE = "#1d70b8"
GREEN = "#00703c"
FONT = 'font-family="GDS Transport, arial, sans-serif"'


def _text(x: float, y: float, content: str, *, size: int = 14, anchor: str = "start",
          weight: str = "normal", fill: str = BLACK) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(content)}</text>')


def _wrap(label: str, width: int, lines: int = 2) -> list[str]:
    """Word-wrap ``label`` to ``width`` characters, at most ``lines`` lines (ellipsis after)."""
    out: list[str] = []
    current = ""
    for word in label.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [line if len(line) <= width else line[: width - 1] + "…" for line in out]


def _open(width: float, height: float, title: str, description: str, ident: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" class="app-figure__svg" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
    )


def _arrowhead(ident: str) -> str:
    return (f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
            f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{BLACK}"/></marker></defs>')


# ---------------------------------------------------------------------------------------------
# State diagram


def _main_chain(initial: str, edges: dict[str, set[str]]) -> list[str]:
    """The longest path of states from the initial one: the route a transfer normally takes."""
    best: dict[str, list[str]] = {}

    def longest(state: str, seen: frozenset[str]) -> list[str]:
        if state in best:
            return best[state]
        paths = [longest(nxt, seen | {nxt}) for nxt in sorted(edges.get(state, ())) if
                 nxt not in seen]
        result = [state, *max(paths, key=len, default=[])]
        best[state] = result
        return result

    return longest(initial, frozenset({initial}))


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def state_diagram(definition: WorkflowDefinition, current: str, *, ident: str = "states") -> str:
    """The workflow's states top to bottom, the transfer's current state marked.

    The states a transfer normally passes through form the main column; the others (cancelled,
    or "no change of employer") sit to the right, joined to every state they can be reached
    from. Triggers that complete steps without changing state are listed on the page instead.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    labels: dict[tuple[str, str], list[str]] = defaultdict(list)
    for trigger in definition.triggers.values():
        if trigger.dest is None:
            continue
        for source in trigger.sources:
            if source != trigger.dest:
                edges[source].add(trigger.dest)
                labels[(source, trigger.dest)].append(trigger.name.replace("_", " "))
    chain = _main_chain(definition.initial, edges)
    side = [s for s in definition.states if s not in chain]

    label_w, box_w, box_h, gap, side_w = 130.0, 160.0, 50.0, 46.0, 130.0
    main_x, side_x, top = label_w + 10, label_w + 10 + box_w + 44, 14.0
    boxes = {s: _Box(main_x, top + i * (box_h + gap), box_w, box_h) for i, s in enumerate(chain)}
    # A side state sits level with the middle of the states that lead to it.
    wanted = []
    for state in side:
        sources = [boxes[s].cy for s in chain if state in edges.get(s, ())]
        wanted.append((sum(sources) / len(sources) if sources else top + box_h / 2, state))
    floor = 0.0
    for centre, state in sorted(wanted):
        y = max(centre - box_h / 2, floor)
        boxes[state] = _Box(side_x, y, side_w, box_h)
        floor = y + box_h + 20
    width = side_x + side_w + 10 if side else main_x + box_w + 40
    height = max(b.y + b.h for b in boxes.values()) + 14

    current_label = definition.states[current].label if current in definition.states else current
    order = ", ".join(definition.states[s].label for s in chain)
    others = ", ".join(definition.states[s].label for s in side)
    description = (f"Current state: {current_label}. Usual order of states: {order}."
                   + (f" Other states: {others}." if others else ""))
    parts = [_open(width, height, f"States of {definition.title}", description, ident),
             _arrowhead(ident)]

    # Edges between consecutive states of the main column, labelled on the left.
    for a, b in pairwise(chain):
        start, end = boxes[a], boxes[b]
        parts.append(f'<line x1="{start.cx:.1f}" y1="{start.y + start.h:.1f}" x2="{end.cx:.1f}" '
                     f'y2="{end.y - 2:.1f}" stroke="{BLACK}" stroke-width="2" '
                     f'marker-end="url(#{ident}-arrow)"/>')
        words = _wrap(" / ".join(dict.fromkeys(labels[(a, b)])), 17)
        mid = (start.y + start.h + end.y) / 2 - (len(words) - 1) * 7 + 4
        for i, line in enumerate(words):
            parts.append(_text(main_x - 12, mid + i * 15, line, size=13, anchor="end",
                               fill=GREY))
    # Any other edge: to a side state, or skipping states, drawn from the right-hand edge.
    named: set[str] = set()
    for source in chain + side:
        for dest in sorted(edges.get(source, ())):
            if source in chain and dest in chain and chain.index(dest) == chain.index(source) + 1:
                continue
            start, end = boxes[source], boxes[dest]
            if dest in side or source in side:
                x1, y1 = start.x + start.w, start.cy
                x2, y2 = end.x - 2, end.cy
                parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                             f'stroke="{GREY}" stroke-width="1.5" stroke-dasharray="5 3" '
                             f'marker-end="url(#{ident}-arrow)"/>')
            else:  # a skip or a loop back within the main column
                offset = 24 if chain.index(dest) > chain.index(source) else 40
                x = start.x + start.w + offset
                parts.append(
                    f'<path d="M {start.x + start.w:.1f} {start.cy:.1f} H {x:.1f} V {end.cy:.1f} '
                    f'H {end.x + end.w + 2:.1f}" fill="none" stroke="{GREY}" stroke-width="1.5" '
                    f'marker-end="url(#{ident}-arrow)"/>')
            if dest in side and dest not in named:
                named.add(dest)
                name = " / ".join(dict.fromkeys(labels[(source, dest)]))
                parts.append(_text(end.cx, end.y - 6, name, size=13, anchor="middle",
                                   fill=GREY))

    for state, box in boxes.items():
        spec = definition.states[state]
        is_current = state == current
        fill = YELLOW if is_current else ("#ffffff" if state in chain else LIGHT)
        parts.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                     f'height="{box.h:.1f}" rx="4" fill="{fill}" stroke="{BLACK}" '
                     f'stroke-width="{4 if is_current else 2}"/>')
        if spec.final:  # a double border marks an end state, as in UML
            parts.append(f'<rect x="{box.x + 4:.1f}" y="{box.y + 4:.1f}" '
                         f'width="{box.w - 8:.1f}" height="{box.h - 8:.1f}" rx="2" fill="none" '
                         f'stroke="{BLACK}" stroke-width="1"/>')
        lines = _wrap(spec.label, 18 if state in chain else 14)
        first = box.cy + 5 - (len(lines) - 1) * 8.5
        for i, line in enumerate(lines):
            parts.append(_text(box.cx, first + i * 17, line, size=15, anchor="middle",
                               weight="bold" if is_current else "normal"))
        if is_current:
            # Words as well as colour: "Now" reads on a black-and-white printout.
            parts.append(f'<path d="M {box.x - 10:.1f} {box.cy - 8:.1f} L {box.x - 2:.1f} '
                         f'{box.cy:.1f} L {box.x - 10:.1f} {box.cy + 8:.1f} z" fill="{BLACK}"/>')
            parts.append(_text(box.x - 16, box.cy + 5, "Now", size=14, anchor="end",
                               weight="bold"))
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Timeline


def _month_starts(first: date, last: date) -> Iterable[date]:
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _short(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


#: The smallest text in the timeline. The page shows the picture only where it is drawn at
#: full size (see app.css, .app-timeline-picture), so this is the smallest size on screen.
TIMELINE_TEXT = 14


def timeline(entries: Sequence[TimelineEntry], today: date, key_dates: dict[str, date], *,
             key_labels: dict[str, str] | None = None, ident: str = "timeline") -> str:
    """Every applicable deadline on one date axis, with a line for today and the key dates.

    Shapes carry the meaning: a hollow circle is open, a filled circle done, a red diamond
    with the word "late" is open after its date, and a done-late step joins its due date to
    the day it was done. Step titles are given in full, over as many lines as they need.
    """
    rows = [e for e in entries if e.status != "not-applicable" and e.working_due_date]
    key_labels = key_labels or {}
    days = [d for e in rows for d in (e.working_due_date, e.done_on) if d]
    days += [today, *key_dates.values()]
    first = min(days) - timedelta(days=7)
    last = max(days) + timedelta(days=10)
    span = (last - first).days or 1

    label_w, chart_x, chart_w, top = 330.0, 340.0, 600.0, 58.0
    line_h = TIMELINE_TEXT + 3
    titles = [_wrap(e.title, 38, lines=6) for e in rows]
    heights = [max(28.0, line_h * len(lines) + 10) for lines in titles]
    tops = [top + sum(heights[:i]) for i in range(len(rows))]
    width = chart_x + chart_w + 20
    height = top + (sum(heights) if rows else 28.0) + 76

    def x_of(day: date) -> float:
        return chart_x + chart_w * (day - first).days / span

    late = [e for e in rows if e.late and e.status == "open"]
    description = (
        f"{len(rows)} deadlines from {_short(first + timedelta(days=7))} to "
        f"{_short(last - timedelta(days=10))}; today is {_short(today)}. "
        + (f"Late: {', '.join(e.title for e in late)}." if late else "Nothing is late.")
    )
    parts = [_open(width, height, "Deadlines on a timeline", description, ident)]

    bottom = top + (sum(heights) if rows else 28.0)
    # Banded rows help the eye follow a step across to its date.
    for i in range(0, len(rows), 2):
        parts.append(f'<rect x="0" y="{tops[i]:.1f}" width="{width:.1f}" '
                     f'height="{heights[i]:.1f}" fill="{LIGHT}"/>')
    # Axis: a line and label at the start of each month.
    for month in _month_starts(first, last):
        x = x_of(month)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 8:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                     f'stroke="{MID}" stroke-width="1"/>')
        parts.append(_text(x + 3, top - 14, month.strftime("%b %Y"), size=TIMELINE_TEXT,
                           fill=GREY))
    # Key dates (decision, transfer) and today, as labelled vertical lines.
    for name, day in key_dates.items():
        if not first <= day <= last:
            continue
        x = x_of(day)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 8:.1f}" x2="{x:.1f}" y2="{bottom + 6:.1f}" '
                     f'stroke="{BLACK}" stroke-width="2"/>')
        parts.append(_text(x, bottom + 20, key_labels.get(name, name.replace("_", " ")),
                           size=TIMELINE_TEXT, anchor="middle", weight="bold"))
    x_today = x_of(today)
    parts.append(f'<line x1="{x_today:.1f}" y1="{top - 30:.1f}" x2="{x_today:.1f}" '
                 f'y2="{bottom + 6:.1f}" stroke="{BLUE}" stroke-width="3" '
                 f'stroke-dasharray="6 4"/>')
    anchor = "end" if x_today > chart_x + chart_w * 0.8 else "start"
    parts.append(_text(x_today + (-6 if anchor == "end" else 6), top - 34,
                       f"Today {_short(today)}", size=TIMELINE_TEXT, anchor=anchor, weight="bold",
                       fill=BLUE))

    for i, entry in enumerate(rows):
        y = tops[i] + heights[i] / 2
        top_line = y + 5 - (len(titles[i]) - 1) * line_h / 2
        for n, line in enumerate(titles[i]):
            parts.append(_text(label_w - 6, top_line + n * line_h, line, size=TIMELINE_TEXT,
                               anchor="end"))
        assert entry.working_due_date is not None
        x = x_of(entry.working_due_date)
        if entry.status == "done" and entry.done_on:
            xd = x_of(entry.done_on)
            if entry.late:
                parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{xd:.1f}" y2="{y:.1f}" '
                             f'stroke="{RED}" stroke-width="3"/>')
                parts.append(_diamond(x, y))
                parts.append(_text(xd + 9, y + 5, "done late", size=TIMELINE_TEXT,
                                   weight="bold"))
            parts.append(f'<circle cx="{xd:.1f}" cy="{y:.1f}" r="6" fill="{BLACK}"/>')
        elif entry.late:
            parts.append(_diamond(x, y))
            parts.append(_text(x + 10, y + 5, "late", size=TIMELINE_TEXT, weight="bold"))
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#ffffff" '
                         f'stroke="{BLACK}" stroke-width="2"/>')

    # Legend: what each shape means, so a printout explains itself.
    y = height - 22
    parts.append(f'<circle cx="{chart_x:.1f}" cy="{y:.1f}" r="6" fill="#ffffff" '
                 f'stroke="{BLACK}" stroke-width="2"/>')
    parts.append(_text(chart_x + 10, y + 5, "open (due date)", size=TIMELINE_TEXT))
    parts.append(f'<circle cx="{chart_x + 150:.1f}" cy="{y:.1f}" r="6" fill="{BLACK}"/>')
    parts.append(_text(chart_x + 160, y + 5, "done", size=TIMELINE_TEXT))
    parts.append(_diamond(chart_x + 230, y))
    parts.append(_text(chart_x + 240, y + 5, "late", size=TIMELINE_TEXT))
    parts.append(f'<line x1="{chart_x + 300:.1f}" y1="{y - 8:.1f}" x2="{chart_x + 300:.1f}" '
                 f'y2="{y + 8:.1f}" stroke="{BLUE}" stroke-width="3" stroke-dasharray="4 3"/>')
    parts.append(_text(chart_x + 308, y + 5, "today", size=TIMELINE_TEXT))
    parts.append("</svg>")
    return "".join(parts)


def _diamond(x: float, y: float) -> str:
    return (f'<path d="M {x:.1f} {y - 8:.1f} L {x + 8:.1f} {y:.1f} L {x:.1f} {y + 8:.1f} '
            f'L {x - 8:.1f} {y:.1f} z" fill="{RED}" stroke="{BLACK}" stroke-width="1.5"/>')


__all__ = ["state_diagram", "timeline"]
