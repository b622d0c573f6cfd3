"""Errors of the workflow domain: every problem names where it is and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Issue:
    """One validation finding about a workflow definition.

    `node` is the id of the node at fault (None for workflow-level issues such as a
    parameter declaration); `field` is a dotted path inside that node or workflow.
    """

    code: str
    message: str
    node: str | None = None
    field: str | None = None
    severity: Severity = "error"

    def describe(self) -> str:
        where = ".".join(
            part for part in (f"node {self.node}" if self.node else None, self.field) if part
        )
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "field": self.field,
            "severity": self.severity,
        }


class WorkflowInvalid(ValueError):
    """The definition cannot be used: `issues` holds every error (and warnings found with them)."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [issue for issue in issues if issue.severity == "error"]
        super().__init__("; ".join(issue.describe() for issue in errors) or "invalid workflow")


@dataclass(frozen=True)
class ParameterError:
    """One bad caller-supplied parameter value."""

    code: str
    parameter: str
    message: str
    expected: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "parameter": self.parameter,
            "message": self.message,
            "expected": self.expected,
        }


class ParameterValuesInvalid(ValueError):
    """Caller-supplied parameter values do not match the declaration."""

    def __init__(self, errors: list[ParameterError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message for error in errors))
