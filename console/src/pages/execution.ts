// One execution: parameters, timeline, output table, cost, BigQuery's error verbatim,
// webhook deliveries, and a curl that reproduces it. Followed live while not terminal.
import { type Execution, TERMINAL, api } from "../api";
import { copyButton, h, replace, uid } from "../dom";
import { between, bytes, cell, duration, stateBadge, time } from "../format";
import { cancelButton, follow } from "../live";
import type { PageContext } from "./context";
import { shellQuote } from "../snippets";

export async function executionPage(context: PageContext, id: string): Promise<void> {
  const { main, signal } = context;
  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/executions" }, "Executions"), " / ", id),
    h("h1", null, `Execution ${id.slice(0, 12)}`),
  );
  const content = h("div");
  main.append(content);
  let shown = "";
  const render = (execution: Execution) => {
    const text = JSON.stringify(execution);
    if (text === shown) return; // unchanged: keep focus where it is
    shown = text;
    replace(content, ...detail(execution, render));
  };
  const execution = await api.execution(id, signal);
  render(execution);
  // Results are one click away: start the map's code and workers now.
  const warm = (e: Execution) => {
    if (e.state === "succeeded") void import("../map").then((map) => map.warmUp(), () => {});
  };
  warm(execution);
  await follow(execution, signal, (fresh) => {
    render(fresh);
    warm(fresh);
  });
}

export function reproduceCurl(execution: Execution, origin: string): string {
  const body = { parameters: execution.parameters, ...(execution.cache_enabled ? {} : { cache: false }) };
  return [
    `curl -sS -X POST ${shellQuote(`${origin}/v1/workflows/${execution.workflow_id}/executions`)} \\`,
    `  -H "Authorization: Bearer $WFAPI_TOKEN" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join("\n");
}

function section(title: string, ...children: (Node | string | null)[]): HTMLElement {
  const id = uid("section");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function facts(rows: [string, Node | string][]): HTMLElement {
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
}

function detail(execution: Execution, render: (fresh: Execution) => void): HTMLElement[] {
  const stats = execution.statistics;
  const parts: HTMLElement[] = [
    facts([
      ["State", stateBadge(execution.state)],
      ["Workflow", h("a", { href: `#/workflows/${encodeURIComponent(execution.workflow_id)}` }, execution.workflow_id)],
      ["Execution id", h("code", null, execution.id)],
      ["BigQuery job", h("code", null, execution.bigquery_job_id)],
      ["Cache", execution.cached ? "served from the cache" : execution.cache_enabled ? "on" : "off"],
      ["Version", h("code", null, execution.version.slice(0, 12))],
    ]),
    h("div", { class: "buttons" },
      TERMINAL.has(execution.state) ? null : cancelButton(execution, render),
      execution.state === "succeeded"
        ? h("a", { class: "button", href: `#/executions/${execution.id}/results` }, "Results and map")
        : null),
  ];
  if (execution.error) {
    parts.push(section("BigQuery error",
      facts([["Reason", h("code", null, execution.error.reason)], ["Location", execution.error.location ?? "—"]]),
      h("pre", { class: "error-text", tabindex: "0" }, execution.error.message)));
  }
  parts.push(
    section("Parameters", h("table", { class: "data compact" },
      h("caption", { class: "visually-hidden" }, "Parameters"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"))),
      h("tbody", null, Object.entries(execution.parameters).map(([name, value]) =>
        h("tr", null, h("th", { scope: "row" }, name), h("td", { class: "mono" }, cell(value))))))),
    section("Timeline", facts([
      ["Created", time(execution.created_at)],
      ["Started", time(execution.started_at)],
      ["Ended", time(execution.ended_at)],
      ["Queued for", duration(between(execution.created_at, execution.started_at ?? execution.ended_at))],
      ["Ran for", duration(between(execution.started_at, execution.ended_at))],
    ])),
    section("Output table", h("code", { class: "wrap" }, execution.output_table),
      execution.state === "succeeded" ? null : h("p", { class: "hint" }, "Complete once the execution succeeds.")),
    section("Cost", stats ? facts([
      ["Bytes processed", bytes(stats.bytes_processed)],
      ["Bytes billed", bytes(stats.bytes_billed)],
      ["Slot time", duration(stats.slot_ms)],
      ["Statements (child jobs)", stats.child_jobs === null ? "—" : String(stats.child_jobs)],
    ]) : h("p", null, "Known once the execution ends.")),
    section("Webhook deliveries", execution.notifications?.length
      ? h("table", { class: "data compact" },
          h("caption", { class: "visually-hidden" }, "Webhook deliveries"),
          h("thead", null, h("tr", null, ["URL", "Attempt", "At", "State", "Answer", "Error"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", null, execution.notifications.map((d) => h("tr", null,
            h("td", { class: "mono" }, d.url), h("td", null, String(d.attempt)), h("td", null, time(d.at)),
            h("td", null, d.state), h("td", null, d.status_code === null ? "—" : String(d.status_code)),
            h("td", null, d.error ?? (d.dead_lettered ? "given up" : "—"))))))
      : h("p", null, "None.")),
  );
  const curl = reproduceCurl(execution, location.origin);
  parts.push(section("Reproduce", h("pre", { tabindex: "0", "aria-label": "curl that reproduces this execution" }, h("code", null, curl)),
    copyButton("Copy curl", () => curl),
    h("p", { class: "hint" }, "With the cache on, the same request answers with this execution while its result is fresh.")));
  return parts;
}
