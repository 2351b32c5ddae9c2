"""The letters there are: each template's metadata, its sources, and its version.

Every letter template starts with its metadata, as YAML inside a Jinja comment, so that the
wording and the facts about it travel together in one file that HR can review::

    {#- ---
    title: Information to representatives under regulation 13(2)
    audience: representatives          # who reads it (representatives, employees, ...)
    recipients: representatives        # whom it is issued to, one letter each (see below)
    sender: each                       # whose letterhead and signatory (see below)
    legal_basis: TUPE 2006 reg 13(2)-(4), (6)
    subject: "Information under TUPE regulation 13(2): {{ transfer.title }}"
    fields: [transfer.service, transfer.reasons, ...]
    --- -#}

``sender`` is the party that owes the letter: ``transferor``, ``transferee``, or ``each``
(each employer to its own people, reg 13(2): a representative of the transferee's affected
employees gets the transferee's letter, with its letterhead and its own template overrides;
everyone else the transferor's). ``recipients`` is one of :data:`RECIPIENTS`.
``fields`` lists the data the letter cannot do without; ``letters check`` also finds anything
else the template uses and the data lacks.
``subject`` is a Jinja expression for the email subject (plain text, not escaped).
Optional: ``regimes`` (default TUPE and COSOP: no letter is issued for a move that is not a
transfer), ``supersedes`` (letters this one replaces for its recipient, e.g. a changed date),
``edition_by`` (a field that makes a new edition when it changes, e.g. the transfer date),
``applies_if`` (a transfer field, e.g. ``transfer.proposed_dismissals``: the letter goes to
nobody on a transfer that does not record it),
``stage`` (``proposed``: about a transfer still to happen, so dated before the transfer date;
``transferred``: about one that has happened, dated on or after it; checked before issuing by
:mod:`transfer_engine.letters.sense_checks`).

Templates are read once, with the organisation's overrides applied
(``TRANSFER_ENGINE_LETTER_OVERRIDES``: files in ``<folder>/<organisation slug>/`` first, then
``<folder>/``, then the shipped templates), and compiled from exactly the text that was hashed:
a letter's version is the SHA-256 of every source it was compiled from, and those sources are
stored with the letter so that it can be rendered again, byte for byte, after HR edits the file.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from transfer_engine.config import Settings, get_settings
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.templates import SUFFIX, LetterTemplates
from transfer_engine.validation import field_problems

__all__ = ["RECIPIENTS", "Catalogue", "LetterSpec", "TemplateBundle", "catalogue", "forget"]

#: Whom a letter goes to, one letter per recipient.
RECIPIENTS = {
    "representatives": "each representative recorded for the transfer (reg 13(2))",
    "affected-employees": "each affected employee in scope",
    "transferring-employees": "each employee in scope who has not objected",
    "objecting-employees": "each employee in scope who has objected (reg 4(7))",
    "transferee": "the transferee, as an organisation",
    "eli": "the transferee, one schedule per transferring employee (reg 11)",
    "eli-changes": "the transferee, when the ELI given has changed (reg 11(5))",
    "notified": "whoever holds a current letter this one supersedes",
    "hr": "the HR owner or escalation contact (sent by the scheduler only)",
}
#: The top-level names a template may use for each kind of recipient (besides the common ones).
_ROOTS_COMMON = {"letter_date", "synthetic", "letter", "sender", "transfer", "recipient"}
_ROOTS = {
    "representatives": {"representative"},
    "affected-employees": {"employee"},
    "transferring-employees": {"employee"},
    "objecting-employees": {"employee"},
    "transferee": {"organisation", "employees"},
    "eli": {"organisation", "employee"},
    "eli-changes": {"organisation", "change_notice"},
    "notified": {"representative", "employee", "supersedes"},
    "hr": {"step", "notice"},
}

_FRONT_MATTER = re.compile(r"\A\{#-?\s*---[ \t]*\n(.*?)\n---\s*-?#\}", re.DOTALL)


class _Metadata(BaseModel):
    """The metadata block, as written (unknown keys are errors, so typos are caught)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    audience: str
    recipients: str
    sender: str = "transferor"
    legal_basis: str
    subject: str
    summary: str = ""
    fields: list[str] = []
    regimes: list[str] = ["TUPE", "COSOP"]
    supersedes: list[str] = []
    edition_by: str | None = None
    attach_pdf: bool = True
    stage: str | None = None
    applies_if: str | None = None

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str | None) -> str | None:
        if value not in (None, "proposed", "transferred"):
            raise ValueError("must be proposed or transferred")
        return value

    @field_validator("applies_if")
    @classmethod
    def _transfer_field(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"transfer\.[a-z_]+", value):
            raise ValueError("must name a field of the transfer, e.g. transfer.proposed_dismissals")
        return value

    @field_validator("recipients")
    @classmethod
    def _known_recipients(cls, value: str) -> str:
        if value not in RECIPIENTS:
            raise ValueError(f"must be one of {', '.join(RECIPIENTS)}")
        return value

    @field_validator("sender")
    @classmethod
    def _known_sender(cls, value: str) -> str:
        if value not in ("transferor", "transferee", "each", "engine"):
            raise ValueError("must be transferor, transferee, each (each employer to its own "
                             "representatives, reg 13(2)) or engine")
        return value


