"""aggregate: COUNT/SUM/AVG/MIN/MAX of columns, grouped by columns (or over all rows)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from ..parts import Strict
from ..sql_render import alias, call, column
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType


class Aggregation(Strict):
    function: Literal["COUNT", "SUM", "AVG", "MIN", "MAX"]
    column: StrictStr | None = Field(default=None, description="Omitted only for COUNT(*).")
    alias: StrictStr


class AggregateSettings(Strict):
    group_by: list[StrictStr] = []  # noqa: RUF012 (pydantic copies defaults)
    aggregations: list[Aggregation] = Field(min_length=1)


class AggregateNode(NodeBase):
    type: Literal["aggregate"]
    settings: AggregateSettings


def check(node: AggregateNode, checker: NodeChecker) -> None:
    for i, name in enumerate(node.settings.group_by):
        checker.column(name, f"settings.group_by.{i}")
    for i, aggregation in enumerate(node.settings.aggregations):
        field = f"settings.aggregations.{i}"
        checker.column(aggregation.column, f"{field}.column")
        checker.column(aggregation.alias, f"{field}.alias")
        if aggregation.column is None and aggregation.function != "COUNT":
            checker.issue(
                "missing_column", f"{aggregation.function} needs a column", f"{field}.column"
            )


def compile_rule(node: AggregateNode, context: CompileContext) -> NodeSql:
    groups = [column(c) for c in node.settings.group_by]
    measures = [
        alias(call(a.function, column(a.column) if a.column else "*"), a.alias)
        for a in node.settings.aggregations
    ]
    query = Query([*groups, *measures], context.inputs[0], group_by=groups)
    return relation(query)


NODE_TYPE = NodeType(AggregateNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
