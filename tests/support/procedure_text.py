"""A compiled procedure's body read back as BigQuery script statements.

sqlglot does not parse BigQuery's scripting blocks (IF ... END IF, WHILE ... END WHILE),
so the script structure is read with bqemulator's scripting parser (a dev dependency,
no emulator running) and each SQL statement inside it with sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bqemulator.scripting import ast
from bqemulator.scripting.parser import parse_script

_LOOP_BOUND = re.compile(r"\.iterations < (\d+)$")


def procedure_body(sql: str) -> str:
    """The text between the procedure's BEGIN and its last END."""
    return sql[sql.index("\nBEGIN\n") + len("\nBEGIN\n") : sql.rindex("\nEND;")]


def body_statements(sql: str) -> tuple[ast.Statement, ...]:
    return parse_script(procedure_body(sql)).statements


def _inner(statement: ast.Statement) -> tuple[ast.Statement, ...]:
    if isinstance(statement, ast.WhileStmt):
        return statement.body
    if isinstance(statement, ast.IfStmt):
        branches = [s for _, body in statement.branches for s in body]
        return (*branches, *(statement.else_body or ()))
    return ()


def walk(statements: Sequence[ast.Statement]) -> Iterator[ast.Statement]:
    """Every statement, nested ones after their block."""
    for statement in statements:
        yield statement
        yield from walk(_inner(statement))


def statement_count(statements: Sequence[ast.Statement]) -> int:
    """Statements written in the procedure, blocks and their nested statements each one."""
    return sum(1 for _ in walk(statements))


def most_executed(statements: Sequence[ast.Statement]) -> int:
    """The most statements a successful run executes (each a child job on BigQuery):
    a WHILE body as often as its `state.iterations < N` bound allows, an IF's branch
    once (a RAISE none: it ends the run); the blocks' conditions read no table."""
    total = 0
    for statement in statements:
        if isinstance(statement, ast.WhileStmt):
            bound = _LOOP_BOUND.search(statement.condition_expr.strip())
            assert bound, f"WHILE without an iteration bound: {statement.condition_expr}"
            total += int(bound.group(1)) * most_executed(statement.body)
        elif isinstance(statement, ast.IfStmt):
            total += max(most_executed(body) for _, body in statement.branches)
        elif not isinstance(statement, ast.RaiseStmt):
            total += 1
    return total
