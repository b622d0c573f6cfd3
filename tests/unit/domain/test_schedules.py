"""Schedules in the domain: Cloud Scheduler's unix-cron and IANA zones checked (the field
named), next runs in the schedule's zone, one idempotency key per fire, job names."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows_api.domain import schedules as sch
from workflows_api.domain.schedules import Schedule, ScheduleAttempt, ScheduleFieldInvalid

UTC = dt.UTC


@pytest.mark.parametrize(
    ("cron", "normalized"),
    [
        ("* * * * *", "* * * * *"),
        ("*/15  9-17 * * MON-FRI", "*/15 9-17 * * MON-FRI"),
        ("0 6 1,15 jan,jul sun", "0 6 1,15 jan,jul sun"),
        ("30 2 * * 0-6", "30 2 * * 0-6"),
    ],
)
def test_unix_cron_is_accepted(cron: str, normalized: str) -> None:
    assert sch.check_cron(cron) == normalized


@pytest.mark.parametrize(
    "cron",
    [
        "* * * * * *",  # seconds: not Cloud Scheduler's
        "* * * *",
        "61 * * * *",
        "0 0 L * *",
        "0 0 * * 5L",
        "0 0 * * 5#2",
        "0 0 ? * *",
        "0 0 1W * *",
        "@daily",
        "0 0 * FOO *",
        "0 0 * * MON;rm",
        "*/0 * * * *",
        "",
        "0 0 31 2 *",
    ],
)
def test_other_crons_are_refused_naming_the_field(cron: str) -> None:
    with pytest.raises(ScheduleFieldInvalid) as refused:
        sch.check_cron(cron)
    assert refused.value.field == "cron"
    assert refused.value.message.startswith("cron: ")


@pytest.mark.parametrize("zone", ["Etc/UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires"])
def test_iana_zones_are_accepted(zone: str) -> None:
    assert sch.check_time_zone(zone) == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "+02:00", "x" * 80])
def test_other_zones_are_refused_naming_the_field(zone: str) -> None:
    with pytest.raises(ScheduleFieldInvalid) as refused:
        sch.check_time_zone(zone)
    assert refused.value.field == "time_zone"


def test_next_run_is_read_in_the_schedules_zone() -> None:
    after = dt.datetime(2026, 1, 5, 5, 30, tzinfo=UTC)  # a Monday, 06:30 in Madrid
    assert sch.next_run("0 7 * * MON-FRI", "Europe/Madrid", after) == dt.datetime(
        2026, 1, 5, 6, 0, tzinfo=UTC
    )
    assert sch.next_run("* * * * *", "Etc/UTC", after) == after + dt.timedelta(minutes=1)


def test_next_run_skips_the_hour_a_dst_change_removes() -> None:
    after = dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, clocks jump 02:00 -> 03:00
    assert sch.next_run("0 * * * *", "Europe/Madrid", after) == dt.datetime(
        2026,
        3,
        29,
        1,
        0,
        tzinfo=UTC,  # 03:00 CEST
    )


def test_each_fire_has_one_key_whatever_the_zone_it_is_written_in() -> None:
    job = "projects/p/locations/l/jobs/wfapi-sched-4-demo-w-0123456789abcdef"
    at = dt.datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    madrid = at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert sch.fire_idempotency_key(job, at) == sch.fire_idempotency_key(job, madrid)
    assert sch.fire_idempotency_key(job, at) != sch.fire_idempotency_key(
        job, at + dt.timedelta(minutes=1)
    )
    assert sch.fire_idempotency_key(job, at) != sch.fire_idempotency_key(job + "x", at)


def test_job_names_tell_org_and_workflow_apart() -> None:
    assert sch.job_id("wfapi-sched", "a-b", "c", "0" * 16) != sch.job_id(
        "wfapi-sched", "a", "b-c", "0" * 16
    )
    name = sch.job_id("wfapi-sched", "demo", "store_clusters", "0123456789abcdef")
    assert name == "wfapi-sched-4-demo-store_clusters-0123456789abcdef"


def test_a_retried_fire_keeps_its_run_once() -> None:
    now = dt.datetime(2026, 1, 5, tzinfo=UTC)
    schedule = Schedule(
        "0123456789abcdef", "demo", "w", "* * * * *", "Etc/UTC", {}, now, now, "job"
    )
    first = ScheduleAttempt(now, now, "e1")
    again = ScheduleAttempt(now + dt.timedelta(seconds=10), now, "e1")
    failed = ScheduleAttempt(now, now, None, "api_disabled", "disabled")
    recorded = schedule.with_attempt(first).with_attempt(again).with_attempt(failed)
    assert [run.execution_id for run in recorded.runs] == ["e1"]
    assert recorded.last_attempt == failed
    assert recorded.trigger == "schedule:0123456789abcdef"
    assert schedule.next_run_at(now) is not None
    assert Schedule(**{**schedule.__dict__, "paused": True}).next_run_at(now) is None
