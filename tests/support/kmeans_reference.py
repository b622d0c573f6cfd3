"""Reference k-means in plain Python: what the kmeans node's SQL must answer.

Written from the node's documented algorithm
(functions/workflows_api/domain/workflow/nodes/kmeans.py), not from its SQL: points on a
local equirectangular plane in metres, start centres evenly spaced among the distinct
locations in (x, y) order, Lloyd rounds until no centre moves more than a millimetre (and
none empties) or `max_iterations` rounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]  # (longitude, latitude) in degrees

METRES_PER_DEGREE = 6371008.8 * math.pi / 180  # mean Earth radius (IUGG)
TOLERANCE_METRES = 0.001


@dataclass(frozen=True)
class KMeansResult:
    clusters: list[int | None]  # per input point, None without a location
    rounds: int  # Lloyd rounds run (each one statement in the procedure)
    centres: dict[int, Point]  # cluster -> plane (x, y) in metres


def kmeans(points: Sequence[Point | None], k: int, max_iterations: int = 10) -> KMeansResult:
    located = [p for p in points if p is not None]
    if not located:
        return KMeansResult([None] * len(points), 0, {})
    mean_latitude = sum(latitude for _, latitude in located) / len(located)
    scale = math.cos(mean_latitude * math.pi / 180)
    plane = [
        None if p is None else (p[0] * scale * METRES_PER_DEGREE, p[1] * METRES_PER_DEGREE)
        for p in points
    ]
    locations = sorted({p for p in plane if p is not None})
    slices = min(k, len(locations))
    centres = {i: locations[(2 * i + 1) * len(locations) // (2 * slices)] for i in range(slices)}
    rounds = 0
    while rounds < max_iterations and centres:
        members: dict[int, list[Point]] = {}
        for p in plane:
            if p is not None:
                members.setdefault(_nearest(p, centres), []).append(p)
        moved = {
            cluster: (
                sum(x for x, _ in group) / len(group),
                sum(y for _, y in group) / len(group),
            )
            for cluster, group in sorted(members.items())
        }
        converged = len(moved) == len(centres) and all(
            math.dist(moved[c], centres[c]) <= TOLERANCE_METRES for c in moved
        )
        centres, rounds = moved, rounds + 1
        if converged:
            break
    clusters = [None if p is None else _nearest(p, centres) for p in plane]
    return KMeansResult(clusters, rounds, centres)


def _nearest(point: Point, centres: dict[int, Point]) -> int:
    def squared_distance(cluster: int) -> tuple[float, int]:
        dx, dy = point[0] - centres[cluster][0], point[1] - centres[cluster][1]
        return (dx * dx + dy * dy, cluster)

    return min(centres, key=squared_distance)
