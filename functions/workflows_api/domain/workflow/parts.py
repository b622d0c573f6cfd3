"""The building blocks a workflow definition's parts share: the strict base model,
parameter declarations and references, and the workflow-wide settings.

Node types (`nodes/`) build on these and never import `model`, which collects them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from . import parameter_types
from .parameter_types import ParameterType


class Strict(BaseModel):
    # NaN and Infinity (YAML's .nan, .inf) are no distance, bound or count.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ParamRef(Strict):
    """A setting whose value is the named workflow parameter, supplied at execution."""

    param: StrictStr


Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Number = StrictInt | StrictFloat


# Model classes carry no docstrings unless meant for readers of the JSON Schema: pydantic
# publishes them there as descriptions.
class Parameter(Strict):
    name: StrictStr
    type: ParameterType
    description: str = ""
    required: bool | None = Field(
        default=None, description="Defaults to true when there is no default."
    )
    default: Any = None
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    allowed_values: list[Scalar] | None = None
    pattern: str | None = Field(default=None, description="Regular expression a STRING must match.")
    max_length: int | None = Field(default=None, ge=1)
    max_items: int | None = Field(default=None, ge=1)

    @property
    def is_required(self) -> bool:
        return parameter_types.is_required(self.required, self.default)

    @property
    def element_type(self) -> str | None:
        return parameter_types.element_type(self.type)


class WorkflowSettings(Strict):
    output_expiration_days: int = Field(default=30, ge=1, le=3650)
    cache: bool = Field(default=True, description="Reuse results of identical executions.")
    maximum_bytes_billed: int | None = Field(
        default=None,
        ge=1,
        description="Cap on the bytes a run may bill (BigQuery's maximumBytesBilled); a run "
        "over it fails with BigQuery's bytesBilledLimitExceeded. The connection's cap, if "
        "lower, applies instead.",
    )
    max_concurrent_executions: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="At most this many of the workflow's executions submitted to BigQuery at "
        "once (its API runs with the value of its last enable or update); more wait "
        "`queued`. The org's limit applies too.",
    )


class DeclaredWorkflow(Protocol):
    """What node types read of their workflow (`model.Workflow` is one)."""

    @property
    def parameters(self) -> Sequence[Parameter]: ...

    @property
    def settings(self) -> WorkflowSettings: ...

    def parameter(self, name: str) -> Parameter | None: ...
