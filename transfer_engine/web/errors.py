"""What a page or API call can fail with, beyond the engine's own errors.

The app turns each into a response (see ``app._install_handlers``): a signed-out browser is sent
to the sign-in page, an API client gets 401; refusals are 403; something not there, or not
yours to see, is 404 with the same words either way, so that trying ids reveals nothing.
"""

from __future__ import annotations


class NotSignedIn(Exception):
    """No valid session (or API token) came with the request."""


class Forbidden(Exception):
    """Signed in, but this role may not do this. The attempt has been audited."""


class PageNotFound(Exception):
    """No such thing, or one this person may not see (indistinguishable on purpose)."""
