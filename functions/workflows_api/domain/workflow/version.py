"""A workflow's version: the hash of its canonical definition."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .model import Workflow


def canonical_definition(workflow: Workflow) -> dict[str, Any]:
    """Plain data with every default made explicit, so omitted and explicit defaults agree."""
    return workflow.model_dump(mode="json")


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
