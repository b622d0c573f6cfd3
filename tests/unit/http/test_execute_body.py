"""The native execute body is read through a core schema (http/native/execute_body.py)
so a cold instance never loads pydantic's model machinery; the OpenAPI document shows
the model (`ExecuteBody`). These hold the two to one meaning."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflows_api.http.errors import ApiError
from workflows_api.http.models import parse_model
from workflows_api.http.native.execute_body import EXECUTE_BODY_SCHEMA, execute_body
from workflows_api.http.native.models import ExecuteBody


def test_the_core_schema_is_the_one_pydantic_builds_from_the_model() -> None:
    built = ExecuteBody.__pydantic_core_schema__["schema"]
    assert built["type"] == "model-fields"
    assert list(EXECUTE_BODY_SCHEMA["fields"]) == list(built["fields"])
    for name, field in built["fields"].items():
        ours = dict(EXECUTE_BODY_SCHEMA["fields"][name]["schema"])
        theirs = dict(field["schema"])
        theirs.pop("default_factory_takes_data", None)  # False: the factory takes nothing
        assert ours == theirs, name
    assert EXECUTE_BODY_SCHEMA.get("extra_behavior") == "forbid"
    assert ExecuteBody.model_config.get("extra") == "forbid"


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**10), max_value=10**10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_FIELDS = st.sampled_from(
    ["parameters", "cache", "cache_max_age_seconds", "wait_seconds", "dry_run", "unknown"]
)


def _answer(read: Any) -> tuple[str, Any]:
    try:
        return "ok", read()
    except ApiError as refused:
        return "refused", (refused.status, refused.field, refused.message, refused.details)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_FIELDS, _VALUES, max_size=4))
def test_the_schema_and_the_model_accept_and_refuse_the_same_bodies(body: dict[str, Any]) -> None:
    ours = _answer(lambda: execute_body(body))
    model = _answer(lambda: parse_model(ExecuteBody, body).model_dump())
    assert _comparable(ours) == _comparable(model)


def _comparable(answer: tuple[str, Any]) -> Any:
    kind, value = answer
    if kind == "ok":  # NaN is not equal to itself: compare its text
        return kind, repr(sorted(value.items()))
    return answer


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_a_body_that_is_not_an_object_is_refused_by_both(body: Any) -> None:
    for read in (lambda: execute_body(body), lambda: parse_model(ExecuteBody, body)):
        with pytest.raises(ApiError) as refused:
            read()
        assert refused.value.status == 400
        assert "JSON object" in refused.value.message


def test_a_refusal_names_the_field_and_what_was_expected() -> None:
    with pytest.raises(ApiError) as refused:
        execute_body({"wait_seconds": 61})
    assert refused.value.field == "wait_seconds"
    assert "less than or equal to 60" in refused.value.message
    with pytest.raises(ValidationError):  # the model agrees, from pydantic itself
        ExecuteBody.model_validate({"wait_seconds": 61})
