"""output: the workflow's one result; its input (always a TEMP table: dynamic SQL sees
no script variables) is copied into the procedure's `output_table` argument, a table
that expires after `output_expiration_days`.

The copy replaces the table: a run owns what it writes. With `IF NOT EXISTS`, a run
reusing a cache key's table name in the hour before BigQuery dropped the old table
kept the old rows and expiry, then lost them (issue 23, finding 5)."""

from __future__ import annotations

from typing import Literal

from ..parts import Strict
from ..sql_render import call, quote_identifier, quote_string
from .base import NodeBase
from .compiling import OUTPUT_TABLE_ARGUMENT, CompileContext, NodeSql
from .spec import NodeType, no_checks


class OutputSettings(Strict):
    pass


class OutputNode(NodeBase):
    type: Literal["output"]
    settings: OutputSettings = OutputSettings()


def compile_rule(node: OutputNode, context: CompileContext) -> NodeSql:
    # The table name is an argument, so the statement is built at run time; the compiler's
    # guard has checked the name against a strict pattern before FORMAT puts it in.
    days = context.workflow.settings.output_expiration_days
    template = (
        "CREATE OR REPLACE TABLE `%s` OPTIONS(expiration_timestamp="
        f"TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {days} DAY)) "
        f"AS SELECT * FROM {context.inputs[0]}"
    )
    target = quote_identifier(OUTPUT_TABLE_ARGUMENT)
    copy = f"EXECUTE IMMEDIATE {call('FORMAT', quote_string(template), target)};"
    return NodeSql(f"SELECT * FROM {context.inputs[0]}", statements=(copy,))


NODE_TYPE = NodeType(OutputNode, inputs=(1, 1), check=no_checks, compile_rule=compile_rule)
# The compiler writes it last, and a workflow has exactly one.
OUTPUT_NODE_TYPE = NODE_TYPE.name