@dataclass(frozen=True)
class LetterSpec:
    """One letter: its name, metadata and the version of its sources."""

    name: str
    title: str
    audience: str
    recipients: str
    sender: str
    legal_basis: str
    subject: str
    summary: str
    fields: tuple[str, ...]
    regimes: tuple[str, ...]
    supersedes: tuple[str, ...]
    edition_by: str | None
    attach_pdf: bool
    bundle: TemplateBundle
    stage: str | None = None   # proposed / transferred: when the letter may be dated
    # A transfer field that must be recorded for the letter to go to anyone (the HR1 and
    # s.188 letters: transfer.proposed_dismissals, only where redundancies are proposed).
    applies_if: str | None = None

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def issuable(self) -> bool:
        """Issued through ``letters issue``; the scheduler's emails are not."""
        return self.recipients != "hr"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "audience": self.audience,
                "recipients": self.recipients, "sender": self.sender,
                "legal_basis": self.legal_basis, "summary": self.summary,
                "fields": list(self.fields), "regimes": list(self.regimes),
                "supersedes": list(self.supersedes), "version": self.version}


@dataclass(frozen=True)
class TemplateBundle:
    """Every source file a letter is compiled from, by template file name."""

    letter: str
    sources: tuple[tuple[str, str], ...]

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for name, text in self.sources:
            for part in (name, text):
                encoded = part.encode("utf-8")
                digest.update(len(encoded).to_bytes(8, "big"))
                digest.update(encoded)
        return digest.hexdigest()

    def as_dict(self) -> dict[str, str]:
        return dict(self.sources)

    def templates(self) -> LetterTemplates:
        """An environment that can render this letter from these sources and nothing else."""
        return LetterTemplates(Path(f"<stored version {self.version[:12]}>"),
                               loader=jinja2.DictLoader(self.as_dict()))


