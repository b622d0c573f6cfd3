"""Deterministic demo data for the local BigQuery: `retail.stores`.

Stores are spread over Madrid's urban area with a seeded random generator, so
every machine gets the same rows without downloading anything.
"""

from __future__ import annotations

import random
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


@dataclass(frozen=True)
class Store:
    id: int
    name: str
    store_type: str
    revenue: float
    longitude: float
    latitude: float


def generate_stores(count: int = 600, seed: int = 20231004) -> list[Store]:
    rng = random.Random(seed)
    names, weights = zip(*STORE_TYPES, strict=True)
    west, south, east, north = MADRID_BOUNDS
    stores = []
    for store_id in range(1, count + 1):
        district, lon0, lat0 = rng.choice(DISTRICT_CENTRES)
        longitude = min(max(rng.gauss(lon0, 0.015), west), east)
        latitude = min(max(rng.gauss(lat0, 0.012), south), north)
        store_type = rng.choices(names, weights)[0]
        stores.append(
            Store(
                id=store_id,
                name=f"{store_type} {district} {store_id:04d}",
                store_type=store_type,
                revenue=round(rng.lognormvariate(13, 0.5), 2),
                longitude=round(longitude, 6),
                latitude=round(latitude, 6),
            )
        )
    return stores


def seed_stores(client: bigquery.Client, dataset: str = "retail", count: int = 600) -> int:
    """(Re)create `<project>.<dataset>.stores`; returns the number of rows."""
    project = client.project
    client.create_dataset(f"{project}.{dataset}", exists_ok=True)
    raw = f"{project}.{dataset}._stores_raw"
    rows = [store.__dict__ for store in generate_stores(count)]
    schema = [
        bigquery.SchemaField("id", "INT64"),
        bigquery.SchemaField("name", "STRING"),
        bigquery.SchemaField("store_type", "STRING"),
        bigquery.SchemaField("revenue", "FLOAT64"),
        bigquery.SchemaField("longitude", "FLOAT64"),
        bigquery.SchemaField("latitude", "FLOAT64"),
    ]
    client.delete_table(raw, not_found_ok=True)
    client.create_table(bigquery.Table(raw, schema=schema))
    # Streaming insert: the emulator does not take the client's multipart load upload.
    errors = client.insert_rows_json(raw, rows)
    if errors:
        raise RuntimeError(f"seeding {raw} failed: {errors[:3]}")
    # GEOGRAPHY is built in SQL from the loaded coordinates.
    client.query(
        f"CREATE OR REPLACE TABLE `{project}.{dataset}.stores` AS "
        "SELECT id, name, store_type, revenue, ST_GEOGPOINT(longitude, latitude) AS geom "
        f"FROM `{raw}`"
    ).result()
    client.delete_table(raw, not_found_ok=True)
    return len(rows)
