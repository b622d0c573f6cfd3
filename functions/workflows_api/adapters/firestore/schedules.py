"""ScheduleStore on Firestore: schedule records (their Cloud Scheduler jobs are the clock).

Collections owned:

    orgs/{org}/schedules/{schedule_id}    cron, zone, parameters, sync, last attempts
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from workflows_api.adapters.firestore.documents import (
    ONE_ATTEMPT,
    FirestoreCollections,
    call,
    delete_existing,
    read,
    run_query,
    timestamp,
    to_json,
    update_unchanged,
    utc,
    write,
)
from workflows_api.service.errors import BackendUnavailable

if TYPE_CHECKING:
    from workflows_api.domain.schedules import Schedule, ScheduleAttempt

_RECORD_ATTEMPTS = 5


class FirestoreSchedules(FirestoreCollections):
    """ScheduleStore."""

    def put_schedule(self, schedule: Schedule) -> None:
        write(self._org(schedule.org, "schedules").document(schedule.id), _to_doc(schedule))

    def get_schedule(self, org: str, schedule_id: str) -> Schedule | None:
        data = read(self._org(org, "schedules").document(schedule_id))
        return None if data is None else _from_doc(data)

    def delete_schedule(self, org: str, schedule_id: str) -> bool:
        return delete_existing(self._org(org, "schedules").document(schedule_id))

    def list_schedules(
        self, org: str, *, limit: int, workflow_id: str | None = None, after: str | None = None
    ) -> list[Schedule]:
        # An equality filter ordered by document id needs no composite index.
        query: Any = self._org(org, "schedules")
        if workflow_id is not None:
            query = query.where(filter=firestore.FieldFilter("workflow_id", "==", workflow_id))
        query = query.order_by(FieldPath.document_id())
        if after is not None:
            query = query.start_after({FieldPath.document_id(): after})
        return [_from_doc(s.to_dict() or {}) for s in run_query(query.limit(limit))]

    def record_schedule_attempt(
        self, org: str, schedule_id: str, attempt: ScheduleAttempt
    ) -> Schedule | None:
        # Compare-and-swap on the read's update time, as executions are saved: a fire
        # and its retry recording at once both land, the execution kept once.
        ref = self._org(org, "schedules").document(schedule_id)
        for _ in range(_RECORD_ATTEMPTS):
            snapshot = call(lambda: ref.get(**ONE_ATTEMPT))
            if not snapshot.exists:
                return None
            recorded = _from_doc(snapshot.to_dict() or {}).with_attempt(attempt)
            changes = {
                "last_attempt": _attempt_to_doc(attempt),
                "runs": [_attempt_to_doc(run) for run in recorded.runs],
            }
            if update_unchanged(ref, snapshot, changes):
                return recorded
        raise BackendUnavailable("firestore", "a schedule kept changing while recording a fire")


def _attempt_to_doc(attempt: ScheduleAttempt) -> dict[str, Any]:
    return {
        "at": timestamp(attempt.at),
        "scheduled_at": timestamp(attempt.scheduled_at),
        "execution_id": attempt.execution_id,
        "error_code": attempt.error_code,
        "error_message": attempt.error_message,
    }


def _attempt_from_doc(data: dict[str, Any]) -> ScheduleAttempt:
    from workflows_api.domain.schedules import ScheduleAttempt

    return ScheduleAttempt(
        at=utc(data["at"]),
        scheduled_at=utc(data["scheduled_at"]),
        execution_id=data.get("execution_id"),
        error_code=data.get("error_code"),
        error_message=data.get("error_message"),
    )


def _to_doc(schedule: Schedule) -> dict[str, Any]:
    last = schedule.last_attempt
    return {
        "id": schedule.id,
        "org": schedule.org,
        "workflow_id": schedule.workflow_id,
        "cron": schedule.cron,
        "time_zone": schedule.time_zone,
        "parameters": to_json(schedule.parameters),
        "created_at": timestamp(schedule.created_at),
        "updated_at": timestamp(schedule.updated_at),
        "job_name": schedule.job_name,
        "cache": schedule.cache,
        "description": schedule.description,
        "paused": schedule.paused,
        "sync": schedule.sync,
        "last_attempt": None if last is None else _attempt_to_doc(last),
        "runs": [_attempt_to_doc(run) for run in schedule.runs],
    }


def _from_doc(data: dict[str, Any]) -> Schedule:
    # Imported with the first schedule read: every function builds the store, and only
    # the schedule routes and fires read one (cold start).
    from workflows_api.domain.schedules import Schedule

    last = data.get("last_attempt")
    return Schedule(
        id=data["id"],
        org=data["org"],
        workflow_id=data["workflow_id"],
        cron=data["cron"],
        time_zone=data["time_zone"],
        parameters=json.loads(data["parameters"]),
        created_at=utc(data["created_at"]),
        updated_at=utc(data["updated_at"]),
        job_name=data["job_name"],
        cache=bool(data["cache"]),
        description=data["description"],
        paused=bool(data["paused"]),
        sync="active" if data["sync"] == "active" else "pending",
        last_attempt=None if last is None else _attempt_from_doc(last),
        runs=tuple(_attempt_from_doc(run) for run in data.get("runs", [])),
    )
