"""The workflow definition: typed parameters and a DAG of nodes (authored as YAML or JSON).

Shapes are checked here; cross-references and meaning are checked in `validation`.
Node types live one per module in `nodes/`; `nodes.registry` says which exist.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from .nodes import registry
from .nodes.base import NodeBase
from .parameter_types import ARRAY_ELEMENT_TYPES, NUMBER_TYPES, SCALAR_TYPES, ParameterType
from .parts import Number, Parameter, ParamRef, Scalar, Strict, WorkflowSettings

__all__ = [
    "ARRAY_ELEMENT_TYPES",
    "NODE_TYPES",
    "NUMBER_TYPES",
    "SCALAR_TYPES",
    "Node",
    "Number",
    "ParamRef",
    "Parameter",
    "ParameterType",
    "Scalar",
    "Workflow",
    "WorkflowSettings",
    "workflow_json_schema",
    "workflow_json_schema_text",
]


class _RegisteredNodeTypes:
    """Pydantic hook: a node validates as one of the registered node types, by its `type`."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return handler.generate_schema(registry.node_union())


# Statically a NodeBase; at run time the node type's own class (FilterNode, ...).
Node = Annotated[NodeBase, _RegisteredNodeTypes]
NODE_TYPES: tuple[str, ...] = registry.node_type_names()


class Workflow(Strict):
    """A workflow definition: parameters in declared order (= procedure argument order)."""

    name: str = ""
    description: str = ""
    parameters: list[Parameter] = []  # noqa: RUF012 (pydantic copies defaults)
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


def _follow_registry() -> None:
    """After a node type is registered or removed: rebuild the model, renew NODE_TYPES."""
    global NODE_TYPES  # a module constant, read by name elsewhere
    NODE_TYPES = registry.node_type_names()
    Workflow.model_rebuild(force=True)


registry.on_change(_follow_registry)
