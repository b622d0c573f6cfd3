"""One scalar value of a declared BigQuery type, checked and made canonical.

Python values for each type (int, float, Decimal, str, date, aware UTC datetime), and
GEOGRAPHY as canonical WKT (from WKT or GeoJSON). Raises ValueRejected; `parameters`
names the parameter in the error it reports.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from ..plain_data import TooDeep, check_json_nesting, has_lone_surrogate, printable

MAX_STRING_LENGTH = 10_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# NUMERIC: 38 digits of precision, 9 of them after the decimal point.
NUMERIC_MAX_INTEGER_DIGITS, NUMERIC_MAX_SCALE = 29, 9
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WKT_PATTERN = re.compile(
    r"^\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    r"\s*(EMPTY|\([0-9eE+\-.,()\s A-Z]*\))\s*$",
    re.IGNORECASE,
)
_GEOJSON_TYPES = {
    "Point": "POINT",
    "LineString": "LINESTRING",
    "Polygon": "POLYGON",
    "MultiPoint": "MULTIPOINT",
    "MultiLineString": "MULTILINESTRING",
    "MultiPolygon": "MULTIPOLYGON",
}


class ValueRejected(Exception):
    """A value that is not of its type (`code` for the error, `detail` for its message)."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail


def describe_value(value: object) -> str:
    """How a value is named in error messages: `the string "two"`, `the number 2.5`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        shown = str(value) if value.bit_length() < 128 else f"of {len(str(abs(value)))} digits"
        return f"the integer {shown}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {printable(json.dumps(shown, ensure_ascii=False))}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return f"a {type(value).__name__}"


def scalar(type_name: str, value: Any) -> Any:
    """`value` as the canonical Python value of `type_name`; raises ValueRejected."""
    expected = f"expected {type_name}, got {describe_value(value)}"
    if type_name == "BOOL":
        if isinstance(value, bool):
            return value
        raise ValueRejected("invalid_type", expected)
    if isinstance(value, bool):
        raise ValueRejected("invalid_type", expected)
    if type_name == "INT64":
        if not isinstance(value, int):
            raise ValueRejected("invalid_type", expected)
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueRejected(
                "out_of_range", f"expected INT64, got {describe_value(value)} (out of range)"
            )
        return value
    if type_name == "FLOAT64":
        if not isinstance(value, int | float):
            raise ValueRejected("invalid_type", expected)
        try:
            number = float(value)
        except OverflowError:
            raise ValueRejected(
                "out_of_range", f"expected FLOAT64, got {describe_value(value)} (out of range)"
            ) from None
        if not math.isfinite(number):
            raise ValueRejected("invalid_value", f"expected a finite FLOAT64, got {value!r}")
        return number
    if type_name == "NUMERIC":
        return _numeric(value, expected)
    if not isinstance(value, str) or type_name not in ("STRING", "DATE", "TIMESTAMP"):
        if type_name == "GEOGRAPHY":
            return _geography(value, expected)
        raise ValueRejected("invalid_type", expected)
    _check_text(value)
    if type_name == "STRING":
        return value
    if type_name == "DATE":
        return _date(value)
    return _timestamp(value)


def _date(value: str) -> dt.date:
    try:
        if not _DATE_PATTERN.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueRejected(
            "invalid_value", f"expected a DATE as YYYY-MM-DD, got {describe_value(value)}"
        ) from None


def _timestamp(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueRejected(
            "invalid_value",
            "expected a TIMESTAMP in ISO 8601 (e.g. 2024-01-31T12:00:00Z), got "
            + describe_value(value),
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # BigQuery reads zone-less timestamps as UTC
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # past year 9999 or before year 1 once in UTC
        raise ValueRejected(
            "out_of_range",
            "expected a TIMESTAMP from 0001-01-01 to 9999-12-31 UTC, got " + describe_value(value),
        ) from None


def _numeric(value: Any, expected: str) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueRejected("invalid_value", f"expected a finite NUMERIC, got {value!r}")
        text = repr(value)
    elif isinstance(value, int | str):
        text = str(value).strip()
    else:
        raise ValueRejected("invalid_type", expected)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueRejected("invalid_type", expected) from None
    if not number.is_finite():
        raise ValueRejected(
            "invalid_value", f"expected a finite NUMERIC, got {describe_value(value)}"
        )
    # Digits before the point (adjusted() is the exponent of the leading digit), and
    # after it; zero has no significant digits.
    integer_digits = max(number.adjusted() + 1, 0) if number else 0
    scale = max(-int(number.as_tuple().exponent), 0) if number else 0
    if scale > NUMERIC_MAX_SCALE or integer_digits > NUMERIC_MAX_INTEGER_DIGITS:
        shown = text if len(text) <= 60 else text[:60] + "..."
        raise ValueRejected(
            "out_of_range",
            f"expected NUMERIC (29 integer and 9 fractional digits at most), got {shown}",
        )
    # One canonical spelling per value: 1.50 and 1.5 are the same NUMERIC. NUMERIC has 38
    # digits, more than the default context's 28.
    with localcontext(prec=NUMERIC_MAX_INTEGER_DIGITS + NUMERIC_MAX_SCALE + 2):
        normalised = number.normalize()
        if normalised == normalised.to_integral():
            return normalised.quantize(Decimal(1))
        return normalised


def _check_text(value: str) -> None:
    if len(value) > MAX_STRING_LENGTH:
        raise ValueRejected(
            "too_long", f"at most {MAX_STRING_LENGTH} characters allowed, got {len(value)}"
        )
    if has_lone_surrogate(value):
        raise ValueRejected(
            "invalid_value", "holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
        )
    for char in value:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code < 0xA0:
            raise ValueRejected("invalid_value", f"control character U+{code:04X} is not allowed")


def _geography(value: Any, expected: str) -> str:
    if isinstance(value, str):
        _check_text(value)
        text = value.strip()
        if text.startswith("{"):
            try:
                check_json_nesting(text)
                value = json.loads(text)
            except TooDeep as deep:
                raise ValueRejected("invalid_value", f"the GeoJSON {deep}") from None
            except ValueError:
                raise ValueRejected(
                    "invalid_value", "expected GEOGRAPHY as WKT or GeoJSON, got invalid JSON"
                ) from None
        else:
            if not _WKT_PATTERN.fullmatch(text) or text.count("(") != text.count(")"):
                raise ValueRejected(
                    "invalid_value",
                    f"expected GEOGRAPHY as WKT or GeoJSON, got {describe_value(value)}",
                )
            return " ".join(text.upper().split()).replace("( ", "(").replace(" )", ")")
    if isinstance(value, Mapping):
        return _geojson_to_wkt(value)
    raise ValueRejected("invalid_type", expected)


def _geojson_to_wkt(geometry: Mapping[str, Any]) -> str:
    kind = _GEOJSON_TYPES.get(str(geometry.get("type")))
    coordinates = geometry.get("coordinates")
    if kind is None or not isinstance(coordinates, list):
        raise ValueRejected(
            "invalid_value", "expected a GeoJSON geometry with type and coordinates"
        )

    def position(p: Any) -> str:
        longitude, latitude = _position(p)
        return f"{longitude!r} {latitude!r}"

    def ring(points: Any) -> str:
        if not isinstance(points, list) or not points:
            raise ValueRejected("invalid_value", "GeoJSON coordinates are malformed")
        return "(" + ", ".join(position(p) for p in points) + ")"

    def polygon(rings: Any) -> str:
        if not isinstance(rings, list) or not rings:
            raise ValueRejected("invalid_value", "GeoJSON coordinates are malformed")
        return "(" + ", ".join(ring(r) for r in rings) + ")"

    if kind == "POINT":
        body = f"({position(coordinates)})"
    elif kind in ("LINESTRING", "MULTIPOINT"):
        body = ring(coordinates)
    elif kind in ("POLYGON", "MULTILINESTRING"):
        body = polygon(coordinates)
    else:
        body = "(" + ", ".join(polygon(p) for p in coordinates) + ")"
    return f"{kind}{body}"


def _position(p: Any) -> tuple[float, float]:
    """[longitude, latitude(, altitude)] as degrees within the globe."""
    shape = "GeoJSON positions must be [longitude, latitude] in degrees"
    if not isinstance(p, list) or len(p) not in (2, 3):
        raise ValueRejected("invalid_value", shape)
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p):
        raise ValueRejected("invalid_value", shape)
    try:
        longitude, latitude = float(p[0]), float(p[1])
    except OverflowError:
        raise ValueRejected("out_of_range", shape + ", got a number out of range") from None
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:  # also refuses NaN
        raise ValueRejected("out_of_range", shape + " (longitude -180 to 180, latitude -90 to 90)")
    return longitude, latitude
