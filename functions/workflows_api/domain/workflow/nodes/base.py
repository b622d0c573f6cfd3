"""What every node has, whatever its type."""

from __future__ import annotations

from pydantic import StrictStr

from ..parts import Strict


class NodeBase(Strict):
    # Each node type's class narrows `type` to its tag (`Literal["filter"]`) and adds
    # `settings`; the workflow model discriminates the registered classes on `type`.
    id: StrictStr
    inputs: list[StrictStr] = []  # noqa: RUF012 (pydantic copies defaults)
    description: str = ""
    type: str
