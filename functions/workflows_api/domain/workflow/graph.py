"""The workflow's nodes as a graph: ids, inputs and their counts, one output, no cycles,
and the topological order the compiler builds the nodes in."""

from __future__ import annotations

import heapq
import re

from ..errors import Issue, WorkflowInvalid
from .model import Node, Workflow
from .nodes import registry
from .nodes.output import OUTPUT_NODE_TYPE
from .sql_render import IDENTIFIER_PATTERN

NODE_ID_PATTERN = IDENTIFIER_PATTERN.pattern.replace("{0,299}", "{0,62}")


def topological_order(workflow: Workflow) -> list[Node]:
    """Nodes with every input before its consumers; ties keep declared order.

    Raises WorkflowInvalid on a cycle or unknown input (use on validated workflows).
    """
    order, stuck = _kahn(workflow)
    if stuck:
        raise WorkflowInvalid(graph_issues(workflow))
    return order


def _kahn(workflow: Workflow) -> tuple[list[Node], list[Node]]:
    index = {node.id: i for i, node in enumerate(workflow.nodes)}
    pending = [0] * len(workflow.nodes)
    consumers: list[list[int]] = [[] for _ in workflow.nodes]
    for i, node in enumerate(workflow.nodes):
        for source in node.inputs:
            if source in index:
                pending[i] += 1
                consumers[index[source]].append(i)
    ready = [i for i, count in enumerate(pending) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(workflow.nodes[i])
        for consumer in consumers[i]:
            pending[consumer] -= 1
            if pending[consumer] == 0:
                heapq.heappush(ready, consumer)
    done = {node.id for node in order}
    return order, [node for node in workflow.nodes if node.id not in done]


def graph_issues(workflow: Workflow) -> list[Issue]:
    """Node ids, inputs and their counts, the one output node, cycles."""
    issues = []
    seen: set[str] = set()
    ids = {node.id for node in workflow.nodes}
    for node in workflow.nodes:
        if node.id in seen:
            issues.append(
                Issue("duplicate_node_id", f"node id {node.id} is used twice", node.id, "id")
            )
        seen.add(node.id)
        issues += _id_and_input_issues(node, ids)
    issues += _output_issues(workflow)
    _, stuck = _kahn(workflow)
    if stuck:
        cycle = _find_cycle(workflow, {node.id for node in stuck})
        issues.append(
            Issue("cycle", f"nodes form a cycle: {' -> '.join(cycle)}", cycle[0], "inputs")
        )
    return issues


def _id_and_input_issues(node: Node, ids: set[str]) -> list[Issue]:
    issues = []
    if re.fullmatch(NODE_ID_PATTERN, node.id) is None:
        issues.append(
            Issue(
                "invalid_identifier",
                "node id must start with a letter or _ and hold only letters, digits and _ "
                "(at most 63)",
                node.id,
                "id",
            )
        )
    for position, source in enumerate(node.inputs):
        if source not in ids:
            issues.append(
                Issue(
                    "unknown_input", f"input {source} is not a node", node.id, f"inputs.{position}"
                )
            )
    low, high = registry.node_type(node.type).inputs
    count = len(node.inputs)
    if count < low:
        code = "missing_input" if count == 0 else "wrong_input_count"
        message = f"{node.type} needs {_count_words(low, high)}, got {count}"
        issues.append(Issue(code, message, node.id, "inputs"))
    elif high is not None and count > high:
        message = f"{node.type} takes {_count_words(low, high)}, got {count}"
        issues.append(Issue("wrong_input_count", message, node.id, "inputs"))
    return issues


def _count_words(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} inputs"
    if low == high:
        return f"exactly {low} input{'s' if low != 1 else ''}"
    return f"{low} to {high} inputs"


def _output_issues(workflow: Workflow) -> list[Issue]:
    outputs = [node for node in workflow.nodes if node.type == OUTPUT_NODE_TYPE]
    if not outputs:
        return [Issue("missing_output", "a workflow needs exactly one output node", field="nodes")]
    return [
        Issue("multiple_outputs", "a workflow has exactly one output node", extra.id, "type")
        for extra in outputs[1:]
    ]


def _find_cycle(workflow: Workflow, stuck: set[str]) -> list[str]:
    inputs: dict[str, list[str]] = {}
    for node in workflow.nodes:  # duplicate ids (reported apart) pool their inputs
        if node.id in stuck:
            inputs.setdefault(node.id, []).extend(s for s in node.inputs if s in stuck)
    # Every stuck node leads back into a cycle: walk inputs until a node repeats.
    start = next(node.id for node in workflow.nodes if node.id in stuck)
    path: list[str] = []
    position: dict[str, int] = {}
    current = start
    while current not in position:
        position[current] = len(path)
        path.append(current)
        if not inputs[current]:  # its input is a duplicate id (reported apart): no cycle
            return path
        current = inputs[current][0]
    cycle = path[position[current] :]
    return [*cycle, cycle[0]]
