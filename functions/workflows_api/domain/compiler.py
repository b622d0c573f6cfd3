"""Workflow -> `CREATE OR REPLACE PROCEDURE` text for BigQuery.

The procedure takes one argument per parameter (declared order) and `output_table`.
Its body materialises each node as a TEMP table in topological order, by its node
type's compile rule (`nodes/`), and copies the Output node's input into
`output_table` with an expiration.

Constraints from running the same SQL on real BigQuery and on bqemulator:
- no IF/WHILE/LOOP blocks: bqemulator ends a procedure body at the first `END`
  (of `END IF`/`END WHILE`), so k-means iterations are unrolled to a fixed cap and
  the output_table guard is an expression (`ERROR()` in a DECLARE default);
- no `EXECUTE IMMEDIATE ... USING`: the output table name goes in with FORMAT, after
  the guard has checked it against a strict `project.dataset.table` pattern.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import WorkflowInvalid
from .graph import topological_order
from .model import Node, Workflow
from .nodes import registry
from .nodes.compiling import OUTPUT_TABLE_ARGUMENT, CompileContext, argument_name
from .nodes.output import OUTPUT_NODE_TYPE
from .parameters import bigquery_type
from .sql import OUTPUT_TABLE_REGEX, call, quote_identifier, quote_string, quote_table_reference
from .validation import validate_workflow
from .version import workflow_version

PROCEDURE_PREFIX = "wfproc_"
_PROCEDURE_ID_CHARS = 40
_PROCEDURE_HASH_CHARS = 16
_INDENT = "  "


@dataclass(frozen=True)
class CompiledProcedure:
    procedure_ref: str  # project.dataset.name, unquoted
    sql: str
    arguments: tuple[tuple[str, str], ...]  # (argument name, BigQuery type), output_table last
    parameter_names: tuple[str, ...]  # workflow parameter feeding each argument but the last
    statements: tuple[str, ...]  # the body, one statement each (for inspection and tests)
    version: str  # workflow_version() of the compiled definition


def procedure_name(org: str, workflow_id: str) -> str:
    """`wfproc_<sanitised id>_<hash of org and id>`: a valid routine name, distinct per pair.

    The readable part is lossy (sanitised, truncated); the hash keeps names apart.
    """
    readable = re.sub(r"[^a-z0-9]+", "_", workflow_id.lower()).strip("_")[:_PROCEDURE_ID_CHARS]
    digest = hashlib.sha256(f"{org}\x00{workflow_id}".encode()).hexdigest()[:_PROCEDURE_HASH_CHARS]
    return f"{PROCEDURE_PREFIX}{readable}_{digest}" if readable else f"{PROCEDURE_PREFIX}{digest}"


def compile_procedure(
    workflow: Workflow, *, project: str, dataset: str, procedure: str
) -> CompiledProcedure:
    """The full procedure text; raises WorkflowInvalid if the workflow has errors."""
    issues = validate_workflow(workflow)
    if any(issue.severity == "error" for issue in issues):
        raise WorkflowInvalid(issues)
    statements = _body(workflow, project)
    arguments = (
        *((argument_name(p.name), bigquery_type(p)) for p in workflow.parameters),
        (OUTPUT_TABLE_ARGUMENT, "STRING"),
    )
    routine = quote_table_reference(project, dataset, procedure, "routine")
    signature = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in arguments)
    header = f"CREATE OR REPLACE PROCEDURE {routine}({signature})"
    body = "\n".join(_indent(statement) for statement in statements)
    return CompiledProcedure(
        procedure_ref=f"{project}.{dataset}.{procedure}",
        sql=f"{header}\nBEGIN\n{body}\nEND;\n",
        arguments=arguments,
        parameter_names=tuple(p.name for p in workflow.parameters),
        statements=tuple(statements),
        version=workflow_version(workflow),
    )


OUTPUT_TABLE_QUERY_PARAMETER = "wfapi_output_table"


def call_statement(procedure_ref: str, parameter_names: Sequence[str]) -> str:
    """`CALL `p`.`d`.`proc`(@a, @b, @wfapi_output_table)`: values travel as query parameters.

    Arguments are positional, so the names follow the declared parameter order.
    """
    project, dataset, routine = procedure_ref.split(".")
    routine_ref = quote_table_reference(project, dataset, routine, "routine")
    names = [*parameter_names, OUTPUT_TABLE_QUERY_PARAMETER]
    for name in names:
        quote_identifier(name)  # checked like every identifier, though not quoted here
    return f"CALL {routine_ref}({', '.join('@' + name for name in names)})"


def drop_procedure_statement(procedure_ref: str) -> str:
    project, dataset, routine = procedure_ref.split(".")
    return f"DROP PROCEDURE IF EXISTS {quote_table_reference(project, dataset, routine, 'routine')}"


def _indent(statement: str) -> str:
    return "\n".join(_INDENT + line if line else line for line in statement.split("\n"))


def _body(workflow: Workflow, project: str) -> list[str]:
    statements = [_output_table_guard()]
    for node in topological_order(workflow):
        if node.type == OUTPUT_NODE_TYPE:
            continue
        statements.append(f"-- node {node.id} ({node.type})")
        statements.extend(node_statements(workflow, project, node))
    output = next(node for node in workflow.nodes if node.type == OUTPUT_NODE_TYPE)
    statements.extend(node_statements(workflow, project, output))
    return statements


def node_statements(workflow: Workflow, project: str, node: Node) -> list[str]:
    """One node's statements, by its node type's compile rule."""
    context = CompileContext.for_node(workflow, project, node)
    return registry.node_type(node.type).compile_rule(node, context)


def _output_table_guard() -> str:
    # A DECLARE default is the one place an expression can stop the script before
    # anything runs, without an IF block (see module docstring).
    check = call(
        "REGEXP_CONTAINS", quote_identifier(OUTPUT_TABLE_ARGUMENT), f"r'{OUTPUT_TABLE_REGEX}'"
    )
    failure = call("ERROR", quote_string("output_table must be project.dataset.table"))
    return (
        f"DECLARE {quote_identifier('wf_output_table_checked')} BOOL "
        f"DEFAULT IF({check}, TRUE, {failure});"
    )
