"""What a declared parameter is, apart from the pydantic model that reads it from a
definition (`parts.Parameter`): its types, and the protocol that checking a value
against it needs (`parameters.py`). An execute reads parameters as the execution
signature keeps them (`signature.py`) and never loads pydantic's model machinery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, get_args

ScalarType = Literal[
    "STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP", "GEOGRAPHY"
]
ArrayType = Literal[
    "ARRAY<STRING>",
    "ARRAY<INT64>",
    "ARRAY<FLOAT64>",
    "ARRAY<NUMERIC>",
    "ARRAY<BOOL>",
    "ARRAY<DATE>",
    "ARRAY<TIMESTAMP>",
]
ParameterType = Literal[ScalarType, ArrayType]
SCALAR_TYPES: tuple[str, ...] = get_args(ScalarType)
ARRAY_ELEMENT_TYPES = tuple(t for t in SCALAR_TYPES if t != "GEOGRAPHY")
NUMBER_TYPES = ("INT64", "FLOAT64", "NUMERIC")


def is_required(required: bool | None, default: Any) -> bool:
    """Unsaid, a parameter is required when it has no default."""
    return required if required is not None else default is None


def element_type(parameter_type: str) -> str | None:
    """`INT64` of `ARRAY<INT64>`; None for a scalar type."""
    return parameter_type[len("ARRAY<") : -1] if parameter_type.startswith("ARRAY<") else None


class ParameterDeclaration(Protocol):
    """A declared parameter, as a supplied value is checked against it."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> ParameterType: ...
    @property
    def default(self) -> Any: ...
    @property
    def minimum(self) -> int | float | None: ...
    @property
    def maximum(self) -> int | float | None: ...
    @property
    def exclusive_minimum(self) -> int | float | None: ...
    @property
    def exclusive_maximum(self) -> int | float | None: ...
    @property
    def allowed_values(self) -> Sequence[bool | int | float | str] | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def is_required(self) -> bool: ...
    @property
    def element_type(self) -> str | None: ...
