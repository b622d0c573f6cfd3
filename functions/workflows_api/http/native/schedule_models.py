"""The bodies of the schedule routes that only the server reads: what a caller writes,
and what a fire of Cloud Scheduler's is answered with. (A schedule as answered is the
SDK's model, `workflows_api_client.models.Schedule`.)"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, JsonValue, StrictBool, StrictStr

from workflows_api.http.models import StrictModel
from workflows_api_client.models import ScheduleError

_CRON = "Cloud Scheduler's unix-cron, five fields: `0 6 * * MON-FRI`."
_ZONE = "IANA time zone the cron is read in: `Europe/Madrid`, `Etc/UTC`."


_EXAMPLE_PARAMETERS: dict[str, JsonValue] = {
    "number_of_clusters": 2,
    "buffer_radius": 500,
    "store_type": "Supermarket",
}


class ScheduleBody(StrictModel):
    """POST /v1/workflows/{workflow_id}/schedules."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cron": "0 6 * * MON-FRI",
                    "time_zone": "Europe/Madrid",
                    "parameters": _EXAMPLE_PARAMETERS,
                    "description": "Weekday mornings",
                },
                {"cron": "*/15 * * * *", "parameters": _EXAMPLE_PARAMETERS, "paused": True},
            ]
        }
    )

    cron: StrictStr = Field(description=_CRON, examples=["0 6 * * MON-FRI"])
    time_zone: StrictStr = Field(default="Etc/UTC", description=_ZONE, examples=["Europe/Madrid"])
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Values for the workflow's declared parameters."
    )
    cache: StrictBool = Field(
        default=False, description="true: a run may be served by an identical earlier one."
    )
    description: StrictStr = Field(default="", max_length=500)
    paused: StrictBool = False


class SchedulePatch(StrictModel):
    """PATCH /v1/workflows/{workflow_id}/schedules/{schedule_id}: the fields to change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"paused": True}, {"cron": "0 7 * * *", "time_zone": "Etc/UTC"}]
        }
    )

    cron: StrictStr | None = Field(default=None, description=_CRON)
    time_zone: StrictStr | None = Field(default=None, description=_ZONE)
    parameters: dict[str, Any] | None = None
    cache: StrictBool | None = None
    description: StrictStr | None = Field(default=None, max_length=500)
    paused: StrictBool | None = None


class ScheduleFire(StrictModel):
    """What a fire of Cloud Scheduler's is answered with (200 unless 503: then it retries)."""

    schedule_id: str
    scheduled_at: str
    execution_id: str | None
    error: ScheduleError | None
