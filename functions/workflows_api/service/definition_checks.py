"""What a definition must pass before it is stored or deployed, beyond its own validity:
its size, and what its connection lets it read (issue 12's allowlist); and how such a
refusal is answered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workflows_api.domain.access.connections import DEFAULT_DATASET, Connection
from workflows_api.domain.errors import Issue
from workflows_api.service.errors import ServiceError

if TYPE_CHECKING:
    from workflows_api.domain.workflow.model import Workflow
    from workflows_api.domain.workflow.read_allowlist import ReadPolicy

MAX_DEFINITION_BYTES = 1024 * 1024
# Names of generated datasets (the shared default, and per-org `wfapi_<org>`), lowercase.
GENERATED_DATASET_PREFIXES = (DEFAULT_DATASET.lower(), "wfapi_")
# Issue codes that name the refusal itself rather than `invalid_workflow`.
REFUSAL_CODES = frozenset(
    {
        "table_not_allowed",
        "table_not_qualified",
        "table_invalid",
        "fragment_forbidden",
        "function_not_allowed",
        "fragment_invalid",
        "fragment_too_deep",
        "fragment_too_large",
        "fragments_too_large",
        "fragments_too_complex",
        "too_many_nodes",
        "too_many_parameters",
    }
)


def check_definition_size(definition: Mapping[str, Any] | str | bytes) -> None:
    """413 for a definition over MAX_DEFINITION_BYTES (as text, or as compact JSON).
    Data is measured by a bounded walk before it is serialised, so shared references
    (YAML aliases) never expand past the limit in memory; 400 `body_too_deep` for data
    nested too deep or holding too many values."""
    if isinstance(definition, str | bytes):
        size = len(definition.encode("utf-8") if isinstance(definition, str) else definition)
    else:
        size = _data_size(definition)
    if size > MAX_DEFINITION_BYTES:
        raise ServiceError(
            "too_large",
            "definition_too_large",
            f"definition: at most {MAX_DEFINITION_BYTES // 1024 // 1024} MiB, got {size} bytes",
            "definition",
        )


def _data_size(definition: Mapping[str, Any]) -> int:
    from workflows_api.domain.plain_data import TooDeep, json_size_at_least

    try:
        at_least = json_size_at_least(definition, MAX_DEFINITION_BYTES)
    except TooDeep as error:
        raise ServiceError(
            "invalid", "body_too_deep", f"body: the definition {error}.", "body"
        ) from None
    if at_least > MAX_DEFINITION_BYTES:
        return at_least
    return len(json.dumps(definition, separators=(",", ":"), default=str).encode("utf-8"))


def read_policy(connection: Connection) -> ReadPolicy:
    """What the connection's workflows may read: its allowlist. A `project.*` entry does
    not open generated datasets: the connection's own, nor any named like the default
    ones (another org's, in a shared project); an entry naming one exactly does."""
    from workflows_api.domain.workflow.read_allowlist import ReadAllowlist, ReadPolicy

    generated = f"{connection.project}.{connection.dataset}"
    allowlist = ReadAllowlist(
        connection.read_allowlist, closed=(generated,), closed_prefixes=GENERATED_DATASET_PREFIXES
    )
    return ReadPolicy(connection.project, allowlist)


def checked(workflow: Workflow, connection: Connection) -> list[Issue]:
    """Every issue of `workflow` run on `connection` (its reads included); raises the
    refusal when one is an error."""
    from workflows_api.domain.workflow.validation import validate_workflow

    issues = validate_workflow(workflow, read_policy(connection))
    if any(issue.severity == "error" for issue in issues):
        raise workflow_invalid(issues)
    return issues


def workflow_invalid(issues: list[Issue]) -> ServiceError:
    """400 `invalid_workflow` listing every issue; a refusal of the issue-12 kind (a table
    outside the allowlist, a forbidden or oversized fragment) is the top-level code
    itself, 413 for a fragment over its size cap."""
    errors = [issue for issue in issues if issue.severity == "error"]
    first = errors[0] if errors else None
    refusal = next((i.code for i in errors if i.code in REFUSAL_CODES), None)
    return ServiceError(
        "too_large" if refusal in ("fragment_too_large", "fragments_too_large") else "invalid",
        refusal or "invalid_workflow",
        "The workflow definition is invalid: " + "; ".join(i.describe() for i in errors),
        first.field if first else None,
        details=[issue.to_dict() for issue in issues],
    )
