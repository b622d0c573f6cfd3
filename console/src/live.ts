// Following executions while they are not terminal: polling with backoff (1 s, then x1.5
// up to 10 s), stopped when the page is left.
import { ApiError, type Execution, TERMINAL, api } from "./api";
import { announce, confirmDialog, h } from "./dom";

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Calls `update` with each new read of the execution until it is terminal. */
export async function follow(
  execution: Execution,
  signal: AbortSignal,
  update: (fresh: Execution) => void,
): Promise<void> {
  let delay = 1000;
  let seen = execution;
  while (!TERMINAL.has(seen.state) && !signal.aborted) {
    await sleep(delay, signal);
    if (signal.aborted) return;
    delay = Math.min(delay * 1.5, 10_000);
    try {
      const fresh = await api.execution(seen.id, signal);
      if (fresh.state !== seen.state) announce(`Execution ${fresh.id}: ${fresh.state}.`);
      seen = fresh;
      update(fresh);
    } catch (error) {
      if (signal.aborted || !(error instanceof ApiError) || error.status === 404) return;
      // 503 and the like: keep following, more slowly.
    }
  }
}

/** A Cancel button (after a confirmation); `done` gets the cancelled execution. */
export function cancelButton(execution: Execution, done: (fresh: Execution) => void): HTMLElement {
  const button = h(
    "button",
    { type: "button", class: "danger small", "aria-label": `Cancel execution ${execution.id}` },
    "Cancel",
  );
  button.addEventListener("click", async () => {
    const sure = await confirmDialog(
      "Cancel this execution?",
      `Execution ${execution.id} of ${execution.workflow_id} is ${execution.state}: cancelling ` +
        "stops its BigQuery job.",
      "Cancel execution",
    );
    if (!sure) return;
    button.disabled = true;
    try {
      const fresh = await api.cancel(execution.id);
      announce(`Execution ${fresh.id}: ${fresh.state}.`);
      done(fresh);
    } catch (error) {
      announce(`Cancel failed: ${error instanceof ApiError ? error.message : String(error)}`);
      done(await api.execution(execution.id));
    }
  });
  return button;
}
