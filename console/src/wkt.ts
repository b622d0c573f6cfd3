// WKT (as BigQuery's ST_ASTEXT writes it) to GeoJSON geometries, for the map. The console
// asks the results API for WKT: readable in the table, and cheaper to produce than GeoJSON.
import type { Geometry, Position } from "geojson";

const TOKEN = /\s*([A-Za-z]+|\(|\)|,|[-+0-9.eE]+(?:\s+[-+0-9.eE]+)+)/y;

class Reader {
  private index = 0;
  constructor(private readonly text: string) {}

  next(): string | null {
    TOKEN.lastIndex = this.index;
    const match = TOKEN.exec(this.text);
    if (!match) return null;
    this.index = TOKEN.lastIndex;
    return match[1];
  }

  peek(): string | null {
    const at = this.index;
    const token = this.next();
    this.index = at;
    return token;
  }

  expect(token: string): void {
    const found = this.next();
    if (found !== token) throw new SyntaxError(`WKT: expected ${token}, found ${found}`);
  }

  atEnd(): boolean {
    return this.text.slice(this.index).trim() === "";
  }
}

function position(token: string | null): Position {
  const numbers = (token ?? "").trim().split(/\s+/).map(Number);
  if (numbers.length < 2 || numbers.some((n) => !Number.isFinite(n))) {
    throw new SyntaxError(`WKT: not a position: ${token}`);
  }
  return numbers.slice(0, 2);
}

/** `( item, item, ... )` */
function list<T>(reader: Reader, item: (reader: Reader) => T): T[] {
  reader.expect("(");
  const items = [item(reader)];
  while (reader.peek() === ",") {
    reader.next();
    items.push(item(reader));
  }
  reader.expect(")");
  return items;
}

const point = (reader: Reader): Position => {
  // MULTIPOINT may write its points with or without parentheses.
  if (reader.peek() === "(") {
    reader.next();
    const found = position(reader.next());
    reader.expect(")");
    return found;
  }
  return position(reader.next());
};
const line = (reader: Reader) => list(reader, point);
const polygon = (reader: Reader) => list(reader, line);

function geometry(reader: Reader): Geometry {
  const kind = (reader.next() ?? "").toUpperCase();
  const empty = reader.peek()?.toUpperCase() === "EMPTY";
  if (empty) reader.next();
  switch (kind) {
    case "POINT":
      if (empty) return { type: "MultiPoint", coordinates: [] };
      return { type: "Point", coordinates: list(reader, point)[0] };
    case "LINESTRING":
      return { type: "LineString", coordinates: empty ? [] : line(reader) };
    case "POLYGON":
      return { type: "Polygon", coordinates: empty ? [] : polygon(reader) };
    case "MULTIPOINT":
      return { type: "MultiPoint", coordinates: empty ? [] : list(reader, point) };
    case "MULTILINESTRING":
      return { type: "MultiLineString", coordinates: empty ? [] : list(reader, line) };
    case "MULTIPOLYGON":
      return { type: "MultiPolygon", coordinates: empty ? [] : list(reader, polygon) };
    case "GEOMETRYCOLLECTION":
      return { type: "GeometryCollection", geometries: empty ? [] : list(reader, geometry) };
    default:
      throw new SyntaxError(`WKT: unknown geometry ${kind}`);
  }
}

/** The geometry of a WKT text; null when it is not WKT this reader knows. */
export function parseWkt(text: string): Geometry | null {
  try {
    const reader = new Reader(text);
    const found = geometry(reader);
    return reader.atEnd() ? found : null;
  } catch {
    return null;
  }
}
