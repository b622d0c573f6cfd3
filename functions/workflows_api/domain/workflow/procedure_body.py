"""The procedure's body: each node's SQL (nodes/) placed into as few statements as possible.

A node whose rows feed exactly one consumer becomes a CTE of that consumer's statement;
a node feeding several consumers, the output, or statements that read it as a table is
materialised as a TEMP table. Chains of nodes thus run as one statement each. Nodes
that do not lead to the output are not compiled. DECLAREs come first, as BigQuery
requires, then the output-table guard, then the nodes' statements in topological order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .graph import topological_order
from .model import Node, Workflow
from .nodes import registry
from .nodes.compiling import OUTPUT_TABLE_ARGUMENT, CompileContext, NodeSql, create_temp_table
from .nodes.output import OUTPUT_NODE_TYPE
from .sql_render import OUTPUT_TABLE_REGEX, call, quote_identifier, quote_string

_INDENT = "  "


@dataclass(frozen=True)
class _Cte:
    """A node's rows waiting to be chained into its one consumer's statement."""

    comment: str
    name: str
    query: str
    inputs: tuple[str, ...]  # node ids its query reads (their CTEs come first)


def body_statements(workflow: Workflow, project: str) -> list[str]:
    """The body's top-level statements, in order (compound ones whole)."""
    nodes = _feeding_output(workflow)
    compiled = {node.id: node_sql(workflow, project, node) for node in nodes}
    tables = _materialised(nodes, compiled)
    declarations = [d for node in nodes for d in compiled[node.id].declarations]
    pending: dict[str, _Cte] = {}
    statements: list[str] = []
    for node in nodes:
        sql, comment = compiled[node.id], f"-- node {node.id} ({node.type})"
        context = CompileContext.for_node(workflow, project, node)
        reads = node.inputs
        if sql.input_table is not None:
            table = sql.input_table
            chain = _take_chain(pending, reads)
            statements.append(create_temp_table(table.name, _with(chain, comment, table.query)))
            reads = []
        if node.type == OUTPUT_NODE_TYPE:
            statements.extend(f"{comment}\n{statement}" for statement in sql.statements)
            continue
        statements.extend(sql.statements)
        if node.id in tables:
            chained = _with(_take_chain(pending, reads), comment, sql.query, context.target)
            statements.append(create_temp_table(context.target, chained))
        else:
            pending[node.id] = _Cte(comment, context.target, sql.query, tuple(reads))
    return [*declarations, _output_table_guard(), *statements]


def node_sql(workflow: Workflow, project: str, node: Node) -> NodeSql:
    """One node's SQL, by its node type's compile rule."""
    context = CompileContext.for_node(workflow, project, node)
    return registry.node_type(node.type).compile_rule(node, context)


def _feeding_output(workflow: Workflow) -> list[Node]:
    """The nodes the output depends on (itself included), in topological order."""
    by_id = {node.id: node for node in workflow.nodes}
    needed: set[str] = set()
    stack = [node.id for node in workflow.nodes if node.type == OUTPUT_NODE_TYPE]
    while stack:
        node_id = stack.pop()
        if node_id not in needed:
            needed.add(node_id)
            stack.extend(by_id[node_id].inputs)
    return [node for node in topological_order(workflow) if node.id in needed]


def _materialised(nodes: list[Node], compiled: dict[str, NodeSql]) -> set[str]:
    """Ids of the nodes built as TEMP tables rather than chained as CTEs."""
    uses = Counter(source for node in nodes for source in node.inputs)
    tables = {node_id for node_id, count in uses.items() if count != 1}
    for node in nodes:
        sql = compiled[node.id]
        if sql.statements and sql.input_table is None:
            tables.update(node.inputs)  # its statements read them as tables
    return tables


def _take_chain(pending: dict[str, _Cte], sources: list[str]) -> list[_Cte]:
    """The pending CTEs `sources` need, each after the ones it reads; they are used up."""
    chain: list[_Cte] = []
    for source in sources:
        cte = pending.pop(source, None)
        if cte is not None:
            chain.extend(_take_chain(pending, list(cte.inputs)))
            chain.append(cte)
    return chain


def _with(chain: list[_Cte], comment: str, query: str, name: str = "") -> str:
    """`query` (under its node's comment) after the CTEs it reads, in topological order.

    A query with a WITH of its own becomes the last CTE (named `name`) when chained.
    """
    if chain and query.lstrip().upper().startswith("WITH"):
        chain, comment = [*chain, _Cte(comment, name, query, ())], ""
        query = f"SELECT * FROM {name}"
    definitions = [
        f"{_INDENT}{cte.comment}\n{_INDENT}{cte.name} AS (\n{indent(cte.query, 2)}\n{_INDENT})"
        for cte in chain
    ]
    with_clause = ["WITH\n" + ",\n".join(definitions)] if definitions else []
    return "\n".join([*with_clause, *([comment] if comment else []), query])


def indent(text: str, levels: int = 1) -> str:
    prefix = _INDENT * levels
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _output_table_guard() -> str:
    # Before anything runs: the name reaches dynamic SQL (the output's EXECUTE IMMEDIATE).
    check = call(
        "REGEXP_CONTAINS", quote_identifier(OUTPUT_TABLE_ARGUMENT), f"r'{OUTPUT_TABLE_REGEX}'"
    )
    message = quote_string("output_table must be project.dataset.table")
    return f"IF {check} IS NOT TRUE THEN\n{_INDENT}RAISE USING MESSAGE = {message};\nEND IF;"
