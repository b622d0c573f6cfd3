"""Local-only shim: what a query costs, and the maximumBytesBilled cap, as BigQuery does.

bqemulator 1.4.0 reports ``totalBytesProcessed`` "0" for every job and no
``totalBytesBilled``, ``totalSlotMs`` or ``numChildJobs``, and ignores
``maximumBytesBilled``. BigQuery bills a query by the bytes of the tables it reads,
rounded up to a whole MB with at least 10 MB per table read, and refuses a query whose
bill would exceed ``maximumBytesBilled`` before running it (``bytesBilledLimitExceeded``;
in a script, each statement is held to the cap).

The estimate here: every column of each dataset table a statement names, sized by
BigQuery's data-size rules (8 bytes per INT64/FLOAT64/DATE/TIMESTAMP value, 1 per
BOOL, 16 per NUMERIC, 2 + the bytes of a STRING/BYTES value, the WKB bytes of a
GEOGRAPHY). Temporary tables of a script are not counted. It is local arithmetic that
has BigQuery's shape, not BigQuery's figure. The canaries in
tests/integration/test_bigquery_costs.py fail on the day upstream reports costs or
enforces the cap.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024
_CALL = re.compile(r"^\s*CALL\s+([`\w.-]+)\s*\(", re.IGNORECASE)
MIN_BILLED_PER_TABLE = 10 * MB
_FIXED_BYTES = {
    "BIGINT": 8,
    "INTEGER": 8,
    "DOUBLE": 8,
    "FLOAT": 8,
    "DATE": 8,
    "TIMESTAMP": 8,
    "TIMESTAMP WITH TIME ZONE": 8,
    "BOOLEAN": 1,
}


class BytesBilledLimitExceeded(Exception):
    """BigQuery's refusal of a query billed over maximumBytesBilled (nothing ran)."""

    bq_reason = "bytesBilledLimitExceeded"

    def __init__(self, limit: int, billed: int) -> None:
        self.message = (
            f"Query exceeded limit for bytes billed: {limit}. {billed} or higher required."
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class Cost:
    bytes_processed: int = 0
    bytes_billed: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.bytes_processed + other.bytes_processed, self.bytes_billed + other.bytes_billed
        )


def statement_cost(cursor: Any, sql: str, default_project: str) -> Cost:
    """The bytes a statement reads from dataset tables, and what BigQuery would bill."""
    tables = _tables_read(sql, default_project)
    processed = sum(_table_bytes(cursor, *table) for table in tables)
    if not tables:
        return Cost()
    billed = max(math.ceil(processed / MB) * MB, MIN_BILLED_PER_TABLE * len(tables))
    return Cost(processed, billed)


def query_cost(cursor: Any, query: dict[str, Any], default_project: str) -> Cost:
    """A query job's own cost, held to its maximumBytesBilled before it runs, when it is
    one statement; a script's statements are costed and held to the cap one by one as
    they run (devstack.bq_scripting), so a script's own cost is nothing."""
    sql = str(query.get("query", ""))
    text = sql.strip().rstrip(";")
    if text[:4].upper() == "CALL" or text[:7].upper() == "DECLARE" or ";" in text:
        return Cost()
    cost = statement_cost(cursor, sql, default_project)
    check_limit(cost, query.get("maximumBytesBilled"))
    return cost


def with_costs(
    statistics: dict[str, Any],
    own: Cost,
    children: list[Any],
    started: dt.datetime,
    ended: dt.datetime,
) -> dict[str, Any]:
    """A finished job's `statistics` with BigQuery's cost fields (a script's are the sums
    over its child jobs) in place of the emulator's zeros."""
    costs = _cost_fields(own, children, started, ended)
    return {**statistics, **costs, "query": {**statistics.get("query", {}), **costs["query"]}}


def _cost_fields(
    own: Cost, children: list[Any], started: dt.datetime, ended: dt.datetime
) -> dict[str, Any]:
    processed, billed, slot_ms = own.bytes_processed, own.bytes_billed, 0
    for child in children:
        processed += int(child.statistics.get("totalBytesProcessed", 0))
        billed += int(child.statistics.get("query", {}).get("totalBytesBilled", 0))
        slot_ms += int(child.statistics.get("totalSlotMs", 0))
    if not children:  # slot time: the local engine's wall time, one slot
        slot_ms = max(0, int((ended - started).total_seconds() * 1000))
    statistics: dict[str, Any] = {
        "totalBytesProcessed": str(processed),
        "totalSlotMs": str(slot_ms),
        "query": {
            "totalBytesProcessed": str(processed),
            "totalBytesBilled": str(billed),
            "totalSlotMs": str(slot_ms),
        },
    }
    if children:
        statistics["numChildJobs"] = str(len(children))
    return statistics


def check_limit(cost: Cost, maximum_bytes_billed: Any) -> None:
    """Raise BigQuery's error when `cost` would bill more than the job's cap."""
    if maximum_bytes_billed in (None, ""):
        return
    limit = int(maximum_bytes_billed)
    if cost.bytes_billed > limit:
        raise BytesBilledLimitExceeded(limit, cost.bytes_billed)


