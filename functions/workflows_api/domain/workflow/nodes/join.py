"""join: two inputs joined on key columns present in both (USING)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from ..parts import Strict
from ..sql_render import column
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType

_JOIN_KEYWORDS = {"inner": "INNER JOIN", "left": "LEFT JOIN", "full": "FULL OUTER JOIN"}


class JoinSettings(Strict):
    join_type: Literal["inner", "left", "full"] = "inner"
    on: list[StrictStr] = Field(min_length=1, description="Key columns present in both inputs.")


class JoinNode(NodeBase):
    type: Literal["join"]
    settings: JoinSettings


def check(node: JoinNode, checker: NodeChecker) -> None:
    for i, name in enumerate(node.settings.on):
        checker.column(name, f"settings.on.{i}")


def compile_rule(node: JoinNode, context: CompileContext) -> NodeSql:
    keys = ", ".join(column(key) for key in node.settings.on)
    join = f"{_JOIN_KEYWORDS[node.settings.join_type]} {context.inputs[1]} USING ({keys})"
    return relation(Query(["*"], context.inputs[0], joins=[join]))


NODE_TYPE = NodeType(JoinNode, inputs=(2, 2), check=check, compile_rule=compile_rule)
