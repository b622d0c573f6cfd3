"""The native API's schedule routes (joined to `routes.ROUTES`): schedules are written and
read through `api_access`; run-now and Cloud Scheduler's fires are served by `execute`,
the function Cloud Scheduler's jobs call with the invoker account's OIDC ID token."""

from __future__ import annotations

from workflows_api.http.routing import (
    API_ACCESS,
    EXECUTE,
    WORKFLOW_PATH,
    Link,
    Parameter,
    Route,
    page_parameters,
)

SCHEDULES_PATH = f"{WORKFLOW_PATH}/schedules"
SCHEDULE_PATH = f"{SCHEDULES_PATH}/<schedule_id>"
SCHEDULE_ID_PATTERN = "^[0-9a-f]{16}$"
_MODELS = "workflows_api.http.native.schedule_models"
_HANDLERS = "workflows_api.http.native.schedules"
_RUNS = "workflows_api.http.native.schedule_runs"
_NEW_SCHEDULE = (
    ("workflow_id", "$request.path.workflow_id"),
    ("schedule_id", "$response.body#/id"),
)
_SCHEDULE_LINKS = (
    Link("GetSchedule", "GET", SCHEDULE_PATH, _NEW_SCHEDULE),
    Link("UpdateSchedule", "PATCH", SCHEDULE_PATH, _NEW_SCHEDULE),
    Link("RunSchedule", "POST", f"{SCHEDULE_PATH}/run", _NEW_SCHEDULE),
    Link("DeleteSchedule", "DELETE", SCHEDULE_PATH, _NEW_SCHEDULE),
)
_PAGES = page_parameters(SCHEDULE_ID_PATTERN, 50, 100)

SCHEDULE_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        SCHEDULES_PATH,
        API_ACCESS,
        f"{_HANDLERS}:create_schedule",
        "Create a schedule: a Cloud Scheduler job running the workflow at its cron's times",
        responses=((201, "Schedule"),),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body=f"{_MODELS}:ScheduleBody",
        links=_SCHEDULE_LINKS,
    ),
    Route(
        "GET",
        SCHEDULES_PATH,
        API_ACCESS,
        f"{_HANDLERS}:list_schedules",
        "A workflow's schedules, by id",
        responses=((200, "ScheduleList"),),
        parameters=_PAGES,
    ),
    Route(
        "GET",
        "/v1/schedules",
        API_ACCESS,
        f"{_HANDLERS}:list_org_schedules",
        "The org's schedules (of the workflows the token may see), by id",
        responses=((200, "ScheduleList"),),
        errors=(400, 401, 403, 503),
        parameters=_PAGES,
    ),
    Route(
        "GET",
        SCHEDULE_PATH,
        API_ACCESS,
        f"{_HANDLERS}:get_schedule",
        "A schedule: its next run, last attempt and last runs",
        responses=((200, "Schedule"),),
    ),
    Route(
        "PATCH",
        SCHEDULE_PATH,
        API_ACCESS,
        f"{_HANDLERS}:update_schedule",
        "Change a schedule's cron, time zone, parameters, cache, description or paused",
        responses=((200, "Schedule"),),
        errors=(400, 401, 403, 404, 413, 415, 503),
        request_body=f"{_MODELS}:SchedulePatch",
    ),
    Route(
        "DELETE",
        SCHEDULE_PATH,
        API_ACCESS,
        f"{_HANDLERS}:delete_schedule",
        "Delete a schedule and its Cloud Scheduler job",
        responses=((204, None),),
    ),
    Route(
        "POST",
        f"{SCHEDULE_PATH}/run",
        EXECUTE,
        f"{_RUNS}:run_schedule",
        "Run a schedule now (paused or not): one execution with its parameters",
        responses=((202, "Execution"), (200, "Execution")),
        errors=(400, 401, 403, 404, 409, 422, 503),
        parameters=(
            Parameter(
                "Idempotency-Key",
                "A retried request with the same key returns the same execution.",
                {"type": "string", "pattern": r"^[\x20-\x7e]{1,200}$"},
                location="header",
            ),
        ),
    ),
    Route(
        "POST",
        "/v1/orgs/<org>/workflows/<workflow_id>/schedules/<schedule_id>/fires",
        EXECUTE,
        f"{_RUNS}:fire_schedule",
        "Cloud Scheduler's fire of a schedule (the schedules' invoker account only)",
        responses=((200, f"{_MODELS}:ScheduleFire"),),
        errors=(400, 401, 404, 503),
        request_media_types=("application/json",),
        parameters=(
            Parameter(
                "X-CloudScheduler-ScheduleTime",
                "The time Cloud Scheduler fired for (RFC 3339): one execution per time.",
                {"type": "string", "format": "date-time"},
                location="header",
                required=True,
            ),
        ),
        tag="scheduler",
    ),
)
