"""The browser the console's tests and `make bench` drive: Debian's `chromium` through
Playwright for Python (Playwright's own browser download is not reachable everywhere
this runs), headless, with WebGL on SwiftShader so the map draws without a GPU."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from devstack.prerequisites import StackError

REPO_ROOT = Path(__file__).resolve().parents[1]
AXE = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Quiet and reproducible: nothing fetched in the background, a fresh profile each launch
# (Playwright gives one), software WebGL.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def chromium_path() -> str:
    """The Chromium to launch (WFAPI_CHROMIUM overrides); says what to install if none."""
    chosen = os.environ.get("WFAPI_CHROMIUM")
    if chosen:
        return chosen
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise StackError(
        "Chromium is not installed; the console's browser tests need it. Debian/Ubuntu: "
        "`apt-get update && apt-get install -y chromium` (as root; .ci/run does this), or "
        "set WFAPI_CHROMIUM to a Chromium or Chrome binary."
    )


def axe_source() -> str:
    """axe-core, from the console's npm dev dependencies."""
    if not AXE.is_file():
        raise StackError(
            "axe-core is missing: install the console's npm packages with "
            "`cd console && npm ci` (Node 20 and npm; `make test` does it when npm is present)."
        )
    return AXE.read_text(encoding="utf-8")
