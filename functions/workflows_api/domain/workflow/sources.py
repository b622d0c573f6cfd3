"""The tables a workflow reads (its sources), found as the read allowlist finds them.

The same walk as the allowlist check (every read_table node and every table in a custom
SQL fragment's syntax tree, `validation.validate_workflow`), recording each table
instead of judging it. Computed when the API is enabled or updated and kept in the
ExecutionSignature, so execute never parses the definition to know them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .fragments import FragmentRefused
from .read_allowlist import ReadAllowlist, ReadPolicy, TableName, table_name

if TYPE_CHECKING:
    from .model import Workflow


@dataclass(frozen=True)
class _Recording(ReadPolicy):
    """A read policy that allows everything and remembers what it was asked about."""

    seen: list[str] = field(default_factory=list)

    def problem(self, reference: str | TableName) -> tuple[str, str] | None:
        try:
            table = (
                reference
                if isinstance(reference, TableName)
                else table_name(reference, self.project)
            )
        except FragmentRefused as refused:
            return refused.code, str(refused)
        if str(table) not in self.seen:
            self.seen.append(str(table))
        return None


def source_tables(workflow: Workflow, project: str) -> tuple[str, ...]:
    """`project.dataset.table` of every table the workflow reads, in order of appearance;
    a table without a project is in `project` (the connection's)."""
    from .validation import validate_workflow

    recording = _Recording(project, ReadAllowlist(()))
    validate_workflow(workflow, recording)
    return tuple(recording.seen)
