// The native API, called with the signed-in token: the console can do nothing the token
// cannot. Same origin only (the CSP's connect-src 'self').
import { token } from "./session";

export interface FieldProblem {
  parameter?: string;
  field?: string;
  expected?: string;
  message: string;
  code?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export interface Workflow {
  id: string;
  name: string;
  connection: string;
  version: string;
  created_at: string;
  updated_at: string;
  api_enabled: boolean;
}

export interface ApiParameter {
  name: string;
  type: string;
  required: boolean;
  description: string;
  default: unknown;
}

export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  default?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  "x-bigquery-type"?: string;
}

export interface ApiState {
  workflow_id: string;
  enabled: boolean;
  procedure: string;
  deployed_version: string | null;
  current_version: string;
  in_sync: boolean;
  enabled_at: string | null;
  updated_at: string | null;
  parameters: ApiParameter[];
  parameters_schema: JsonSchema;
}

export interface JobError {
  reason: string;
  location: string | null;
  message: string;
}

export interface Delivery {
  url: string;
  attempt: number;
  at: string;
  state: string;
  status_code: number | null;
  error: string | null;
  event_id: string | null;
  dead_lettered: boolean;
}

export interface Execution {
  id: string;
  workflow_id: string;
  state: "queued" | "created" | "running" | "succeeded" | "failed" | "cancelled";
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  parameters: Record<string, unknown>;
  output_table: string;
  cached: boolean;
  cache_enabled: boolean;
  bigquery_job_id: string;
  error: JobError | null;
  version: string;
  notifications?: Delivery[];
  statistics?: {
    bytes_processed: number | null;
    bytes_billed: number | null;
    slot_ms: number | null;
    child_jobs: number | null;
  } | null;
}

export interface ResultColumn {
  name: string;
  type: string;
  mode: "NULLABLE" | "REPEATED";
}

export interface Results {
  execution_id: string;
  schema: ResultColumn[];
  rows: Record<string, unknown>[];
  next_page_token: string | null;
}

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Called when the API says the token is no longer good (401). */
let onUnauthorized: (error: ApiError) => void = () => {};
export function whenUnauthorized(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  candidate?: string, // a token being tried at sign-in, not yet kept
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const current = candidate ?? token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "The API did not answer; check the connection.");
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: Partial<ApiError> & { details?: FieldProblem[] } } | null)
      ?.error;
    const refusal = new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `The API answered ${response.status}.`,
      (error?.field as string | null | undefined) ?? null,
      error?.details ?? [],
    );
    // The session's token refused (revoked, expired): sign out. Not for a token being
    // tried, nor for an answer arriving after the user signed out.
    if (response.status === 401 && candidate === undefined && current && current === token()) {
      onUnauthorized(refusal);
    }
    throw refusal;
  }
  return parsed as T;
}

const q = encodeURIComponent;

export const api = {
  workflows: (pageToken?: string) =>
    call<{ workflows: Workflow[]; next_page_token: string | null }>(
      "GET",
      `/v1/workflows?page_size=100${pageToken ? `&page_token=${q(pageToken)}` : ""}`,
    ),
  workflow: (id: string) => call<Workflow>("GET", `/v1/workflows/${q(id)}`),
  apiState: (id: string) => call<ApiState>("GET", `/v1/workflows/${q(id)}/api`),
  enable: (id: string) => call<ApiState>("POST", `/v1/workflows/${q(id)}/api`),
  update: (id: string) => call<ApiState>("PUT", `/v1/workflows/${q(id)}/api`),
  disable: (id: string) => call<unknown>("DELETE", `/v1/workflows/${q(id)}/api`),
  execute: (id: string, parameters: Record<string, unknown>, cache: boolean) =>
    call<Execution>("POST", `/v1/workflows/${q(id)}/executions`, {
      parameters,
      ...(cache ? {} : { cache: false }),
    }),
  executions: (id: string, filters: Record<string, string>, signal?: AbortSignal) => {
    const query = new URLSearchParams(
      Object.entries(filters).filter(([, value]) => value !== ""),
    ).toString();
    return call<{ executions: Execution[]; next_page_token: string | null }>(
      "GET",
      `/v1/workflows/${q(id)}/executions${query ? `?${query}` : ""}`,
      undefined,
      signal,
    );
  },
  execution: (id: string, signal?: AbortSignal) =>
    call<Execution>("GET", `/v1/executions/${q(id)}`, undefined, signal),
  cancel: (id: string) => call<Execution>("POST", `/v1/executions/${q(id)}/cancel`),
  results: (id: string, pageSize: number, pageToken: string | null, signal?: AbortSignal) =>
    call<Results>(
      "GET",
      // WKT: readable in the table, and cheaper for the warehouse than GeoJSON (wkt.ts).
      `/v1/executions/${q(id)}/results?page_size=${pageSize}&geography_format=wkt` +
        (pageToken ? `&page_token=${q(pageToken)}` : ""),
      undefined,
      signal,
    ),
};
