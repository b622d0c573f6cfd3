"""The workflow definition: typed parameters and a DAG of nodes (authored as YAML or JSON).

Shapes are checked here; cross-references and meaning are checked in `validation`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

SCALAR_TYPES = (
    "STRING",
    "INT64",
    "FLOAT64",
    "NUMERIC",
    "BOOL",
    "DATE",
    "TIMESTAMP",
    "GEOGRAPHY",
)
ARRAY_ELEMENT_TYPES = tuple(t for t in SCALAR_TYPES if t != "GEOGRAPHY")
ParameterType = Literal[
    "STRING",
    "INT64",
    "FLOAT64",
    "NUMERIC",
    "BOOL",
    "DATE",
    "TIMESTAMP",
    "GEOGRAPHY",
    "ARRAY<STRING>",
    "ARRAY<INT64>",
    "ARRAY<FLOAT64>",
    "ARRAY<NUMERIC>",
    "ARRAY<BOOL>",
    "ARRAY<DATE>",
    "ARRAY<TIMESTAMP>",
]
NUMBER_TYPES = ("INT64", "FLOAT64", "NUMERIC")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamRef(_Strict):
    """A setting whose value is the named workflow parameter, supplied at execution."""

    param: StrictStr


Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Number = StrictInt | StrictFloat


class Parameter(_Strict):
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
        return self.required if self.required is not None else self.default is None

    @property
    def element_type(self) -> str | None:
        return self.type[len("ARRAY<") : -1] if self.type.startswith("ARRAY<") else None


# --- node settings -------------------------------------------------------------------

FilterOperator = Literal[
    "=", "!=", "<", "<=", ">", ">=", "in", "not_in", "like", "is_null", "is_not_null"
]


class Condition(_Strict):
    column: StrictStr
    operator: FilterOperator
    value: ParamRef | list[Scalar] | Scalar | None = None


class ReadTableSettings(_Strict):
    table: StrictStr = Field(
        description="`dataset.table` (in the connection's project) or `project.dataset.table`."
    )


class FilterSettings(_Strict):
    conditions: list[Condition] = Field(min_length=1)
    combine: Literal["AND", "OR"] = "AND"


class ComputedColumn(_Strict):
    name: StrictStr
    expression: StrictStr = Field(
        description="A GoogleSQL expression over the input's columns; @name reads a parameter."
    )


class SelectSettings(_Strict):
    columns: list[StrictStr] | None = Field(
        default=None, description="Columns kept, in order; omitted means all of them."
    )
    computed: list[ComputedColumn] = []


class JoinSettings(_Strict):
    join_type: Literal["inner", "left", "full"] = "inner"
    on: list[StrictStr] = Field(min_length=1, description="Key columns present in both inputs.")


class UnionSettings(_Strict):
    distinct: bool = False


class Aggregation(_Strict):
    function: Literal["COUNT", "SUM", "AVG", "MIN", "MAX"]
    column: StrictStr | None = Field(default=None, description="Omitted only for COUNT(*).")
    alias: StrictStr


class AggregateSettings(_Strict):
    group_by: list[StrictStr] = []
    aggregations: list[Aggregation] = Field(min_length=1)


class BufferSettings(_Strict):
    geography_column: StrictStr
    distance: ParamRef | Number = Field(description="Metres.")
    output_column: StrictStr | None = Field(
        default=None, description="Defaults to replacing geography_column."
    )


class WithinDistanceSettings(_Strict):
    geography_column: StrictStr
    longitude: ParamRef | Number
    latitude: ParamRef | Number
    distance: ParamRef | Number = Field(description="Metres.")


class KMeansSettings(_Strict):
    geography_column: StrictStr
    k: ParamRef | StrictInt
    cluster_column: StrictStr = "cluster"
    max_iterations: int = Field(default=10, ge=1, le=100)


class CustomSqlSettings(_Strict):
    sql: StrictStr = Field(
        description="One SELECT; $a, $b, ... stand for the inputs in order, @name for parameters."
    )


class OutputSettings(_Strict):
    pass


# --- nodes ---------------------------------------------------------------------------


class _Node(_Strict):
    id: StrictStr
    inputs: list[StrictStr] = []
    description: str = ""


class ReadTableNode(_Node):
    type: Literal["read_table"]
    settings: ReadTableSettings


class FilterNode(_Node):
    type: Literal["filter"]
    settings: FilterSettings


class SelectNode(_Node):
    type: Literal["select"]
    settings: SelectSettings


class JoinNode(_Node):
    type: Literal["join"]
    settings: JoinSettings


class UnionNode(_Node):
    type: Literal["union"]
    settings: UnionSettings = UnionSettings()


class AggregateNode(_Node):
    type: Literal["aggregate"]
    settings: AggregateSettings


class BufferNode(_Node):
    type: Literal["buffer"]
    settings: BufferSettings


class WithinDistanceNode(_Node):
    type: Literal["within_distance"]
    settings: WithinDistanceSettings


class KMeansNode(_Node):
    type: Literal["kmeans"]
    settings: KMeansSettings


class CustomSqlNode(_Node):
    type: Literal["custom_sql"]
    settings: CustomSqlSettings


class OutputNode(_Node):
    type: Literal["output"]
    settings: OutputSettings = OutputSettings()


Node = Annotated[
    ReadTableNode
    | FilterNode
    | SelectNode
    | JoinNode
    | UnionNode
    | AggregateNode
    | BufferNode
    | WithinDistanceNode
    | KMeansNode
    | CustomSqlNode
    | OutputNode,
    Field(discriminator="type"),
]
NODE_TYPES: tuple[str, ...] = (
    "read_table",
    "filter",
    "select",
    "join",
    "union",
    "aggregate",
    "buffer",
    "within_distance",
    "kmeans",
    "custom_sql",
    "output",
)


class WorkflowSettings(_Strict):
    output_expiration_days: int = Field(default=30, ge=1, le=3650)
    cache: bool = Field(default=True, description="Reuse results of identical executions.")


class Workflow(_Strict):
    """A workflow definition: parameters in declared order (= procedure argument order)."""

    name: str = ""
    description: str = ""
    parameters: list[Parameter] = []
    nodes: list[Node] = Field(min_length=1)
    settings: WorkflowSettings = WorkflowSettings()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a definition, as published in schemas/workflow.schema.json."""
    schema = Workflow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Workflow"
    return schema


def workflow_json_schema_text() -> str:
    return json.dumps(workflow_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
