"""Whether the suite runs in CI (`CI=true`, as CI services set it): there, a check that
would skip for a missing tool fails instead, and no switch may rewrite what a test
compares (tests/infra/hcl.py, tests/unit/domain/workflow/test_compiler_sql.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1")
