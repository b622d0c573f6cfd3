"""How an event function answers Pub/Sub: returning acknowledges the event, raising has
it delivered again (after the subscription's backoff). Shared by the CloudEvent entry
points in main.py, so each says only what it reads and which service it calls."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from workflows_api import logs
from workflows_api.service.errors import BackendUnavailable, ServiceError

logger = logging.getLogger(__name__)
Read = TypeVar("Read")


def read_event(
    cloud_event: Any,
    read: Callable[[], Read],
    not_ours: type[Exception],
    level: int = logging.ERROR,
) -> Read | None:
    """What `read` makes of the event, or None when it is to be acknowledged unread:
    not one of ours (`not_ours`, logged at `level`), or unreadable (no redelivery can
    make it readable; logged with its traceback)."""
    try:
        return read()
    except not_ours as error:
        logs.log(logger, level, f"event ignored: {error}", event_id=cloud_event["id"])
    except Exception:
        logger.exception("unreadable event ignored", extra={"fields": _event_id(cloud_event)})
    return None


@contextmanager
def failures_acknowledged(cloud_event: Any) -> Iterator[None]:
    """Handling that would fail the same way again is logged and acknowledged; only a
    backend being unavailable raises, to be delivered again."""
    try:
        yield
    except BackendUnavailable:
        raise
    except ServiceError as refused:
        if refused.kind == "unavailable":
            raise
        logs.log(logger, logging.ERROR, f"event refused: {refused}", **_event_id(cloud_event))
    except Exception:
        logger.exception("event failed; acknowledged", extra={"fields": _event_id(cloud_event)})


def _event_id(cloud_event: Any) -> dict[str, Any]:
    return {"event_id": cloud_event.get("id")}
