"""The words of the domain shared by every layer: kinds of organisation and school, regimes,
representatives and step statuses.
"""

from __future__ import annotations

import enum


class OrganisationKind(enum.StrEnum):
    """The sector an organisation is in: it decides, among other things, which pension
    protection applies to staff it transfers or receives (workflows/tupe-base.yaml, pensions).
    """

    council = "council"          # a local authority (an English council: a best value authority)
    trust = "trust"              # a trust or company owned by councils, an LGPS employer
    school = "school"            # a maintained school's governing body or an academy trust
    company = "company"          # a private contractor
    other = "other"              # a charity or anyone else outside the public service schemes
    # The database stores the member names: no longer than "council", so that the column SQLite
    # made for the first five kinds holds them (it cannot widen a column in place).
    central = "central-government"  # a department or agency (civil service scheme)
    nhs = "nhs"                  # an NHS trust, foundation trust or ICB (NHS Pension Scheme)


class SchoolType(enum.StrEnum):
    """Who employs a school's staff depends on its type (:mod:`transfer_engine.rules.schools`)."""

    community = "community"
    voluntary_controlled = "voluntary-controlled"
    foundation = "foundation"
    voluntary_aided = "voluntary-aided"
    academy = "academy"


class Regime(enum.StrEnum):
    """The legal regime a move of staff falls under."""

    tupe = "TUPE"
    cosop = "COSOP"
    not_a_transfer = "not-a-transfer"


class RepresentativeKind(enum.StrEnum):
    """Who may be informed and consulted for affected employees (reg 13(3))."""

    recognised_union = "recognised-union"   # reg 13(3)(a)
    existing = "existing"                   # reg 13(3)(b)(i): elected or appointed, with authority
    elected = "elected"                     # reg 13(3)(b)(ii): elected under reg 14


class StepStatus(enum.StrEnum):
    open = "open"
    done = "done"
    not_applicable = "not-applicable"
