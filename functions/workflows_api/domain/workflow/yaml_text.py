"""YAML definitions to plain data, nesting bounded (yaml imported only where a
definition is read: no other process loads it)."""

from __future__ import annotations

from typing import Any

import yaml

from ..plain_data import MAX_NESTING, TooDeep


class BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader with its nesting bounded: the composer recurses once per level,
    and the scanner does work proportional to the open [ and { on every token."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise TooDeep(f"nests deeper than {MAX_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_NESTING:
            raise TooDeep(f"nests deeper than {MAX_NESTING} levels")
        super().fetch_flow_collection_start(TokenClass)


def load_yaml(text: str | bytes) -> Any:
    """YAML (or JSON) text to plain data, nesting bounded; raises TooDeep or yaml.YAMLError."""
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
