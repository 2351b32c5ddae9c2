"""The words of the domain shared by every layer: kinds of organisation and school, regimes,
representatives and step statuses.
"""

from __future__ import annotations

import enum


class OrganisationKind(enum.StrEnum):
    council = "council"
    trust = "trust"
    school = "school"
    company = "company"
    other = "other"


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
    recognised_union = "recognised-union"
    elected = "elected"


class StepStatus(enum.StrEnum):
    open = "open"
    done = "done"
    not_applicable = "not-applicable"
