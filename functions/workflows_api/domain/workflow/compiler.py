"""Workflow -> `CREATE OR REPLACE PROCEDURE` text for BigQuery.

The procedure takes one argument per parameter (declared order) and `output_table`.
Its body (`procedure_body`) chains nodes into as few statements as it can (CTEs),
materialising a node as a TEMP table only where several consumers or statements read
it, and copies the Output node's input into `output_table` with an expiration.
The output table's name reaches SQL through FORMAT in `EXECUTE IMMEDIATE` only after
a guard has checked it against a strict `project.dataset.table` pattern.
Same workflow, same bytes: nothing in the text depends on time or iteration order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..errors import WorkflowInvalid
from .model import Workflow
from .nodes.compiling import OUTPUT_TABLE_ARGUMENT, argument_name
from .parameters import bigquery_type
from .procedure_body import body_statements, indent
from .sql_render import quote_identifier, quote_table_reference
from .validation import validate_workflow
from .version import workflow_version

PROCEDURE_PREFIX = "wfproc_"
_PROCEDURE_ID_CHARS = 40
_PROCEDURE_HASH_CHARS = 16


@dataclass(frozen=True)
class CompiledProcedure:
    procedure_ref: str  # project.dataset.name, unquoted
    sql: str
    arguments: tuple[tuple[str, str], ...]  # (argument name, BigQuery type), output_table last
    parameter_names: tuple[str, ...]  # workflow parameter feeding each argument but the last
    statements: tuple[str, ...]  # the body's top-level statements (IF/WHILE blocks whole)
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
    statements = body_statements(workflow, project)
    arguments = (
        *((argument_name(p.name), bigquery_type(p)) for p in workflow.parameters),
        (OUTPUT_TABLE_ARGUMENT, "STRING"),
    )
    routine = quote_table_reference(project, dataset, procedure, "routine")
    signature = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in arguments)
    header = f"CREATE OR REPLACE PROCEDURE {routine}({signature})"
    body = "\n".join(indent(statement) for statement in statements)
    return CompiledProcedure(
        procedure_ref=f"{project}.{dataset}.{procedure}",
        sql=f"{header}\nBEGIN\n{body}\nEND;\n",
        arguments=arguments,
        parameter_names=tuple(p.name for p in workflow.parameters),
        statements=tuple(statements),
        version=workflow_version(workflow),
    )
