"""Local-only shim: bqemulator's scripting, closer to BigQuery's.

Two gaps of bqemulator 1.4.0, closed in the shim process only:

* ``CREATE PROCEDURE ... BEGIN ... END`` keeps the body up to the first ``END``
  that closes a ``BEGIN``, but counts the ``END`` of ``END IF``, ``END WHILE``,
  ``END LOOP``, ``END FOR`` and of ``CASE ... END`` too, so a body with control
  flow is cut short. The shim's body capture skips those (and ``BEGIN
  TRANSACTION``, which has no ``END``). bqemulator's interpreter already runs
  IF / WHILE / LOOP / BEGIN ... EXCEPTION ... END, evaluating conditions with
  DuckDB; it just never received the whole body.
* BigQuery records each statement a script executes as a child job
  (``jobs.list?parentJobId=``); bqemulator lists none. The shim records one
  DONE child job per executed statement (SQL, DECLARE, SET, EXECUTE IMMEDIATE;
  not the control-flow statements around them) while a job of
  :mod:`devstack.bq_async` runs, and stops the script between statements once
  the job is cancelled.

* A table a script creates through ``EXECUTE IMMEDIATE`` (how a procedure writes its
  output table) exists in DuckDB but not in bqemulator's catalog, so ``tables.get``
  answers 404 for it (a plain ``CREATE TABLE`` statement is registered). The shim
  registers it as bqemulator registers the plain one (``sync_created_table``).

Canaries in tests/integration/test_bigquery_scripting.py fail on the day
upstream closes each gap.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

from devstack import bq_costs

_current = threading.local()  # .parent_job_id, .is_cancelled while a job runs
_children: dict[str, list[Any]] = {}
_installed = False

# Tokens after END that close a statement other than BEGIN.
_END_OF_OTHER_BLOCKS = frozenset({"IF", "WHILE", "LOOP", "FOR", "REPEAT"})


class JobStopped(Exception):
    """The running job was cancelled; raised between two script statements."""


@contextlib.contextmanager
def recording_children(
    parent_job_id: str, is_cancelled: Callable[[], bool], maximum_bytes_billed: Any = None
) -> Iterator[None]:
    """Record the statements the current thread's scripts execute as children of a job,
    each held to the job's maximumBytesBilled (devstack.bq_costs)."""
    _current.parent_job_id = parent_job_id
    _current.is_cancelled = is_cancelled
    _current.maximum_bytes_billed = maximum_bytes_billed
    _children[parent_job_id] = []
    try:
        yield
    finally:
        _current.parent_job_id = None
        _current.is_cancelled = None


def _elapsed_ms(started: Any, ended: Any) -> int:
    return max(0, int((ended - started).total_seconds() * 1000))


def child_jobs(parent_job_id: str) -> list[Any]:
    """The child jobs of a script job, most recent first (as jobs.list orders them)."""
    return list(reversed(_children.get(parent_job_id, [])))


def _statement_text(statement: Any) -> str:
    """The statement as the child job's query text (bqemulator keeps no source slice)."""
    from bqemulator.scripting.ast import DeclareStmt, ExecuteImmediateStmt, SetStmt

    if isinstance(statement, DeclareStmt):
        default = f" DEFAULT {statement.default_expr}" if statement.default_expr else ""
        return f"DECLARE {', '.join(statement.names)} {statement.type_name}{default}"
    if isinstance(statement, SetStmt):
        targets = ", ".join(statement.targets)
        if len(statement.targets) > 1:
            targets = f"({targets})"
        return f"SET {targets} = {statement.source_expr}"
    if isinstance(statement, ExecuteImmediateStmt):
        return f"EXECUTE IMMEDIATE {statement.sql_expr}"
    return str(statement.sql)


