"""Whether a new password is good enough: long, not a known weak choice, and hard to guess.

Three checks, in the order a person can act on them:

1. at least :data:`MIN_LENGTH` characters (length is what makes a password strong; following
   NCSC advice, no rules about symbols or capitals);
2. not one of the passwords guessing tools try first (:data:`WEAK_LIST`, shipped with the
   package: nothing is fetched at run time), nor one of them with digits or symbols added or
   repeated ("Welcome2024!", "passwordpassword");
3. zxcvbn's estimate of the guesses needed scores at least :data:`MIN_SCORE` out of 4. It knows
   dictionary words, names, keyboard walks, repeats, sequences and dates, and is given the
   username and the person's name so that a password built from them scores low.

The message says what is wrong and how to choose a better password; it never repeats the
password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from zxcvbn import zxcvbn

from transfer_engine.errors import ValidationError

MIN_LENGTH = 12
# 3 is "safely unguessable: moderate protection from an offline slow-hash scenario" (about
# 10^10 guesses); the hashes here are argon2id, so an attacker gets few guesses a second.
MIN_SCORE = 3
WEAK_LIST = Path(__file__).resolve().parent / "data" / "weak-passwords.txt"
# zxcvbn works on the first characters only (its time grows with the length); a password this
# long is strong enough by length alone.
_ZXCVBN_LIMIT = 100
ADVICE = ("Use three or four random words together (not a saying, a song line or a name), "
          "or let a password manager make one")

_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_SEPARATORS = re.compile(r"[\s._-]+")


@lru_cache(maxsize=1)
def weak_passwords() -> frozenset[str]:
    """The shipped list of weak passwords and stems, lower case."""
    lines = WEAK_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines
                     if line.strip() and not line.startswith("#"))


def _is_repeat_of(text: str, words: frozenset[str]) -> bool:
    """``text`` is one listed word said again and again ("passwordpassword", "123123123123")."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            unit = text[:size]
            return unit in words or len(set(unit)) == 1 or len(unit) <= 3
    return False


def is_known_weak(password: str) -> bool:
    """One of the passwords guessing tools try first, perhaps with digits or symbols added."""
    words = weak_passwords()
    plain = _SEPARATORS.sub("", password.casefold())
    stem = _DECORATION.sub("", plain)
    if plain in words or stem in words:
        return True
    return any(_is_repeat_of(text, words) for text in (plain, stem) if text)


def check_password(password: str, *, username: str, names: Iterable[str] = ()) -> None:
    """Refuse a password that is short, known to be weak, or easy to guess, saying why."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"password must be at least {MIN_LENGTH} characters long; "
                              f"{ADVICE[0].lower()}{ADVICE[1:]}")
    if password.casefold().strip() == username.casefold().strip():
        raise ValidationError(f"password must not be the username. {ADVICE}")
    if is_known_weak(password):
        raise ValidationError("that password is one of the first that people trying to break "
                              f"in will guess (a common password, perhaps with numbers or "
                              f"symbols added). {ADVICE}")
    user_inputs = [username, *username.replace("@", " ").replace(".", " ").split(),
                   *(part for name in names for part in name.split())]
    result = zxcvbn(password[:_ZXCVBN_LIMIT], user_inputs=user_inputs)
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "").strip().rstrip(".")
        why = f": {warning[0].lower()}{warning[1:]}" if warning else ""
        raise ValidationError(f"that password would be too easy to guess{why}. {ADVICE}")
