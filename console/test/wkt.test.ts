import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWkt } from "../src/wkt";

test("points, lines and polygons as BigQuery's ST_ASTEXT writes them", () => {
  assert.deepEqual(parseWkt("POINT(-3.7038 40.4168)"), { type: "Point", coordinates: [-3.7038, 40.4168] });
  assert.deepEqual(parseWkt("LINESTRING(0 0, 1 1.5)"), { type: "LineString", coordinates: [[0, 0], [1, 1.5]] });
  assert.deepEqual(parseWkt("POLYGON((0 0, 1 0, 1 1, 0 0))"), {
    type: "Polygon",
    coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]],
  });
  assert.deepEqual(parseWkt("POLYGON((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1))")?.type, "Polygon");
});

test("multi geometries and collections", () => {
  assert.deepEqual(parseWkt("MULTIPOINT(1 2, 3 4)"), { type: "MultiPoint", coordinates: [[1, 2], [3, 4]] });
  assert.deepEqual(parseWkt("MULTIPOINT((1 2), (3 4))"), { type: "MultiPoint", coordinates: [[1, 2], [3, 4]] });
  assert.deepEqual(parseWkt("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))"), {
    type: "MultiPolygon",
    coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]],
  });
  assert.deepEqual(parseWkt("GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))"), {
    type: "GeometryCollection",
    geometries: [
      { type: "Point", coordinates: [1, 2] },
      { type: "LineString", coordinates: [[0, 0], [1, 1]] },
    ],
  });
  assert.deepEqual(parseWkt("GEOMETRYCOLLECTION EMPTY"), { type: "GeometryCollection", geometries: [] });
  assert.deepEqual(parseWkt("POINT(1e-3 -2.5E2)"), { type: "Point", coordinates: [0.001, -250] });
});

test("anything else is not a geometry", () => {
  for (const text of ["", "POINT", "POINT(1)", "POINT(1 2", "CIRCLE(1 2)", "POINT(1 2) x", "<img src=x>"]) {
    assert.equal(parseWkt(text), null, text);
  }
});
