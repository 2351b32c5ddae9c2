"""A calendar feed of deadlines (iCalendar, RFC 5545) that Outlook and others can subscribe to.

Each applicable step of each live transfer (not closed or cancelled) the subscriber may see is an
all-day event on its last working day (the statutory date, when different, is in the
description). The UID is stable,
so a moved deadline moves the event rather than adding a second one; SEQUENCE is the
transfer's version, which only goes up. No personal data is in the feed: it may end up in
calendars shared more widely than this service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from transfer_engine.rules.timeline import TimelineEntry
from transfer_engine.views.vocabulary import step_status

PRODID = "-//transfer_engine//TUPE deadlines//EN"


@dataclass(frozen=True)
class FeedItem:
    """One transfer's deadlines, as the feed needs them."""

    transfer_id: int
    ref: str
    title: str
    version: int
    updated_at: datetime
    url: str
    entries: list[TimelineEntry]


def escape_text(value: str) -> str:
    """TEXT values escape backslash, semicolon, comma and newline (RFC 5545 3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc_stamp(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def calendar(items: Iterable[FeedItem], *, name: str = "TUPE deadlines") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(name)}",
             "X-WR-TIMEZONE:Europe/London",
             # Ask subscribers to refresh hourly (Outlook may still choose its own interval).
             "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    for item in items:
        for entry in item.entries:
            if entry.status == "not-applicable" or entry.working_due_date is None:
                continue
            day = entry.working_due_date
            # The same words as the pages (Done, Done late, Late); open steps need no more.
            status = step_status(entry)
            state = (f"{status.label}: "
                     if status.key in ("done", "done-late", "overridden", "late") else "")
            details = [entry.title, f"Legal basis: {entry.legal_basis}"]
            if entry.due_date and entry.due_date != day:
                details.append(f"Statutory date {entry.due_date.isoformat()} ({entry.note}); "
                               f"shown on the last working day before it.")
            if entry.done_on:
                details.append(f"Done on {entry.done_on.isoformat()}.")
            details.append(f"Transfer: {item.title} ({item.ref})")
            lines += [
                "BEGIN:VEVENT",
                f"UID:transfer-{item.transfer_id}-{entry.step}@transfer-engine",
                f"DTSTAMP:{_utc_stamp(item.updated_at)}",
                f"SEQUENCE:{item.version}",
                f"DTSTART;VALUE=DATE:{_day(day)}",
                f"DTEND;VALUE=DATE:{_day(day + timedelta(days=1))}",
                f"SUMMARY:{escape_text(f'{state}{item.ref}: {entry.title}')}",
                f"DESCRIPTION:{escape_text(chr(10).join(details))}",
                f"URL:{item.url}",
                "CATEGORIES:TUPE",
                "TRANSP:TRANSPARENT",
                "STATUS:CONFIRMED",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
