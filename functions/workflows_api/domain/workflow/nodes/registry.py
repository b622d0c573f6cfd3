"""The node types a workflow may use: one line each, in the order the JSON Schema lists them.

Everything per type is derived from here: the workflow model's node union (`model`),
`NODE_TYPES`, input counts, checks (`validation`) and compile rules (`compiler`).
`register_node_type` adds one at run time (a plugin, or a test's example type); the
model rebuilds itself through `on_change`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from . import (
    aggregate,
    buffer,
    custom_sql,
    filter,
    join,
    kmeans,
    output,
    read_table,
    select,
    union,
    within_distance,
)
from .spec import NodeType

_BUILT_IN: tuple[NodeType[Any], ...] = (
    read_table.NODE_TYPE,
    filter.NODE_TYPE,
    select.NODE_TYPE,
    join.NODE_TYPE,
    union.NODE_TYPE,
    aggregate.NODE_TYPE,
    buffer.NODE_TYPE,
    within_distance.NODE_TYPE,
    kmeans.NODE_TYPE,
    custom_sql.NODE_TYPE,
    output.NODE_TYPE,
)

_registered: dict[str, NodeType[Any]] = {node_type.name: node_type for node_type in _BUILT_IN}
_listeners: list[Callable[[], None]] = []


class UnknownNodeType(KeyError):
    """No registered node type has this name."""


def register_node_type(node_type: NodeType[Any]) -> None:
    """Adds a node type after the built-in ones; raises ValueError if the name is taken."""
    if node_type.name in _registered:
        raise ValueError(f"node type {node_type.name} is already registered")
    _registered[node_type.name] = node_type
    _changed()


def unregister_node_type(name: str) -> None:
    """Removes a node type (a test's example type, when the test ends)."""
    if _registered.pop(name, None) is None:
        raise UnknownNodeType(name)
    _changed()


def on_change(listener: Callable[[], None]) -> None:
    """`listener` runs after every registration or removal."""
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()


def node_type(name: str) -> NodeType[Any]:
    try:
        return _registered[name]
    except KeyError:
        raise UnknownNodeType(name) from None


def node_type_names() -> tuple[str, ...]:
    return tuple(_registered)


def input_counts() -> dict[str, tuple[int, int | None]]:
    """Node type -> (minimum, maximum) inputs; None = unbounded."""
    return {name: node_type.inputs for name, node_type in _registered.items()}


def node_union() -> Any:
    """The registered node models as one pydantic type, discriminated on `type`."""
    models = functools.reduce(operator.or_, (t.model for t in _registered.values()))
    return Annotated[models, Field(discriminator="type")]
