"""custom_sql: one user-written SELECT over the inputs ($a, $b, ...), parsed and re-rendered
by `fragments` (the safety gates over `fragment_parsing`) so it stays one read-only query."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from .. import fragment_parsing, fragments
from ..parts import Strict
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, relation
from .spec import NodeType

# $a to $z.
MAX_INPUTS = 26


class CustomSqlSettings(Strict):
    sql: StrictStr = Field(
        description="One SELECT; $a, $b, ... stand for the inputs in order, @name for parameters."
    )


class CustomSqlNode(NodeBase):
    type: Literal["custom_sql"]
    settings: CustomSqlSettings


def check(node: CustomSqlNode, checker: NodeChecker) -> None:
    try:
        fragment = fragments.parse_query(node.settings.sql)
    except fragment_parsing.FragmentError as error:
        checker.issue(error.code, str(error), "settings.sql")
        return
    checker.fragment_parameters(fragment, "settings.sql")
    for letter in sorted(fragment.inputs):
        if ord(letter) - ord("a") >= len(node.inputs):
            checker.issue(
                "unknown_input",
                f"${letter} has no input (the node has {len(node.inputs)})",
                "settings.sql",
            )


def compile_rule(node: CustomSqlNode, context: CompileContext) -> NodeSql:
    text = fragments.render(
        fragments.parse_query(node.settings.sql),
        input_table=lambda letter: context.inputs[ord(letter) - ord("a")],
        parameter=context.fragment_parameters(),
    )
    return relation(text)


NODE_TYPE = NodeType(CustomSqlNode, inputs=(1, MAX_INPUTS), check=check, compile_rule=compile_rule)
