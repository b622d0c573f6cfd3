"""Local-only shim: `ST_BUFFER(geography, radius)` in metres, as on BigQuery.

bqemulator renames BigQuery's `ST_BUFFER` to DuckDB's planar `ST_Buffer`, whose
radius is in coordinate units: `ST_BUFFER(point, 500)` makes a disc 500 *degrees*
wide, where BigQuery makes one 500 metres wide. Such polygons wrap the globe, so
their GeoJSON takes seconds per row to write, and every buffer the local stack
returns is wrong by five orders of magnitude.

The shim rewrites the two-argument form to a DuckDB macro that buffers in degrees of
latitude (radius / metres per degree on BigQuery's sphere) and stretches longitudes by
1 / cos(latitude) around the geometry's centroid. That is exact at the centroid's
latitude and within a fraction of a percent for buffers of city size, which is what
the local stack needs; the other `ST_BUFFER` forms keep bqemulator's behaviour.

It never runs in the Cloud Functions: only `devstack` imports it. The canary
`test_bqemulator_still_buffers_in_degrees` fails the day upstream buffers in metres.
"""

from __future__ import annotations

import functools
from typing import Any

# BigQuery's sphere: 6,371,008.8 m of radius, so this many metres per degree.
METRES_PER_DEGREE = 6_371_008.8 * 3.141592653589793 / 180.0
MACRO = "wfapi_st_buffer_metres"
_CENTRE_LATITUDE = "radians(ST_Y(ST_Centroid(g)))"
MACRO_SQL = (
    f"CREATE OR REPLACE MACRO {MACRO}(g, d) AS ST_Affine("
    f"ST_Buffer(g, d / {METRES_PER_DEGREE!r}), "
    f"1.0 / cos({_CENTRE_LATITUDE}), 0.0, 0.0, 1.0, "
    f"ST_X(ST_Centroid(g)) * (1.0 - 1.0 / cos({_CENTRE_LATITUDE})), 0.0)"
)

_installed = False


def install() -> None:
    """Register the rewrite rule first and the macro on every engine (idempotent)."""
    global _installed
    if _installed:
        return
    from bqemulator.sql import rules
    from bqemulator.storage.engine import DuckDBEngine

    rules._REGISTRY.insert(0, _buffer_rule())
    original = DuckDBEngine._register_builtin_udfs

    @functools.wraps(original)
    def register_with_buffer_macro(self: Any) -> None:
        original(self)
        self._connection.execute(MACRO_SQL)

    DuckDBEngine._register_builtin_udfs = register_with_buffer_macro  # type: ignore[method-assign]
    _installed = True


def _buffer_rule() -> type:
    from bqemulator.sql.rules._base import TranslationRule
    from sqlglot import exp

    class StBufferInMetresRule(TranslationRule):
        name = "WFAPI_ST_BUFFER_METRES"

        def applies_to(self, node: exp.Expression) -> bool:
            return (
                isinstance(node, exp.Anonymous)
                and str(node.this).upper() == "ST_BUFFER"
                and len(node.expressions) == 2  # (geography, radius) only
            )

        def rewrite(self, node: exp.Expression) -> exp.Expression:
            return exp.Anonymous(this=MACRO, expressions=[e.copy() for e in node.expressions])

    return StBufferInMetresRule
