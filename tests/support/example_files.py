"""The workflows in examples/ and the parameters each one documents in its header.

Each example starts with a comment block saying what question it answers; one line of
it, `# Example parameters: {...}`, holds a JSON object of values to run it with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
_PARAMETERS_LINE = re.compile(r"^# Example parameters: (?P<json>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    path: Path
    text: str

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def definition(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(self.text)
        return data

    @property
    def header(self) -> list[str]:
        """The comment lines before the definition starts."""
        lines = []
        for line in self.text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("# ").rstrip())
        return lines

    @property
    def parameters(self) -> dict[str, Any]:
        match = _PARAMETERS_LINE.search(self.text)
        if match is None:
            raise AssertionError(f"{self.path.name} has no '# Example parameters: {{...}}' line")
        values: dict[str, Any] = json.loads(match.group("json"))
        return values


def examples() -> list[Example]:
    return [
        Example(path, path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES_DIR.glob("*.yaml"))
    ]
