"""What checking a definition's SQL fragments may cost (issue 23, finding 3).

Checking a fragment (two lexers, sqlglot's parse, a trial rendering) costs about 50 µs
per byte on one parser thread per process, so the cost is capped before any of it runs:
each fragment at most 64 KiB (`fragments.MAX_FRAGMENT_BYTES`), all of a definition's
together at most MAX_DEFINITION_FRAGMENT_BYTES (413 `fragments_too_large`, naming the
node whose fragment goes past it). Within those caps, one validation of a definition
has a time budget (`fragment_budget`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Issue
from .model import Workflow

MAX_DEFINITION_FRAGMENT_BYTES = 128 * 1024


def fragment_texts(workflow: Workflow) -> Iterator[tuple[str, str, str]]:
    """(node id, field, text) of every SQL fragment in the definition."""
    for node in workflow.nodes:
        settings = getattr(node, "settings", None)
        sql = getattr(settings, "sql", None) if node.type == "custom_sql" else None
        if isinstance(sql, str):
            yield node.id, "settings.sql", sql
        for i, computed in enumerate(getattr(settings, "computed", None) or []):
            yield node.id, f"settings.computed.{i}.expression", computed.expression


def fragment_size_issues(workflow: Workflow) -> list[Issue]:
    """`fragments_too_large` at the first fragment that takes the definition's fragments
    past MAX_DEFINITION_FRAGMENT_BYTES (each fragment's own cap is checked with it)."""
    total = 0
    for node_id, field, text in fragment_texts(workflow):
        total += len(text.encode("utf-8"))
        if total > MAX_DEFINITION_FRAGMENT_BYTES:
            message = (
                f"the definition's SQL fragments together are over "
                f"{MAX_DEFINITION_FRAGMENT_BYTES // 1024} KiB (at least {total} bytes "
                "with this one); move work into fewer, smaller fragments"
            )
            return [Issue("fragments_too_large", message, node_id, field)]
    return []
