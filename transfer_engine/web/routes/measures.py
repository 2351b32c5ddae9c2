"""The measures (TUPE reg 13(2)(c)-(d), reg 13(4)) in one place: what each employer envisages,
as recorded in the letter details, and the step of receiving the transferee's in writing.

The measures themselves are recorded on the letter details' forms
(:mod:`transfer_engine.web.routes.letter_data`), each with two distinct answers (the measures,
one a line; or that none are envisaged), so this page links there rather than record them a
second time. The transferee's letter is kept as the step's evidence on the step's documents
page. Viewers read what is recorded; union representatives never reach it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from transfer_engine.letters.letter_data import SECTIONS, stored_values
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import steps_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import HrStaff, engine_of, find_transfer
from transfer_engine.web.rendering import render

router = APIRouter()

#: The letter details' sections that hold measures, in the order the page shows them.
MEASURES = ("transferee-measures", "transferee-own-measures", "transferor-measures")
#: The step of receiving the transferee's measures in writing (reg 13(4)).
STEP = "measures"


@router.get("/transfers/{transfer_id}/measures")
def measures(request: Request, transfer_id: int, principal: HrStaff) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        sections = []
        for key in MEASURES:
            section = SECTIONS[key]
            field = section.fields[0]
            sections.append((section, stored_values(session, fresh, section).get(field.name)))
        step = steps_of(session, fresh).get(STEP)
        editable = can_edit(session, principal, fresh)
    return render(request, "measures.html", {
        "t": fresh, "section": "measures", "sections": sections, "step": step,
        "editable": editable})