def _record_child(
    interpreter: Any, statement: Any, started: Any, error: Any, cost: bq_costs.Cost
) -> None:
    from bqemulator.catalog.etag import generate_etag
    from bqemulator.catalog.models import JobMeta
    from bqemulator.domain.errors import DomainError

    parent = _current.parent_job_id
    siblings = _children.setdefault(parent, [])
    job_id = f"script_job_{uuid4().hex}_{len(siblings)}"
    error_result = None
    if error is not None:
        message = error.message if isinstance(error, DomainError) else str(error)
        error_result = {"reason": getattr(error, "bq_reason", "invalidQuery"), "message": message}
    child = JobMeta(
        project_id=interpreter._project_id,
        job_id=job_id,
        job_type="QUERY",
        state="DONE",
        configuration={"query": {"query": _statement_text(statement)}},
        statistics={
            "parentJobId": parent,
            "totalBytesProcessed": str(cost.bytes_processed),
            "totalSlotMs": str(_elapsed_ms(started, interpreter._ctx.clock.now())),
            "query": {
                "totalBytesProcessed": str(cost.bytes_processed),
                "totalBytesBilled": str(cost.bytes_billed),
            },
        },
        error_result=error_result,
        creation_time=started,
        start_time=started,
        end_time=interpreter._ctx.clock.now(),
        etag=generate_etag(interpreter._project_id, job_id, "DONE"),
    )
    siblings.append(child)
    interpreter._ctx.catalog.upsert_job(child)


def _patch_statement_execution() -> None:
    from bqemulator.scripting.ast import (
        DeclareStmt,
        ExecuteImmediateStmt,
        SetStmt,
        SqlStmt,
    )
    from bqemulator.scripting.interpreter import ScriptInterpreter

    recorded_types = (SqlStmt, DeclareStmt, SetStmt, ExecuteImmediateStmt)
    original = ScriptInterpreter._exec_statement

    @functools.wraps(original)
    async def exec_statement(self: ScriptInterpreter, stmt: Any) -> None:
        if getattr(_current, "parent_job_id", None) is None:
            return await original(self, stmt)
        if _current.is_cancelled():
            raise JobStopped("Job execution was cancelled: Job cancelled by user request")
        if not isinstance(stmt, recorded_types):
            return await original(self, stmt)
        started = self._ctx.clock.now()
        cost = bq_costs.Cost()
        try:
            sql = bq_costs.costed_sql(stmt)
            if sql is not None:
                cursor = self._ctx.engine.connection  # the job worker's own connection
                cost = bq_costs.statement_cost(cursor, sql, self._project_id)
                bq_costs.check_limit(cost, _current.maximum_bytes_billed)
            await original(self, stmt)
        except Exception as exc:
            _record_child(self, stmt, started, exc, cost)
            raise
        _record_child(self, stmt, started, None, cost)
        return None

    ScriptInterpreter._exec_statement = exec_statement  # type: ignore[method-assign]


def capture_procedure_body(cursor: Any) -> str:
    """The source between a procedure's BEGIN and its matching END; consumes that END.

    Nesting counts BEGIN (not BEGIN TRANSACTION) and CASE, each closed by an END
    that is not followed by IF/WHILE/LOOP/FOR/REPEAT.
    """
    from bqemulator.domain.errors import InvalidQueryError

    start = cursor.pos
    depth = 1
    while not cursor.at_eof():
        token = cursor.current
        word = token.value.upper() if token.kind in ("KEYWORD", "IDENT") else ""
        following = cursor.peek()
        next_word = following.value.upper() if following.kind in ("KEYWORD", "IDENT") else ""
        if (word == "BEGIN" and next_word != "TRANSACTION") or word == "CASE":
            depth += 1
        elif word == "END" and next_word not in _END_OF_OTHER_BLOCKS:
            depth -= 1
            if depth == 0:
                body = str(cursor.slice(start, cursor.pos))
                cursor.advance()
                return body
        cursor.advance()
    raise InvalidQueryError("Unterminated BEGIN ... END block")


def _patch_dynamic_statements() -> None:
    from bqemulator.catalog.ddl_sync import sync_created_schema, sync_created_table
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original = ScriptInterpreter._run_statement_with_params

    @functools.wraps(original)
    async def run_statement_with_params(
        self: ScriptInterpreter, bq_sql: str, using_values: list[Any]
    ) -> None:
        await original(self, bq_sql, using_values)
        # As bqemulator does after a script's plain SQL statement (no-ops for others).
        sync_created_schema(bq_sql, self._project_id, self._ctx)
        sync_created_table(bq_sql, self._project_id, self._ctx)

    ScriptInterpreter._run_statement_with_params = run_statement_with_params  # type: ignore[method-assign]


def install() -> None:
    """Patch bqemulator's scripting in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from bqemulator.scripting.parser import Parser

    def capture_balanced_block(parser: Parser) -> str:
        return capture_procedure_body(parser._cursor)

    Parser._capture_balanced_block = capture_balanced_block  # type: ignore[method-assign,assignment]
    _patch_statement_execution()
    _patch_dynamic_statements()
    _installed = True
