"""What a workflow reads, and whether its connection may read it.

A connection lists `project.dataset` or `project.*` entries. The tables of a fragment
are found in its syntax tree (every sqlglot `exp.Table`), never by pattern matching on
text: CTE names and the workflow's `$a`, `$b`... inputs are not tables. A table
without a project belongs to the connection's project; one without a dataset is
refused (procedures have no default dataset). Routines a fragment calls
(`fragment_functions`: a function named with a dataset path) are read the same way: a
persistent function runs with the caller's rights, so its dataset must be allowed too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from . import fragment_functions, fragment_parsing, sql_render
from .fragments import FragmentRefused


@dataclass(frozen=True)
class TableName:
    project: str
    dataset: str
    table: str

    def __str__(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


def table_name(reference: str, default_project: str) -> TableName:
    """`dataset.table` or `project.dataset.table`, each part checked (fullmatch)."""
    parts = reference.split(".")
    if len(parts) == 2:
        parts = [default_project, *parts]
    if len(parts) != 3:
        raise FragmentRefused(
            "table_not_qualified",
            f"table {reference!r} must be named as dataset.table or project.dataset.table",
        )
    project, dataset, table = parts
    if any(part.upper() == "INFORMATION_SCHEMA" for part in parts):
        raise FragmentRefused("table_invalid", f"{reference!r}: INFORMATION_SCHEMA is not a table")
    for value, pattern in (
        (project, sql_render.PROJECT_PATTERN),
        (dataset, sql_render.DATASET_PATTERN),
        (table, sql_render.TABLE_PATTERN),
    ):
        if not pattern.fullmatch(value):
            raise FragmentRefused("table_invalid", f"{reference!r} is not a valid table name")
    return TableName(project, dataset, table)


def tables_read(fragment: fragment_parsing.Fragment, default_project: str) -> list[TableName]:
    """The tables a parsed fragment reads, fully qualified, in order of appearance."""
    ctes = {cte.alias_or_name for cte in fragment.tree.find_all(exp.CTE)}
    found: list[TableName] = []
    for table in fragment.tree.find_all(exp.Table):
        parts = [part.name for part in table.parts]
        if len(parts) == 1 and (
            fragment_parsing.INPUT_PLACEHOLDER.fullmatch(parts[0]) or parts[0] in ctes
        ):
            continue
        # `p.d.t` in one pair of backticks is one identifier holding dots.
        name = table_name(".".join(parts), default_project)
        if name not in found:
            found.append(name)
    return found


def routines_called(fragment: fragment_parsing.Fragment, default_project: str) -> list[TableName]:
    """The persistent routines a checked fragment calls, as project.dataset.routine."""
    found: list[TableName] = []
    for path in fragment_functions.routines(fragment.tree):
        parts = [default_project, *path] if len(path) == 2 else list(path)
        project, dataset, routine = parts
        if not (
            sql_render.PROJECT_PATTERN.fullmatch(project)
            and sql_render.DATASET_PATTERN.fullmatch(dataset)
            and sql_render.ROUTINE_PATTERN.fullmatch(routine)
        ):
            raise FragmentRefused(
                "function_not_allowed", f"{'.'.join(path)!r} is not a valid function name"
            )
        name = TableName(project, dataset, routine)
        if name not in found:
            found.append(name)
    return found


@dataclass(frozen=True)
class ReadAllowlist:
    """The `project.dataset` / `project.*` entries a connection may read.

    `closed` names `project.dataset`s, and `closed_prefixes` dataset-name prefixes, that
    a `project.*` entry does not open (generated datasets, which hold procedures and
    output tables, the connection's own and other orgs'): only an entry naming the
    dataset exactly does.
    """

    entries: tuple[str, ...]
    closed: tuple[str, ...] = ()
    closed_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for entry in self.entries:
            if entry_problem(entry):
                raise ValueError(entry_problem(entry))

    def allows(self, table: TableName) -> bool:
        dataset = f"{table.project}.{table.dataset}"
        if dataset in self.entries:
            return True
        return (
            f"{table.project}.*" in self.entries
            and dataset not in self.closed
            and not table.dataset.lower().startswith(self.closed_prefixes)
        )

    def check(self, tables: list[TableName]) -> None:
        """Raises `table_not_allowed` naming the first table outside the list."""
        for table in tables:
            if not self.allows(table):
                allowed = ", ".join(self.entries) or "nothing"
                raise FragmentRefused(
                    "table_not_allowed",
                    f"table {table} is not in the connection's read allowlist ({allowed})",
                )


def entry_problem(entry: str) -> str | None:
    """Why `entry` is not a valid allowlist entry, or None (for connection registration)."""
    project, _, dataset = entry.partition(".")
    if not sql_render.PROJECT_PATTERN.fullmatch(project) or not (
        dataset == "*" or sql_render.DATASET_PATTERN.fullmatch(dataset)
    ):
        return f"expected project.dataset or project.*, got {entry[:200]!r}"
    return None


@dataclass(frozen=True)
class ReadPolicy:
    """What one connection's workflows may read; tables without a project are in
    `project` (the connection's)."""

    project: str
    allowlist: ReadAllowlist

    def problem(self, reference: str | TableName) -> tuple[str, str] | None:
        """(code, message) when the table may not be read, else None."""
        try:
            table = (
                reference
                if isinstance(reference, TableName)
                else table_name(reference, self.project)
            )
            self.allowlist.check([table])
        except FragmentRefused as refused:
            return refused.code, str(refused)
        return None

    def routine_problem(self, routine: TableName) -> tuple[str, str] | None:
        """(code, message) when the routine's dataset may not be read, else None."""
        if self.allowlist.allows(routine):
            return None
        allowed = ", ".join(self.allowlist.entries) or "nothing"
        return (
            "function_not_allowed",
            f"function {routine} is not in a dataset of the connection's read allowlist "
            f"({allowed}); a persistent function runs with the connection's rights",
        )
