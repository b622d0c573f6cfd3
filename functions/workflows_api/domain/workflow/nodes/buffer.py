"""buffer: each row's geography grown by a distance in metres (ST_BUFFER)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from ..parts import Number, ParamRef, Strict
from ..sql_render import alias, call, column
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType


class BufferSettings(Strict):
    geography_column: StrictStr
    distance: ParamRef | Number = Field(description="Metres.")
    output_column: StrictStr | None = Field(
        default=None, description="Defaults to replacing geography_column."
    )


class BufferNode(NodeBase):
    type: Literal["buffer"]
    settings: BufferSettings


def check(node: BufferNode, checker: NodeChecker) -> None:
    checker.column(node.settings.geography_column, "settings.geography_column")
    checker.column(node.settings.output_column, "settings.output_column")
    checker.number(node.settings.distance, "settings.distance", "a buffer distance", low=0)


def compile_rule(node: BufferNode, context: CompileContext) -> NodeSql:
    settings = node.settings
    geography = column(settings.geography_column)
    buffered = call("ST_BUFFER", geography, context.value_sql(settings.distance))
    out = settings.output_column or settings.geography_column
    selected = (
        [f"* EXCEPT ({geography})", alias(buffered, out)]
        if out == settings.geography_column
        else ["*", alias(buffered, out)]
    )
    return relation(Query(selected, context.inputs[0]))


NODE_TYPE = NodeType(BufferNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
