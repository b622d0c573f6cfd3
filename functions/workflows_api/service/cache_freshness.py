"""Whether a cached run may still answer: its sources unchanged since it started, and
its age within what the caller accepts (domain/execution/freshness.py decides).

One request reads its sources' metadata at most once, in one parallel round of
tables.get (`Warehouse.table_metadata`) under the request's deadline, and only when a
holder is found: a request that finds no cache entry (new parameters) reads none. The
same round asks for the cache key's output table, so whether a succeeded holder's table
is still there (service/output_tables.py) costs no round of its own. The sources come
from the ExecutionSignature kept with the API state; an API state written before they
were kept has them derived from its deployed definition once per process (`sources_of`),
and stored when the API is next updated.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import Future

from workflows_api import parallel
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution import freshness
from workflows_api.domain.execution.freshness import CacheMiss, TableMetadata
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.domain.workflow.signature import ExecutionSignature
from workflows_api.service.ports import Warehouse

_DERIVED_MOST = 1000
_derived: dict[tuple[str, str, str], tuple[str, ...]] = {}
_derived_lock = threading.Lock()


def sources_of(
    record: WorkflowRecord, workflow: ExecutionSignature, project: str
) -> tuple[str, ...]:
    """The tables the deployed definition reads (`project`: the connection's)."""
    if workflow.sources is not None:
        return workflow.sources
    api = record.api
    assert api is not None  # execution_signature_of checked it
    key = (api.procedure, api.deployed_version, project)
    with _derived_lock:
        found = _derived.get(key)
    if found is None:
        from workflows_api.domain.workflow.sources import source_tables
        from workflows_api.service.workflows import deployed_definition_of

        found = source_tables(deployed_definition_of(record), project)
        with _derived_lock:
            if len(_derived) >= _DERIVED_MOST:
                _derived.clear()
            _derived[key] = found
    return found


class RequestFreshness:
    """One execute request's judge of cached runs; reads the sources at most once."""

    def __init__(
        self,
        warehouse: Warehouse,
        connection: Callable[[], Connection],
        sources: Callable[[], tuple[str, ...]],
        *,
        now: dt.datetime,
        max_age: dt.timedelta | None,
        output_table: str | None = None,
    ) -> None:
        self._warehouse = warehouse
        self._connection = connection
        self._sources = sources
        self._output_table = output_table  # the cache key's shared table, read beside
        self._now = now
        self._max_age = max_age
        self._metadata: Future[dict[str, TableMetadata | None]] | None = None
        self.miss: CacheMiss | None = None  # the last refusal, for the answer

    def prefetch(self) -> None:
        """Start reading the sources now (beside another read), if not started yet."""
        if self._metadata is None:
            self._metadata = parallel.start(self._read)

    def _read(self) -> dict[str, TableMetadata | None]:
        tables = self._sources()
        if self._output_table is not None and self._output_table not in tables:
            tables = (*tables, self._output_table)
        if not tables:
            return {}
        return self._warehouse.table_metadata(self._connection(), tables)

    def output_found(self, table: str) -> bool:
        """Whether BigQuery still has the output table `table`: from this request's round
        of tables.get for the cache key's shared table, else (a holder's table of its
        own, rare) from a tables.get of its own."""
        if table != self._output_table:
            return self._warehouse.table_metadata(self._connection(), [table])[table] is not None
        self.prefetch()
        assert self._metadata is not None
        return self._metadata.result()[table] is not None

    def refusal(self, holder: Execution) -> CacheMiss | None:
        """None when `holder` (reusable by state and expiry) may answer; else why not."""
        sources: dict[str, TableMetadata | None] = {}
        if freshness.needs_sources(holder):
            self.prefetch()
            assert self._metadata is not None
            read = self._metadata.result()
            sources = {table: read[table] for table in self._sources()}
        miss = freshness.cache_miss(holder, sources, now=self._now, max_age=self._max_age)
        if miss is not None:
            self.miss = miss
        return miss
