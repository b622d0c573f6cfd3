"""What each example's output rows must say, recomputed from the seed's generators.

devstack.seed's generators give the very rows the local stack loaded, so every check
derives its expectations from them independently of the SQL.

Distances: ST_DISTANCE and ST_DWITHIN are metres on a sphere both on BigQuery and on
the emulator, so they are recomputed with the haversine formula; a point within 0.01%
of a radius could fall either side, so counts are checked between the sure and the
possible ones. Buffers are checked for containing their centre.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from devstack.seed import generate_competitors, generate_customers, generate_stores

EARTH_RADIUS_M = 6371008.8  # the sphere BigQuery's geography functions use
DISTANCE_TOLERANCE = 1e-4  # relative

Rows = list[dict[str, Any]]
Check = Callable[[dict[str, Any], Rows], None]


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def surely_within(distance: float, radius: float) -> bool:
    return distance <= radius * (1 - DISTANCE_TOLERANCE)


def possibly_within(distance: float, radius: float) -> bool:
    return distance <= radius * (1 + DISTANCE_TOLERANCE)


def like(pattern: str, text: str) -> bool:
    """SQL LIKE: % any run, _ one character, the rest literal."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def columns(rows: Rows) -> list[str]:
    return list(rows[0]) if rows else []


def by_key(rows: Rows, *keys: str) -> dict[Any, dict[str, Any]]:
    """Rows by their key (a tuple for several columns), each key exactly once."""
    indexed = {tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row for row in rows}
    assert len(indexed) == len(rows), f"{keys} is not unique in the output"
    return indexed


# --- one check per example ------------------------------------------------------------


def check_store_clusters(p: dict[str, Any], rows: Rows) -> None:
    expected = {s.id for s in generate_stores() if s.store_type == p["store_type"]}
    assert columns(rows) == ["id", "name", "cluster", "geom_buffer"]
    assert sorted(r["id"] for r in rows) == sorted(expected)
    assert {r["cluster"] for r in rows} == set(range(p["number_of_clusters"]))
    stores = {s.id: s for s in generate_stores()}
    for row in rows:
        store = stores[row["id"]]
        assert _polygon_around(row["geom_buffer"], store.longitude, store.latitude)


def check_competitor_pressure(p: dict[str, Any], rows: Rows) -> None:
    since, radius = dt.date.fromisoformat(p["opened_since"]), p["radius_m"]
    competitors = [c for c in generate_competitors() if c.opened_on >= since]
    ours = [s for s in generate_stores() if s.store_type in p["store_types"]]
    sure, possible, nearest = {}, {}, {}
    for store in ours:
        distances = [
            haversine_m(store.longitude, store.latitude, c.longitude, c.latitude)
            for c in competitors
        ]
        sure[store.id] = sum(surely_within(d, radius) for d in distances)
        possible[store.id] = sum(possibly_within(d, radius) for d in distances)
        nearest[store.id] = min(distances)
    assert columns(rows) == [
        "id",
        "name",
        "store_type",
        "competitors_nearby",
        "nearest_competitor_m",
    ]
    got = by_key(rows, "id")
    minimum = p["min_competitors"]
    assert {i for i, n in sure.items() if n >= minimum} <= set(got)
    assert set(got) <= {i for i, n in possible.items() if n >= minimum}
    assert got, "the example parameters should find stores under pressure"
    for store_id, row in got.items():
        assert sure[store_id] <= row["competitors_nearby"] <= possible[store_id]
        assert row["store_type"] in p["store_types"]
        assert row["nearest_competitor_m"] == pytest.approx(nearest[store_id], rel=1e-6)
        assert row["nearest_competitor_m"] <= radius * (1 + DISTANCE_TOLERANCE)


