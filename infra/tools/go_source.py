"""Reading Go sources as text, enough to find composite literals and their fields:
brackets matched outside strings and comments, `"key": value` and `Field: value`
entries, and the files of a git directory at one ref (extract_provider_schema.py)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


def skip(text: str, i: int) -> int:
    """The index after a string literal or comment starting at i (i itself otherwise)."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    if text[i] == "`":
        return text.index("`", i + 1) + 1
    if text[i] in "\"'":
        quote, j = text[i], i + 1
        while text[j] != quote:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def matching(text: str, start: int) -> int:
    """The index of the bracket closing the one at `start`."""
    depth, i = 0, start
    while i < len(text):
        j = skip(text, i)
        if j != i:
            i = j
            continue
        if text[i] in "{([":
            depth += 1
        elif text[i] in "})]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced brackets")


def top_level_entries(body: str) -> list[tuple[str, str]]:
    """`"key": value,` pairs at depth 0 of a Go composite literal's inside."""
    entries, i = [], 0
    key = re.compile(r'"([\w.-]+)"\s*:\s*')
    while i < len(body):
        match = key.match(body, i)
        if not match:
            j = skip(body, i)
            i = j if j != i else i + 1
            continue
        value_start = i = match.end()
        while i < len(body) and body[i] != ",":
            j = skip(body, i)
            if j != i:
                i = j
            elif body[i] in "{([":
                i = matching(body, i) + 1
            else:
                i += 1
        entries.append((match[1], body[value_start:i].strip()))
        i += 1
    return entries


def own_elem_resource(literal: str) -> str | None:
    """The `{...}` of `Elem: &schema.Resource{...}` among the literal's own fields."""
    inner, i = literal[1:-1], 0
    pattern = re.compile(r"Elem:\s*&schema\.Resource\{")
    while i < len(inner):
        match = pattern.match(inner, i)
        if match:
            start = match.end() - 1
            return inner[start : matching(inner, start) + 1]
        j = skip(inner, i)
        if j != i:
            i = j
        elif inner[i] in "{([":
            i = matching(inner, i) + 1
        else:
            i += 1
    return None


def depth_one_fields(literal: str) -> str:
    """A composite literal `{...}` with every nested bracket's content removed, so that
    field searches see only its own fields."""
    inner, out, i = literal[1:-1], [], 0
    while i < len(inner):
        j = skip(inner, i)
        if j != i:
            out.append(inner[i:j])
            i = j
        elif inner[i] in "{([":
            close = matching(inner, i)
            out.append(inner[i] + inner[close])
            i = close + 1
        else:
            out.append(inner[i])
            i += 1
    return "".join(out)


@dataclass
class GoSource:
    """The Go files of one provider's git directory at one ref."""

    git_dir: Path
    ref: str
    prefix: str = "google/"
    files: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        listing = self._git("ls-tree", "-r", "--name-only", self.ref, self.prefix)
        paths = [p for p in listing.splitlines() if p.endswith(".go") and "_test" not in p]
        # One `git cat-file --batch` for thousands of files.
        request = "".join(f"{self.ref}:{p}\n" for p in paths)
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "--batch"],
            input=request.encode(),
            capture_output=True,
            check=True,
        )
        data, offset = done.stdout, 0
        for path in paths:
            header_end = data.index(b"\n", offset)
            size = int(data[offset:header_end].split()[2])
            self.files[path] = data[header_end + 1 : header_end + 1 + size].decode()
            offset = header_end + 1 + size + 1

    def _git(self, *args: str) -> str:
        command = ["git", "--git-dir", str(self.git_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    @cached_property
    def commit(self) -> str:
        return self._git("rev-parse", f"{self.ref}^{{commit}}").strip()

    @cached_property
    def text(self) -> str:
        return "\n".join(self.files.values())

    def definition(self, name: str) -> str:
        """The body of `func name(...) ... {` or the literal of `var name = ...{`."""
        short = name.split(".")[-1]
        function = rf"func\s+{short}\s*\([^)]*\)[^{{\n]*"
        variable = rf"var\s+{short}\s*=\s*[^{{\n]*"
        pattern = re.compile(rf"^(?:{function}|{variable})\{{", re.MULTILINE)
        match = pattern.search(self.text)
        if not match:
            raise LookupError(f"no definition of {name}")
        return self.text[match.end() - 1 : matching(self.text, match.end() - 1) + 1]


def registrations(source: GoSource) -> dict[tuple[str, str], str]:
    """(kind, type name) => the Schema expression of its registry.Schema{...}."""
    found: dict[tuple[str, str], str] = {}
    for match in re.finditer(r"registry\.Schema\{", source.text):
        start = match.end() - 1
        literal = source.text[start : matching(source.text, start) + 1]
        fields = dict(top_level_entries_go_fields(literal))
        if "Name" in fields and "Schema" in fields and "Type" in fields:
            kind = "data" if fields["Type"].endswith("DataSource") else "resource"
            found[(kind, json.loads(fields["Name"]))] = fields["Schema"]
    return found


def top_level_entries_go_fields(literal: str) -> list[tuple[str, str]]:
    """`Field: value,` pairs of a Go struct literal `{...}`."""
    body = literal[1:-1]
    entries, i = [], 0
    pattern = re.compile(r"\s*(\w+)\s*:\s*")
    while i < len(body):
        match = pattern.match(body, i)
        if not match:
            i += 1
            continue
        value_start = i = match.end()
        while i < len(body) and body[i] != ",":
            j = skip(body, i)
            if j != i:
                i = j
            elif body[i] in "{([":
                i = matching(body, i) + 1
            else:
                i += 1
        entries.append((match[1], body[value_start:i].strip()))
        i += 1
    return entries
