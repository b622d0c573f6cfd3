"""within_distance: the rows whose geography lies within a distance (metres) of a point."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from ..parts import Number, ParamRef, Strict
from ..sql_render import call, column
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType


class WithinDistanceSettings(Strict):
    geography_column: StrictStr
    longitude: ParamRef | Number
    latitude: ParamRef | Number
    distance: ParamRef | Number = Field(description="Metres.")


class WithinDistanceNode(NodeBase):
    type: Literal["within_distance"]
    settings: WithinDistanceSettings


def check(node: WithinDistanceNode, checker: NodeChecker) -> None:
    checker.column(node.settings.geography_column, "settings.geography_column")
    checker.number(node.settings.longitude, "settings.longitude", "a longitude", -180, 180)
    checker.number(node.settings.latitude, "settings.latitude", "a latitude", -90, 90)
    checker.number(node.settings.distance, "settings.distance", "a distance", low=0)


def compile_rule(node: WithinDistanceNode, context: CompileContext) -> NodeSql:
    settings = node.settings
    point = call(
        "ST_GEOGPOINT", context.value_sql(settings.longitude), context.value_sql(settings.latitude)
    )
    where = call(
        "ST_DWITHIN",
        column(settings.geography_column),
        point,
        context.value_sql(settings.distance),
    )
    return relation(Query(["*"], context.inputs[0], where=where))


NODE_TYPE = NodeType(WithinDistanceNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
