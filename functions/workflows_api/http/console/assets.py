"""Serving the console's built files: `index.html` (revalidated on every load, so a new
deployment shows at once) and `assets/*` (named by content hash: immutable, cached for a
year), gzip-compressed for clients that accept it, each with the console's security
headers. Only the files of the build are served; nothing here reads a path from the
request. No pydantic and no backend: a cold `status` instance stays small.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Request, Response

from workflows_api.bootstrap import App
from workflows_api.http.errors import ApiError

ASSETS = Path(__file__).resolve().parents[2] / "console_assets"

# No inline script or style, no eval, calls to this origin only; MapLibre's worker from
# this origin; Trusted Types so no string can become HTML or a script URL (the map's
# policy allows its own worker's URL only); never framed; forms never submit.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types maplibre",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def _load(path: Path) -> StaticFile:
    body = path.read_bytes()
    return StaticFile(
        body=body,
        # mtime=0: the same bytes on every instance.
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        content_type=_TYPES[path.suffix],
        etag=hashlib.sha256(body).hexdigest()[:32],
    )


def _asset_files() -> dict[str, Path]:
    """The built assets by name: the only files `asset` serves."""
    folder = ASSETS / "assets"
    return _listing(folder, folder.stat().st_mtime_ns) if folder.is_dir() else {}


# Keyed by modification time: a rebuild shows without restarting `make run`.
@cache
def _listing(folder: Path, mtime_ns: int) -> dict[str, Path]:
    return {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in _TYPES}


def _file(path: Path) -> StaticFile:
    return _loaded(path, path.stat().st_mtime_ns)


@cache
def _loaded(path: Path, mtime_ns: int) -> StaticFile:
    return _load(path)


def _serve(request: Request, found: StaticFile, cache_control: str) -> Response:
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    response = Response(found.gzipped if gzipped else found.body, 200)
    response.headers["Content-Type"] = found.content_type
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = "Accept-Encoding"
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.headers.update(SECURITY_HEADERS)
    response.set_etag(found.etag)
    return response


def index(app: App, request: Request) -> Response:
    """GET /console/: the page (it names the current assets, so it is always revalidated)."""
    page = ASSETS / "index.html"
    if not page.is_file():
        raise ApiError(404, "console_not_built", "The console is not built: run make console.")
    return _serve(request, _file(page), REVALIDATE)


def asset(app: App, request: Request, asset: str) -> Response:
    """GET /console/assets/<asset>: a built file; its name changes with its content."""
    path = _asset_files().get(asset)
    if path is None:
        raise ApiError(404, "asset_not_found", "No such console file.", "asset")
    return _serve(request, _file(path), IMMUTABLE)
