"""The execution signature is read back with pydantic-core alone (domain/workflow/
signature.py), through the core schemas of the definition's own models: these hold
the two to one meaning, so a stored signature is checked exactly as a definition's
parameters and settings are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from workflows_api.domain.workflow import signature
from workflows_api.domain.workflow.parts import Parameter, WorkflowSettings
from workflows_api.domain.workflow.signature import ExecutionSignature


@dataclass(frozen=True)
class Declared:
    """What ExecutionSignature.of reads of a validated definition."""

    parameters: list[Parameter]
    settings: WorkflowSettings


DECLARED = Declared(
    [
        Parameter.model_validate({"name": "radius", "type": "FLOAT64", "minimum": 0}),
        Parameter.model_validate(
            {"name": "kind", "type": "STRING", "allowed_values": ["a", "b"], "default": "a"}
        ),
        Parameter.model_validate(
            {"name": "ids", "type": "ARRAY<INT64>", "max_items": 3, "required": False}
        ),
    ],
    WorkflowSettings.model_validate({"cache": False, "max_concurrent_executions": 2}),
)


def _without_docs(core: Any) -> Any:
    """A core schema without what only the JSON Schema shows (descriptions)."""
    if isinstance(core, dict):
        return {
            key: _without_docs(value)
            for key, value in core.items()
            if key not in ("metadata", "default_factory_takes_data")
        }
    if isinstance(core, list):
        return [_without_docs(value) for value in core]
    return core


@pytest.mark.parametrize(
    ("model", "ours"),
    [(Parameter, signature.PARAMETER_SCHEMA), (WorkflowSettings, signature.SETTINGS_SCHEMA)],
)
def test_each_schema_is_the_one_pydantic_builds_from_the_model(
    model: type[BaseModel], ours: Any
) -> None:
    built = model.__pydantic_core_schema__
    assert list(ours["fields"]) == list(built["schema"]["fields"])
    for name, field in built["schema"]["fields"].items():
        assert _without_docs(ours["fields"][name]["schema"]) == _without_docs(field["schema"]), name
    for setting in ("extra_fields_behavior", "allow_inf_nan"):
        assert ours["config"][setting] == built["config"][setting], setting


def test_a_signature_round_trips_and_writes_what_the_models_dump() -> None:
    workflow = DECLARED
    made = ExecutionSignature.of(workflow, ("p.d.t",))
    stored = made.to_json()
    assert stored["parameters"] == [p.model_dump(mode="json") for p in workflow.parameters]
    assert stored["settings"] == workflow.settings.model_dump(mode="json")
    assert ExecutionSignature.from_json(stored) == made
    assert made.settings.cache is False and made.settings.max_concurrent_executions == 2
    kind = made.parameter("kind")
    assert kind is not None and kind.allowed_values == ("a", "b") and not kind.is_required
    ids = made.parameter("ids")
    assert ids is not None and ids.element_type == "INT64" and not ids.is_required


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["STRING", "INT64", "ARRAY<DATE>", "GEOGRAPHY", "x", ""]),
    st.lists(st.one_of(st.booleans(), st.integers(), st.text(max_size=2)), max_size=2),
)
_PARAMETER_FIELDS = st.sampled_from([*signature.PARAMETER_SCHEMA["fields"], "unknown"])
_SETTINGS_FIELDS = st.sampled_from([*signature.SETTINGS_SCHEMA["fields"], "unknown"])


def _outcome(read: Any) -> tuple[str, Any]:
    try:
        return "ok", repr(read())  # NaN is not equal to itself: compare the text
    except ValidationError as invalid:
        return "refused", [(e["loc"], e["type"]) for e in invalid.errors()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries({"name": st.text(max_size=3), "type": _VALUES}),
    st.dictionaries(_PARAMETER_FIELDS, _VALUES, max_size=4),
)
def test_a_stored_parameter_is_refused_or_read_as_the_model_would(
    base: dict[str, Any], more: dict[str, Any]
) -> None:
    data = {**base, **more}
    ours = _outcome(lambda: signature.SignatureParameter(**_read(signature._PARAMETER, data)))
    model = _outcome(lambda: signature.SignatureParameter(**_read_model(Parameter, data)))
    assert ours == model


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_SETTINGS_FIELDS, _VALUES, max_size=3))
def test_stored_settings_are_refused_or_read_as_the_model_would(data: dict[str, Any]) -> None:
    ours = _outcome(lambda: signature.SignatureSettings(**_read(signature._SETTINGS, data)))
    model = _outcome(lambda: signature.SignatureSettings(**_read_model(WorkflowSettings, data)))
    assert ours == model


def _read(validator: Any, data: dict[str, Any]) -> dict[str, Any]:
    read = dict(validator.validate_python(data))
    if read.get("allowed_values") is not None:
        read["allowed_values"] = tuple(read["allowed_values"])
    return read


def _read_model(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    read = dict(model.model_validate(data))
    if read.get("allowed_values") is not None:
        read["allowed_values"] = tuple(read["allowed_values"])
    return read
