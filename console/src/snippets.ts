// Ready-to-paste requests for a workflow: curl, CARTO's job API, the wfapi CLI and the
// Python SDK, filled with this deployment's URL, the workflow's parameters and values.
// The token is a placeholder ($WFAPI_TOKEN) unless the user asks to include it.
import type { ApiState, Workflow } from "./api";

export interface SnippetInput {
  origin: string;
  workflow: Workflow;
  state: ApiState;
  parameters: Record<string, unknown>;
  token: string | null; // null: the placeholder
}

/** POSIX shell single quoting. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function authHeader(token: string | null): string {
  return token === null
    ? `-H "Authorization: Bearer $WFAPI_TOKEN"`
    : `-H ${shellQuote(`Authorization: Bearer ${token}`)}`;
}

function tokenExport(token: string | null): string[] {
  return token === null ? ["# export WFAPI_TOKEN=<your API token>"] : [];
}

export function curlSnippet(input: SnippetInput): string {
  const url = `${input.origin}/v1/workflows/${input.workflow.id}/executions`;
  return [
    ...tokenExport(input.token),
    `curl -sS -X POST ${shellQuote(url)} \\`,
    `  ${authHeader(input.token)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify({ parameters: input.parameters }))}`,
  ].join("\n");
}

/** CARTO's job API: a CALL of the procedure with every parameter, in declared order. */
export function cartoSnippet(input: SnippetInput): string {
  const names = input.state.parameters.map((p) => `@${p.name}`).join(",");
  const values: Record<string, unknown> = {};
  for (const p of input.state.parameters) {
    values[p.name] = p.name in input.parameters ? input.parameters[p.name] : (p.default ?? null);
  }
  const body = { query: `CALL \`${input.state.procedure}\`(${names})`, queryParameters: values };
  const url = `${input.origin}/v3/sql/${input.workflow.connection}/job`;
  return [
    ...tokenExport(input.token),
    `curl -sS -X POST ${shellQuote(url)} \\`,
    `  ${authHeader(input.token)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
    `# then: curl -sS ${shellQuote(`${url}/<externalId>`)} ${authHeader(input.token)}`,
  ].join("\n");
}

export function wfapiSnippet(input: SnippetInput): string {
  const options = Object.entries(input.parameters).map(([name, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return `  -p ${shellQuote(`${name}=${text}`)} \\`;
  });
  const tokenValue = input.token === null ? "<your API token>" : input.token;
  return [
    `export WFAPI_URL=${shellQuote(input.origin)} WFAPI_TOKEN=${shellQuote(tokenValue)}`,
    `wfapi run ${shellQuote(input.workflow.id)} \\`,
    ...options,
    "  --wait",
  ].join("\n");
}

/** A JSON value as a Python literal. */
export function pythonLiteral(value: unknown, indent = ""): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonLiteral(v, indent)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  const inner = `${indent}    `;
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pythonLiteral(v, inner)},`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

export function pythonSnippet(input: SnippetInput): string {
  const tokenLine =
    input.token === null ? `os.environ["WFAPI_TOKEN"]` : JSON.stringify(input.token);
  return [
    "import os",
    "",
    "from workflows_api_client import Client",
    "",
    `with Client(${JSON.stringify(input.origin)}, ${tokenLine}) as client:`,
    `    params = ${pythonLiteral(input.parameters, "    ")}`,
    `    run = client.execute(${JSON.stringify(input.workflow.id)}, params, wait=True)`,
    "    rows = list(client.results(run.id))  # every row, page after page",
  ].join("\n");
}

export const SNIPPETS: [string, (input: SnippetInput) => string][] = [
  ["curl", curlSnippet],
  ["CARTO job API", cartoSnippet],
  ["wfapi run --wait", wfapiSnippet],
  ["Python SDK", pythonSnippet],
];
