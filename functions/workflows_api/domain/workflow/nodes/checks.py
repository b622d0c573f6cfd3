"""NodeChecker: what node types' checks use to report issues naming the node and field."""

from __future__ import annotations

import json
from typing import Any

from ...errors import Issue, Severity
from .. import fragment_parsing
from ..fragments import FragmentRefused
from ..parameter_types import NUMBER_TYPES
from ..parts import DeclaredWorkflow, Parameter, ParamRef
from ..read_allowlist import ReadPolicy, TableName, routines_called, tables_read
from ..sql_render import IDENTIFIER_PATTERN
from .base import NodeBase

RESERVED_COLUMN_PREFIX = "__wf_"


class NodeChecker:
    """Collects one node's issues; records the parameters it references in `used`.
    With `reads` (a connection's policy), every table the node reads is checked too."""

    def __init__(
        self,
        workflow: DeclaredWorkflow,
        node: NodeBase,
        used: set[str],
        reads: ReadPolicy | None = None,
    ) -> None:
        self.workflow = workflow
        self.node = node
        self.used = used
        self.reads = reads
        self.issues: list[Issue] = []

    def issue(self, code: str, message: str, field: str, severity: Severity = "error") -> None:
        self.issues.append(Issue(code, message, self.node.id, field, severity))

    def declared(self, name: str) -> Parameter | None:
        return self.workflow.parameter(name)

    def column(self, name: str | None, field: str) -> None:
        """A column name the node writes or reads (None: the optional setting is absent)."""
        if name is None:
            return
        if not IDENTIFIER_PATTERN.fullmatch(name):
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
        """A reference to a declared parameter, of one of the `allowed` types (any if empty)."""
        declared = self.declared(name)
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
        """A number setting: a literal within bounds, or a numeric parameter."""
        if isinstance(value, ParamRef):
            self.parameter(value.param, field, NUMBER_TYPES, what)
            return
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.issue("out_of_range", f"{what} must be {bounds}, got {value}", field)

    def fragment_parameters(self, fragment: fragment_parsing.Fragment, field: str) -> None:
        """The @name parameters a SQL fragment reads, each declared (any type), and the
        tables and persistent functions it reads (found in its syntax tree), each allowed
        by the read policy."""
        for name in sorted(fragment.parameters):
            self.parameter(name, field, (), "")
        if self.reads is None:
            return
        try:
            tables = tables_read(fragment, self.reads.project)
            routines = routines_called(fragment, self.reads.project)
        except FragmentRefused as refused:
            self.issue(refused.code, str(refused), field)
            return
        for table in tables:
            self.table(table, field)
        for routine in routines:
            problem = self.reads.routine_problem(routine)
            if problem is not None:
                self.issue(*problem, field)

    def table(self, reference: str | TableName, field: str) -> None:
        """A table the node reads (`dataset.table`, `project.dataset.table` or a parsed
        name), checked against the read policy when there is one."""
        if self.reads is None:
            return
        problem = self.reads.problem(reference)
        if problem is not None:
            self.issue(*problem, field)
