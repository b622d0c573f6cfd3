// Executions: filtered by workflow, state and creation time; rows follow their state live
// while not terminal; cancel; each row links to its detail.
import { type Execution, TERMINAL, type Workflow, api } from "../api";
import { h, replace, uid } from "../dom";
import { between, duration, stateBadge, time } from "../format";
import { cancelButton, follow } from "../live";
import type { PageContext } from "./context";

const STATES = ["queued", "created", "running", "succeeded", "failed", "cancelled"];
const PAGE_SIZE = 25;

function localInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function isoOf(local: string): string {
  return local ? new Date(local).toISOString() : "";
}

export async function executionsPage(context: PageContext): Promise<void> {
  const { main, query, signal } = context;
  main.append(h("h1", null, "Executions"));
  let workflows: Workflow[] = [];
  try {
    workflows = (await api.workflows()).workflows;
  } catch {
    // A token without workflows:read: type the workflow's id instead.
  }
  const chosen = query.get("workflow") ?? "";
  const ids = workflows.map((w) => w.id);
  const workflowId = uid("filter-workflow");
  const workflowControl = ids.length
    ? h("select", { id: workflowId, name: "workflow" },
        h("option", { value: "" }, "All workflows"),
        ids.map((id) => h("option", { value: id, selected: id === chosen }, id)))
    : h("input", { id: workflowId, name: "workflow", value: chosen, required: true });
  const stateControl = h("select", { id: uid("filter-state"), name: "state" },
    h("option", { value: "" }, "Any state"),
    STATES.map((s) => h("option", { value: s, selected: s === query.get("state") }, s)));
  const after = h("input", { id: uid("after"), type: "datetime-local", name: "after", value: localInput(query.get("after")) });
  const before = h("input", { id: uid("before"), type: "datetime-local", name: "before", value: localInput(query.get("before")) });
  const filters = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter executions", method: "post", action: "#" },
    labelled("Workflow", workflowControl),
    labelled("State", stateControl),
    labelled("Created after", after),
    labelled("Created before", before),
    h("button", { type: "submit" }, "Apply"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    const values: [string, string][] = [
      ["workflow", workflowControl.value],
      ["state", stateControl.value],
      ["after", isoOf(after.value)],
      ["before", isoOf(before.value)],
    ];
    for (const [key, value] of values) if (value) next.set(key, value);
    location.hash = `#/executions${next.size ? `?${next}` : ""}`;
  });
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  main.append(
    filters,
    h("table", { class: "data", "aria-live": "off" },
      h("caption", null, chosen ? `Executions of ${chosen}, newest first` : "Executions, newest first"),
      h("thead", null, h("tr", null,
        ["Execution", "Workflow", "State", "Created", "Duration", "Cache", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      body),
    more,
  );

  const apiFilters = {
    state: query.get("state") ?? "",
    created_after: query.get("after") ?? "",
    created_before: query.get("before") ?? "",
    page_size: String(PAGE_SIZE),
  };
  // One cursor per workflow listed: "All workflows" merges each one's newest first.
  const cursors = new Map<string, string | null>(
    (chosen ? [chosen] : ids).map((id) => [id, null]),
  );
  const shown: Execution[] = [];
  const load = async () => {
    more.hidden = true;
    const pages = await Promise.all(
      [...cursors].map(async ([id, cursor]) => {
        const page = await api.executions(id, { ...apiFilters, page_token: cursor ?? "" }, signal);
        if (page.next_page_token) cursors.set(id, page.next_page_token);
        else cursors.delete(id);
        return page.executions;
      }),
    );
    const fresh = pages.flat().sort((a, b) => b.created_at.localeCompare(a.created_at));
    shown.push(...fresh);
    for (const execution of fresh) body.append(row(execution, signal));
    if (!shown.length) body.replaceChildren(h("tr", null, h("td", { colspan: 7 }, "No executions match.")));
    more.hidden = cursors.size === 0;
  };
  more.addEventListener("click", () => void load());
  await load();
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: control.id }, text), control);
}

function row(execution: Execution, signal: AbortSignal): HTMLElement {
  const tr = h("tr", { "data-execution": execution.id });
  const fill = (current: Execution) => {
    tr.dataset.state = current.state;
    replace(
      tr,
      h("td", null, h("a", { href: `#/executions/${current.id}`, class: "mono" }, current.id.slice(0, 12))),
      h("td", null, current.workflow_id),
      h("td", null, stateBadge(current.state)),
      h("td", null, time(current.created_at)),
      h("td", null, duration(between(current.started_at, current.ended_at))),
      h("td", null, current.cached ? "hit" : current.cache_enabled ? "on" : "off"),
      h("td", null, TERMINAL.has(current.state)
        ? current.state === "succeeded"
          ? h("a", { href: `#/executions/${current.id}/results` }, "Results")
          : null
        : cancelButton(current, fill)),
    );
  };
  fill(execution);
  void follow(execution, signal, fill);
  return tr;
}
