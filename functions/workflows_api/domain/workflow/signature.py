"""What running a deployed workflow needs of its definition, and nothing more.

Executing checks the supplied values against the declared parameters and reads the
workflow's settings (cache, output expiration, bytes cap) and its source tables (what
a cached result's freshness is checked against, domain/execution/freshness.py); the
procedure's name and version are on the API state beside it. Kept with the API state
when the API is enabled, so an execute request never parses nor validates the whole
definition.

A stored signature is input like any other: it is read back through the core schemas
of the definition's own models (`parts.Parameter`, `parts.WorkflowSettings`), with
pydantic-core alone, into plain dataclasses. So an execute on a cold instance never
loads pydantic's model machinery (about 50 ms and 100 ms of CPU); a unit test holds
these schemas to the models'.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_core import CoreConfig, SchemaValidator
from pydantic_core import core_schema as schema

from . import parameter_types
from .parameter_types import SCALAR_TYPES, ParameterType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .parts import Parameter, WorkflowSettings


class _Declared(Protocol):
    @property
    def parameters(self) -> Sequence[Parameter]: ...

    @property
    def settings(self) -> WorkflowSettings: ...


@dataclass(frozen=True, kw_only=True)
class SignatureParameter:
    """A declared parameter (`parts.Parameter`'s fields, in its order)."""

    name: str
    type: ParameterType
    description: str = ""
    required: bool | None = None
    default: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    allowed_values: tuple[bool | int | float | str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    max_items: int | None = None

    @property
    def is_required(self) -> bool:
        return parameter_types.is_required(self.required, self.default)

    @property
    def element_type(self) -> str | None:
        return parameter_types.element_type(self.type)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.allowed_values is not None:
            data["allowed_values"] = list(self.allowed_values)
        return data


@dataclass(frozen=True, kw_only=True)
class SignatureSettings:
    """The workflow-wide settings (`parts.WorkflowSettings`'s fields, in its order)."""

    output_expiration_days: int = 30
    cache: bool = True
    maximum_bytes_billed: int | None = None
    max_concurrent_executions: int | None = None


@dataclass(frozen=True)
class ExecutionSignature:
    parameters: tuple[SignatureParameter, ...]
    settings: SignatureSettings
    # `project.dataset.table` of every table the definition reads (sources.py); None on
    # API states written before sources were kept (derived once, on first use).
    sources: tuple[str, ...] | None = None

    @classmethod
    def of(cls, workflow: _Declared, sources: tuple[str, ...] | None = None) -> ExecutionSignature:
        """The signature of a validated definition (read as a stored one is)."""
        data: dict[str, Any] = {
            "parameters": [p.model_dump(mode="json") for p in workflow.parameters],
            "settings": workflow.settings.model_dump(mode="json"),
        }
        if sources is not None:
            data["sources"] = list(sources)
        return cls.from_json(data)

    def parameter(self, name: str) -> SignatureParameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "parameters": [p.to_json() for p in self.parameters],
            "settings": dataclasses.asdict(self.settings),
        }
        if self.sources is not None:
            data["sources"] = list(self.sources)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionSignature:
        """Reads what to_json wrote, checked as the models check a definition's
        (pydantic_core.ValidationError, which is pydantic's, when it does not hold)."""
        sources = data.get("sources")
        parameters = (_PARAMETER.validate_python(p) for p in data["parameters"])
        return cls(
            tuple(SignatureParameter(**_tupled(p)) for p in parameters),
            SignatureSettings(**_SETTINGS.validate_python(data["settings"])),
            None if sources is None else tuple(str(table) for table in sources),
        )


def _tupled(parameter: dict[str, Any]) -> dict[str, Any]:
    allowed = parameter["allowed_values"]
    return parameter if allowed is None else {**parameter, "allowed_values": tuple(allowed)}


def _field(field: schema.CoreSchema, *default: Any) -> schema.TypedDictField:
    if not default:
        return schema.typed_dict_field(field)
    return schema.typed_dict_field(
        schema.with_default_schema(field, default=default[0]), required=False
    )


def _optional(field: schema.CoreSchema) -> schema.TypedDictField:
    return _field(schema.nullable_schema(field), None)


def _strict_number() -> schema.CoreSchema:
    return schema.union_schema([schema.int_schema(strict=True), schema.float_schema(strict=True)])


# As the definition's models configure theirs (`parts.Strict`): no other field, and no
# NaN or Infinity.
_CONFIG = CoreConfig(extra_fields_behavior="forbid", allow_inf_nan=False)
_PARAMETER_TYPES = [*SCALAR_TYPES, *(f"ARRAY<{t}>" for t in parameter_types.ARRAY_ELEMENT_TYPES)]
PARAMETER_SCHEMA = schema.typed_dict_schema(
    {
        "name": _field(schema.str_schema(strict=True)),
        "type": _field(schema.literal_schema(_PARAMETER_TYPES)),
        "description": _field(schema.str_schema(), ""),
        "required": _optional(schema.bool_schema()),
        "default": _field(schema.any_schema(), None),
        "minimum": _optional(_strict_number()),
        "maximum": _optional(_strict_number()),
        "exclusive_minimum": _optional(_strict_number()),
        "exclusive_maximum": _optional(_strict_number()),
        "allowed_values": _optional(
            schema.list_schema(
                schema.union_schema(
                    [
                        schema.bool_schema(strict=True),
                        schema.int_schema(strict=True),
                        schema.float_schema(strict=True),
                        schema.str_schema(strict=True),
                    ]
                )
            )
        ),
        "pattern": _optional(schema.str_schema()),
        "max_length": _optional(schema.int_schema(ge=1)),
        "max_items": _optional(schema.int_schema(ge=1)),
    },
    config=_CONFIG,
)
SETTINGS_SCHEMA = schema.typed_dict_schema(
    {
        "output_expiration_days": _field(schema.int_schema(ge=1, le=3650), 30),
        "cache": _field(schema.bool_schema(), True),
        "maximum_bytes_billed": _optional(schema.int_schema(ge=1)),
        "max_concurrent_executions": _optional(schema.int_schema(ge=1, le=1000)),
    },
    config=_CONFIG,
)
_PARAMETER = SchemaValidator(PARAMETER_SCHEMA)
_SETTINGS = SchemaValidator(SETTINGS_SCHEMA)
