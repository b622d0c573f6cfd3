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
    # The deployed procedure's text and arguments, as compiled when the API was enabled
    # or updated: what GET .../sql answers while the definition is that version, never
    # compiled again. None on records written before it was kept (compiled on read).
    deployed_sql: str | None = None
    deployed_arguments: tuple[tuple[str, str], ...] = ()
    # The connection the procedure was deployed for (and runs as). None on records
    # written before it was kept: read as the workflow's connection (deployed_connection).
    connection: str | None = None


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

    @property
    def deployed_connection(self) -> str | None:
        """The connection the API was deployed for; None without an API."""
        if self.api is None:
            return None
        return self.api.connection or self.connection

    @property
    def connection_changed(self) -> bool:
        """The definition now runs on another connection than its API was deployed for:
        the procedure is the old connection's, as is the identity, cap and allowlist it
        was checked against, so the API must be updated before it runs again."""
        return self.api is not None and self.deployed_connection != self.connection


@dataclass(frozen=True)
class ExportedSql:
    """A procedure's text as GET .../sql shows it (CARTO's "Export")."""

    procedure_ref: str  # project.dataset.routine, unquoted
    version: str
    arguments: tuple[tuple[str, str], ...]  # (name, BigQuery type), output_table last
    sql: str


def kept_sql(record: WorkflowRecord, project: str, dataset: str) -> ExportedSql | None:
    """The SQL kept with the API state, when it is what the current definition compiles
    to on a connection with this `project` and `dataset`; else None."""
    api = record.api
    if api is None or api.deployed_sql is None or api.deployed_version != record.version:
        return None
    if api.procedure.rsplit(".", 1)[0] != f"{project}.{dataset}":
        return None  # the workflow moved to another connection since
    return ExportedSql(
        api.procedure, api.deployed_version, api.deployed_arguments, api.deployed_sql
    )
