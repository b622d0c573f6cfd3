"""Driving the console in headless Chromium (devstack/browser.py): a signed-in page that
records what must never happen (a CSP violation, a script error, the token in a URL),
axe-core checks and screenshots of each page under the test run's output directory."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.browser import ARGS, REPO_ROOT, axe_source, chromium_path
from devstack.prerequisites import StackError

# Where the screenshots go: kept after the run (.local/ is not committed).
OUTPUT = Path(os.environ.get("WFAPI_TEST_OUTPUT", REPO_ROOT / ".local" / "test-output"))
# WFAPI_UPDATE_SCREENSHOTS=1 also writes the README's images (docs/images/).
README_IMAGES = REPO_ROOT / "docs" / "images"
SERIOUS = ("serious", "critical")


@dataclass
class Console:
    """A page of the console on the local stack, and what it saw."""

    page: Page
    base_url: str
    token: str
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base_url}/console/{route}")

    def sign_in(self, token: str | None = None) -> None:
        self.open()
        self.page.get_by_label("API token").fill(token or self.token)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("navigation", name="Sections").wait_for()

    def go(self, hash_route: str) -> None:
        """Navigate inside the console, as a link would."""
        self.page.evaluate("route => { location.hash = route }", hash_route)

    def check(self, name: str, *, readme: str | None = None) -> None:
        """Screenshot the page, then run axe-core: no serious or critical violation."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=OUTPUT / f"console-{name}.png", full_page=True)
        if readme and os.environ.get("WFAPI_UPDATE_SCREENSHOTS") == "1":
            README_IMAGES.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=README_IMAGES / readme)
        violations = axe_violations(self.page)
        assert not violations, f"{name}: {violations}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now. Evaluated
    through the DevTools protocol: the console's CSP admits no injected script tag."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in SERIOUS]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        executable = chromium_path()
        axe_source()
    except StackError as missing:
        pytest.fail(str(missing))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        yield launched
        launched.close()


def open_console(browser: Browser, base_url: str, token: str) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = Console(page, base_url, token)

    def on_console(message: Any) -> None:
        text = message.text
        flagged = message.type == "error" or re.search(r"Content.Security.Policy|Trusted", text)
        # A 4xx the console asked for and showed is not a problem of the page.
        if flagged and "Failed to load resource" not in text:
            console.problems.append(f"{message.type}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.problems.append(f"page error: {error}"))
    page.on("request", lambda request: console.urls.append(request.url))
    yield console
    context.close()
    assert not console.problems, console.problems
    leaked = [url for url in console.urls if token in url]
    assert not leaked, f"the token appeared in a URL: {leaked}"
