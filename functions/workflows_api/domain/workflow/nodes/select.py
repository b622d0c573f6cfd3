"""select: some of the input's columns, in order, plus columns computed by expressions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from .. import fragment_parsing, fragments
from ..parts import Strict
from ..sql_render import alias, column
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType


class ComputedColumn(Strict):
    name: StrictStr
    expression: StrictStr = Field(
        description="A GoogleSQL expression over the input's columns; @name reads a parameter."
    )


class SelectSettings(Strict):
    columns: list[StrictStr] | None = Field(
        default=None, description="Columns kept, in order; omitted means all of them."
    )
    computed: list[ComputedColumn] = []  # noqa: RUF012 (pydantic copies defaults)


class SelectNode(NodeBase):
    type: Literal["select"]
    settings: SelectSettings


def check(node: SelectNode, checker: NodeChecker) -> None:
    for i, name in enumerate(node.settings.columns or []):
        checker.column(name, f"settings.columns.{i}")
    if node.settings.columns == [] and not node.settings.computed:
        checker.issue(
            "empty_select", "select keeps no columns and computes none", "settings.columns"
        )
    for i, computed in enumerate(node.settings.computed):
        checker.column(computed.name, f"settings.computed.{i}.name")
        field = f"settings.computed.{i}.expression"
        try:
            checker.fragment_parameters(fragments.parse_expression(computed.expression), field)
        except fragment_parsing.FragmentError as error:
            checker.issue(error.code, str(error), field)


def compile_rule(node: SelectNode, context: CompileContext) -> NodeSql:
    selected = (
        ["*"] if node.settings.columns is None else [column(c) for c in node.settings.columns]
    )
    for computed in node.settings.computed:
        expression = fragments.render(
            fragments.parse_expression(computed.expression),
            input_table=lambda _letter: context.inputs[0],
            parameter=context.fragment_parameters(),
        )
        selected.append(alias(expression, computed.name))
    return relation(Query(selected, context.inputs[0]))


NODE_TYPE = NodeType(SelectNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
