"""Errors of the workflow domain: every problem names where it is and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from .plain_data import printable

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

    def __post_init__(self) -> None:
        _escape_text(self)

    def sort_key(self) -> tuple[str, str, str, str, str]:
        """A total order (node and field may be None, which does not compare with text)."""
        return (self.node or "", self.field or "", self.code, self.message, self.severity)

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

    def __post_init__(self) -> None:
        _escape_text(self)

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


def _escape_text(error: Issue | ParameterError) -> None:
    """Messages may quote what a caller sent: lone surrogates in it become escapes, so
    that every error can be logged, stored and answered as UTF-8."""
    for field in fields(error):
        value = getattr(error, field.name)
        if isinstance(value, str):
            object.__setattr__(error, field.name, printable(value))
