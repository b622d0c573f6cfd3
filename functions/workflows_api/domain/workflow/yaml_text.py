"""YAML definitions to plain data, bounded before anything expands them (yaml imported
only where a definition is read: no other process loads it).

Nesting is bounded while composing. Aliases are not expanded by the loader (the
composer and the constructor share one node, one object, per anchor), but anything that
walks the result later does expand them: an alias of an alias of ... makes a body of
a few hundred bytes read as billions of values. So the composed document is measured
as it would expand, each node once (memoised), before it is constructed, and refused
past MAX_VALUES values or MAX_EXPANDED_CHARS characters of scalars; an anchor that
contains its own alias (a cycle) is refused too.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..plain_data import MAX_NESTING, MAX_VALUES, TooDeep

# As much scalar text as the largest body (1 MiB) can hold without aliases.
MAX_EXPANDED_CHARS = 1024 * 1024


class BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader with its nesting bounded: the composer recurses once per level,
    and the scanner does work proportional to the open [ and { on every token; and its
    documents bounded as they would read with their aliases expanded."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise TooDeep(f"nests deeper than {MAX_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None:
            check_expansion(node)
        return node

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


def check_expansion(root: yaml.Node) -> None:
    """Raise TooDeep when `root` expanded (every alias replaced by a copy of its anchor)
    holds more than MAX_VALUES values or MAX_EXPANDED_CHARS scalar characters, or when
    an anchor contains itself. Iterative, each node measured once."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, scalar characters)
    open_nodes: set[int] = set()  # nodes whose children are being measured: ancestors
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = (1, len(node.value))
            continue
        children = _children(node)
        if not children_done:
            if key in sizes:
                continue
            if key in open_nodes:
                raise TooDeep("refers to itself through an alias")
            open_nodes.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(key)
        values = 1 + sum(sizes[id(child)][0] for child in children)
        chars = sum(sizes[id(child)][1] for child in children)
        if values > MAX_VALUES:
            raise TooDeep(f"holds more than {MAX_VALUES} values once its aliases are expanded")
        if chars > MAX_EXPANDED_CHARS:
            raise TooDeep(
                f"holds more than {MAX_EXPANDED_CHARS // 1024} KiB of text once its aliases "
                "are expanded"
            )
        sizes[key] = (values, chars)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [part for pair in node.value for part in pair]  # a MappingNode's (key, value)s


def load_yaml(text: str | bytes) -> Any:
    """YAML (or JSON) text to plain data, nesting and alias expansion bounded; raises
    TooDeep or yaml.YAMLError."""
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
