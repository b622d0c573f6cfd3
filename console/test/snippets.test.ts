import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiState, Workflow } from "../src/api";
import { cartoSnippet, curlSnippet, pythonLiteral, pythonSnippet, shellQuote, wfapiSnippet } from "../src/snippets";

const workflow = { id: "store_clusters", connection: "local" } as Workflow;
const state = {
  procedure: "p.d.wfproc_x",
  parameters: [
    { name: "number_of_clusters", type: "INT64", required: true, description: "", default: null },
    { name: "store_type", type: "STRING", required: false, description: "", default: "Supermarket" },
  ],
} as unknown as ApiState;
const input = {
  origin: "https://api.example.com",
  workflow,
  state,
  parameters: { number_of_clusters: 2, store_type: "It's" },
  token: null,
};

test("shell quoting survives quotes", () => {
  assert.equal(shellQuote("plain"), "plain");
  assert.equal(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
});

test("the token is a placeholder unless asked for", () => {
  assert.match(curlSnippet(input), /Bearer \$WFAPI_TOKEN/);
  assert.match(curlSnippet({ ...input, token: "wfa_secret" }), /'Authorization: Bearer wfa_secret'/);
  assert.doesNotMatch(wfapiSnippet(input), /wfa_/);
  assert.match(pythonSnippet(input), /os\.environ\["WFAPI_TOKEN"\]/);
});

test("CARTO's CALL names every parameter in declared order", () => {
  const text = cartoSnippet({ ...input, parameters: { number_of_clusters: 2 } });
  assert.match(text, /CALL `p\.d\.wfproc_x`\(@number_of_clusters,@store_type\)/);
  assert.match(text, /"queryParameters":\{"number_of_clusters":2,"store_type":"Supermarket"\}/);
  assert.match(text, /\/v3\/sql\/local\/job/);
});

test("wfapi -p and Python literals", () => {
  assert.match(wfapiSnippet(input), /-p number_of_clusters=2 \\\n {2}-p 'store_type=It'\\''s' \\\n {2}--wait/);
  assert.equal(pythonLiteral([true, false, null, 1.5, "x"]), `[True, False, None, 1.5, "x"]`);
});
