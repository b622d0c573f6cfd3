// Colors for the map, by a chosen column: categories from a fixed palette (Tableau 10),
// numbers with many values on a sequential ramp; a legend says which is which.
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];
const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]; // viridis
const DEFAULT = "#4e79a7";

export interface Coloring {
  color: (value: unknown) => string;
  legend: [string, string][]; // [label, color]
}

function mix(a: string, b: string, t: number): string {
  const channel = (hex: string, i: number) => Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
  const parts = [0, 1, 2].map((i) => Math.round(channel(a, i) + (channel(b, i) - channel(a, i)) * t));
  return `#${parts.map((p) => p.toString(16).padStart(2, "0")).join("")}`;
}

function ramp(t: number): string {
  const scaled = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(scaled), RAMP.length - 2);
  return mix(RAMP[i], RAMP[i + 1], scaled - i);
}

const key = (value: unknown) => (value === null || value === undefined ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value));

export function coloring(values: unknown[] | null): Coloring {
  if (values === null) return { color: () => DEFAULT, legend: [] };
  const distinct = [...new Set(values.map(key))];
  const numbers = values.filter((v): v is number => typeof v === "number");
  if (distinct.length > PALETTE.length && numbers.length === values.length) {
    const low = Math.min(...numbers);
    const high = Math.max(...numbers);
    const t = (v: number) => (high === low ? 0 : (v - low) / (high - low));
    return {
      color: (value) => (typeof value === "number" ? ramp(t(value)) : "#999999"),
      legend: [[String(low), ramp(0)], [String((low + high) / 2), ramp(0.5)], [String(high), ramp(1)]],
    };
  }
  const sorted = distinct.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const byValue = new Map(sorted.map((value, i) => [value, i < PALETTE.length ? PALETTE[i] : "#999999"]));
  const legend: [string, string][] = sorted.slice(0, PALETTE.length).map((v) => [v, byValue.get(v) as string]);
  if (sorted.length > PALETTE.length) legend.push([`${sorted.length - PALETTE.length} more`, "#999999"]);
  return { color: (value) => byValue.get(key(value)) ?? "#999999", legend };
}
