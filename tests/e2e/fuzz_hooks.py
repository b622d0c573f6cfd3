"""schemathesis hooks for tests/e2e/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

- WFAPI_FUZZ_REFUSED_ONLY=1: only cases that break the document somewhere are sent.
  Negative mode alone still sends some valid cases (when an operation has nothing to
  break, or with values captured from earlier answers), and the refused run must change
  nothing.
- WFAPI_FUZZ_KEEP_WORKFLOW=<id>: that workflow is never replaced, deleted or disabled, so
  execute requests (narrowed to it) keep reaching a workflow that runs. The fuzzer
  captures its id from answers and would otherwise delete it early in the run.
"""

from __future__ import annotations

import os

import schemathesis

REFUSED_ONLY = os.environ.get("WFAPI_FUZZ_REFUSED_ONLY") == "1"
KEEP_WORKFLOW = os.environ.get("WFAPI_FUZZ_KEEP_WORKFLOW")
# The operations that replace, delete or disable a workflow.
_DESTRUCTIVE = {
    ("PUT", "/v1/workflows/{workflow_id}"),
    ("DELETE", "/v1/workflows/{workflow_id}"),
    ("DELETE", "/v1/workflows/{workflow_id}/api"),
}


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    if REFUSED_ONLY:
        components = case.meta.components.values() if case.meta is not None else ()
        if not any(component.mode.is_negative for component in components):
            return False
    targets_kept = (case.path_parameters or {}).get("workflow_id") == KEEP_WORKFLOW
    return not (targets_kept and (case.method.upper(), case.path) in _DESTRUCTIVE)
