// Workflows: their API state (enabled, disabled, out of sync), the buttons that change it,
// the API panel (snippets) and the run form.
import { type ApiState, ApiError, type JsonSchema, type Workflow, api } from "../api";
import { announce, confirmDialog, copyButton, h, replace, uid } from "../dom";
import { parameterForm } from "../form";
import type { PageContext } from "./context";
import { token } from "../session";
import { SNIPPETS } from "../snippets";

function stateLabel(workflow: Workflow, state: ApiState | null): HTMLElement {
  if (!workflow.api_enabled) return h("span", { class: "badge api-disabled" }, "disabled");
  if (state === null) return h("span", { class: "badge api-enabled" }, "enabled");
  return state.in_sync
    ? h("span", { class: "badge api-enabled" }, "enabled")
    : h(
        "span",
        { class: "badge api-drift", title: "The definition changed since the API was updated" },
        "enabled, out of sync",
      );
}

type Action = "enable" | "update" | "disable";
const ACTIONS: Record<Action, [string, string, (id: string) => Promise<unknown>]> = {
  enable: ["Enable", "compiles the current definition into its procedure and accepts executions", api.enable],
  update: ["Update", "recreates its procedure from the current definition; new executions run it", api.update],
  disable: ["Disable", "drops its procedure; executions are refused (409) until it is enabled again", api.disable],
};

/** Enable / Update / Disable, each after a confirmation; `done` re-renders. */
export function apiButtons(workflow: Workflow, done: () => void): HTMLElement {
  // Update is offered while enabled: it is what brings an out-of-sync API in line.
  const shown: Action[] = workflow.api_enabled ? ["update", "disable"] : ["enable"];
  return h(
    "div",
    { class: "buttons" },
    shown.map((action) => {
      const [label, effect, run] = ACTIONS[action];
      const button = h(
        "button",
        {
          type: "button",
          class: action === "disable" ? "danger small" : "small",
          "aria-label": `${label} the API of ${workflow.id}`,
        },
        label,
      );
      button.addEventListener("click", async () => {
        const sure = await confirmDialog(
          `${label} the API of ${workflow.id}?`,
          `${label} ${effect}.`,
          label,
        );
        if (!sure) return;
        button.disabled = true;
        try {
          await run(workflow.id);
          announce(`${label}: done for ${workflow.id}.`);
        } catch (error) {
          announce(`${label} failed: ${error instanceof ApiError ? error.message : String(error)}`);
        }
        done();
      });
      return button;
    }),
  );
}

export async function workflowsPage(context: PageContext): Promise<void> {
  const { main } = context;
  const body = h("tbody");
  main.append(
    h("h1", null, "Workflows"),
    h(
      "table",
      { class: "data" },
      h("caption", null, "The organization's workflows and their API state"),
      h(
        "thead",
        null,
        h("tr", null, ["ID", "Name", "API", "Connection", "Actions"].map((t) => h("th", { scope: "col" }, t))),
      ),
      body,
    ),
  );
  const reload = () => void workflowsPage({ ...context, main: clear(main) });
  let pageToken: string | undefined;
  do {
    const page = await api.workflows(pageToken);
    for (const workflow of page.workflows) {
      const stateCell = h("td", null, stateLabel(workflow, null));
      const actionCell = h("td", null, apiButtons(workflow, reload));
      body.append(
        h(
          "tr",
          { "data-workflow": workflow.id },
          h("td", null, h("a", { href: `#/workflows/${encodeURIComponent(workflow.id)}` }, workflow.id)),
          h("td", null, workflow.name),
          stateCell,
          h("td", null, workflow.connection),
          actionCell,
        ),
      );
      if (workflow.api_enabled) {
        api.apiState(workflow.id).then(
          (state) => {
            replace(stateCell, stateLabel(workflow, state));
          },
          () => {},
        );
      }
    }
    pageToken = page.next_page_token ?? undefined;
  } while (pageToken && !context.signal.aborted);
  if (!body.firstChild) body.append(h("tr", null, h("td", { colspan: 5 }, "No workflows yet.")));
}

function clear(element: HTMLElement): HTMLElement {
  element.replaceChildren();
  return element;
}

/** An example value for a parameter the form leaves empty (snippets only). */
export function exampleValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  const value = schema.anyOf?.find((s) => s.type !== "null") ?? schema;
  const inner = value.allOf ? Object.assign({}, ...value.allOf) as JsonSchema : value;
  if (inner.enum?.length) return inner.enum[0];
  const kind = schema["x-bigquery-type"] ?? "STRING";
  const bounded = (fallback: number) =>
    inner.minimum ?? (inner.exclusiveMinimum !== undefined ? inner.exclusiveMinimum + 1 : fallback);
  if (kind.startsWith("ARRAY<")) return [exampleValue({ ...(inner.items ?? {}), "x-bigquery-type": kind.slice(6, -1) })];
  switch (kind) {
    case "INT64": return bounded(1);
    case "FLOAT64": return bounded(1.5);
    case "NUMERIC": return "1.5";
    case "BOOL": return true;
    case "DATE": return "2026-01-31";
    case "TIMESTAMP": return "2026-01-31T12:00:00Z";
    case "GEOGRAPHY": return "POINT(-3.7038 40.4168)";
    default: return "text";
  }
}

