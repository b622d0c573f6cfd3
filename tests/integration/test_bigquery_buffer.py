"""ST_BUFFER radii in metres on the local BigQuery (devstack/bq_buffer.py), and the
canary that fails the day upstream bqemulator buffers in metres itself."""

from __future__ import annotations

import math
import re

import pytest
from google.cloud import bigquery

pytestmark = pytest.mark.integration

CENTRE = (-3.7038, 40.4168)  # Madrid
BUFFER_SQL = f"SELECT ST_ASTEXT(ST_BUFFER(ST_GEOGPOINT({CENTRE[0]}, {CENTRE[1]}), 500)) AS b"
EARTH_RADIUS_METRES = 6_371_008.8


def vertices(wkt: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", wkt)]


def metres_from_centre(point: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*CENTRE, *point))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


def test_bqemulator_still_buffers_in_degrees(unshimmed_bigquery: bigquery.Client) -> None:
    """Canary: upstream draws a 500-unit (degree) disc. When this fails, upstream buffers
    in metres and devstack/bq_buffer.py can go."""
    wkt = next(iter(unshimmed_bigquery.query(BUFFER_SQL).result()))["b"]
    assert max(abs(x - CENTRE[0]) for x, _ in vertices(wkt)) > 100


def test_the_local_bigquery_buffers_in_metres(bq_client: bigquery.Client) -> None:
    wkt = next(iter(bq_client.query(BUFFER_SQL).result()))["b"]
    distances = [metres_from_centre(point) for point in vertices(wkt)]
    assert len(distances) >= 32  # a disc, 8 segments a quarter as on BigQuery
    assert all(abs(d - 500) < 5 for d in distances), (min(distances), max(distances))
