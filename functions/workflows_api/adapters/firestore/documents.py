"""One Firestore document at a time, for the aggregate modules next to this one.

Every client call is one attempt with a deadline (`ONE_ATTEMPT`: at most
ATTEMPT_TIMEOUT_SECONDS, less when the request's deadline is nearer); `call` retries
transient errors under the adapters' one retry policy (adapters/retrying.py) for at most
RETRY_DEADLINE_SECONDS (or until the request's deadline) and then raises
BackendUnavailable: a frozen Firestore is a 503 with Retry-After within the request's
deadline. Conditional writes are lock-free:
create-if-absent (`create()`) and compare-and-swap on the last update time, never a
read-write transaction (the emulator serialises contended ones with lock timeouts).

Dicts whose key order matters are kept as JSON strings (Firestore maps do not keep
key order). Datetimes go in as tz-aware timestamps and come back as plain UTC
`datetime`s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from google.api_core import exceptions
from google.api_core.retry import if_exception_type
from google.cloud import firestore

from workflows_api.adapters.retrying import attempt_timeout, call_with_retries

T = TypeVar("T")

_TRANSIENT = (
    exceptions.ServiceUnavailable,
    exceptions.DeadlineExceeded,
    exceptions.InternalServerError,
    exceptions.TooManyRequests,  # also ResourceExhausted (its subclass)
    exceptions.Aborted,
)
# How long one store call keeps retrying transient errors before BackendUnavailable.
RETRY_DEADLINE_SECONDS = 8.0
ATTEMPT_TIMEOUT_SECONDS = 5.0


class _OneAttempt(Mapping[str, Any]):
    """`retry=None, timeout=...` for a client call, the timeout read when the call is
    made (`**ONE_ATTEMPT`), so that it ends by the current deadline."""

    def __getitem__(self, key: str) -> Any:
        if key == "retry":
            return None
        if key == "timeout":
            return attempt_timeout(ATTEMPT_TIMEOUT_SECONDS)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("retry", "timeout"))

    def __len__(self) -> int:
        return 2


# Passed to every client call: the library's own retries (up to 60-300 s) are off,
# `call` decides instead.
ONE_ATTEMPT = _OneAttempt()


class FirestoreCollections:
    """The client, and the way to an org's collections (orgs/{org}/{collection})."""

    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _org(self, org: str, collection: str) -> firestore.CollectionReference:
        return self._client.collection("orgs").document(org).collection(collection)


def call(operation: Callable[[], T]) -> T:
    """Run `operation`, retrying transient Firestore errors; BackendUnavailable after."""
    return call_with_retries(
        "firestore",
        "a Firestore request",
        operation,
        is_transient=if_exception_type(*_TRANSIENT),
        first_delay=0.1,
        max_delay=2.0,
        deadline=RETRY_DEADLINE_SECONDS,
    )


def read(ref: firestore.DocumentReference) -> dict[str, Any] | None:
    """The document's fields, None when it does not exist."""
    snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
    return snapshot.to_dict() if snapshot.exists else None


def read_all(
    client: firestore.Client, refs: list[firestore.DocumentReference]
) -> list[dict[str, Any] | None]:
    """Each document's fields (None when it does not exist), in one round trip."""
    found = {s.reference.path: s for s in call(lambda: list(client.get_all(refs, **ONE_ATTEMPT)))}
    return [s.to_dict() if (s := found.get(ref.path)) and s.exists else None for ref in refs]


def write(ref: firestore.DocumentReference, doc: dict[str, Any]) -> dt.datetime:
    """Set the document; its update time."""
    return call(lambda: ref.set(doc, **ONE_ATTEMPT)).update_time


def delete(ref: firestore.DocumentReference) -> None:
    call(lambda: ref.delete(**ONE_ATTEMPT))


def run_query(query: firestore.Query) -> list[firestore.DocumentSnapshot]:
    """Every document `query` matches, in its order."""
    return list(call(lambda: query.get(**ONE_ATTEMPT)))


def update_unchanged(
    ref: firestore.DocumentReference, snapshot: firestore.DocumentSnapshot, doc: dict[str, Any]
) -> bool:
    """Compare-and-swap: update only if nobody wrote since `snapshot` was read."""
    return update_unchanged_since(ref, snapshot.update_time, doc) is not None


def update_unchanged_since(
    ref: firestore.DocumentReference, update_time: dt.datetime, doc: dict[str, Any]
) -> dt.datetime | None:
    """Compare-and-swap: update only if the document's last write is still the one at
    `update_time`; the update's own update time, None when someone wrote since."""
    unchanged = firestore.Client.write_option(last_update_time=update_time)
    try:
        result = call(lambda: ref.update(doc, option=unchanged, **ONE_ATTEMPT))
    except (exceptions.FailedPrecondition, exceptions.NotFound):
        return None
    return result.update_time


def delete_existing(ref: firestore.DocumentReference) -> bool:
    """Delete in one atomic call that fails when there is nothing to delete."""
    must_exist = firestore.Client.write_option(exists=True)
    try:
        call(lambda: ref.delete(option=must_exist, **ONE_ATTEMPT))
    except exceptions.NotFound:
        return False
    return True


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=False, separators=(",", ":"), ensure_ascii=False)


def timestamp(value: dt.datetime) -> dt.datetime:
    """Firestore would read a naive datetime as UTC; refuse it rather than guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime: {value!r}")
    return value


def optional_timestamp(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else timestamp(value)


def utc(value: dt.datetime) -> dt.datetime:
    """Firestore's DatetimeWithNanoseconds as a plain UTC datetime (microseconds kept)."""
    value = value.astimezone(dt.UTC)
    return dt.datetime.combine(value.date(), value.time(), tzinfo=dt.UTC)


def optional_utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)
