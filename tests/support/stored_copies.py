"""What the in-memory stores do to every value they keep, as Firestore would: refuse
naive datetimes (the adapter's rule) and keep a copy (a caller's later change to its
object changes nothing stored)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any, TypeVar

T = TypeVar("T")


def stored(value: T) -> T:
    """A copy, after refusing naive datetimes anywhere in it (the adapter's rule)."""
    refuse_naive(value)
    return copy.deepcopy(value)


def refuse_naive(value: Any) -> None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime: {value!r}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            refuse_naive(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            refuse_naive(item)
