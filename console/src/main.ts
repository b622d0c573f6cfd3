// The console's shell: sign-in, navigation and a hash router (the token never appears in
// a URL, and the server serves one index.html).
import { ApiError, call, whenUnauthorized } from "./api";
import { announce, h, replace } from "./dom";
import type { PageContext } from "./pages/context";
import { executionPage } from "./pages/execution";
import { executionsPage } from "./pages/executions";
import { resultsPage } from "./pages/results";
import { workflowPage, workflowsPage } from "./pages/workflows";
import { signIn, signOut, token } from "./session";

type Page = (context: PageContext, ...args: string[]) => Promise<void> | void;

const ROUTES: [RegExp, Page, string][] = [
  [/^\/workflows$/, workflowsPage, "Workflows"],
  [/^\/workflows\/([^/]+)$/, workflowPage, "Workflows"],
  [/^\/executions$/, executionsPage, "Executions"],
  [/^\/executions\/([0-9a-f]{32})$/, executionPage, "Executions"],
  [/^\/executions\/([0-9a-f]{32})\/results$/, resultsPage, "Results"],
];
const NAV: [string, string][] = [
  ["#/workflows", "Workflows"],
  ["#/executions", "Executions"],
];

let current: AbortController | null = null;
const root = document.getElementById("app") as HTMLElement;

function signInPage(message?: string): void {
  current?.abort();
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-hint token-error",
  });
  const error = h("p", { id: "token-error", class: "field-error", role: "alert" }, message ?? "");
  const form = h(
    "form",
    { class: "card sign-in", method: "post", action: "#", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Workflows API console"),
    h("label", { for: "token" }, "API token"),
    input,
    h(
      "p",
      { id: "token-hint", class: "hint" },
      "Paste a token (wfa_…). It is kept in this tab's session storage only and sent to this " +
        "deployment's API; the console can do only what the token can.",
    ),
    error,
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void attemptSignIn(input.value.trim(), error);
  });
  replace(root, h("main", { id: "main", class: "narrow" }, form));
  input.focus();
}

async function attemptSignIn(value: string, error: HTMLElement): Promise<void> {
  if (!value) {
    error.textContent = "Paste a token first.";
    return;
  }
  try {
    await call("GET", "/v1/workflows?page_size=1", undefined, undefined, value);
  } catch (refusal) {
    // 403: a token without workflows:read may still read or run executions.
    if (!(refusal instanceof ApiError) || refusal.status !== 403) {
      const reason = refusal instanceof ApiError ? refusal.message : String(refusal);
      error.textContent = `Sign-in failed: ${reason}`;
      return;
    }
  }
  signIn(value);
  if (!location.hash || location.hash === "#/") location.hash = "#/workflows";
  render();
}

function shell(section: string): HTMLElement {
  const main = h("main", { id: "main", tabindex: "-1" });
  const signOutButton = h("button", { type: "button", class: "secondary small" }, "Sign out");
  signOutButton.addEventListener("click", () => {
    signOut();
    signInPage("Signed out: the token was removed from this tab.");
  });
  replace(
    root,
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h(
      "header",
      { class: "top" },
      h("span", { class: "brand" }, "Workflows API"),
      h(
        "nav",
        { "aria-label": "Sections" },
        h(
          "ul",
          null,
          NAV.map(([href, label]) =>
            h("li", null, h("a", { href, "aria-current": label === section ? "page" : null }, label)),
          ),
        ),
      ),
      signOutButton,
    ),
    main,
    h("p", { id: "announcer", class: "status-bar", role: "status", "aria-live": "polite" }),
  );
  // The skip link must not change the route.
  root.querySelector("a.skip")?.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  return main;
}

function render(): void {
  if (!token()) {
    signInPage();
    return;
  }
  const [path, search] = (location.hash.slice(1) || "/workflows").split("?", 2);
  const match = ROUTES.map(([pattern, page, section]) => [pattern.exec(path), page, section] as const)
    .find(([found]) => found !== null);
  current?.abort();
  current = new AbortController();
  if (!match) {
    const main = shell("");
    replace(main, h("h1", null, "Not found"), h("p", null, h("a", { href: "#/workflows" }, "Workflows")));
    return;
  }
  const [found, page, section] = match;
  const main = shell(section);
  const context: PageContext = { main, signal: current.signal, query: new URLSearchParams(search) };
  const signal = current.signal;
  Promise.resolve(page(context, ...(found as RegExpExecArray).slice(1).map(decodeURIComponent)))
    .catch((error: unknown) => {
      if (signal.aborted || (error as Error).name === "AbortError") return;
      const message = error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
      main.append(h("p", { class: "error", role: "alert" }, message));
    });
  // Pages write their <h1> first: move focus there, as a page load would.
  const heading = main.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  announce("");
}

whenUnauthorized((error) => {
  signOut();
  signInPage(`The API refused the token (${error.code}): sign in again.`);
});
window.addEventListener("hashchange", render);
render();
