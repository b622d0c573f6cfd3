"""The execution documents this process wrote last: their state and update time.

A compare-and-swap on an execution (save_execution) needs the stored state and the
update time to condition the write on. When the document's last write was this
process's own (an admission's create, then the write of BigQuery's answer to its
insert), both are known without a read: the update is conditioned on that update time,
and if anyone wrote since, Firestore refuses it and the save reads, as it would have
(nothing is trusted that Firestore does not check). Bounded, and per process.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

# Executions whose last write is remembered (an admission reads its own within a request).
REMEMBERED = 1024


class OwnWrites:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._last: OrderedDict[tuple[str, str], tuple[str, dt.datetime]] = OrderedDict()

    def wrote(self, org: str, execution_id: str, state: str, update_time: dt.datetime) -> None:
        with self._lock:
            self._last[(org, execution_id)] = (state, update_time)
            self._last.move_to_end((org, execution_id))
            while len(self._last) > self._size:
                self._last.popitem(last=False)

    def update_time_if(self, org: str, execution_id: str, state: str) -> dt.datetime | None:
        """The update time of this process's last write of the execution, if that write
        left it in `state`."""
        with self._lock:
            known = self._last.get((org, execution_id))
        return known[1] if known is not None and known[0] == state else None

    def forget(self, org: str, execution_id: str) -> None:
        with self._lock:
            self._last.pop((org, execution_id), None)
