"""Loading and validating workflow definitions; every issue names the node and field.

The shape comes from the model; the graph is checked in `graph`, parameter declarations
in `parameter_declarations`, and each node by its node type's checks (`nodes/`). Given a
connection's read policy, every table a node reads is checked against it as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import Issue, WorkflowInvalid
from ..plain_data import MAX_NESTING, TooDeep, lone_surrogate_path
from . import fragment_budget, fragment_limits
from .graph import graph_issues
from .model import Workflow
from .nodes import registry
from .nodes.checks import NodeChecker
from .parameter_declarations import parameter_issues
from .read_allowlist import ReadPolicy
from .yaml_text import load_yaml

MAX_NODES = 500
MAX_PARAMETERS = 100


def parse_definition_text(text: str | bytes) -> Any:
    """YAML or JSON text (JSON is YAML) to plain data; raises WorkflowInvalid."""
    try:
        return load_yaml(text)
    except TooDeep as error:
        raise WorkflowInvalid([too_deep(str(error))]) from None
    except yaml.YAMLError as error:
        message = f"not valid YAML or JSON: {error}"
        raise WorkflowInvalid([Issue("invalid_yaml", message, field="body")]) from None


def too_deep(reason: str = f"nests deeper than {MAX_NESTING} levels") -> Issue:
    return Issue("body_too_deep", f"the definition {reason}", field="body")


def parse_workflow(source: str | bytes | Mapping[str, Any]) -> Workflow:
    """The definition's shape only (types, required fields); raises WorkflowInvalid."""
    data = parse_definition_text(source) if isinstance(source, str | bytes) else source
    if not isinstance(data, Mapping):
        raise WorkflowInvalid([Issue("invalid_definition", "a workflow must be an object")])
    try:
        where = lone_surrogate_path(data)
    except TooDeep as error:
        raise WorkflowInvalid([too_deep(str(error))]) from None
    if where is not None:
        message = "holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
        raise WorkflowInvalid([Issue("invalid_text", message, field=where)])
    try:
        return Workflow.model_validate(data)
    except ValidationError as error:
        raise WorkflowInvalid(_shape_issues(error, data)) from None


def load_workflow(source: str | bytes | Mapping[str, Any]) -> Workflow:
    """Parse and fully validate; raises WorkflowInvalid if there is any error."""
    workflow = parse_workflow(source)
    issues = validate_workflow(workflow)
    if any(issue.severity == "error" for issue in issues):
        raise WorkflowInvalid(issues)
    return workflow


def _shape_issues(error: ValidationError, data: Mapping[str, Any]) -> list[Issue]:
    raw_nodes = data.get("nodes")
    nodes: list[Any] = raw_nodes if isinstance(raw_nodes, list) else []
    issues = []
    for detail in error.errors():
        loc = list(detail["loc"])
        node_id = None
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            raw = nodes[loc[1]] if loc[1] < len(nodes) else None
            node_id = (
                str(raw.get("id")) if isinstance(raw, Mapping) and "id" in raw else f"#{loc[1]}"
            )
            loc = loc[2:]
            if loc and isinstance(raw, Mapping) and loc[0] == raw.get("type"):
                loc = loc[1:]  # the discriminator's tag adds nothing for the reader
        field = ".".join(str(part) for part in loc) or None
        issues.append(Issue("invalid_field", detail["msg"], node=node_id, field=field))
    return sorted(set(issues), key=Issue.sort_key)


def validate_workflow(workflow: Workflow, reads: ReadPolicy | None = None) -> list[Issue]:
    """Every error and warning in a shape-valid workflow, in a stable order; with `reads`,
    also every table read outside the connection's allowlist."""
    too_big = size_issues(workflow)
    if too_big:
        return too_big  # nothing more is checked on a definition over the caps
    issues = parameter_issues(workflow.parameters) + graph_issues(workflow)
    used: set[str] = set()
    with fragment_budget.parse_budget():
        for node in workflow.nodes:
            checker = NodeChecker(workflow, node, used, reads)
            registry.node_type(node.type).check(node, checker)
            issues += checker.issues
    for parameter in workflow.parameters:
        if parameter.name not in used:
            issues.append(
                Issue(
                    "unused_parameter",
                    f"parameter {parameter.name} is not used by any node",
                    field=f"parameters.{parameter.name}",
                    severity="warning",
                )
            )
    return issues


def size_issues(workflow: Workflow) -> list[Issue]:
    """The caps on a definition's node and parameter counts and fragment bytes."""
    issues = []
    if len(workflow.nodes) > MAX_NODES:
        issues.append(
            Issue(
                "too_many_nodes",
                f"a workflow has at most {MAX_NODES} nodes, got {len(workflow.nodes)}",
                field="nodes",
            )
        )
    if len(workflow.parameters) > MAX_PARAMETERS:
        issues.append(
            Issue(
                "too_many_parameters",
                f"a workflow has at most {MAX_PARAMETERS} parameters, got "
                f"{len(workflow.parameters)}",
                field="parameters",
            )
        )
    return issues + fragment_limits.fragment_size_issues(workflow)
