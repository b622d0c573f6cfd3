"""kmeans: a cluster number for each row, by Lloyd's k-means on its geography's centroid.

Points are placed on a local plane in metres (longitude scaled by the cosine of the
points' mean latitude, an equirectangular projection), where distances are Euclidean
and centres are coordinate means: right for a city or a region, not for continents or
across the antimeridian. Start: the distinct locations ordered by (x, y); with m of
them and k' = min(k, m), centre i (0-based) is location number floor((2i + 1) m / 2k'),
the middle of the i-th of k' equal slices. Then at most `max_iterations` rounds of
"each point to its nearest centre (ties: lower cluster number), each centre to the
mean of its points", stopping early once no centre moved more than TOLERANCE_METRES
and none lost all its points. Rows get the nearest final centre's number (NULL without
a location); a centre that lost all its points is dropped, so numbers may skip.

In SQL: the input's rows with their plane coordinates, materialised once; the centres
in one script variable (a STRUCT with the round count and convergence flag), set by
one statement for the start and one per round in a WHILE loop, so a round is one
statement and the loop's condition reads only the variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from ..parts import ParamRef, Strict
from ..sql_render import alias, call, column, literal, quote_identifier
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, WorkTable, temp_table
from .spec import NodeType

# Every round compares each point with every centre, so k has a known maximum.
MAX_CLUSTERS = 100
# Mean Earth radius (IUGG), in metres per degree of latitude.
METRES_PER_DEGREE = 6371008.8 * math.pi / 180
# Centres moving less than this count as unmoved (far above floating-point noise).
TOLERANCE_METRES = 0.001
_CENTRE_TYPE = "STRUCT<cluster INT64, x FLOAT64, y FLOAT64>"
_STATE_TYPE = f"STRUCT<iterations INT64, converged BOOL, centres ARRAY<{_CENTRE_TYPE}>>"


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
    """The quoted working table, variable and columns of one k-means node."""

    points: str
    state: str
    x: str = quote_identifier("__wf_x")
    y: str = quote_identifier("__wf_y")
    cluster: str = quote_identifier("__wf_cluster")

    @classmethod
    def of(cls, node_id: str) -> _Names:
        return cls(temp_table(node_id, "__points"), temp_table(node_id, "__state"))

    def nearest(self, point: str) -> str:
        """The number of the centre nearest to `point`'s (x, y); NULL without a location."""
        dx, dy = f"({point}.{self.x} - c.x)", f"({point}.{self.y} - c.y)"
        return (
            f"(SELECT c.cluster FROM UNNEST({self.state}.centres) AS c "
            f"WHERE {point}.{self.x} IS NOT NULL "
            f"ORDER BY {dx} * {dx} + {dy} * {dy}, c.cluster LIMIT 1)"
        )


def compile_rule(node: KMeansNode, context: CompileContext) -> NodeSql:
    settings, names = node.settings, _Names.of(node.id)
    points = WorkTable(names.points, _points(names, settings.geography_column, context.inputs[0]))
    rows = Query(
        [f"p.* EXCEPT ({names.x}, {names.y})", alias(names.nearest("p"), settings.cluster_column)],
        f"{names.points} AS p",
    )
    return NodeSql(
        rows.render(),
        input_table=points,
        statements=(
            _start(names, context.value_sql(settings.k)),
            _rounds(names, settings.max_iterations),
        ),
        declarations=(f"DECLARE {names.state} {_STATE_TYPE};",),
    )


def _points(names: _Names, geography_column: str, source: str) -> str:
    """The input's rows with their centroid's plane coordinates (metres) first."""
    centroid = call("ST_CENTROID", column(geography_column))
    longitude, latitude = call("ST_X", centroid), call("ST_Y", centroid)
    metres = literal(METRES_PER_DEGREE)
    scale = call("COS", f"AVG({latitude}) OVER () * ACOS(-1) / 180")
    x = alias(f"{longitude} * {scale} * {metres}", "__wf_x")
    y = alias(f"{latitude} * {metres}", "__wf_y")
    return Query([x, y, "*"], source).render()


