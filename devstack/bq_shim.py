"""Local-only shim: make bqemulator bind named query parameters in scripts.

Real BigQuery binds ``@name`` query parameters everywhere, scripts included, so
production submits ``CALL proc(@a, @b, @output_table)`` with typed parameters.
bqemulator 1.4.0 binds them only on its single-statement path; its scripting
interpreter (used for CALL, DECLARE, EXECUTE IMMEDIATE ...) ignores them and
fails with "Values were not provided for the following prepared statement
parameters".

This shim closes that gap for the local stack only. For a scripted job that
carries named parameters it declares one script variable per parameter in the
interpreter's root frame, holding the parameter's *typed value*, and renames
each ``@name`` token (found by bqemulator's own lexer, so text inside string
literals, quoted identifiers and comments is untouched) to that variable. The
interpreter then binds variables as DuckDB prepared-statement values: no value
is ever pasted into SQL text.

A second, smaller gap: a GEOGRAPHY column read back from a table (DuckDB
GEOMETRY without Arrow's geoarrow extension tag) is reported as BYTES holding
WKB, where BigQuery reports GEOGRAPHY holding WKT text. The shim makes such
columns GEOGRAPHY/WKT, using bqemulator's own WKB-to-WKT converter, so code
that reads results by their schema behaves as it would on BigQuery.

It never runs in the Cloud Functions: only ``devstack`` imports it. The
integration tests ``test_bqemulator_still_ignores_script_parameters`` and
``test_bqemulator_still_reports_geography_as_bytes`` fail on the day upstream
closes each gap, so that part of the shim can be deleted.
"""

from __future__ import annotations

import functools
import itertools
import os
from typing import Any

from devstack import bq_async, bq_buffer, bq_result_rows, bq_table_times, completion_events

SHIM_VARIABLE_PREFIX = "__wfapi_query_param_"

_installed = False


def rename_parameter_references(source: str, names: set[str]) -> str:
    """Rewrite each ``@name`` token for a known parameter into its script variable.

    Uses bqemulator's scripting lexer, so ``'@name'`` inside a string literal,
    a backtick-quoted identifier or a comment is left as it is.
    """
    from bqemulator.scripting.lexer import tokenize

    tokens = tokenize(source)
    pieces: list[str] = []
    cursor = 0
    for at_token, name_token in itertools.pairwise(tokens):
        if (
            at_token.kind == "AT"
            and name_token.kind == "IDENT"
            and name_token.start == at_token.end
            and name_token.value in names
        ):
            pieces.append(source[cursor : at_token.start])
            pieces.append(SHIM_VARIABLE_PREFIX + name_token.value)
            cursor = name_token.end
    pieces.append(source[cursor:])
    return "".join(pieces)


def _parameter_type_name(parameter_type: dict[str, Any]) -> str:
    kind = str(parameter_type.get("type", "STRING")).upper()
    if kind == "ARRAY":
        return f"ARRAY<{_parameter_type_name(parameter_type.get('arrayType', {}))}>"
    return kind


def install() -> None:
    """Patch bqemulator's query executor in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from bqemulator.jobs import executor
    from bqemulator.scripting.interpreter import ScriptInterpreter
    from bqemulator.sql.parameters import _extract_value

    original_run_query_body = executor._run_query_body

    @functools.wraps(original_run_query_body)
    async def run_query_body_binding_script_parameters(**kwargs: Any) -> Any:
        query_params = kwargs.get("query_params") or []
        named = [p for p in query_params if p.get("name")]
        if not kwargs.get("is_scripted") or not named:
            return await original_run_query_body(**kwargs)
        interpreter = ScriptInterpreter(
            kwargs["ctx"], kwargs["project_id"], caller=kwargs["effective_caller"]
        )
        for param in named:
            interpreter._frames.declare(
                SHIM_VARIABLE_PREFIX + param["name"],
                _parameter_type_name(param.get("parameterType", {})),
                _extract_value(param),
            )
        source = rename_parameter_references(kwargs["bq_sql"], {p["name"] for p in named})
        return await executor._run_script(interpreter, source, kwargs["ctx"])

    executor._run_query_body = run_query_body_binding_script_parameters
    _report_geometry_as_geography()
    _installed = True


def _is_duckdb_geometry(field: Any) -> bool:
    duckdb_type = (field.metadata or {}).get(b"bqemu.duckdb_type", b"")
    return bool(duckdb_type.decode("utf-8").upper() == "GEOMETRY")


def _report_geometry_as_geography() -> None:
    from bqemulator.jobs import executor
    from bqemulator.storage import arrow_bridge

    original_resolve = executor._resolve_bq_type
    original_is_geometry = arrow_bridge._is_geometry_field

    @functools.wraps(original_resolve)
    def resolve_bq_type(field: Any, inner_type: Any) -> str:
        return "GEOGRAPHY" if _is_duckdb_geometry(field) else original_resolve(field, inner_type)

    @functools.wraps(original_is_geometry)
    def is_geometry_field(field: Any) -> bool:
        return _is_duckdb_geometry(field) or original_is_geometry(field)

    executor._resolve_bq_type = resolve_bq_type
    arrow_bridge._is_geometry_field = is_geometry_field


def main() -> None:
    """``python -m devstack.bq_shim start ...``: bqemulator's own CLI, shims installed."""
    bq_buffer.install()  # ST_BUFFER radii in metres (before any translator is built)
    install()
    bq_async.install()  # asynchronous jobs, child jobs, procedures with control flow
    bq_table_times.install()  # lastModifiedTime moves on DML, loads, copies, overwrites
    bq_result_rows.install()  # tabledata.list of a query's result table
    completion_events.install(os.environ)  # job ends published as Cloud Logging's sink does
    from bqemulator.cli import main as bqemulator_main

    bqemulator_main()


if __name__ == "__main__":
    main()
