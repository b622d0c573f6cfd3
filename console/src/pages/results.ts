// Results: the output table page by page (the results API) and a map of its GEOGRAPHY
// column, colored by a chosen column and fitted to the rows shown.
import type { Feature, FeatureCollection, Geometry } from "geojson";
import { type Results, api } from "../api";
import { h, replace, uid } from "../dom";
import { coloring } from "../colors";
import { cell } from "../format";
import type { PageContext } from "./context";
import type { MapView } from "../map";
import { parseWkt } from "../wkt";

const PAGE_SIZES = [25, 100, 500];
// Milestones of the last results render, read by the browser tests and `make bench`
// (MapLibre clears performance marks, so they are kept here).
const timings: [string, number][] = [];
(globalThis as { __consoleTimings?: typeof timings }).__consoleTimings = timings;
function mark(name: string): void {
  timings.push([name, Math.round(performance.now())]);
}

/** A GEOGRAPHY value: WKT text (what the console asks for) or a GeoJSON geometry. */
function geometryOf(value: unknown): Geometry | null {
  if (typeof value === "string") return value.trimStart().startsWith("{") ? geometryOf(safeJson(value)) : parseWkt(value);
  return value && typeof value === "object" && "type" in value ? (value as Geometry) : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function featuresOf(results: Results, geography: string, colorBy: string): FeatureCollection {
  const colors = coloring(colorBy ? results.rows.map((row) => row[colorBy]) : null);
  const features: Feature[] = [];
  results.rows.forEach((row, index) => {
    const geometry = geometryOf(row[geography]);
    if (!geometry) return;
    const properties: Record<string, unknown> = { __color: colors.color(row[colorBy]) };
    for (const column of results.schema) {
      if (column.name !== geography) properties[column.name] = cell(row[column.name]);
    }
    features.push({ type: "Feature", id: index, geometry, properties });
  });
  return { type: "FeatureCollection", features };
}

let kept: { box: HTMLElement; view: Promise<MapView | null> } | null = null;

function newMap(): { box: HTMLElement; view: Promise<MapView | null> } {
  const box = h("div", { class: "map", role: "region", "aria-label": "Map of the rows on this page" });
  const view = import("../map")
    .then(({ createMap }) => createMap(box))
    .catch((error: unknown) => {
      console.warn("map unavailable", error);
      return null;
    });
  return { box, view };
}

export async function resultsPage(context: PageContext, id: string): Promise<void> {
  const { main, signal } = context;
  const started = performance.now();
  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/executions" }, "Executions"), " / ",
      h("a", { href: `#/executions/${id}` }, id.slice(0, 12)), " / results"),
    h("h1", null, "Results"),
  );
  const pageSize = h("select", { id: uid("page-size") },
    PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === 100 }, String(n))));
  const geographySelect = h("select", { id: uid("geography") });
  const colorSelect = h("select", { id: uid("color-by") });
  // One map for the console's lifetime: its WebGL context and workers are made once.
  kept ??= newMap();
  const mapBox = kept.box;
  const legend = h("ul", { class: "legend", "aria-label": "Colors" });
  const mapStatus = h("p", { class: "hint", role: "status" }, "Loading the map…");
  const table = h("table", { class: "data results" });
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" });
  const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary" }, "Next page");
  main.append(
    h("div", { class: "filters" },
      h("div", { class: "field" }, h("label", { for: pageSize.id }, "Rows per page"), pageSize),
      h("div", { class: "field" }, h("label", { for: geographySelect.id }, "Geography column"), geographySelect),
      h("div", { class: "field" }, h("label", { for: colorSelect.id }, "Color by"), colorSelect)),
    h("div", { class: "map-wrap" }, mapBox, legend),
    mapStatus,
    h("div", { class: "pager" }, previous, pageLabel, next),
    h("div", { class: "table-scroll", tabindex: "0", "aria-label": "Output rows" }, table),
  );

  timings.length = 0;
  mark("results:open");
  const mapReady = kept.view.then((view) => {
    mark("results:map-loaded");
    view?.resize();
    if (!view) mapStatus.textContent = "The map is unavailable in this browser; the table is complete.";
    return view;
  });

  const tokens: (string | null)[] = [null]; // tokens[i]: the token of page i
  let index = 0;
  let current: Results | null = null;

  const drawMap = async () => {
    const view = await mapReady;
    if (!view || !current || signal.aborted) return;
    const geography = geographySelect.value;
    if (!geography) {
      mapStatus.textContent = "No GEOGRAPHY column: nothing to map.";
      return;
    }
    const data = featuresOf(current, geography, colorSelect.value);
    const colors = coloring(colorSelect.value ? current.rows.map((r) => r[colorSelect.value]) : null);
    replace(legend, colors.legend.map(([label, color]) =>
      h("li", null, h("span", { class: "swatch", "data-color": color, "aria-hidden": "true" }), label)));
    for (const swatch of legend.querySelectorAll<HTMLElement>(".swatch")) {
      swatch.style.backgroundColor = swatch.dataset.color ?? ""; // CSSOM, allowed by the CSP
    }
    const drawn = await view.show(data);
    mapBox.dataset.features = String(data.features.length);
    mapBox.dataset.rendered = String(drawn);
    mapStatus.textContent = `${data.features.length} features from ${current.rows.length} rows` +
      (colorSelect.value ? `, colored by ${colorSelect.value}` : "") + ".";
  };

  let first = true;
  const load = async () => {
    // From opening the page for the first page, from the click for the others.
    const loadStarted = first ? started : performance.now();
    first = false;
    previous.disabled = next.disabled = true;
    const results = await api.results(id, Number(pageSize.value), tokens[index], signal);
    if (signal.aborted) return;
    mark("results:rows");
    current = results;
    if (results.next_page_token) tokens[index + 1] = results.next_page_token;
    else tokens.length = index + 1;
    if (!geographySelect.options.length) fillColumnChoices(results, geographySelect, colorSelect);
    renderTable(table, results, index, Number(pageSize.value));
    pageLabel.textContent = `Page ${index + 1}: ${results.rows.length} rows`;
    previous.disabled = index === 0;
    next.disabled = !results.next_page_token;
    mark("results:table");
    await drawMap();
    mark("results:map-drawn");
    main.dataset.renderMs = String(Math.round(performance.now() - loadStarted));
  };
  previous.addEventListener("click", () => { index -= 1; void load(); });
  next.addEventListener("click", () => { index += 1; void load(); });
  pageSize.addEventListener("change", () => { tokens.length = 1; index = 0; void load(); });
  geographySelect.addEventListener("change", () => void drawMap());
  colorSelect.addEventListener("change", () => void drawMap());
  await load();
}

