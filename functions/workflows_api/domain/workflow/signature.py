"""What running a deployed workflow needs of its definition, and nothing more.

Executing checks the supplied values against the declared parameters and reads the
workflow's settings (cache, output expiration, bytes cap) and its source tables (what
a cached result's freshness is checked against, domain/execution/freshness.py); the
procedure's name and version are on the API state beside it. Kept with the API state when the API is
enabled, so an execute request never parses nor validates the whole definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .parts import Parameter, WorkflowSettings


class _Declared(Protocol):
    @property
    def parameters(self) -> Any: ...

    @property
    def settings(self) -> WorkflowSettings: ...


@dataclass(frozen=True)
class ExecutionSignature:
    parameters: tuple[Parameter, ...]
    settings: WorkflowSettings
    # `project.dataset.table` of every table the definition reads (sources.py); None on
    # API states written before sources were kept (derived once, on first use).
    sources: tuple[str, ...] | None = None

    @classmethod
    def of(cls, workflow: _Declared, sources: tuple[str, ...] | None = None) -> ExecutionSignature:
        return cls(tuple(workflow.parameters), workflow.settings, sources)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "parameters": [p.model_dump(mode="json") for p in self.parameters],
            "settings": self.settings.model_dump(mode="json"),
        }
        if self.sources is not None:
            data["sources"] = list(self.sources)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionSignature:
        """Reads what to_json wrote (the models validate it again: a stored record is
        input like any other)."""
        sources = data.get("sources")
        return cls(
            tuple(Parameter.model_validate(p) for p in data["parameters"]),
            WorkflowSettings.model_validate(data["settings"]),
            None if sources is None else tuple(str(table) for table in sources),
        )
