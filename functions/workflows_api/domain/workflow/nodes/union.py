"""union: the rows of two or more inputs with the same columns (ALL, or DISTINCT)."""

from __future__ import annotations

from typing import Literal

from ..parts import Strict
from .base import NodeBase
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType, no_checks


class UnionSettings(Strict):
    distinct: bool = False


class UnionNode(NodeBase):
    type: Literal["union"]
    settings: UnionSettings = UnionSettings()


def compile_rule(node: UnionNode, context: CompileContext) -> NodeSql:
    operator = "UNION DISTINCT" if node.settings.distinct else "UNION ALL"
    text = f"\n{operator}\n".join(Query(["*"], source).render() for source in context.inputs)
    return relation(text)


NODE_TYPE = NodeType(UnionNode, inputs=(2, None), check=no_checks, compile_rule=compile_rule)
