"""The console's routes, served by `status` (already the public, read-only function):
the page, never cached, and its content-hashed assets, cached for a year. No token:
the page is static; what it shows comes from the native API, called with the token the
user pastes. The handlers are named, see routing.py: this list imports none of them.
"""

from __future__ import annotations

from workflows_api.http.routing import STATUS, Route

_ASSETS = "workflows_api.http.console.assets"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/console/",
        STATUS,
        f"{_ASSETS}:index",
        "The web console (HTML; signs in with a pasted API token)",
        errors=(),
        auth="none",
        tag="console",
        text_answers=("text/html",),
    ),
    Route(
        "GET",
        "/console/assets/<asset>",
        STATUS,
        f"{_ASSETS}:asset",
        "A file of the web console, named by its content hash (cached for a year)",
        errors=(404,),
        auth="none",
        tag="console",
        text_answers=("text/javascript", "text/css", "text/plain"),
    ),
)
