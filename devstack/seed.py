"""Deterministic demo data for the local BigQuery: `retail.stores`, `retail.competitors`
and `retail.customers`.

Points are spread over Madrid's urban area with seeded random generators, so every
machine gets the same rows without downloading anything. Tests recompute expected
results from the same generators.
"""

from __future__ import annotations

import datetime as dt
import random
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.cloud import bigquery

STORE_TYPES: tuple[tuple[str, float], ...] = (
    ("Supermarket", 0.40),
    ("Convenience", 0.30),
    ("Hypermarket", 0.10),
    ("Discount", 0.12),
    ("Organic", 0.08),
)
# Madrid, inside the M-40 ring: (west, south, east, north) in degrees.
MADRID_BOUNDS = (-3.78, 40.36, -3.60, 40.50)
DISTRICT_CENTRES = (
    ("Centro", -3.7038, 40.4168),
    ("Salamanca", -3.6800, 40.4300),
    ("Chamberi", -3.7040, 40.4340),
    ("Tetuan", -3.6980, 40.4600),
    ("Carabanchel", -3.7380, 40.3800),
    ("Vallecas", -3.6600, 40.3900),
    ("Moncloa", -3.7300, 40.4350),
    ("Hortaleza", -3.6450, 40.4700),
)
# Fictional competitor chains: (brand, the format it runs, share of competitor stores).
COMPETITOR_BRANDS: tuple[tuple[str, str, float], ...] = (
    ("SolMarket", "Supermarket", 0.35),
    ("QuickBasket", "Convenience", 0.25),
    ("MaxiAhorro", "Discount", 0.20),
    ("GranCesta", "Hypermarket", 0.08),
    ("BioVerde", "Organic", 0.12),
)
CUSTOMER_SEGMENTS: tuple[tuple[str, float], ...] = (
    ("Family", 0.35),
    ("Young professional", 0.25),
    ("Senior", 0.25),
    ("Student", 0.15),
)


@dataclass(frozen=True)
class Store:
    id: int
    name: str
    district: str
    store_type: str
    revenue: float
    longitude: float
    latitude: float


@dataclass(frozen=True)
class Competitor:
    id: int
    name: str
    brand: str
    store_type: str
    district: str
    opened_on: dt.date
    longitude: float
    latitude: float


@dataclass(frozen=True)
class Customer:
    id: int
    segment: str
    district: str
    loyalty_member: bool
    home_store_id: int | None  # loyalty members only: one of our stores in their district
    annual_spend: float
    visits_per_year: int
    longitude: float
    latitude: float


def _point_near(rng: random.Random, lon0: float, lat0: float) -> tuple[float, float]:
    west, south, east, north = MADRID_BOUNDS
    longitude = min(max(rng.gauss(lon0, 0.015), west), east)
    latitude = min(max(rng.gauss(lat0, 0.012), south), north)
    return round(longitude, 6), round(latitude, 6)


def generate_stores(count: int = 600, seed: int = 20231004) -> list[Store]:
    rng = random.Random(seed)
    names, weights = zip(*STORE_TYPES, strict=True)
    stores = []
    for store_id in range(1, count + 1):
        district, lon0, lat0 = rng.choice(DISTRICT_CENTRES)
        longitude, latitude = _point_near(rng, lon0, lat0)
        store_type = rng.choices(names, weights)[0]
        stores.append(
            Store(
                id=store_id,
                name=f"{store_type} {district} {store_id:04d}",
                district=district,
                store_type=store_type,
                revenue=round(rng.lognormvariate(13, 0.5), 2),
                longitude=longitude,
                latitude=latitude,
            )
        )
    return stores


def generate_competitors(count: int = 240, seed: int = 20240611) -> list[Competitor]:
    rng = random.Random(seed)
    weights = [share for _, _, share in COMPETITOR_BRANDS]
    first_day, days = dt.date(2005, 1, 1), (dt.date(2025, 12, 31) - dt.date(2005, 1, 1)).days
    competitors = []
    for competitor_id in range(1, count + 1):
        district, lon0, lat0 = rng.choice(DISTRICT_CENTRES)
        longitude, latitude = _point_near(rng, lon0, lat0)
        brand, store_type, _ = rng.choices(COMPETITOR_BRANDS, weights)[0]
        competitors.append(
            Competitor(
                id=competitor_id,
                name=f"{brand} {district} {competitor_id:03d}",
                brand=brand,
                store_type=store_type,
                district=district,
                opened_on=first_day + dt.timedelta(days=rng.randrange(days + 1)),
                longitude=longitude,
                latitude=latitude,
            )
        )
    return competitors


