"""NodeType: everything one node type brings, as its module declares it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, get_args

from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql

N = TypeVar("N", bound=NodeBase)


@dataclass(frozen=True)
class NodeType(Generic[N]):
    """A node type: its model (with its settings), inputs, checks and compile rule.

    `check` reports through the checker what the model's shape cannot say (names,
    parameter references, ranges); it runs on shape-valid nodes of any workflow, after
    the input count has been checked against `inputs`. `compile_rule` runs only on
    valid workflows and returns the node's SQL (NodeSql): its rows as one SELECT over its
    inputs (`context.inputs`), which the compiler chains into its consumer's statement
    as a CTE or materialises as a TEMP table (`context.target`).
    """

    model: type[N]
    inputs: tuple[int, int | None]  # (minimum, maximum) inputs; None = unbounded
    check: Callable[[N, NodeChecker], None]
    compile_rule: Callable[[N, CompileContext], NodeSql]

    @property
    def name(self) -> str:
        """The `type` tag, read from the model's `type: Literal["..."]`."""
        (tag,) = get_args(self.model.model_fields["type"].annotation)
        return str(tag)


def no_checks(node: NodeBase, checker: NodeChecker) -> None:
    """For node types whose model already says everything (inputs are checked apart)."""