def check_loyal_customers_near_site(p: dict[str, Any], rows: Rows) -> None:
    site = (p["site_longitude"], p["site_latitude"])
    candidates = {
        c.id: (c, haversine_m(*site, c.longitude, c.latitude))
        for c in generate_customers()
        if c.loyalty_member
        and c.home_store_id is not None
        and c.segment in p["segments"]
        and c.annual_spend >= p["min_annual_spend"]
    }
    radius = p["distance_m"]
    assert columns(rows) == [
        "id",
        "segment",
        "home_store_id",
        "annual_spend",
        "visits_per_year",
        "distance_to_site_m",
        "spend_per_visit",
    ]
    got = by_key(rows, "id")
    assert {i for i, (_, d) in candidates.items() if surely_within(d, radius)} <= set(got)
    assert set(got) <= {i for i, (_, d) in candidates.items() if possibly_within(d, radius)}
    assert got, "the example parameters should find customers"
    for customer_id, row in got.items():
        customer, distance = candidates[customer_id]
        assert row["home_store_id"] == customer.home_store_id
        assert row["annual_spend"] == pytest.approx(customer.annual_spend)
        assert row["distance_to_site_m"] == pytest.approx(distance, abs=0.051)
        per_visit = customer.annual_spend / customer.visits_per_year
        assert row["spend_per_visit"] == pytest.approx(per_visit, abs=0.0051)


def check_revenue_by_format(p: dict[str, Any], rows: Rows) -> None:
    revenues: dict[str, list[float]] = defaultdict(list)
    for s in generate_stores():
        if (
            s.district in p["districts"]
            and s.store_type not in p["excluded_formats"]
            and p["min_revenue"] <= s.revenue < p["max_revenue"]
        ):
            revenues[s.store_type].append(s.revenue)
    assert columns(rows) == [
        "store_type",
        "stores",
        "total_revenue",
        "average_revenue",
        "lowest_revenue",
        "highest_revenue",
        "revenue_spread",
    ]
    got = by_key(rows, "store_type")
    assert set(got) == set(revenues)
    assert len(got) >= 2, "the example parameters should compare several formats"
    for store_type, values in revenues.items():
        row = got[store_type]
        assert row["stores"] == len(values)
        assert row["total_revenue"] == pytest.approx(sum(values))
        assert row["average_revenue"] == pytest.approx(sum(values) / len(values))
        assert row["lowest_revenue"] == min(values)
        assert row["highest_revenue"] == max(values)
        assert row["revenue_spread"] == pytest.approx(max(values) - min(values))


def check_format_share_near_site(p: dict[str, Any], rows: Rows) -> None:
    site, radius = (p["site_longitude"], p["site_latitude"]), p["radius_m"]
    outlets = [("ours", s.store_type, s.longitude, s.latitude) for s in generate_stores()] + [
        ("competitor", c.store_type, c.longitude, c.latitude) for c in generate_competitors()
    ]
    sure: dict[tuple[str, str], int] = defaultdict(int)
    possible: dict[tuple[str, str], int] = defaultdict(int)
    for owner, store_type, longitude, latitude in outlets:
        distance = haversine_m(*site, longitude, latitude)
        sure[store_type, owner] += surely_within(distance, radius)
        possible[store_type, owner] += possibly_within(distance, radius)
    assert columns(rows) == ["store_type", "owner", "outlets", "share_of_format"]
    got = by_key(rows, "store_type", "owner")
    assert (
        {key for key, n in sure.items() if n} <= set(got) <= {k for k, n in possible.items() if n}
    )
    assert {owner for _, owner in got} == {"ours", "competitor"}
    per_format: dict[str, int] = defaultdict(int)
    for (store_type, _), row in got.items():
        assert (
            sure[store_type, row["owner"]] <= row["outlets"] <= possible[store_type, row["owner"]]
        )
        per_format[store_type] += row["outlets"]
    for (store_type, _), row in got.items():
        share = row["outlets"] / per_format[store_type]
        assert row["share_of_format"] == pytest.approx(share, abs=0.00051)


