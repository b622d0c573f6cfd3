// The results map: MapLibre GL JS over a blank style (a background layer, no tiles, so it
// works offline), one GeoJSON source with one feature per row, fitted to the data.
// Loaded on demand (its own chunk), only when a results page is opened; its CSS is in
// style.css.
import {
  LngLatBounds,
  Map as MapLibre,
  NavigationControl,
  prewarm,
  setTrustedTypesPolicy,
  setWorkerUrl,
} from "maplibre-gl";
import type { FeatureCollection } from "geojson";

declare const __MAPLIBRE_WORKER__: string; // the worker's content-hashed file name (build.mjs)

const WORKER_URL = new URL(__MAPLIBRE_WORKER__, import.meta.url).href;

// Trusted Types (the CSP requires them): MapLibre may create a worker from this URL only,
// and no HTML from strings at all.
interface TrustedTypePolicyFactory {
  createPolicy(name: string, rules: { createScriptURL?: (url: string) => string; createHTML?: (html: string) => string }): unknown;
}
const trustedTypes = (globalThis as { trustedTypes?: TrustedTypePolicyFactory }).trustedTypes;
if (trustedTypes) {
  setTrustedTypesPolicy(
    trustedTypes.createPolicy("maplibre", {
      createScriptURL: (url: string) => {
        if (url !== WORKER_URL) throw new TypeError(`not the map's worker: ${url}`);
        return url;
      },
      createHTML: () => {
        throw new TypeError("the console inserts no HTML");
      },
    }) as Parameters<typeof setTrustedTypesPolicy>[0],
  );
}
setWorkerUrl(WORKER_URL);

const SOURCE = "rows";
const POLYGONS = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
const LINES = ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false];
const POINTS = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];

export interface MapView {
  /** Shows the features, fits the view to them; resolves with the features drawn. */
  show(data: FeatureCollection): Promise<number>;
  /** After its container moved to another page. */
  resize(): void;
}

/** Starts the map's workers ahead of a results page (the execution page calls it). */
export function warmUp(): void {
  prewarm();
}

function extend(bounds: LngLatBounds, coordinates: unknown): void {
  if (!Array.isArray(coordinates)) return;
  if (typeof coordinates[0] === "number") {
    bounds.extend([coordinates[0], coordinates[1] as number]);
    return;
  }
  for (const inner of coordinates) extend(bounds, inner);
}

export async function createMap(container: HTMLElement): Promise<MapView> {
  const map = new MapLibre({
    container,
    style: {
      version: 8,
      sources: { [SOURCE]: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#eef1f4" } },
        {
          id: "fill", type: "fill", source: SOURCE, filter: POLYGONS as never,
          paint: { "fill-color": ["get", "__color"], "fill-opacity": 0.45 },
        },
        {
          id: "outline", type: "line", source: SOURCE, filter: POLYGONS as never,
          paint: { "line-color": ["get", "__color"], "line-width": 1 },
        },
        {
          id: "line", type: "line", source: SOURCE, filter: LINES as never,
          paint: { "line-color": ["get", "__color"], "line-width": 2 },
        },
        {
          id: "point", type: "circle", source: SOURCE, filter: POINTS as never,
          paint: {
            "circle-color": ["get", "__color"], "circle-radius": 5,
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
          },
        },
      ],
    },
    center: [0, 20],
    zoom: 1,
    attributionControl: false, // no tiles, nothing to attribute
    fadeDuration: 0,
  });
  map.addControl(new NavigationControl({ showCompass: false }), "top-right");
  await new Promise<void>((resolve) => map.once("load", () => resolve()));
  return {
    async show(data) {
      const source = map.getSource(SOURCE) as unknown as { setData(d: FeatureCollection): void };
      source.setData(data);
      const bounds = new LngLatBounds();
      for (const feature of data.features) {
        if (feature.geometry && "coordinates" in feature.geometry) extend(bounds, feature.geometry.coordinates);
      }
      if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 32, animate: false, maxZoom: 16 });
      await new Promise<void>((resolve) => {
        map.once("idle", () => resolve());
        setTimeout(resolve, 10_000); // never hang a page on a map that cannot draw
      });
      const drawn = new Set(
        map.queryRenderedFeatures({ layers: ["fill", "line", "point"] }).map((f) => f.id),
      );
      return drawn.size;
    },
    resize: () => map.resize(),
  };
}
