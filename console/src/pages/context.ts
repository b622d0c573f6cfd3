// What the router hands every page: where to draw, and when to stop (main.ts).
export interface PageContext {
  main: HTMLElement;
  signal: AbortSignal; // aborted when the user navigates away
  query: URLSearchParams;
}