def _start(names: _Names, k_sql: str) -> str:
    """The start centres: k' distinct locations, evenly spaced in (x, y) order."""
    x, y = names.x, names.y
    rank, count = quote_identifier("__wf_rank"), quote_identifier("__wf_count")
    half_slices = quote_identifier("__wf_half_slices")
    locations = Query(
        [
            x,
            y,
            alias(f"ROW_NUMBER() OVER (ORDER BY {x}, {y}) - 1", "__wf_rank"),
            alias("COUNT(*) OVER ()", "__wf_count"),
            alias("2 * " + call("LEAST", k_sql, "COUNT(*) OVER ()"), "__wf_half_slices"),
        ],
        f"(SELECT DISTINCT {x}, {y} FROM {names.points} WHERE {x} IS NOT NULL)",
    )
    start = Query(
        [
            "0 AS iterations",
            "COUNT(*) = 0 AS converged",
            f"ARRAY_AGG(STRUCT(i AS cluster, {x} AS x, {y} AS y) ORDER BY i) AS centres",
        ],
        f"(\n{_indented(locations.render())}\n)",
        joins=[f"CROSS JOIN UNNEST(GENERATE_ARRAY(0, {k_sql} - 1)) AS i"],
        # The divisor is a column: bqemulator renders DIV(a, b * c) as a // b * c.
        where=f"i < {count} AND {rank} = DIV((2 * i + 1) * {count}, {half_slices})",
    )
    return f"SET {names.state} = (\n{_indented(_as_struct(start.render()))}\n);"


def _rounds(names: _Names, max_iterations: int) -> str:
    """The WHILE loop: one statement per round, until converged or max_iterations."""
    x, y, cluster, state = names.x, names.y, names.cluster, names.state
    nearest = Query([x, y, alias(names.nearest("p"), "__wf_cluster")], f"{names.points} AS p")
    moved = Query(
        [cluster, alias(f"AVG({x})", "__wf_x"), alias(f"AVG({y})", "__wf_y")],
        quote_identifier("__wf_nearest"),
        where=f"{cluster} IS NOT NULL",
        group_by=[cluster],
    )
    shift = f"SQRT((m.{x} - c.x) * (m.{x} - c.x) + (m.{y} - c.y) * (m.{y} - c.y))"
    update = Query(
        [
            f"{state}.iterations + 1 AS iterations",
            f"COUNT(*) = ARRAY_LENGTH({state}.centres)"
            f" AND LOGICAL_AND({shift} <= {literal(TOLERANCE_METRES)}) AS converged",
            f"ARRAY_AGG(STRUCT(m.{cluster} AS cluster, m.{x} AS x, m.{y} AS y)"
            f" ORDER BY m.{cluster}) AS centres",
        ],
        f"{quote_identifier('__wf_moved')} AS m",
        joins=[f"INNER JOIN UNNEST({state}.centres) AS c ON c.cluster = m.{cluster}"],
    )
    round_query = (
        f"WITH {quote_identifier('__wf_nearest')} AS (\n{_indented(nearest.render())}\n),\n"
        f"{quote_identifier('__wf_moved')} AS (\n{_indented(moved.render())}\n)\n"
        + _as_struct(update.render())
    )
    set_round = f"SET {state} = (\n{_indented(round_query)}\n);"
    return (
        f"WHILE NOT {state}.converged AND {state}.iterations < {max_iterations} DO\n"
        f"{_indented(set_round)}\nEND WHILE;"
    )


def _as_struct(select: str) -> str:
    """`SELECT AS STRUCT ...`: a one-row query as the value of a STRUCT variable."""
    assert select.startswith("SELECT ")
    return "SELECT AS STRUCT " + select.removeprefix("SELECT ")


def _indented(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.split("\n"))


NODE_TYPE = NodeType(KMeansNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