def generate_customers(
    count: int = 2000, seed: int = 20250301, stores: Sequence[Store] | None = None
) -> list[Customer]:
    rng = random.Random(seed)
    stores_by_district: dict[str, list[int]] = {}
    for store in stores if stores is not None else generate_stores():
        stores_by_district.setdefault(store.district, []).append(store.id)
    segments, weights = zip(*CUSTOMER_SEGMENTS, strict=True)
    customers = []
    for customer_id in range(1, count + 1):
        district, lon0, lat0 = rng.choice(DISTRICT_CENTRES)
        longitude, latitude = _point_near(rng, lon0, lat0)
        loyalty_member = rng.random() < 0.45
        home_stores = stores_by_district.get(district, [])
        customers.append(
            Customer(
                id=customer_id,
                segment=rng.choices(segments, weights)[0],
                district=district,
                loyalty_member=loyalty_member,
                home_store_id=rng.choice(home_stores) if loyalty_member and home_stores else None,
                annual_spend=round(rng.lognormvariate(7.2, 0.6), 2),
                visits_per_year=rng.randint(1, 104),
                longitude=longitude,
                latitude=latitude,
            )
        )
    return customers


_BIGQUERY_TYPES: dict[object, str] = {
    int: "INT64",
    str: "STRING",
    float: "FLOAT64",
    bool: "BOOL",
    dt.date: "DATE",
}
_POINT_COLUMNS = ("longitude", "latitude")


def _schema(row_type: type) -> list[bigquery.SchemaField]:
    """BigQuery columns of a row dataclass; `X | None` is a NULLABLE X."""
    fields = []
    for name, hint in typing.get_type_hints(row_type).items():
        python_type = next((t for t in typing.get_args(hint) if t is not type(None)), hint)
        fields.append(bigquery.SchemaField(name, _BIGQUERY_TYPES[python_type]))
    return fields


def _load_points_table(
    client: bigquery.Client, dataset: str, table: str, rows: Sequence[object]
) -> int:
    """(Re)create `<project>.<dataset>.<table>` from row dataclasses, their
    longitude/latitude turned into a GEOGRAPHY column `geom`; returns the row count."""
    project = client.project
    raw = f"{project}.{dataset}._{table}_raw"
    schema = _schema(type(rows[0]))
    records = [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in vars(row).items()}
        for row in rows
    ]
    client.delete_table(raw, not_found_ok=True)
    client.create_table(bigquery.Table(raw, schema=schema))
    # Streaming insert: the emulator does not take the client's multipart load upload.
    errors = client.insert_rows_json(raw, records)
    if errors:
        raise RuntimeError(f"seeding {raw} failed: {errors[:3]}")
    # GEOGRAPHY is built in SQL from the loaded coordinates.
    columns = ", ".join(f.name for f in schema if f.name not in _POINT_COLUMNS)
    client.query(
        f"CREATE OR REPLACE TABLE `{project}.{dataset}.{table}` AS "
        f"SELECT {columns}, ST_GEOGPOINT(longitude, latitude) AS geom FROM `{raw}`"
    ).result()
    client.delete_table(raw, not_found_ok=True)
    return len(records)


def seed_stores(client: bigquery.Client, dataset: str = "retail", count: int = 600) -> int:
    """(Re)create `<project>.<dataset>.stores`; returns the number of rows."""
    client.create_dataset(f"{client.project}.{dataset}", exists_ok=True)
    return _load_points_table(client, dataset, "stores", generate_stores(count))


# What `make run` and the e2e stack seed (dataset `retail`): table -> its rows.
DEMO_DATASET = "retail"
# The second org's own copy of the stores (each org reads only its own data).
OTHER_ORG_DATASET = "other_retail"
DEMO_TABLES: dict[str, Callable[[], Sequence[object]]] = {
    "stores": generate_stores,
    "competitors": generate_competitors,
    "customers": generate_customers,
}


def seed_demo_tables(client: bigquery.Client, dataset: str = DEMO_DATASET) -> dict[str, int]:
    """(Re)create every table the examples read: full table name -> number of rows."""
    client.create_dataset(f"{client.project}.{dataset}", exists_ok=True)
    seeded = {
        f"{client.project}.{dataset}.{table}": _load_points_table(client, dataset, table, rows())
        for table, rows in DEMO_TABLES.items()
    }
    client.create_dataset(f"{client.project}.{OTHER_ORG_DATASET}", exists_ok=True)
    other = _load_points_table(client, OTHER_ORG_DATASET, "stores", generate_stores())
    return {**seeded, f"{client.project}.{OTHER_ORG_DATASET}.stores": other}
