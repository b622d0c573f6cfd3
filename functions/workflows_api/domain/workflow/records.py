"""A stored workflow and the state of its API, as the stores keep them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiState:
    enabled: bool
    procedure: str  # project.dataset.routine
    deployed_version: str
    deployed_definition: dict[str, Any]
    enabled_at: dt.datetime
    updated_at: dt.datetime
    # ExecutionSignature.to_json() of the deployed definition: what execute reads instead
    # of parsing it. None on records written before it was kept (derived on read).
    signature: dict[str, Any] | None = None


@dataclass(frozen=True)
class WorkflowRecord:
    org: str
    id: str
    connection: str
    definition: dict[str, Any]  # canonical JSON of the definition
    version: str
    created_at: dt.datetime
    updated_at: dt.datetime
    api: ApiState | None = None
