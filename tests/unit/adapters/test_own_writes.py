"""The memo of this process's last execution writes (adapters/firestore/own_writes.py)."""

from __future__ import annotations

import datetime as dt

from workflows_api.adapters.firestore.own_writes import OwnWrites

T0 = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)


def test_it_knows_the_update_time_only_for_the_state_it_wrote() -> None:
    memo = OwnWrites()
    memo.wrote("org", "e1", "created", T0)
    assert memo.update_time_if("org", "e1", "created") == T0
    assert memo.update_time_if("org", "e1", "running") is None
    assert memo.update_time_if("other", "e1", "created") is None
    memo.forget("org", "e1")
    assert memo.update_time_if("org", "e1", "created") is None


def test_it_keeps_only_the_most_recently_written() -> None:
    memo = OwnWrites(size=2)
    memo.wrote("org", "e1", "created", T0)
    memo.wrote("org", "e2", "created", T0)
    memo.wrote("org", "e1", "running", T0 + dt.timedelta(seconds=1))  # e1 is newest again
    memo.wrote("org", "e3", "created", T0)
    assert memo.update_time_if("org", "e2", "created") is None
    assert memo.update_time_if("org", "e1", "running") == T0 + dt.timedelta(seconds=1)
    assert memo.update_time_if("org", "e3", "created") == T0
