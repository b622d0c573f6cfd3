"""Loading and validating workflow definitions; every issue names the node and field."""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from . import sqltext
from .errors import Issue, ParameterValuesInvalid, WorkflowInvalid
from .model import (
    NUMBER_TYPES,
    AggregateNode,
    BufferNode,
    CustomSqlNode,
    FilterNode,
    JoinNode,
    KMeansNode,
    Node,
    ParamRef,
    ReadTableNode,
    SelectNode,
    WithinDistanceNode,
    Workflow,
)
from .parameters import canonical_value
from .sql import DATASET_PATTERN, IDENTIFIER_PATTERN, PROJECT_PATTERN, TABLE_PATTERN

NODE_ID_PATTERN = IDENTIFIER_PATTERN.pattern.replace("{0,299}", "{0,62}")
RESERVED_COLUMN_PREFIX = "__wf_"
# Query parameters the service adds to every CALL (the output table) use this prefix.
RESERVED_PARAMETER_PREFIX = "wfapi_"
# k-means start centres are unrolled up to k (scripting loops are avoided, see compiler).
MAX_CLUSTERS = 100
# (minimum, maximum) inputs per node type; None = unbounded.
INPUT_COUNTS: dict[str, tuple[int, int | None]] = {
    "read_table": (0, 0),
    "filter": (1, 1),
    "select": (1, 1),
    "join": (2, 2),
    "union": (2, None),
    "aggregate": (1, 1),
    "buffer": (1, 1),
    "within_distance": (1, 1),
    "kmeans": (1, 1),
    "custom_sql": (1, 26),
    "output": (1, 1),
}


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
    return sorted(set(issues))


def validate_workflow(workflow: Workflow) -> list[Issue]:
    """Every error and warning in a shape-valid workflow, in a stable order."""
    issues: list[Issue] = []
    issues += _parameter_issues(workflow)
    issues += _graph_issues(workflow)
    used: set[str] = set()
    for node in workflow.nodes:
        for issue in _node_issues(workflow, node, used):
            issues.append(issue)
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


def topological_order(workflow: Workflow) -> list[Node]:
    """Nodes with every input before its consumers; ties keep declared order.

    Raises WorkflowInvalid on a cycle or unknown input (use on validated workflows).
    """
    order, stuck = _kahn(workflow)
    if stuck:
        raise WorkflowInvalid(_graph_issues(workflow))
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


def _graph_issues(workflow: Workflow) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    ids = {node.id for node in workflow.nodes}
    for node in workflow.nodes:
        if node.id in seen:
            issues.append(
                Issue("duplicate_node_id", f"node id {node.id} is used twice", node.id, "id")
            )
        seen.add(node.id)
        if not _matches(NODE_ID_PATTERN, node.id):
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
                        "unknown_input",
                        f"input {source} is not a node",
                        node.id,
                        f"inputs.{position}",
                    )
                )
        low, high = INPUT_COUNTS[node.type]
        count = len(node.inputs)
        if count < low:
            code = "missing_input" if count == 0 else "wrong_input_count"
            issues.append(
                Issue(
                    code,
                    f"{node.type} needs {_count_words(low, high)}, got {count}",
                    node.id,
                    "inputs",
                )
            )
        elif high is not None and count > high:
            issues.append(
                Issue(
                    "wrong_input_count",
                    f"{node.type} takes {_count_words(low, high)}, got {count}",
                    node.id,
                    "inputs",
                )
            )
    outputs = [node for node in workflow.nodes if node.type == "output"]
    if not outputs:
        issues.append(
            Issue("missing_output", "a workflow needs exactly one output node", field="nodes")
        )
    for extra in outputs[1:]:
        issues.append(
            Issue("multiple_outputs", "a workflow has exactly one output node", extra.id, "type")
        )
    _, stuck = _kahn(workflow)
    if stuck:
        cycle = _find_cycle(workflow, {node.id for node in stuck})
        issues.append(
            Issue("cycle", f"nodes form a cycle: {' -> '.join(cycle)}", cycle[0], "inputs")
        )
    return issues


def _count_words(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} inputs"
    if low == high:
        return f"exactly {low} input{'s' if low != 1 else ''}"
    return f"{low} to {high} inputs"


def _find_cycle(workflow: Workflow, stuck: set[str]) -> list[str]:
    inputs = {
        node.id: [s for s in node.inputs if s in stuck]
        for node in workflow.nodes
        if node.id in stuck
    }
    # Every stuck node leads back into a cycle: walk inputs until a node repeats.
    start = next(node.id for node in workflow.nodes if node.id in stuck)
    path: list[str] = []
    position: dict[str, int] = {}
    current = start
    while current not in position:
        position[current] = len(path)
        path.append(current)
        current = inputs[current][0]
    cycle = path[position[current] :]
    return [*cycle, cycle[0]]


def _matches(pattern: str, value: str) -> bool:
    return re.match(pattern, value) is not None


