"""Loading and validating workflow definitions; every issue names the node and field.

The shape comes from the model; the graph is checked in `graph`, parameter declarations
in `parameter_declarations`, and each node by its node type's checks (`nodes/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import Issue, WorkflowInvalid
from .graph import graph_issues
from .model import Workflow
from .nodes import registry
from .nodes.checks import NodeChecker
from .parameter_declarations import parameter_issues


def parse_definition_text(text: str | bytes) -> Any:
    """YAML or JSON text (JSON is YAML) to plain data; raises WorkflowInvalid."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise WorkflowInvalid([Issue("invalid_yaml", f"not valid YAML or JSON: {error}")]) from None


def parse_workflow(source: str | bytes | Mapping[str, Any]) -> Workflow:
    """The definition's shape only (types, required fields); raises WorkflowInvalid."""
    data = parse_definition_text(source) if isinstance(source, str | bytes) else source
    if not isinstance(data, Mapping):
        raise WorkflowInvalid([Issue("invalid_definition", "a workflow must be an object")])
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
    # Total order: node and field may be None.
    return sorted(set(issues), key=lambda i: (i.code, i.message, i.node or "", i.field or ""))


def validate_workflow(workflow: Workflow) -> list[Issue]:
    """Every error and warning in a shape-valid workflow, in a stable order."""
    issues = parameter_issues(workflow.parameters) + graph_issues(workflow)
    used: set[str] = set()
    for node in workflow.nodes:
        checker = NodeChecker(workflow, node, used)
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