def front_matter(letter: str, source: str) -> dict[str, Any]:
    """The metadata block at the top of a template, parsed but not yet validated."""
    found = _FRONT_MATTER.match(source)
    if found is None:
        raise LetterFormatError(letter, "the template must start with its metadata: a comment "
                                "'{#- ---' ... '--- -#}' holding title, audience, recipients, "
                                "legal_basis and subject (see transfer_engine/letters/"
                                "catalogue.py)")
    try:
        data = yaml.safe_load(found.group(1))
    except yaml.YAMLError as exc:
        raise LetterFormatError(letter, f"its metadata is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LetterFormatError(letter, "its metadata must be a mapping of keys to values")
    return data


def _spec(letter: str, bundle: TemplateBundle, environment: jinja2.Environment) -> LetterSpec:
    main = bundle.as_dict()[letter + SUFFIX]
    try:
        meta = _Metadata.model_validate(front_matter(letter, main))
    except pydantic.ValidationError as exc:
        problems = "; ".join(str(p) for p in field_problems(
            exc, unknown="unknown key", whole="metadata"))
        raise LetterFormatError(letter, f"its metadata is invalid: {problems}") from None
    roots = _ROOTS_COMMON | _ROOTS[meta.recipients]
    wrong = [f for f in meta.fields if f.split(".")[0] not in roots]
    if wrong:
        raise LetterFormatError(letter, f"fields {', '.join(wrong)}: a letter to "
                                f"{meta.recipients} can use {', '.join(sorted(roots))}")
    try:
        environment.parse(f"{{% autoescape false %}}{meta.subject}{{% endautoescape %}}")
    except jinja2.TemplateSyntaxError as exc:
        raise LetterFormatError(letter, f"its subject is not a valid template: {exc.message}"
                                ) from None
    return LetterSpec(
        name=letter, title=meta.title, audience=meta.audience, recipients=meta.recipients,
        sender=meta.sender, legal_basis=meta.legal_basis, subject=meta.subject,
        summary=" ".join(meta.summary.split()), fields=tuple(meta.fields),
        regimes=tuple(meta.regimes), supersedes=tuple(meta.supersedes),
        edition_by=meta.edition_by, attach_pdf=meta.attach_pdf, bundle=bundle,
        stage=meta.stage, applies_if=meta.applies_if)


def spec_from_bundle(bundle: TemplateBundle) -> LetterSpec:
    """The letter described by stored sources (to render an issued letter again)."""
    return _spec(bundle.letter, bundle, jinja2.Environment(autoescape=True))


class Catalogue:
    """Every letter in the templates folder, with one organisation's overrides applied.

    Loading validates every letter and reports every problem at once, each naming its letter.
    """

    def __init__(self, directory: Path, overrides: tuple[Path, ...] = ()) -> None:
        self.directory = directory
        self.overrides = overrides
        self._loader = jinja2.FileSystemLoader([*overrides, directory])
        # Only for parsing: finding what a template includes, checking subjects.
        self._parser = jinja2.Environment(autoescape=True)
        self.letters: dict[str, LetterSpec] = {}
        self._templates: dict[str, LetterTemplates] = {}
        names = sorted(p.name[: -len(SUFFIX)] for p in directory.glob(f"*{SUFFIX}")
                       if not p.name.startswith("_"))
        problems: list[LetterFormatError] = []
        for name in names:
            try:
                bundle = self._bundle(name)
                self.letters[name] = _spec(name, bundle, self._parser)
            except LetterFormatError as exc:
                problems.append(exc)
        if problems:
            if len(problems) == 1:
                raise problems[0]
            raise LetterFormatError(
                f"{len(problems)} letters", "\n" + "\n".join(f"  - {p}" for p in problems))

    def _source(self, letter: str, name: str) -> str:
        try:
            source, _, _ = self._loader.get_source(self._parser, name)
        except jinja2.TemplateNotFound:
            raise LetterFormatError(letter, f"includes {name!r}, which is not in "
                                    f"{self.directory}") from None
        return source

    def _bundle(self, letter: str) -> TemplateBundle:
        sources: dict[str, str] = {}
        pending = [letter + SUFFIX]
        while pending:
            name = pending.pop()
            if name in sources:
                continue
            source = sources[name] = self._source(letter, name)
            try:
                tree = self._parser.parse(source, name=name)
            except jinja2.TemplateSyntaxError as exc:
                where = "the template" if name == letter + SUFFIX else name
                raise LetterFormatError(letter, f"syntax error on line {exc.lineno} of {where}: "
                                        f"{exc.message}") from None
            for included in jinja2.meta.find_referenced_templates(tree):
                if included is None:
                    raise LetterFormatError(letter, f"{name} includes a template whose name is "
                                            "worked out while rendering; name it literally so "
                                            "that its source can be kept with each letter")
                pending.append(included)
        return TemplateBundle(letter, tuple(sorted(sources.items())))

    def get(self, letter: str) -> LetterSpec:
        spec = self.letters.get(letter)
        if spec is None:
            raise LetterFormatError(letter, f"there is no such letter; letters: "
                                    f"{', '.join(self.letters) or 'none'}")
        return spec

    def templates(self, letter: str) -> LetterTemplates:
        """The environment that renders ``letter`` from exactly the sources in its version."""
        spec = self.get(letter)
        if letter not in self._templates:
            self._templates[letter] = spec.bundle.templates()
        return self._templates[letter]


@lru_cache(maxsize=32)
def _load(directory: Path, overrides: tuple[Path, ...], _stamp: tuple[float, ...]) -> Catalogue:
    return Catalogue(directory, overrides)


def _stamp(folders: tuple[Path, ...]) -> tuple[float, ...]:
    """When the folders' templates last changed: an edit by HR is picked up without a restart."""
    stamps: list[float] = []
    for folder in folders:
        if folder.is_dir():
            stamps.extend(p.stat().st_mtime for p in folder.glob(f"*{SUFFIX}"))
            stamps.append(folder.stat().st_mtime)
    return tuple(stamps)


# Looking at the files costs a directory listing; a sweep asks for the catalogue once per
# reminder, so the answer is reused for a second before the files are looked at again.
_RECHECK_SECONDS = 1.0
_stamps: dict[tuple[Path, ...], tuple[float, tuple[float, ...]]] = {}


def _current_stamp(folders: tuple[Path, ...]) -> tuple[float, ...]:
    now = time.monotonic()
    cached = _stamps.get(folders)
    if cached is not None and now - cached[0] < _RECHECK_SECONDS:
        return cached[1]
    stamp = _stamp(folders)
    _stamps[folders] = (now, stamp)
    return stamp


def forget() -> None:
    """Read the templates again on next use (after changing them within the same second)."""
    _stamps.clear()
    _load.cache_clear()


def catalogue(organisation: str | None = None, *, directory: Path | None = None,
              overrides_dir: Path | None = None, settings: Settings | None = None) -> Catalogue:
    """The letters as ``organisation`` (a slug) sends them: its overrides, then the defaults.

    Defaults come from ``settings`` (by default the environment's: ``TRANSFER_ENGINE_TEMPLATES``,
    ``TRANSFER_ENGINE_LETTER_OVERRIDES``). Loaded once, and again when a file changes.
    """
    settings = settings or get_settings()
    directory = (directory or settings.templates_dir).resolve()
    overrides_dir = overrides_dir or settings.letter_overrides_dir
    overrides: list[Path] = []
    if overrides_dir is not None:
        if organisation and (overrides_dir / organisation).is_dir():
            overrides.append((overrides_dir / organisation).resolve())
        if overrides_dir.is_dir():
            overrides.append(overrides_dir.resolve())
    folders = (*overrides, directory)
    if not directory.is_dir():
        raise LetterFormatError("(all)", f"the letter templates folder {directory} does not "
                                "exist; check TRANSFER_ENGINE_TEMPLATES")
    return _load(directory, tuple(overrides), _current_stamp(folders))