def _parameter_issues(workflow: Workflow) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for parameter in workflow.parameters:
        field = f"parameters.{parameter.name}"
        if parameter.name in seen:
            issues.append(
                Issue(
                    "duplicate_parameter",
                    f"parameter {parameter.name} is declared twice",
                    field=field,
                )
            )
        seen.add(parameter.name)
        if not IDENTIFIER_PATTERN.match(parameter.name) or len(parameter.name) > 128:
            issues.append(
                Issue(
                    "invalid_identifier",
                    "parameter names hold letters, digits and _ and start with a letter or _",
                    field=field + ".name",
                )
            )
        if parameter.name.lower().startswith(RESERVED_PARAMETER_PREFIX):
            issues.append(
                Issue(
                    "reserved_identifier",
                    f"parameter names starting with {RESERVED_PARAMETER_PREFIX} are reserved "
                    "(the service adds its own query parameters, such as the output table)",
                    field=field + ".name",
                )
            )
        kind = parameter.element_type or parameter.type
        numeric = kind in NUMBER_TYPES
        for name in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum"):
            if getattr(parameter, name) is not None and not numeric:
                issues.append(
                    Issue(
                        "constraint_not_applicable",
                        f"{name} applies only to numbers, not {parameter.type}",
                        field=f"{field}.{name}",
                    )
                )
        for name in ("pattern", "max_length"):
            if getattr(parameter, name) is not None and kind != "STRING":
                issues.append(
                    Issue(
                        "constraint_not_applicable",
                        f"{name} applies only to STRING, not {parameter.type}",
                        field=f"{field}.{name}",
                    )
                )
        if parameter.max_items is not None and parameter.element_type is None:
            issues.append(
                Issue(
                    "constraint_not_applicable",
                    "max_items applies only to ARRAY types",
                    field=f"{field}.max_items",
                )
            )
        if parameter.pattern is not None:
            try:
                re.compile(parameter.pattern)
            except re.error as error:
                issues.append(
                    Issue(
                        "invalid_pattern",
                        f"pattern does not compile: {error}",
                        field=f"{field}.pattern",
                    )
                )
                continue
        if parameter.required and parameter.default is not None:
            issues.append(
                Issue(
                    "required_with_default",
                    "a parameter with a default is optional",
                    field=f"{field}.required",
                )
            )
        if parameter.default is not None:
            try:
                canonical_value(parameter, parameter.default)
            except ParameterValuesInvalid as invalid:
                message = invalid.errors[0].message.split(": ", 1)[-1]
                issues.append(Issue("invalid_default", message, field=f"{field}.default"))
    return issues


# --- per node -----------------------------------------------------------------------


class _Checker:
    def __init__(self, workflow: Workflow, node: Node, used: set[str]) -> None:
        self.workflow = workflow
        self.node = node
        self.used = used
        self.issues: list[Issue] = []

    def issue(self, code: str, message: str, field: str, severity: str = "error") -> None:
        self.issues.append(Issue(code, message, self.node.id, field, severity))  # type: ignore[arg-type]

    def column(self, name: str | None, field: str) -> None:
        if name is None:
            return
        if not IDENTIFIER_PATTERN.match(name):
            self.issue(
                "invalid_identifier",
                f"{json.dumps(name)} is not a valid BigQuery column name (letters, digits, _; "
                "not starting with a digit)",
                field,
            )
        elif name.lower().startswith(RESERVED_COLUMN_PREFIX):
            self.issue(
                "reserved_identifier",
                f"column names starting with {RESERVED_COLUMN_PREFIX} are reserved",
                field,
            )

    def parameter(self, name: str, field: str, allowed: tuple[str, ...], what: str) -> None:
        declared = self.workflow.parameter(name)
        self.used.add(name)
        if declared is None:
            self.issue("unknown_parameter", f"parameter {name} is not declared", field)
        elif allowed and declared.type not in allowed:
            self.issue(
                "parameter_type_mismatch",
                f"parameter {name} is {declared.type} but {what} needs {' or '.join(allowed)}",
                field,
            )

    def number(
        self, value: Any, field: str, what: str, low: float | None = None, high: float | None = None
    ) -> None:
        if isinstance(value, ParamRef):
            self.parameter(value.param, field, NUMBER_TYPES, what)
            return
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.issue("out_of_range", f"{what} must be {bounds}, got {value}", field)

    def fragment_parameters(self, fragment: sqltext.Fragment, field: str) -> None:
        for name in sorted(fragment.parameters):
            self.parameter(name, field, (), "")


