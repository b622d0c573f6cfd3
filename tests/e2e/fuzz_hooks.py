"""schemathesis hooks for tests/e2e/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

With WFAPI_FUZZ_REFUSED_ONLY=1, only cases that break the document somewhere are sent:
negative mode alone still sends some valid cases (when an operation has nothing to break,
or with values captured from earlier answers), and the refused run must change nothing.
"""

from __future__ import annotations

import os

import schemathesis

if os.environ.get("WFAPI_FUZZ_REFUSED_ONLY") == "1":

    @schemathesis.hook
    def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
        components = case.meta.components.values() if case.meta is not None else ()
        return any(component.mode.is_negative for component in components)
