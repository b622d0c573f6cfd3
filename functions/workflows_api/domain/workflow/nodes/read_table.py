"""read_table: a BigQuery table, `dataset.table` in the connection's project or
`project.dataset.table`."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, StrictStr

from ..parts import Strict
from ..sql_render import DATASET_PATTERN, PROJECT_PATTERN, TABLE_PATTERN, quote_table_reference
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType


class ReadTableSettings(Strict):
    table: StrictStr = Field(
        description="`dataset.table` (in the connection's project) or `project.dataset.table`."
    )


class ReadTableNode(NodeBase):
    type: Literal["read_table"]
    settings: ReadTableSettings


def check(node: ReadTableNode, checker: NodeChecker) -> None:
    parts = node.settings.table.split(".")
    patterns = (
        [PROJECT_PATTERN, DATASET_PATTERN, TABLE_PATTERN][-len(parts) :]
        if len(parts) in (2, 3)
        else []
    )
    if not patterns or not all(p.fullmatch(part) for p, part in zip(patterns, parts, strict=True)):
        checker.issue(
            "invalid_identifier",
            f"{json.dumps(node.settings.table)} is not dataset.table or project.dataset.table "
            "with valid BigQuery names",
            "settings.table",
        )
    else:
        checker.table(node.settings.table, "settings.table")


def compile_rule(node: ReadTableNode, context: CompileContext) -> NodeSql:
    parts = node.settings.table.split(".")
    project, dataset, table = parts if len(parts) == 3 else [context.project, *parts]
    source = quote_table_reference(project, dataset, table)
    return relation(Query(["*"], source))


NODE_TYPE = NodeType(ReadTableNode, inputs=(0, 0), check=check, compile_rule=compile_rule)
