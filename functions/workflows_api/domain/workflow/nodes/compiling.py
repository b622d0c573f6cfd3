"""What node types' compile rules build SQL with: names, a small query renderer, the
CompileContext handing each rule its node's and inputs' names and the workflow's
parameters, and NodeSql, what a rule answers.

Every name and value reaches SQL through `sql_render` (quoting) or `fragment_parsing` (fragments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..parts import DeclaredWorkflow, Parameter, ParamRef
from ..sql_render import call, literal, quote_identifier
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
class WorkTable:
    """A TEMP table a rule builds from its inputs before anything else (read once)."""

    name: str  # quoted
    query: str  # one SELECT over the node's inputs


@dataclass(frozen=True)
class NodeSql:
    """A compile rule's answer: the node's rows as one SELECT, and what must run first.

    `query` reads the inputs (`context.inputs`) by name; the compiler decides whether
    an input is a CTE of the same statement or a TEMP table, and whether the node's
    own rows become a CTE of its consumer's statement or a TEMP table (`context.target`).
    A rule that must read its input more than once (an iterative algorithm) sets
    `input_table`: the compiler builds it first, from the inputs, and then `query` and
    `statements` read that table and the variables in `declarations`, not the inputs.
    Without `input_table`, `statements` that name the inputs get them as TEMP tables.
    """

    query: str
    input_table: WorkTable | None = None
    statements: tuple[str, ...] = ()  # script statements run before `query` is read
    declarations: tuple[str, ...] = ()  # DECLAREs; BigQuery wants them atop the script


def relation(query: Query | str) -> NodeSql:
    """The usual answer: the node's rows as one SELECT over its inputs."""
    return NodeSql(query.render() if isinstance(query, Query) else query)


@dataclass(frozen=True)
class CompileContext:
    """One node's compile rule's view: its name, its inputs' and the parameters."""

    workflow: DeclaredWorkflow
    project: str  # the connection's project, for tables named without one
    target: str  # the node's CTE or TEMP table name, quoted
    inputs: tuple[str, ...]  # the inputs' CTE or TEMP table names, quoted, in the node's order

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
        """Parameter name -> SQL, for rendering user-written fragments (fragment_parsing.render)."""
        return {p.name: self.parameter_sql(p.name) for p in self.workflow.parameters}
