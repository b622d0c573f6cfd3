"""Schedules: a cron, an IANA time zone and parameter values for one workflow.

Each schedule is backed by one Cloud Scheduler job (the clock); its record (what runs,
the last attempts) is the service's. A cron is Cloud Scheduler's unix-cron: five fields
(minute, hour, day of month, month, day of week) of numbers, `*`, ranges, steps, lists,
and month or day names; no seconds field, no `L`, `W`, `#` or `?`, no `@daily` macros.
Next run times are computed with cronsim in the schedule's zone.

Every fire is one execution: its idempotency key is made of the job's name and the time
the fire was scheduled for (Cloud Scheduler's `X-CloudScheduler-ScheduleTime`), so a
retried fire finds the execution the first attempt made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass, replace
from typing import Any, Literal

SCHEDULE_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
MAX_CRON_CHARS = 200
MAX_DESCRIPTION_CHARS = 500  # Cloud Scheduler's own limit on a job's description
RECENT_RUNS = 10  # runs kept on the record; the views show the newest
TRIGGER_PREFIX = "schedule:"

_MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
_DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
_FIELDS = (
    ("minute", None),
    ("hour", None),
    ("day of month", None),
    ("month", _MONTHS),
    ("day of week", _DAYS),
)
_FIELD_TEXT = re.compile(r"^[0-9A-Za-z*,/-]+$")


class ScheduleFieldInvalid(ValueError):
    """A schedule field the caller wrote is wrong: `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = f"{field}: {message}"


def check_cron(text: str) -> str:
    """The cron, its fields separated by single spaces; ScheduleFieldInvalid (`cron`)."""
    from cronsim import CronSim, CronSimError

    fields = text.split()
    if len(text) > MAX_CRON_CHARS or len(fields) != len(_FIELDS):
        raise ScheduleFieldInvalid(
            "cron",
            f"expected five fields (minute hour day-of-month month day-of-week), got {text[:60]!r}",
        )
    for value, (name, names) in zip(fields, _FIELDS, strict=True):
        words = set(re.findall(r"[A-Za-z]+", value))
        if not _FIELD_TEXT.fullmatch(value) or (
            words and (names is None or not {w.upper() for w in words} <= names)
        ):
            raise ScheduleFieldInvalid("cron", f"the {name} field {value[:40]!r} is not unix-cron")
    normalized = " ".join(fields)
    try:
        CronSim(normalized, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    except CronSimError as error:
        raise ScheduleFieldInvalid("cron", f"{error} in {normalized[:60]!r}") from None
    return normalized


def check_time_zone(name: str) -> str:
    """An IANA zone name (`Europe/Madrid`, `Etc/UTC`); ScheduleFieldInvalid (`time_zone`)."""
    if not re.fullmatch(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*", name) or len(name) > 64:
        raise ScheduleFieldInvalid("time_zone", f"expected an IANA zone, got {name[:64]!r}")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleFieldInvalid(
            "time_zone", f"{name!r} is not an IANA time zone (e.g. Europe/Madrid, Etc/UTC)"
        ) from None
    return name


def next_run(cron: str, time_zone: str, after: dt.datetime) -> dt.datetime:
    """The first time after `after` the cron matches in `time_zone`, in UTC."""
    from cronsim import CronSim

    local = after.astimezone(zoneinfo.ZoneInfo(time_zone))
    return next(CronSim(cron, local)).astimezone(dt.UTC)


def new_schedule_id() -> str:
    return secrets.token_hex(8)


def job_id(prefix: str, org: str, workflow_id: str, schedule_id: str) -> str:
    """The Cloud Scheduler job id of a schedule: `<prefix>-<len(org)>-<org>-<workflow>-
    <schedule id>`. The org's length makes it unambiguous (ids hold `-` too); every part
    is of Cloud Scheduler's job-id alphabet (letters, digits, `-`, `_`)."""
    return f"{prefix}-{len(org)}-{org}-{workflow_id}-{schedule_id}"


def fire_idempotency_key(job_name: str, scheduled_at: dt.datetime) -> str:
    """One key per fire: the job and the time the fire was scheduled for."""
    instant = scheduled_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    digest = hashlib.sha256(f"{job_name}\x00{instant}".encode()).hexdigest()
    return f"schedule-fire:{digest}"


def trigger_of(schedule_id: str) -> str:
    return f"{TRIGGER_PREFIX}{schedule_id}"


@dataclass(frozen=True)
class ScheduleAttempt:
    """One fire (or run-now): when, for which scheduled time, what it started or why not."""

    at: dt.datetime
    scheduled_at: dt.datetime
    execution_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Schedule:
    id: str
    org: str
    workflow_id: str
    cron: str
    time_zone: str
    parameters: dict[str, Any]  # canonical JSON values, as validated when written
    created_at: dt.datetime
    updated_at: dt.datetime
    job_name: str  # projects/<p>/locations/<l>/jobs/<job_id>
    cache: bool = False
    description: str = ""
    paused: bool = False
    # "pending" from the record's first write until its Cloud Scheduler job is made.
    sync: Literal["pending", "active"] = "pending"
    last_attempt: ScheduleAttempt | None = None
    runs: tuple[ScheduleAttempt, ...] = ()  # attempts that started an execution, newest first

    @property
    def trigger(self) -> str:
        return trigger_of(self.id)

    def next_run_at(self, now: dt.datetime) -> dt.datetime | None:
        return None if self.paused else next_run(self.cron, self.time_zone, now)

    def with_attempt(self, attempt: ScheduleAttempt) -> Schedule:
        """This schedule once `attempt` is recorded (a retried fire's execution is kept once)."""
        runs = self.runs
        if attempt.execution_id is not None:
            others = tuple(r for r in runs if r.execution_id != attempt.execution_id)
            runs = (attempt, *others)[:RECENT_RUNS]
        return replace(self, last_attempt=attempt, runs=runs)


@dataclass(frozen=True)
class SchedulerJob:
    """What a schedule's Cloud Scheduler job is made of: an HTTP POST to execute's fire
    route with an OIDC ID token of the invoker account, at the cron's times."""

    name: str  # projects/<p>/locations/<l>/jobs/<job id>
    cron: str
    time_zone: str
    description: str
    uri: str
    invoker: str  # the service account whose ID token the job sends
    audience: str
    attempt_deadline_seconds: int
    paused: bool
