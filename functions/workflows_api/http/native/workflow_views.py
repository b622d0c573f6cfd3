"""The workflow resources as the native API's JSON (api_access's answers)."""

from __future__ import annotations

import json
from typing import Any

from workflows_api.domain.timestamps import iso_utc, optional_iso_utc
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.http.native import models


def workflow_model(
    record: WorkflowRecord, *, include_definition: bool = True
) -> models.WorkflowResource:
    return models.WorkflowResource(
        id=record.id,
        name=str(record.definition.get("name", "")),
        connection=record.connection,
        version=record.version,
        created_at=iso_utc(record.created_at),
        updated_at=iso_utc(record.updated_at),
        api_enabled=bool(record.api and record.api.enabled),
        definition=record.definition if include_definition else None,
    )


def api_state_view(record: WorkflowRecord, procedure: str) -> dict[str, Any]:
    api = record.api
    enabled = bool(api and api.enabled)
    # Imported here: the definition model (and its node types) only where one is read.
    from workflows_api.domain.workflow.validation import parse_workflow

    deployed = parse_workflow(api.deployed_definition if api else record.definition)
    example = {p.name: _example_value(p.type, p.default) for p in deployed.parameters}
    return models.ApiState(
        workflow_id=record.id,
        enabled=enabled,
        procedure=procedure,
        deployed_version=api.deployed_version if enabled and api else None,
        current_version=record.version,
        in_sync=bool(enabled and api and api.deployed_version == record.version),
        enabled_at=optional_iso_utc(api.enabled_at) if enabled and api else None,
        updated_at=optional_iso_utc(api.updated_at) if api else None,
        parameters=[
            models.ApiParameter(
                name=p.name,
                type=p.type,
                required=p.is_required,
                description=p.description,
                default=p.default,
            )
            for p in deployed.parameters
        ],
        parameters_schema=_parameters_schema(deployed.parameters),
        examples=_examples(record, example) if enabled else None,
    ).model_dump(mode="json")


def _examples(record: WorkflowRecord, example: dict[str, Any]) -> dict[str, str]:
    """Requests ready to paste (host and token to fill in)."""
    body = json.dumps({"parameters": example})
    return {
        "execute": (
            f'curl -sS -X POST "$BASE_URL/v1/workflows/{record.id}/executions" '
            f"-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
            f"-d '{body}'"
        ),
        "status": (
            'curl -sS "$BASE_URL/v1/executions/$EXECUTION_ID" -H "Authorization: Bearer $TOKEN"'
        ),
    }


_EXAMPLES: dict[str, Any] = {
    "STRING": "text",
    "INT64": 1,
    "FLOAT64": 1.5,
    "NUMERIC": "1.5",
    "BOOL": True,
    "DATE": "2026-01-31",
    "TIMESTAMP": "2026-01-31T12:00:00Z",
    "GEOGRAPHY": "POINT(-3.7038 40.4168)",
}


def _example_value(kind: str, default: Any) -> Any:
    if default is not None:
        return default
    if kind.startswith("ARRAY<"):
        return [_EXAMPLES.get(kind[6:-1], "text")]
    return _EXAMPLES.get(kind, "text")


def _parameters_schema(parameters: Any) -> dict[str, Any]:
    # Imported here: it loads the definition model, which a status process never needs.
    from workflows_api.http.native.parameter_schema import parameters_schema

    return parameters_schema(parameters)
