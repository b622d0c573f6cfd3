"""kmeans: a cluster number for each row, by Lloyd's k-means on its geography's centroid.

Deterministic farthest-first start: the point with the smallest (x, y), then repeatedly
the point farthest from its nearest centre (ties by x, y), up to k. Centres are
coordinate means and distances geodesic metres (ST_DISTANCE), so clusters spanning the
antimeridian are not supported. Cluster numbers are 0-based in start order; a cluster
that loses all its points is dropped. Both loops are unrolled (no IF/WHILE blocks, see
`compiler`): k-1 start steps guarded by the current count, and max_iterations
assignment/update rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from ..definition import ParamRef, Strict
from ..sql import alias, call, column, quote_identifier
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, Query, create_temp_table, temp_table
from .spec import NodeType

# Start centres are unrolled up to k, so k must have a small known maximum.
MAX_CLUSTERS = 100


class KMeansSettings(Strict):
    geography_column: StrictStr
    k: ParamRef | StrictInt
    cluster_column: StrictStr = "cluster"
    max_iterations: int = Field(default=10, ge=1, le=100)


class KMeansNode(NodeBase):
    type: Literal["kmeans"]
    settings: KMeansSettings


def check(node: KMeansNode, checker: NodeChecker) -> None:
    checker.column(node.settings.geography_column, "settings.geography_column")
    checker.column(node.settings.cluster_column, "settings.cluster_column")
    k = node.settings.k
    if not isinstance(k, ParamRef):
        if not 1 <= k <= MAX_CLUSTERS:
            message = f"k must be between 1 and {MAX_CLUSTERS}, got {k}"
            checker.issue("out_of_range", message, "settings.k")
        return
    checker.parameter(k.param, "settings.k", ("INT64",), "k")
    declared = checker.declared(k.param)
    if (
        declared is not None
        and declared.type == "INT64"
        and (declared.maximum is None or declared.maximum > MAX_CLUSTERS)
    ):
        checker.issue(
            "parameter_unbounded",
            f"parameter {k.param} feeds k, so it must declare maximum <= {MAX_CLUSTERS}",
            "settings.k",
        )


@dataclass(frozen=True)
class _Names:
    """The quoted working tables and columns of one k-means node."""

    points: str
    centres: str
    assignment: str
    point_id: str = quote_identifier("__wf_point_id")
    x: str = quote_identifier("__wf_x")
    y: str = quote_identifier("__wf_y")
    cluster: str = quote_identifier("__wf_cluster")
    rank: str = quote_identifier("__wf_rank")

    @classmethod
    def of(cls, node_id: str) -> _Names:
        return cls(*(temp_table(node_id, f"__{t}") for t in ("points", "centres", "assignment")))

    def distance(self, point_alias: str, centre_alias: str) -> str:
        return call(
            "ST_DISTANCE",
            call("ST_GEOGPOINT", f"{point_alias}.{self.x}", f"{point_alias}.{self.y}"),
            call("ST_GEOGPOINT", f"{centre_alias}.{self.x}", f"{centre_alias}.{self.y}"),
        )


def compile_rule(node: KMeansNode, context: CompileContext) -> list[str]:
    settings, names = node.settings, _Names.of(node.id)
    k = settings.k
    k_max = k if isinstance(k, int) else int(context.declared(k.param).maximum or 1)
    statements = [
        _points(names, settings.geography_column, context.inputs[0]),
        _first_centre(names),
        *[_next_centre(names, context.value_sql(k))] * (k_max - 1),
    ]
    assign, update = _assign(names), _update(names)
    for _ in range(settings.max_iterations - 1):
        statements.extend([assign, update])
    statements.append(assign)
    statements.append(_clustered(names, settings.cluster_column, context.target))
    return statements


def _points(names: _Names, geography_column: str, source: str) -> str:
    """The input's rows numbered by their centroid's (x, y), with those coordinates."""
    centroid = call("ST_CENTROID", column(geography_column))
    x, y = call("ST_X", centroid), call("ST_Y", centroid)
    numbered = alias(f"ROW_NUMBER() OVER (ORDER BY {x}, {y})", "__wf_point_id")
    query = Query([numbered, alias(x, "__wf_x"), alias(y, "__wf_y"), "*"], source)
    return create_temp_table(names.points, query)


def _first_centre(names: _Names) -> str:
    """The point with the smallest (x, y) is centre 0."""
    x, y = names.x, names.y
    query = Query(
        [f"0 AS {names.cluster}", x, y],
        names.points,
        where=f"{x} IS NOT NULL",
        order_by=[x, y],
        limit=1,
    )
    return create_temp_table(names.centres, query)


def _next_centre(names: _Names, k_sql: str) -> str:
    """Adds the point farthest from its nearest centre, while there are fewer than k."""
    x, y = names.x, names.y
    farthest = Query(
        [f"p.{x}", f"p.{y}", alias(f"MIN({names.distance('p', 'c')})", "__wf_distance")],
        f"{names.points} AS p",
        joins=[f"CROSS JOIN {names.centres} AS c"],
        where=f"p.{x} IS NOT NULL",
        group_by=[f"p.{names.point_id}", f"p.{x}", f"p.{y}"],
    )
    count_centres = f"(SELECT COUNT(*) FROM {names.centres})"
    next_centre = Query(
        [count_centres, x, y],
        f"(\n{farthest.render()}\n)",
        where=f"{count_centres} < {k_sql}",
        order_by=[f"{quote_identifier('__wf_distance')} DESC", x, y],
        limit=1,
    )
    return f"INSERT INTO {names.centres} ({names.cluster}, {x}, {y})\n{next_centre.render()};"


def _assign(names: _Names) -> str:
    """Each located point's nearest centre (ties by cluster number)."""
    nearest = Query(
        [
            f"p.{names.point_id}",
            f"c.{names.cluster}",
            alias(
                f"ROW_NUMBER() OVER (PARTITION BY p.{names.point_id} "
                f"ORDER BY {names.distance('p', 'c')}, c.{names.cluster})",
                "__wf_rank",
            ),
        ],
        f"{names.points} AS p",
        joins=[f"CROSS JOIN {names.centres} AS c"],
        where=f"p.{names.x} IS NOT NULL",
    )
    query = Query(
        [names.point_id, names.cluster], f"(\n{nearest.render()}\n)", where=f"{names.rank} = 1"
    )
    return create_temp_table(names.assignment, query)


def _update(names: _Names) -> str:
    """Each centre moved to the mean of its points."""
    query = Query(
        [
            f"a.{names.cluster}",
            alias(f"AVG(p.{names.x})", "__wf_x"),
            alias(f"AVG(p.{names.y})", "__wf_y"),
        ],
        f"{names.assignment} AS a",
        joins=[f"INNER JOIN {names.points} AS p USING ({names.point_id})"],
        group_by=[f"a.{names.cluster}"],
    )
    return create_temp_table(names.centres, query)


def _clustered(names: _Names, cluster_column: str, target: str) -> str:
    """The input's rows with their cluster number (NULL for rows without a location)."""
    query = Query(
        [
            f"p.* EXCEPT ({names.point_id}, {names.x}, {names.y})",
            alias(f"a.{names.cluster}", cluster_column),
        ],
        f"{names.points} AS p",
        joins=[f"LEFT JOIN {names.assignment} AS a USING ({names.point_id})"],
    )
    return create_temp_table(target, query)


NODE_TYPE = NodeType(KMeansNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
