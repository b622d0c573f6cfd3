"""A workflow's version: the hash of its canonical definition."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .model import Workflow

# Settings added after workflows were first versioned: left out of the canonical form
# while unset, so adding one never changes the version (and so the API's sync state) of
# a definition that does not use it.
_LATER_SETTINGS = ("max_concurrent_executions",)


def canonical_definition(workflow: Workflow) -> dict[str, Any]:
    """Plain data with every default made explicit, so omitted and explicit defaults agree."""
    data = workflow.model_dump(mode="json")
    settings = data["settings"]
    for name in _LATER_SETTINGS:
        if settings.get(name) is None:
            settings.pop(name, None)
    return data


def canonical_json(workflow: Workflow) -> str:
    """One spelling per definition: sorted keys, no insignificant whitespace."""
    return json.dumps(
        canonical_definition(workflow),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def workflow_version(workflow: Workflow) -> str:
    """sha256 hex of the canonical JSON; independent of key order and formatting."""
    return hashlib.sha256(canonical_json(workflow).encode("utf-8")).hexdigest()
