"""Small workflow definitions for unit tests."""

from __future__ import annotations

from typing import Any


def definition(
    nodes: list[dict[str, Any]], parameters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"parameters": parameters or [], "nodes": nodes}


def read(node_id: str = "src", table: str = "retail.stores") -> dict[str, Any]:
    return {"id": node_id, "type": "read_table", "settings": {"table": table}}


def output(source: str) -> dict[str, Any]:
    return {"id": "out", "type": "output", "inputs": [source]}


def single(node: dict[str, Any], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """read -> node -> output, the node reading `src`."""
    return definition([read(), {"inputs": ["src"], **node}, output(node["id"])], parameters)
