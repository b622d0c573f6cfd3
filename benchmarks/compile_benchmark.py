"""Print how long validating + compiling a workflow takes for 10, 100 and 500 nodes
(500, the most nodes a definition may have; 1,000 is refused).

Run: .venv/bin/python benchmarks/compile_benchmark.py
The time per node should stay roughly flat (compilation is linear in nodes + edges).
"""

from __future__ import annotations

import time
from typing import Any

from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.model import Workflow

_STEPS: list[dict[str, Any]] = [
    {
        "type": "filter",
        "settings": {
            "conditions": [{"column": "kind", "operator": "=", "value": {"param": "kind"}}]
        },
    },
    {
        "type": "select",
        "settings": {"computed": [{"name": "scaled", "expression": "amount * @factor"}]},
    },
    {"type": "buffer", "settings": {"geography_column": "geo", "distance": {"param": "radius"}}},
    {
        "type": "within_distance",
        "settings": {
            "geography_column": "geo",
            "longitude": 0.0,
            "latitude": 0.0,
            "distance": 1000,
        },
    },
    {"type": "custom_sql", "settings": {"sql": "SELECT * FROM $a WHERE amount > @factor"}},
]


def build_workflow(node_count: int) -> Workflow:
    """A chain of mixed nodes, with a side read joined in by a union every 10 nodes."""
    nodes: list[dict[str, Any]] = [
        {"id": "n0", "type": "read_table", "settings": {"table": "retail.places"}}
    ]
    while len(nodes) < node_count - 1:
        index = len(nodes)
        previous = nodes[-1]["id"]
        if index % 10 == 0 and len(nodes) < node_count - 2:
            nodes.append(
                {"id": f"n{index}", "type": "read_table", "settings": {"table": "retail.places"}}
            )
            nodes.append(
                {"id": f"n{index + 1}", "type": "union", "inputs": [previous, f"n{index}"]}
            )
            continue
        step = _STEPS[index % len(_STEPS)]
        nodes.append({"id": f"n{index}", "inputs": [previous], **step})
    nodes.append({"id": "out", "type": "output", "inputs": [nodes[-1]["id"]]})
    return Workflow.model_validate(
        {
            "parameters": [
                {"name": "kind", "type": "STRING"},
                {"name": "factor", "type": "FLOAT64"},
                {"name": "radius", "type": "FLOAT64"},
            ],
            "nodes": nodes,
        }
    )


def main() -> None:
    print(f"{'nodes':>6} {'seconds':>9} {'ms/node':>8} {'SQL bytes':>10}")
    for node_count in (10, 100, 500):
        workflow = build_workflow(node_count)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            compiled = compile_procedure(
                workflow,
                project="bench-project",
                dataset="workflows_temp",
                procedure="wfproc_bench",
            )
            best = min(best, time.perf_counter() - started)
        per_node_ms = 1000 * best / len(workflow.nodes)
        print(f"{len(workflow.nodes):>6} {best:>9.3f} {per_node_ms:>8.2f} {len(compiled.sql):>10}")


if __name__ == "__main__":
    main()
