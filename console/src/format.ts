// Plain-text formatting of API values.
import { h } from "./dom";

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(value) : scaled.toFixed(scaled < 10 ? 2 : 1);
  return `${shown} ${units[unit]} (${value.toLocaleString("en-US")} bytes)`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function between(start: string | null, end: string | null): number | null {
  if (!start) return null;
  const until = end ? Date.parse(end) : Date.now();
  return until - Date.parse(start);
}

/** A <time> showing the local date and time, with the API's ISO value as datetime. */
export function time(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h("time", { datetime: iso, title: iso }, date.toLocaleString());
}

/** A table cell's text for any JSON value (GEOGRAPHY and structs as compact JSON). */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function stateBadge(state: string): HTMLElement {
  return h("span", { class: `badge state-${state}` }, state);
}
