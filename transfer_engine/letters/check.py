"""Finding every field a letter needs that its data lacks, before anything is sent.

The strict environment stops at the first missing field, which is right for issuing a letter
and useless for a checklist: HR wants every gap for every recipient at once. So the check renders
each template a second way, with an "undefined" that records where it was used (``employee.
address``) and carries on. What it records is exactly what the strict render would stop on,
including fields used only in a branch (``{% if transfer.transferee_measures %}`` on a missing
value is a gap, not "no measures"), and nothing that the template tests with ``is defined``
(an optional field).

A template that reaches for Python internals is still refused here: the sandbox's refusal is
re-raised, not recorded as a gap.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
import jinja2.sandbox

from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.templates import SUFFIX, LetterSandbox, field_path

__all__ = ["FieldChecker", "missing_fields"]


#: The fields found missing by the render in progress. A context variable rather than a set
#: held by the undefined class, so that one compiled template serves every check, in any thread.
_found: contextvars.ContextVar[set[str]] = contextvars.ContextVar("letter_fields_missing")


class _Recorder(jinja2.ChainableUndefined):
    """Records each use of a missing value and behaves as an empty one."""

    __slots__ = ()

    def _record(self) -> None:
        if self._undefined_exception is jinja2.sandbox.SecurityError:
            raise jinja2.sandbox.SecurityError(self._undefined_message)
        path = field_path(self._undefined_obj, self._undefined_name)
        _found.get().add(path or self._undefined_message)

    def __str__(self) -> str:
        self._record()
        return ""

    def __html__(self) -> str:
        self._record()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._record()
        return iter(())

    def __bool__(self) -> bool:
        self._record()
        return False

    def __len__(self) -> int:
        self._record()
        return 0

    # Jinja types Undefined.__call__ as never returning (it raises); this one records and goes on.
    def __call__(self, *args: Any, **kwargs: Any) -> _Recorder:  # type: ignore[override]
        self._record()
        return self

    def __format__(self, spec: str) -> str:
        self._record()
        return ""


def passing_undefined(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that hands a missing value on, to be recorded or marked where it is printed."""

    @functools.wraps(function)
    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            return value
        return function(value, *args, **kwargs)

    return wrapper


class FieldChecker:
    """Finds the missing fields of one letter for any number of recipients."""

    def __init__(self, spec: LetterSpec) -> None:
        self.spec = spec
        self._template, self._subject = self._guard(lambda: _compiled(spec))

    def _guard(self, work: Callable[[], Any]) -> Any:

        try:
            return work()
        except jinja2.sandbox.SecurityError as error:
            raise LetterFormatError(self.spec.name, f"the template tried to reach something "
                                    f"letters may not use ({error}); templates can only print "
                                    "the letter's data") from None
        except jinja2.TemplateSyntaxError as error:
            raise LetterFormatError(self.spec.name, f"syntax error on line {error.lineno} of "
                                    f"{error.name or 'the template'}: {error.message}") from None
        except jinja2.TemplateError as error:
            raise LetterFormatError(self.spec.name, f"the template failed: {error}") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as error:
            raise LetterFormatError(self.spec.name, f"the template failed: "
                                    f"{type(error).__name__}: {error}") from None

    def missing(self, context: Mapping[str, Any]) -> list[str]:
        """The fields the template uses that ``context`` lacks, sorted (empty: none).

        Raises :class:`~transfer_engine.letters.errors.LetterFormatError` only for faults of
        the template itself, such as the sandbox refusing it.
        """
        token = _found.set(set())
        try:
            self._guard(lambda: self._template.render(context))
            self._guard(lambda: self._subject.render(context))
            found = _found.get()
        finally:
            _found.reset(token)
        declared = {f for f in self.spec.fields if not _present(context, f)}
        return sorted(found | declared)


@functools.lru_cache(maxsize=64)
def _compiled(spec: LetterSpec) -> tuple[jinja2.Template, jinja2.Template]:
    """The letter and its subject compiled for checking, once per version of the letter.

    Compiling costs a hundred times a render; a state entered by thousands of transfers checks
    the same few letters each time.
    """

    strict = spec.bundle.templates().environment
    environment = LetterSandbox(
        loader=jinja2.DictLoader(spec.bundle.as_dict()), autoescape=True, undefined=_Recorder,
        trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    for name, function in strict.filters.items():
        if name not in environment.filters or name in ("long_date", "money", "lines"):
            environment.filters[name] = passing_undefined(function)
    return (environment.get_template(spec.name + SUFFIX),
            environment.from_string(f"{{% autoescape false %}}{spec.subject}{{% endautoescape %}}"))


def missing_fields(spec: LetterSpec, context: Mapping[str, Any]) -> list[str]:
    """The fields ``spec``'s template uses that ``context`` lacks (see :class:`FieldChecker`)."""
    return FieldChecker(spec).missing(context)


def _present(context: Mapping[str, Any], path: str) -> bool:
    """Whether a declared field (``transfer.reasons``) has a value in the context."""
    head, *rest = path.split(".")
    if head not in context:
        return False
    value: Any = context[head]
    for part in rest:
        if not hasattr(value, part):
            return False
        value = getattr(value, part)
    return True
