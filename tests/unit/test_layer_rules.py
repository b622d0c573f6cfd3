"""The layer rules hold by a check in the repo (`make lint` runs import-linter with the
contracts in pyproject.toml); these tests keep that check meaningful."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 350


def test_the_import_graph_holds_imports_made_inside_functions() -> None:
    # Cold start keeps heavy imports inside functions: the graph the contracts are
    # checked on must see them, or an upward import there would pass unnoticed.
    graph = grimp.build_graph("workflows_api")
    source = (ROOT / "functions/workflows_api/service/parameter_values.py").read_text()
    assert "    from workflows_api.domain.workflow.parameters import" in source
    assert graph.direct_import_exists(
        importer="workflows_api.service.parameter_values",
        imported="workflows_api.domain.workflow.parameters",
    )


def test_every_layer_has_a_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    sources = {
        module
        for contract in config["contracts"]
        if contract["type"] == "forbidden"
        for module in contract["source_modules"]
    }
    layers = {
        f"workflows_api.{path.name}"
        for path in (ROOT / "functions/workflows_api").iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    assert layers <= sources, f"layers without a contract: {sorted(layers - sources)}"


def test_no_source_file_is_longer_than_a_reader_can_hold() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "functions").rglob("*.py")
        if (lines := path.read_text().count("\n")) > MAX_LINES
    }
    assert long == {}
