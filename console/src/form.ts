// A form generated from a workflow's parameters JSON Schema (GET /v1/workflows/{id}/api).
// Values are typed as the schema says where the text allows it and otherwise sent as
// typed, so the API's own 400 messages (shown by field) explain what is wrong.
import type { FieldProblem, JsonSchema } from "./api";
import { h, uid } from "./dom";

interface Field {
  name: string;
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  error: HTMLElement;
  read: () => unknown; // undefined: leave it out (the declared default applies)
}

export interface ParameterForm {
  element: HTMLElement;
  values: () => Record<string, unknown>;
  showProblems: (problems: FieldProblem[]) => string[]; // the messages no field took
  clearProblems: () => void;
  onChange: (listener: () => void) => void;
}

/** The schema of a value, without the `null` alternative of an optional parameter. */
function unwrap(schema: JsonSchema): JsonSchema {
  if (schema.anyOf) {
    const value = schema.anyOf.find((option) => option.type !== "null") ?? {};
    return { ...unwrap(value), description: schema.description, default: schema.default,
      "x-bigquery-type": schema["x-bigquery-type"] };
  }
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map(unwrap), schema);
  return schema;
}

function scalar(kind: string, text: string): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case "INT64": {
      if (!/^-?\d+$/.test(trimmed)) return text;
      const number = Number(trimmed);
      return Number.isSafeInteger(number) ? number : trimmed;
    }
    case "FLOAT64": {
      const number = Number(trimmed);
      return trimmed !== "" && Number.isFinite(number) ? number : text;
    }
    case "BOOL":
      return trimmed === "true" ? true : trimmed === "false" ? false : text;
    case "GEOGRAPHY":
      if (trimmed.startsWith("{")) {
        try {
          return JSON.parse(trimmed);
        } catch {
          return text;
        }
      }
      return trimmed;
    default:
      return text;
  }
}

function arrayValue(element: string, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return trimmed.split(",").map((item) => scalar(element, item.trim()));
}

function hint(schema: JsonSchema, kind: string): string {
  const parts = [kind];
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) parts.push(`< ${schema.exclusiveMaximum}`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (kind.startsWith("ARRAY<")) parts.push("a JSON array, or values separated by commas");
  if (kind === "GEOGRAPHY") parts.push("WKT, e.g. POINT(-3.7 40.4), or a GeoJSON geometry");
  if (kind === "TIMESTAMP") parts.push("e.g. 2026-01-31T12:00:00Z");
  if (kind === "NUMERIC") parts.push("a decimal, e.g. 12.5");
  return parts.join(" · ");
}

function display(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function fieldFor(name: string, raw: JsonSchema, required: boolean): [HTMLElement, Field] {
  const schema = unwrap(raw);
  const kind = schema["x-bigquery-type"] ?? raw["x-bigquery-type"] ?? "STRING";
  const id = uid(`param-${name}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const common = {
    id,
    name,
    "aria-describedby": `${hintId} ${errorId}`,
    "aria-required": required ? "true" : null,
  };
  let control: Field["control"];
  const choices = schema.enum ?? (kind === "BOOL" ? [true, false] : null);
  if (choices) {
    control = h(
      "select",
      common,
      required ? null : h("option", { value: "" }, "(default)"),
      choices.map((choice) =>
        h("option", { value: display(choice), selected: choice === raw.default }, display(choice)),
      ),
    );
  } else if (kind === "GEOGRAPHY" || kind.startsWith("ARRAY<")) {
    control = h("textarea", { ...common, rows: 2, value: display(raw.default) });
  } else {
    const numeric = kind === "INT64" || kind === "FLOAT64" || kind === "NUMERIC";
    control = h("input", {
      ...common,
      type: kind === "DATE" ? "date" : "text",
      inputmode: kind === "INT64" ? "numeric" : numeric ? "decimal" : null,
      autocomplete: "off",
      spellcheck: "false",
      value: display(raw.default),
      placeholder: raw.default === undefined ? null : `default: ${display(raw.default)}`,
    });
  }
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const read = (): unknown => {
    const text = control.value;
    if (text.trim() === "") return undefined;
    if (kind.startsWith("ARRAY<")) return arrayValue(kind.slice(6, -1), text);
    if (choices) return choices.find((choice) => display(choice) === text) ?? text;
    return scalar(kind, text);
  };
  const element = h(
    "div",
    { class: "field" },
    h("label", { for: id }, name, required ? h("span", { class: "required" }, " (required)") : null),
    control,
    h("p", { id: hintId, class: "hint" }, schema.description ?? raw.description ?? "", " — ",
      hint(schema, kind)),
    error,
  );
  return [element, { name, control, error, read }];
}

export function parameterForm(schema: JsonSchema): ParameterForm {
  const required = new Set(schema.required ?? []);
  const fields: Field[] = [];
  const element = h("div", { class: "fields" });
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const [row, field] = fieldFor(name, property, required.has(name));
    fields.push(field);
    element.append(row);
  }
  if (fields.length === 0) element.append(h("p", null, "This workflow has no parameters."));
  const clearProblems = () => {
    for (const field of fields) {
      field.error.hidden = true;
      field.error.textContent = "";
      field.control.removeAttribute("aria-invalid");
    }
  };
  return {
    element,
    values: () => {
      const values: Record<string, unknown> = {};
      for (const field of fields) {
        const value = field.read();
        if (value !== undefined) values[field.name] = value;
      }
      return values;
    },
    clearProblems,
    showProblems: (problems) => {
      clearProblems();
      const unplaced: string[] = [];
      let first: Field | undefined;
      for (const problem of problems) {
        const name = problem.parameter ?? problem.field?.replace(/^parameters\./, "");
        const field = fields.find((f) => f.name === name);
        if (!field) {
          unplaced.push(problem.message);
          continue;
        }
        field.error.hidden = false;
        field.error.textContent = field.error.textContent
          ? `${field.error.textContent} ${problem.message}`
          : problem.message;
        field.control.setAttribute("aria-invalid", "true");
        first ??= field;
      }
      first?.control.focus();
      return unplaced;
    },
    onChange: (listener) => element.addEventListener("input", listener),
  };
}