def _tables_read(sql: str, default_project: str) -> set[tuple[str, str, str]]:
    import sqlglot
    from sqlglot import exp

    try:
        trees = sqlglot.parse(sql, read="bigquery")
    except sqlglot.errors.SqlglotError:
        return set()
    tables = set()
    for tree in trees:
        if tree is None:
            continue
        written = {id(t) for t in _written_tables(tree)}
        for table in tree.find_all(exp.Table):
            if id(table) in written or not table.db:
                continue
            tables.add((table.catalog or default_project, table.db, table.name))
    return tables


def _written_tables(tree: Any) -> list[Any]:
    from sqlglot import exp

    target = tree.this if isinstance(tree, exp.Create | exp.Insert) else None
    if isinstance(target, exp.Schema):
        target = target.this
    return [target] if isinstance(target, exp.Table) else []


def _table_bytes(cursor: Any, project: str, dataset: str, table: str) -> int:
    from bqemulator.storage.sql_identifiers import quoted_table_ref

    try:
        reference = quoted_table_ref(project, dataset, table)
        columns = cursor.execute(f"DESCRIBE {reference}").fetchall()
    except Exception:  # not a table the emulator has (a view, a typo): BigQuery's problem
        return 0
    sizes = [_column_bytes(name, str(kind).upper()) for name, kind, *_ in columns]
    (total,) = cursor.execute(f"SELECT {' + '.join(sizes) or '0'} FROM {reference}").fetchone()
    return int(total or 0)


def _column_bytes(name: str, kind: str) -> str:
    """SQL summing one column's BigQuery logical bytes over the table."""
    column = '"' + name.replace('"', '""') + '"'
    if kind in _FIXED_BYTES:
        return f"{_FIXED_BYTES[kind]} * COUNT(*)"
    if kind.startswith("DECIMAL"):
        return "16 * COUNT(*)"
    if kind == "GEOMETRY":
        return f"COALESCE(SUM(octet_length(ST_AsWKB({column}))), 0)"
    if kind == "BLOB":
        return f"COALESCE(SUM(2 + octet_length({column})), 0)"
    if kind == "VARCHAR":
        return f"COALESCE(SUM(2 + strlen({column})), 0)"
    return f"COALESCE(SUM(2 + strlen(CAST({column} AS VARCHAR))), 0)"


def costed_sql(statement: Any) -> str | None:
    """The query a script statement runs, as BigQuery bills it (SET and DECLARE
    evaluate theirs); None for one that reads nothing by itself."""
    from bqemulator.scripting.ast import DeclareStmt, SetStmt, SqlStmt

    if isinstance(statement, SqlStmt):
        return str(statement.sql)
    if isinstance(statement, SetStmt):
        return f"SELECT {statement.source_expr}"
    if isinstance(statement, DeclareStmt) and statement.default_expr:
        return f"SELECT {statement.default_expr}"
    return None


def with_dry_run_estimate(answer: Any, ctx: Any, project: str, config: dict[str, Any]) -> Any:
    """bqemulator's dry-run answer (a Job resource) with the estimate in place of "0"."""
    query = config.get("query")
    if not config.get("dryRun") or not isinstance(query, dict) or not isinstance(answer, dict):
        return answer
    estimate = str(dry_run_estimate(ctx, project, str(query.get("query", ""))))
    statistics = answer.setdefault("statistics", {})
    statistics["totalBytesProcessed"] = estimate
    statistics.setdefault("query", {})["totalBytesProcessed"] = estimate
    return answer


def dry_run_estimate(ctx: Any, project: str, sql: str) -> int:
    """totalBytesProcessed of a dry run: a statement's bytes; for a CALL, the bytes of
    every statement of the procedure's body once (loops counted once)."""
    call = _CALL.match(sql)
    if call is None:
        return statement_cost(ctx.engine.connection, sql, project).bytes_processed
    from bqemulator.scripting.parser import parse_script

    parts = [p for p in re.split(r"[`.]", call.group(1)) if p]
    if len(parts) == 2:
        parts.insert(0, project)
    routine = ctx.catalog.get_routine(*parts) if len(parts) == 3 else None
    if routine is None:
        return 0
    statements = _flatten(parse_script(routine.definition_body).statements)
    queries = [q for q in map(costed_sql, statements) if q is not None]
    cursor = ctx.engine.connection
    return sum(statement_cost(cursor, q, project).bytes_processed for q in queries)


def _flatten(statements: Any) -> list[Any]:
    """Every statement, those nested in IF/WHILE/LOOP/BEGIN blocks included."""
    from bqemulator.scripting.ast import Statement

    found: list[Any] = []
    for statement in statements:
        found.append(statement)
        for name in getattr(statement, "__slots__", ()):
            found.extend(_flatten(_statements_in(getattr(statement, name), Statement)))
    return found


def _statements_in(value: Any, kind: type) -> list[Any]:
    if isinstance(value, kind):
        return [value]
    if isinstance(value, tuple | list):
        return [s for item in value for s in _statements_in(item, kind)]
    return []
