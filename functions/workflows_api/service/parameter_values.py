"""A caller's parameter values, checked against the declared parameters, as a service
answer: canonical JSON values, or one 400 that lists every problem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workflows_api.domain.errors import ParameterValuesInvalid
from workflows_api.service.errors import ServiceError

if TYPE_CHECKING:
    from workflows_api.domain.workflow.parameter_types import ParameterDeclaration


def parameter_values(
    declared: Sequence[ParameterDeclaration], supplied: Mapping[str, Any]
) -> dict[str, Any]:
    """Canonical JSON values of the supplied parameters; 400 listing every problem."""
    # Imported here, as everywhere on the status path: a process that only reads
    # executions never loads the definition model (cold start).
    from workflows_api.domain.workflow.parameters import to_json_values, validate_parameter_values

    try:
        return to_json_values(validate_parameter_values(declared, supplied))
    except ParameterValuesInvalid as invalid:
        raise ServiceError(
            "invalid",
            "invalid_parameters",
            "; ".join(error.message for error in invalid.errors),
            invalid.errors[0].parameter if len(invalid.errors) == 1 else "parameters",
            details=[error.to_dict() for error in invalid.errors],
        ) from None