def _node_issues(workflow: Workflow, node: Node, used: set[str]) -> Iterator[Issue]:
    check = _Checker(workflow, node, used)
    if isinstance(node, ReadTableNode):
        parts = node.settings.table.split(".")
        patterns = (
            [PROJECT_PATTERN, DATASET_PATTERN, TABLE_PATTERN][-len(parts) :]
            if len(parts) in (2, 3)
            else []
        )
        if not patterns or not all(p.match(part) for p, part in zip(patterns, parts, strict=True)):
            check.issue(
                "invalid_identifier",
                f"{json.dumps(node.settings.table)} is not dataset.table or project.dataset.table "
                "with valid BigQuery names",
                "settings.table",
            )
    elif isinstance(node, FilterNode):
        for i, condition in enumerate(node.settings.conditions):
            _check_condition(check, condition, f"settings.conditions.{i}")
    elif isinstance(node, SelectNode):
        for i, name in enumerate(node.settings.columns or []):
            check.column(name, f"settings.columns.{i}")
        if node.settings.columns == [] and not node.settings.computed:
            check.issue(
                "empty_select", "select keeps no columns and computes none", "settings.columns"
            )
        for i, computed in enumerate(node.settings.computed):
            check.column(computed.name, f"settings.computed.{i}.name")
            try:
                check.fragment_parameters(
                    sqltext.parse_expression(computed.expression),
                    f"settings.computed.{i}.expression",
                )
            except sqltext.FragmentError as error:
                check.issue(error.code, str(error), f"settings.computed.{i}.expression")
    elif isinstance(node, JoinNode):
        for i, name in enumerate(node.settings.on):
            check.column(name, f"settings.on.{i}")
    elif isinstance(node, AggregateNode):
        for i, name in enumerate(node.settings.group_by):
            check.column(name, f"settings.group_by.{i}")
        for i, aggregation in enumerate(node.settings.aggregations):
            field = f"settings.aggregations.{i}"
            check.column(aggregation.column, f"{field}.column")
            check.column(aggregation.alias, f"{field}.alias")
            if aggregation.column is None and aggregation.function != "COUNT":
                check.issue(
                    "missing_column", f"{aggregation.function} needs a column", f"{field}.column"
                )
    elif isinstance(node, BufferNode):
        check.column(node.settings.geography_column, "settings.geography_column")
        check.column(node.settings.output_column, "settings.output_column")
        check.number(node.settings.distance, "settings.distance", "a buffer distance", low=0)
    elif isinstance(node, WithinDistanceNode):
        check.column(node.settings.geography_column, "settings.geography_column")
        check.number(node.settings.longitude, "settings.longitude", "a longitude", -180, 180)
        check.number(node.settings.latitude, "settings.latitude", "a latitude", -90, 90)
        check.number(node.settings.distance, "settings.distance", "a distance", low=0)
    elif isinstance(node, KMeansNode):
        check.column(node.settings.geography_column, "settings.geography_column")
        check.column(node.settings.cluster_column, "settings.cluster_column")
        k = node.settings.k
        if isinstance(k, ParamRef):
            check.parameter(k.param, "settings.k", ("INT64",), "k")
            declared = workflow.parameter(k.param)
            if (
                declared is not None
                and declared.type == "INT64"
                and (declared.maximum is None or declared.maximum > MAX_CLUSTERS)
            ):
                check.issue(
                    "parameter_unbounded",
                    f"parameter {k.param} feeds k, so it must declare maximum <= {MAX_CLUSTERS}",
                    "settings.k",
                )
        elif not 1 <= k <= MAX_CLUSTERS:
            check.issue(
                "out_of_range", f"k must be between 1 and {MAX_CLUSTERS}, got {k}", "settings.k"
            )
    elif isinstance(node, CustomSqlNode):
        try:
            fragment = sqltext.parse_query(node.settings.sql)
        except sqltext.FragmentError as error:
            check.issue(error.code, str(error), "settings.sql")
        else:
            check.fragment_parameters(fragment, "settings.sql")
            for letter in sorted(fragment.inputs):
                if ord(letter) - ord("a") >= len(node.inputs):
                    check.issue(
                        "unknown_input",
                        f"${letter} has no input (the node has {len(node.inputs)})",
                        "settings.sql",
                    )
    yield from check.issues


def _check_condition(check: _Checker, condition: Any, field: str) -> None:
    check.column(condition.column, f"{field}.column")
    operator, value = condition.operator, condition.value
    if operator in ("is_null", "is_not_null"):
        if value is not None:
            check.issue("unexpected_value", f"{operator} takes no value", f"{field}.value")
        return
    if value is None:
        check.issue("missing_value", f"{operator} needs a value", f"{field}.value")
        return
    listy = operator in ("in", "not_in")
    if isinstance(value, ParamRef):
        if listy:
            allowed: tuple[str, ...] = tuple(
                f"ARRAY<{t}>"
                for t in ("STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP")
            )
        elif operator == "like":
            allowed = ("STRING",)
        else:
            allowed = ("STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP")
        check.parameter(value.param, f"{field}.value", allowed, f"operator {operator}")
        return
    if listy and not isinstance(value, list):
        check.issue("invalid_value", f"{operator} needs a list of values", f"{field}.value")
    elif not listy and isinstance(value, list):
        check.issue("invalid_value", f"{operator} needs one value, not a list", f"{field}.value")
    elif operator == "like" and not isinstance(value, str):
        check.issue("invalid_value", "like needs a string pattern", f"{field}.value")
    elif listy and not value:
        check.issue("invalid_value", f"{operator} needs at least one value", f"{field}.value")
