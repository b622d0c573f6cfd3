"""The console's results page in headless Chromium: from opening it (a click on
"Results and map" on the execution's page, as a user does) to its 100 rows in the table
and their map drawn, as the page itself measures it (`main[data-render-ms]`, with its
milestones in `window.__consoleTimings`). The first open loads the map's code, workers
and WebGL context; later opens reuse them."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

RUNS = 7


@dataclass(frozen=True)
class ConsoleRender:
    first_ms: float
    later_ms: list[float]
    rows_ms: list[float]  # open -> rows received (the results API, over HTTP)
    map_ms: list[float]  # rows received -> map drawn
    features: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.later_ms)


def measure(base_url: str, token: str, execution_id: str) -> ConsoleRender:
    from playwright.sync_api import sync_playwright

    from devstack.browser import ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{base_url}/console/")
        page.get_by_label("API token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("navigation", name="Sections").wait_for()
        totals: list[float] = []
        rows: list[float] = []
        drawn: list[float] = []
        features = 0
        for _ in range(RUNS + 1):
            page.evaluate("id => { location.hash = '#/executions/' + id }", execution_id)
            page.get_by_role("link", name="Results and map").wait_for()
            time.sleep(1)  # a person reads the execution's page first
            page.get_by_role("link", name="Results and map").click()
            page.locator("main[data-render-ms]").wait_for(timeout=60_000)
            totals.append(float(page.locator("main").get_attribute("data-render-ms") or 0))
            marks = dict(page.evaluate("window.__consoleTimings"))
            rows.append(marks["results:rows"] - marks["results:open"])
            drawn.append(marks["results:map-drawn"] - marks["results:rows"])
            features = int(page.locator(".map").get_attribute("data-rendered") or 0)
        browser.close()
    return ConsoleRender(totals[0], totals[1:], rows[1:], drawn[1:], features)


def report(render: ConsoleRender) -> None:
    print(
        f"\nConsole results page (100 rows and their map, {render.features} features drawn;"
        f" headless Chromium, software WebGL)"
    )
    print(f"{'measure':<44}{'ms':>8}")
    print(f"{'first open (loads the map library)':<44}{render.first_ms:>8.0f}")
    print(f"{f'later opens, median of {len(render.later_ms)}':<44}{render.median_ms:>8.0f}")
    print(f"{'  of which rows over HTTP (median)':<44}{statistics.median(render.rows_ms):>8.0f}")
    print(f"{'  of which rows -> map drawn (median)':<44}{statistics.median(render.map_ms):>8.0f}")
    print(f"{'target':<44}{'< 1000':>8}")
