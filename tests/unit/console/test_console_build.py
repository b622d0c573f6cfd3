"""The console's committed build is what its sources make, and stays within its budget.

`npm ci && npm run build` in console/ writes functions/workflows_api/console_assets/;
the built files are committed so a fresh clone and a deployment need no Node. The
rebuild check needs npm and the npm registry: it is skipped where npm is missing,
except under CI=true, where it fails (CI has both).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONSOLE = ROOT / "console"
BUILT = ROOT / "functions" / "workflows_api" / "console_assets"
SOURCES = ("package.json", "package-lock.json", "build.mjs", "tsconfig.json", "src", "test")
# The bound: the first load's JavaScript outside the map library, compressed.
FIRST_LOAD_BUDGET = 300 * 1024


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("npm is missing: CI must rebuild the console (install Node 20 and npm)")
        pytest.skip("npm is not installed: the console's rebuild is checked where it is (CI)")
    return found


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean copy of the sources, installed from the lockfile and built."""
    npm_path = npm()
    work = tmp_path_factory.mktemp("console")
    for name in SOURCES:
        source = CONSOLE / name
        if source.is_dir():
            shutil.copytree(source, work / name)
        else:
            shutil.copy2(source, work / name)
    run = {"cwd": work, "check": True, "capture_output": True, "text": True, "timeout": 600}
    subprocess.run([npm_path, "ci", "--no-audit", "--no-fund"], **run)  # type: ignore[call-overload]
    subprocess.run([npm_path, "run", "check"], **run)  # type: ignore[call-overload]
    subprocess.run([npm_path, "test"], **run)  # type: ignore[call-overload]
    out = work / "out"
    subprocess.run(["node", "build.mjs", "--outdir", str(out)], **run)  # type: ignore[call-overload]
    return out


def test_the_committed_build_is_reproduced_from_the_lockfile(rebuilt: Path) -> None:
    committed, fresh = files(BUILT), files(rebuilt)
    assert sorted(committed) == sorted(fresh), (
        "functions/workflows_api/console_assets is stale: cd console && npm ci && npm run build"
    )
    stale = [name for name in committed if committed[name] != fresh[name]]
    assert not stale, f"rebuilt differently: {stale} (cd console && npm ci && npm run build)"


def first_load_scripts() -> list[Path]:
    """index.html's module and every chunk it imports statically (not the map's)."""
    page = (BUILT / "index.html").read_text()
    pending = re.findall(r'src="/console/assets/([^"]+\.js)"', page)
    seen: list[Path] = []
    while pending:
        path = BUILT / "assets" / pending.pop()
        if path in seen:
            continue
        seen.append(path)
        text = path.read_text()
        # Static imports only: `import(...)` (the map) loads on a results page.
        pending += re.findall(r'(?:^|[;}\s])import\s*[^(;]*?from\s*"\./([^"]+)"', text)
        pending += re.findall(r'(?:^|[;}\s])import\s*"\./([^"]+)"', text)
    return seen


def test_the_first_load_is_small() -> None:
    scripts = first_load_scripts()
    assert scripts and all(not p.name.startswith("map-") for p in scripts)
    compressed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts)
    assert compressed < FIRST_LOAD_BUDGET, compressed


def test_the_map_is_a_real_map_library_loaded_on_demand() -> None:
    names = [p.name for p in (BUILT / "assets").iterdir()]
    (map_chunk,) = [n for n in names if n.startswith("map-") and n.endswith(".js")]
    assert "maplibre" in (BUILT / "assets" / f"{map_chunk}.LEGAL.txt").read_text().lower()
    assert any(n.startswith("maplibre-gl-worker-") for n in names)
    main = next(p for p in (BUILT / "assets").glob("main-*.js"))
    assert f'import("./{map_chunk}")' in main.read_text()
