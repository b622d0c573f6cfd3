"""Local-only shim: a table's `lastModifiedTime` moves forward when its data change.

BigQuery moves a table's `lastModifiedTime` on every DML statement, load, copy and
overwrite (`CREATE OR REPLACE TABLE`, `TRUNCATE TABLE`); the API's cache compares it
with a cached run's start to decide whether the run may still answer
(domain/execution/freshness.py). bqemulator 1.4.0 keeps it (and `numRows`) at the
creation values: an `INSERT` into `retail.stores` leaves both unchanged.

This shim sets the catalog's `last_modified_time` to the time a statement that writes a
table ends: a single statement (the job's SQL), each statement of a script (a CALL's
procedure body included), and load and copy jobs (their destination). The tables a
statement writes are found in its syntax tree (sqlglot, BigQuery dialect): INSERT,
UPDATE, DELETE, MERGE, TRUNCATE TABLE and CREATE [OR REPLACE] TABLE. Query jobs with a
`destinationTable` of their own and streaming inserts are not covered (nothing here
uses them). The canary `test_bqemulator_still_keeps_last_modified_time_on_insert`
(tests/integration/test_bigquery_table_times.py) fails on the day upstream moves it.
"""

from __future__ import annotations

import functools
from typing import Any

_installed = False


def written_tables(sql: str, default_project: str) -> list[tuple[str, str, str]]:
    """(project, dataset, table) of every table `sql` writes; [] when it writes none or
    does not parse (the statement then failed or is one sqlglot cannot read)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = sqlglot.parse(sql, read="bigquery")
    except (ParseError, TokenError, RecursionError):
        return []
    found: list[tuple[str, str, str]] = []
    for statement in statements:
        targets: list[Any] = []
        if isinstance(statement, exp.Insert | exp.Update | exp.Delete | exp.Merge):
            targets.append(statement.this)
        elif isinstance(statement, exp.TruncateTable):
            targets.extend(statement.expressions)
        elif isinstance(statement, exp.Create) and str(statement.args.get("kind")) == "TABLE":
            targets.append(statement.this)
        for target in targets:
            table = target if isinstance(target, exp.Table) else target.find(exp.Table)
            name = None if table is None else _name(table, default_project)
            if name is not None and name not in found:
                found.append(name)
    return found


def _name(table: Any, default_project: str) -> tuple[str, str, str] | None:
    parts = [part.name for part in table.parts]
    if len(parts) == 1 and "." in parts[0]:  # `p.d.t` in one pair of backticks
        parts = parts[0].split(".")
    if len(parts) == 2:
        parts = [default_project, *parts]
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def touch(ctx: Any, tables: list[tuple[str, str, str]]) -> None:
    """Record that `tables` changed now (those the catalog knows; TEMP tables are not)."""
    if not tables:
        return
    now = ctx.clock.now()
    for project, dataset, table in tables:
        meta = ctx.catalog.get_table(project, dataset, table)
        if meta is not None and meta.last_modified_time < now:
            ctx.catalog.update_table(meta.model_copy(update={"last_modified_time": now}))


def _destination(config: dict[str, Any], kind: str, project_id: str) -> list[tuple[str, str, str]]:
    dest = (config.get(kind) or {}).get("destinationTable") or {}
    if not dest.get("datasetId") or not dest.get("tableId"):
        return []
    return [(dest.get("projectId", project_id), dest["datasetId"], dest["tableId"])]


def install() -> None:
    """Patch bqemulator in this process (idempotent; after bq_scripting's own patch)."""
    global _installed
    if _installed:
        return
    from bqemulator.api.routes import jobs as job_routes
    from bqemulator.api.routes import upload as upload_routes
    from bqemulator.jobs import executor
    from bqemulator.scripting.ast import SqlStmt
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original_single = executor._run_single_sql

    @functools.wraps(original_single)
    async def run_single_sql(project_id: str, bq_sql: str, *args: Any, **kwargs: Any) -> Any:
        result = await original_single(project_id, bq_sql, *args, **kwargs)
        ctx = args[1] if len(args) > 1 else kwargs["ctx"]
        touch(ctx, written_tables(bq_sql, project_id))
        return result

    executor._run_single_sql = run_single_sql

    original_statement = ScriptInterpreter._exec_statement

    @functools.wraps(original_statement)
    async def exec_statement(self: ScriptInterpreter, stmt: Any) -> None:
        await original_statement(self, stmt)
        if isinstance(stmt, SqlStmt):  # EXECUTE IMMEDIATE writes only generated tables here
            touch(self._ctx, written_tables(str(stmt.sql), self._project_id))

    ScriptInterpreter._exec_statement = exec_statement  # type: ignore[method-assign]

    for name, kind in (("execute_load_job", "load"), ("execute_copy_job", "copy")):
        original = getattr(executor, name)

        def wrapped(original: Any = original, kind: str = kind) -> Any:
            @functools.wraps(original)
            async def run(project_id: str, job_id: str, config: dict[str, Any], ctx: Any) -> Any:
                meta = await original(project_id, job_id, config, ctx)
                if not getattr(meta, "error_result", None):
                    touch(ctx, _destination(config, kind, project_id))
                return meta

            return run

        patched = wrapped()
        for module in (executor, job_routes, upload_routes):  # each imported it by name
            if hasattr(module, name):
                setattr(module, name, patched)
    _installed = True