def check_home_store_loyalty(p: dict[str, Any], rows: Rows) -> None:
    stores = {s.id: s for s in generate_stores() if like(p["store_name_pattern"], s.name)}
    spend: dict[int, list[float]] = defaultdict(list)
    for c in generate_customers():
        if c.home_store_id in stores and c.visits_per_year >= p["min_visits_per_year"]:
            spend[c.home_store_id].append(c.annual_spend)
    assert columns(rows) == [
        "home_store_id",
        "name",
        "district",
        "store_type",
        "average_customer_spend",
        "loyal_customers",
        "customer_spend",
        "spend_share_of_revenue",
    ]
    got = by_key(rows, "home_store_id")
    # Every matching store, also those no regular names (the join is a LEFT join).
    assert set(got) == set(stores)
    assert set(stores) - set(spend), "the example should show stores without regulars"
    assert spend, "the example should show stores with regulars"
    for store_id, store in stores.items():
        row, values = got[store_id], spend.get(store_id, [])
        assert (row["name"], row["district"]) == (store.name, store.district)
        assert row["loyal_customers"] == len(values)
        assert row["customer_spend"] == pytest.approx(sum(values))
        if values:
            assert row["average_customer_spend"] == pytest.approx(sum(values) / len(values))
        else:
            assert row["average_customer_spend"] is None
        share = sum(values) / store.revenue
        assert row["spend_share_of_revenue"] == pytest.approx(share, abs=0.000051)


def check_competitor_hotspots(p: dict[str, Any], rows: Rows) -> None:
    as_of = dt.date.fromisoformat(p["as_of"])
    members = [c for c in generate_competitors() if c.brand in p["brands"] and c.opened_on <= as_of]
    k = p["number_of_hotspots"]
    assert len(members) > k
    assert columns(rows) == [
        "hotspot",
        "competitor_stores",
        "centre_longitude",
        "centre_latitude",
        "centre",
        "catchment",
    ]
    assert sorted(r["hotspot"] for r in rows) == list(range(k))
    assert sum(r["competitor_stores"] for r in rows) == len(members)
    assert all(r["competitor_stores"] > 0 for r in rows)
    # Each centre is the mean of its members, so the weighted centres add up to the
    # members' coordinate sums whatever the clustering.
    for axis, coordinate in (("longitude", 0), ("latitude", 1)):
        weighted = sum(r["competitor_stores"] * r[f"centre_{axis}"] for r in rows)
        total = sum((c.longitude, c.latitude)[coordinate] for c in members)
        assert weighted == pytest.approx(total, abs=1e-6)
    lons, lats = [c.longitude for c in members], [c.latitude for c in members]
    for row in rows:
        centre = (row["centre_longitude"], row["centre_latitude"])
        assert min(lons) <= centre[0] <= max(lons) and min(lats) <= centre[1] <= max(lats)
        assert row["centre"].startswith("POINT")
        assert _coordinates(row["centre"]) == [pytest.approx(centre)]
        assert _polygon_around(row["catchment"], *centre)


def check_loyalty_prospects_by_district(p: dict[str, Any], rows: Rows) -> None:
    spend: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in generate_customers():
        if (
            c.home_store_id is None
            and c.visits_per_year > p["min_visits_per_year"]
            and c.segment != p["excluded_segment"]
        ):
            spend[c.district, c.segment].append(c.annual_spend)
    assert columns(rows) == ["district", "segment", "prospects", "total_spend", "average_spend"]
    got = by_key(rows, "district", "segment")
    assert set(got) == set(spend)
    assert p["excluded_segment"] not in {segment for _, segment in got}
    for key, values in spend.items():
        assert got[key]["prospects"] == len(values)
        assert got[key]["total_spend"] == pytest.approx(sum(values))
        assert got[key]["average_spend"] == pytest.approx(sum(values) / len(values))


def _coordinates(wkt: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", wkt)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _polygon_around(wkt: str, longitude: float, latitude: float) -> bool:
    """A WKT polygon whose bounding box holds the point (a buffer's centre always is)."""
    ring = _coordinates(wkt)
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    return (
        wkt.startswith("POLYGON") and min(xs) < longitude < max(xs) and min(ys) < latitude < max(ys)
    )


CHECKS: dict[str, Check] = {
    "store_clusters": check_store_clusters,
    "competitor_pressure": check_competitor_pressure,
    "loyal_customers_near_site": check_loyal_customers_near_site,
    "revenue_by_format": check_revenue_by_format,
    "format_share_near_site": check_format_share_near_site,
    "home_store_loyalty": check_home_store_loyalty,
    "competitor_hotspots": check_competitor_hotspots,
    "loyalty_prospects_by_district": check_loyalty_prospects_by_district,
}