function fillColumnChoices(results: Results, geography: HTMLSelectElement, color: HTMLSelectElement): void {
  const geographies = results.schema.filter((c) => c.type === "GEOGRAPHY" && c.mode !== "REPEATED");
  for (const column of geographies) geography.append(h("option", { value: column.name }, column.name));
  if (!geographies.length) geography.append(h("option", { value: "" }, "(none)"));
  color.append(h("option", { value: "" }, "(one color)"));
  for (const column of results.schema) {
    if (column.type === "GEOGRAPHY") continue;
    color.append(h("option", { value: column.name, selected: column.name === "cluster" }, column.name));
  }
}

function renderTable(table: HTMLTableElement, results: Results, index: number, size: number): void {
  replace(
    table,
    h("caption", null, `Output rows ${index * size + 1} to ${index * size + results.rows.length}`),
    h("thead", null, h("tr", null, results.schema.map((c) =>
      h("th", { scope: "col", title: `${c.type}${c.mode === "REPEATED" ? " (repeated)" : ""}` }, c.name)))),
    h("tbody", null, results.rows.map((row) => h("tr", null, results.schema.map((c) => {
      const text = cell(row[c.name]);
      return c.type === "GEOGRAPHY"
        ? h("td", { class: "mono geo" }, text.length > 80 ? `${text.slice(0, 80)}…` : text)
        : h("td", { class: c.type === "STRING" ? null : "mono" }, text);
    })))),
  );
}
