"""What a POST leaves for the page it redirects to (post/redirect/get).

Every form answers with a redirect, so that refreshing the next page never sends the form
again. What that page must show is kept with the browser's session (``WebSession.flash``) until
it is shown once:

* a one-off message: a success, or bad news as a warning that says what to do (never a green
  "Success" banner for something that went wrong), optionally with a list (which deadlines
  moved, from and to);
* a refused form: the values typed and the error of each field, so that the form comes back
  filled in, with the GOV.UK error summary, exactly as if the POST had answered it.

The column holds a JSON object; an older plain-text message (from before this format) is read
as a success message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["success", "warning"]

# Kept with the session, so bounded: a refused staff list may list thousands of problems, of
# which the page shows the first ones and says how many more there are.
MAX_ITEMS = 200


@dataclass(frozen=True)
class Flash:
    """A one-off message for the next page; renders as its text in ``{{ flash }}``."""

    message: str
    kind: Kind = "success"
    items: tuple[str, ...] = ()
    more: int = 0   # items left off the list (beyond MAX_ITEMS)

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return bool(self.message)

    @property
    def title(self) -> str:
        return "Success" if self.kind == "success" else "Important"


@dataclass(frozen=True)
class KeptForm:
    """A refused form, as it was sent: shown again by the page the POST redirected to."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Envelope:
    flash: Flash | None = None
    form: KeptForm | None = None

    def encode(self) -> str | None:
        if self.flash is None and self.form is None:
            return None
        data: dict[str, Any] = {"v": 1}
        if self.flash is not None:
            items = list(self.flash.items)
            data["flash"] = {"message": self.flash.message, "kind": self.flash.kind,
                             "items": items[:MAX_ITEMS],
                             "more": self.flash.more + max(0, len(items) - MAX_ITEMS)}
        if self.form is not None:
            data["form"] = {"key": self.form.key, "values": self.form.values,
                            "errors": self.form.errors, "extra": self.form.extra}
        return json.dumps(data, default=str, separators=(",", ":"))


def decode(raw: str | None) -> Envelope:
    """What a session holds for its next page; an old plain message is a success."""
    if not raw:
        return Envelope()
    try:
        data = json.loads(raw) if raw.startswith("{") else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("v") != 1:
        return Envelope(flash=Flash(raw))
    message, form = data.get("flash"), data.get("form")
    return Envelope(
        flash=Flash(str(message.get("message", "")),
                    "warning" if message.get("kind") == "warning" else "success",
                    tuple(str(i) for i in message.get("items") or ()),
                    int(message.get("more") or 0)) if isinstance(message, dict) else None,
        form=KeptForm(str(form.get("key", "")), dict(form.get("values") or {}),
                      {str(k): str(v) for k, v in (form.get("errors") or {}).items()},
                      dict(form.get("extra") or {})) if isinstance(form, dict) else None)
