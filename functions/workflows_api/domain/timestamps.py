"""The one way this API writes a time: ISO 8601 in UTC with a `Z`."""

from __future__ import annotations

import datetime as dt


def iso_utc(value: dt.datetime, *, milliseconds: bool = False) -> str:
    """`2026-03-01T12:00:00.123456Z`; with `milliseconds`, `2026-03-01T12:00:00.123Z`
    (as CARTO writes its times)."""
    spec = "milliseconds" if milliseconds else "auto"
    return value.astimezone(dt.UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def optional_iso_utc(value: dt.datetime | None) -> str | None:
    return None if value is None else iso_utc(value)