export async function workflowPage(context: PageContext, id: string): Promise<void> {
  const { main } = context;
  const title = h("h1", null, id);
  main.append(h("p", { class: "crumbs" }, h("a", { href: "#/workflows" }, "Workflows"), " / ", id), title);
  const [workflow, state] = await Promise.all([api.workflow(id), api.apiState(id)]);
  if (context.signal.aborted) return;
  replace(title, workflow.name || workflow.id);
  const reload = () => {
    main.replaceChildren();
    void workflowPage(context, id);
  };
  main.append(
    h(
      "dl",
      { class: "facts" },
      fact("ID", workflow.id),
      fact("Name", workflow.name),
      fact("Connection", workflow.connection),
      fact("API", stateLabel(workflow, state)),
      fact("Procedure", h("code", null, state.procedure)),
      fact("Current version", h("code", null, state.current_version.slice(0, 12))),
      fact("Deployed version", h("code", null, state.deployed_version?.slice(0, 12) ?? "—")),
    ),
    apiButtons(workflow, reload),
    h("p", null, h("a", { href: `#/executions?workflow=${encodeURIComponent(id)}` }, "Executions of this workflow")),
  );
  const form = parameterForm(state.parameters_schema);
  main.append(runSection(workflow, state, form), snippetSection(workflow, state, form));
}

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, value)];
}

function runSection(workflow: Workflow, state: ApiState, form: ReturnType<typeof parameterForm>): HTMLElement {
  const headingId = uid("run");
  const formError = h("div", { class: "form-error", role: "alert" });
  const cache = h("input", { type: "checkbox", id: uid("cache"), checked: true });
  const submit = h("button", { type: "submit", disabled: !state.enabled }, "Run");
  const element = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": headingId, method: "post", action: "#" },
    h("h2", { id: headingId }, "Run"),
    state.enabled ? null : h("p", { class: "hint" }, "Enable the API to run this workflow."),
    form.element,
    h("div", { class: "field inline" }, cache, h("label", { for: cache.id }, "Reuse a cached result (same parameters, same version)")),
    formError,
    submit,
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.clearProblems();
    formError.replaceChildren();
    submit.disabled = true;
    try {
      const execution = await api.execute(workflow.id, form.values(), cache.checked);
      announce(`Execution ${execution.id} ${execution.cached ? "found in the cache" : "started"}.`);
      location.hash = `#/executions/${execution.id}`;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The API's own messages: by field where it names one, the rest above the button.
      const problems = error.details.length
        ? error.details
        : error.field
          ? [{ field: error.field, message: error.message }]
          : [];
      const unplaced = form.showProblems(problems).filter((m) => m !== error.message);
      formError.append(
        h("p", null, `${error.status} ${error.code}: ${error.message}`),
        ...unplaced.map((message) => h("p", null, message)),
      );
    } finally {
      submit.disabled = !state.enabled;
    }
  });
  return element;
}

function snippetSection(workflow: Workflow, state: ApiState, form: ReturnType<typeof parameterForm>): HTMLElement {
  const headingId = uid("snippets");
  const includeToken = h("input", { type: "checkbox", id: uid("include-token") });
  const blocks: [HTMLElement, (parameters: Record<string, unknown>, t: string | null) => string][] = [];
  const section = h(
    "section",
    { class: "card", "aria-labelledby": headingId },
    h("h2", { id: headingId }, "API"),
    h("p", { class: "hint" }, "Requests that run this workflow with the values above (examples where a field is empty)."),
    h("div", { class: "field inline" }, includeToken,
      h("label", { for: includeToken.id }, "Include my token in the snippets (otherwise $WFAPI_TOKEN)")),
  );
  for (const [label, make] of SNIPPETS) {
    const code = h("code");
    const render = (parameters: Record<string, unknown>, t: string | null) =>
      make({ origin: location.origin, workflow, state, parameters, token: t });
    blocks.push([code, render]);
    const snippetHeading = uid("snippet");
    section.append(
      h("div", { class: "snippet" },
        h("h3", { id: snippetHeading }, label),
        h("pre", { tabindex: "0", "aria-labelledby": snippetHeading }, code),
        copyButton(`Copy ${label}`, () => code.textContent ?? "")),
    );
  }
  const refresh = () => {
    const values: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(state.parameters_schema.properties ?? {})) {
      values[name] = exampleValue(schema);
    }
    Object.assign(values, form.values());
    const t = includeToken.checked ? token() : null;
    for (const [code, render] of blocks) code.textContent = render(values, t);
  };
  includeToken.addEventListener("change", refresh);
  form.onChange(refresh);
  refresh();
  return section;
}
