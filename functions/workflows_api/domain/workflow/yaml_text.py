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

    def construct_yaml_int(self, node: Any) -> Any:
        """An integer Python refuses to read (over 4300 decimal digits: a ValueError,
        which was a 500) is a YAML error like any other (issue 23, finding 10)."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, "an integer too long to read (over 4300 digits)", node.start_mark
            ) from None


BoundedSafeLoader.add_constructor("tag:yaml.org,2002:int", BoundedSafeLoader.construct_yaml_int)


def load_yaml(text: str | bytes) -> Any:
    """YAML (or JSON) text to plain data, nesting bounded; raises TooDeep or yaml.YAMLError."""
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
