"""What node types' compile rules build SQL with: names, a small query renderer, and the
CompileContext handing each rule its node's TEMP tables and the workflow's parameters.

Every name and value reaches SQL through `domain.sql` (quoting) or `sqltext` (fragments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..definition import DeclaredWorkflow, Parameter, ParamRef
from ..sql import call, literal, quote_identifier
from .base import NodeBase

ARGUMENT_PREFIX = "wfparam_"
OUTPUT_TABLE_ARGUMENT = "output_table"
TEMP_TABLE_PREFIX = "wf_"


def argument_name(parameter_name: str) -> str:
    """Arguments are prefixed: in BigQuery a column shadows a variable of the same name."""
    return f"{ARGUMENT_PREFIX}{parameter_name}"


def temp_table(node_id: str, suffix: str = "") -> str:
    return quote_identifier(f"{TEMP_TABLE_PREFIX}{node_id}{suffix}")


@dataclass(frozen=True)
class Query:
    select: Sequence[str]
    from_: str
    joins: Sequence[str] = ()
    where: str | None = None
    group_by: Sequence[str] = ()
    order_by: Sequence[str] = ()
    limit: int | None = None

    def render(self) -> str:
        lines = [f"SELECT {', '.join(self.select)}", f"FROM {self.from_}", *self.joins]
        if self.where:
            lines.append(f"WHERE {self.where}")
        if self.group_by:
            lines.append(f"GROUP BY {', '.join(self.group_by)}")
        if self.order_by:
            lines.append(f"ORDER BY {', '.join(self.order_by)}")
        if self.limit is not None:
            lines.append(f"LIMIT {self.limit}")
        return "\n".join(lines)


def create_temp_table(name: str, query: Query | str) -> str:
    text = query.render() if isinstance(query, Query) else query
    return f"CREATE OR REPLACE TEMP TABLE {name} AS\n{text};"


@dataclass(frozen=True)
class CompileContext:
    """One node's compile rule's view: its TEMP table, its inputs' and the parameters."""

    workflow: DeclaredWorkflow
    project: str  # the connection's project, for tables named without one
    target: str  # the node's TEMP table, quoted
    inputs: tuple[str, ...]  # the inputs' TEMP tables, quoted, in the node's order

    @classmethod
    def for_node(cls, workflow: DeclaredWorkflow, project: str, node: NodeBase) -> CompileContext:
        inputs = tuple(temp_table(source) for source in node.inputs)
        return cls(workflow, project, temp_table(node.id), inputs)

    def declared(self, name: str) -> Parameter:
        parameter = self.workflow.parameter(name)
        assert parameter is not None  # validated before compiling
        return parameter

    def parameter_sql(self, name: str) -> str:
        """The SQL reading a parameter's procedure argument."""
        parameter = self.workflow.parameter(name)
        reference = quote_identifier(argument_name(name))
        if parameter is not None and parameter.type == "GEOGRAPHY":
            return call("ST_GEOGFROMTEXT", reference)
        return reference

    def value_sql(self, value: object) -> str:
        """A setting's value: its parameter's argument, or the definition's literal."""
        if isinstance(value, ParamRef):
            return self.parameter_sql(value.param)
        return literal(value)

    def fragment_parameters(self) -> dict[str, str]:
        """Parameter name -> SQL, for rendering user-written fragments (sqltext.render)."""
        return {p.name: self.parameter_sql(p.name) for p in self.workflow.parameters}
