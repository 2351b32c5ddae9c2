"""Synthetic letter data, for previews, tests and the benchmark.

Everything here is made up, and every letter rendered from it says so in its first paragraph
(``synthetic=True``). Names and places are drawn from small fixed lists by a seeded generator,
so the same index always gives the same letter.

A context is handed over as the issue path hands a letter's stored data to its template:
encoded, as the register keeps it, then turned back into records (``data.to_context``), so a
template reads the same kinds of objects here as in a real issue, takes the same path through
the sandbox, and names a missing field the same way.
"""

# The typographic apostrophes and dashes below are deliberate: real letters contain them, and
# the PDF renderer must map them to WinAnsi codes.
# ruff: noqa: RUF001

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from transfer_engine.letters.data import encode, to_context

__all__ = ["employee_context", "representative_context"]

_FIRST = ("Aisha", "Ben", "Chloé", "Dafydd", "Ewa", "Fergus", "Grace", "Harpreet", "Ioana",
          "Jamal", "Kirsty", "Liam", "Mei", "Niamh", "Olu", "Priya", "Rhys", "Siobhán", "Tomasz",
          "Zoë")
_LAST = ("Adeyemi", "Brennan", "Chowdhury", "Davies", "Evans", "Fitzgerald", "Gallagher", "Hughes",
         "Iqbal", "Jones", "Kowalski", "Lloyd", "MacLeod", "Nowak", "O’Connor", "Patel", "Quinn",
         "Roberts", "Singh", "Thompson")
_TITLES = ("Ms", "Mr", "Mx", "Dr")
_JOBS = (("Family Support Worker", "G7"), ("Senior Practitioner", "G9"),
         ("Business Support Officer", "G4"), ("Team Manager", "G11"),
         ("Educational Psychologist – Assistant", "G8"), ("Advice Line Officer", "G5"))
_STREETS = ("Mill Lane", "Station Road", "Church Street", "Victoria Terrace", "Park Avenue",
            "Elm Close", "High Street", "Queen’s Road")
_TOWNS = (("Northampton", "NN1"), ("Wellingborough", "NN8"), ("Kettering", "NN16"),
          ("Daventry", "NN11"), ("Corby", "NN17"), ("Towcester", "NN12"))
_SCHEMES = ("Local Government Pension Scheme", "Teachers’ Pension Scheme", "Not a member")

_TRANSFER_DATE = date(2026, 4, 1)


def _sender() -> SimpleNamespace:
    return SimpleNamespace(**{
        "name": "Synthetic County Council",
        "address": ["Children’s Services, One Angel Square", "Angel Street",
                    "Northampton NN1 1ED"],
        "signatory_name": "Alex Example",
        "signatory_title": "Head of HR Business Partnering",
        "role": "transferor",
    })


def _transfer(measures: int = 2) -> SimpleNamespace:
    transferee_measures = [
        "Payroll will move from the 15th to the last working day of each month; an advance "
        "will be offered to anyone who asks, so that nobody goes without pay in the changeover.",
        "Staff will move to the transferee’s HR and finance systems, with training in working "
        "time during the first month.",
        "Expenses will be claimed through the transferee’s expenses policy; mileage rates stay "
        "at 45p a mile.",
    ]
    extra = [
        f"Measure {i + 4}: the transferee envisages reviewing rota arrangement {i + 4} with "
        "staff and their representatives after transfer; no change will be made without "
        "consultation."
        for i in range(max(0, measures - len(transferee_measures)))
    ]
    return SimpleNamespace(**{
        "reference": "TUPE/2026/017",
        "service": "Early Help and Family Support service",
        "transferor": "Synthetic County Council",
        "transferee": "Example Children’s Trust Ltd",
        "transfer_date": _TRANSFER_DATE,
        "eli_check_by": _TRANSFER_DATE - timedelta(days=42),
        "reasons": "The council has decided, after public consultation, that children’s services "
                   "will be delivered by an independent trust wholly owned by the council, to "
                   "give the service a single focus and stable long-term funding.",
        "transferor_measures": [],
        "transferee_measures": (transferee_measures + extra)[:measures],
        "pension_note": "The trust has been admitted to the Local Government Pension Scheme "
                        "as a scheme employer, so members may stay in the scheme.",
        "representatives": "UNISON and GMB",
        "meeting_date": _TRANSFER_DATE - timedelta(days=60),
        "meeting_place": "the Council Chamber, One Angel Square",
        "contact_name": "the HR Transfer Team",
        "contact_phone": "01604 000000",
        "contact_email": "tupe.transfer@example.org",
        "employee_count": 214,
        "pay_bill": Decimal("6850400"),
        "agency_workers": "Eleven agency workers work temporarily in the service, in the "
                          "Business Support and Advice Line teams, doing administrative and "
                          "telephone advice work. They are not employees and will not transfer.",
    })


def employee_context(index: int, *, seed: int = 2006, measures: int = 2) -> dict[str, Any]:
    """Context for ``employee-notification``: synthetic employee number ``index``."""
    rng = random.Random(seed * 1_000_003 + index)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    title = rng.choice(_TITLES)
    job, grade = rng.choice(_JOBS)
    town, postcode = rng.choice(_TOWNS)
    return to_context(encode({
        "letter_date": date(2026, 1, 12),
        "synthetic": True,
        # The letter's own reference, as issuing numbers it (letters/references.py).
        "letter": SimpleNamespace(name="employee-notification",
                                  reference=f"SCC-ECT/EN/{index % 10000:04d}"),
        "sender": _sender(),
        "transfer": _transfer(measures),
        "employee": SimpleNamespace(**{
            "full_name": f"{first} {last}",
            "salutation": f"{title} {last}",
            "employee_number": f"E{100000 + index}",
            "address": [f"{rng.randint(1, 180)} {rng.choice(_STREETS)}", town,
                        f"{postcode} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"],
            "job_title": job,
            "grade": grade,
            "salary": Decimal(rng.randrange(2_300_000, 5_200_000, 25)) / 100,
            "hours": rng.choice(("37", "30", "22.5", "18.5")),
            "service_start": date(rng.randint(1994, 2024), rng.randint(1, 12), rng.randint(1, 28)),
            "pension_scheme": rng.choice(_SCHEMES),
            "workplace": f"the {town} locality office",
        }),
    }))


def representative_context(*, measures: int = 3) -> dict[str, Any]:
    """Context for ``reg13-information``, addressed to a synthetic union representative."""
    return to_context(encode({
        "letter_date": date(2026, 1, 5),
        "synthetic": True,
        "letter": SimpleNamespace(name="reg13-information", reference="SCC-ECT/R13/0001"),
        "sender": _sender(),
        "transfer": _transfer(measures),
        "representative": SimpleNamespace(**{
            "name": "Sam Placeholder, Branch Secretary",
            "salutation": "Sam",
            "capacity": "UNISON, the recognised trade union",
            "address": ["UNISON Synthetic Branch", "1 Example Row", "Northampton NN1 2AA"],
        }),
    }))
