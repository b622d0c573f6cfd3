"""The Terraform configuration in infra/, parsed with python-hcl2 for the cross-checks.

Providers cannot be downloaded here, so `terraform validate` cannot run: these tests
read the HCL as data instead. Values come back as HCL source: literals as Python
values, expressions as "${...}" strings.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MODULE = INFRA / "modules" / "workflows_api"
SINK_MODULE = INFRA / "modules" / "completion_events_sink"
PROVIDER_SCHEMA = INFRA / "tools" / "provider_schema.json"
FUNCTIONS = ROOT / "functions"
MAIN_PY = FUNCTIONS / "main.py"

_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, with_comments=False, explicit_blocks=False
)


@dataclass
class Config:
    """The blocks of every .tf file of one directory (one Terraform module)."""

    directory: Path
    text: str = ""
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(kind, {}), f"no resource {kind}.{name}"
        return self.resources[kind][name]

    def all_resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(kind, {})

    def required_providers(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for block in self.terraform:
            for providers in block.get("required_providers", []):
                found.update(providers)
        return found


@cache
def load(directory: Path) -> Config:
    config = Config(directory)
    texts = []
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text()
        texts.append(text)
        parsed = hcl2.loads(text, serialization_options=_OPTIONS)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    assert name not in config.resources.get(kind, {}), f"{kind}.{name} twice"
                    config.resources.setdefault(kind, {})[name] = body
        for block in parsed.get("data", []):
            for kind, named in block.items():
                config.data.setdefault(kind, {}).update(named)
        for block in parsed.get("locals", []):
            for name, value in block.items():
                assert name not in config.locals, f"local.{name} twice"
                config.locals[name] = value
        for block in parsed.get("variable", []):
            config.variables.update(block)
        for block in parsed.get("output", []):
            config.outputs.update(block)
        for block in parsed.get("module", []):
            config.modules.update(block)
        for block in parsed.get("provider", []):
            config.providers.update(block)
        config.terraform.extend(parsed.get("terraform", []))
    config.text = "\n".join(texts)
    return config


_REFERENCE = re.compile(r"\b((?:google|time)_\w+)\.(\w+)|\blocal\.(\w+)")


def references(config: Config, value: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """The resources ("type.name") an HCL value names, through locals too."""
    found: set[str] = set()
    for kind, name, local_name in _REFERENCE.findall(str(value)):
        if local_name:
            if local_name not in seen and local_name in config.locals:
                found |= references(config, config.locals[local_name], seen | {local_name})
        elif name in config.resources.get(kind, {}):
            found.add(f"{kind}.{name}")
    return found


def dependencies(config: Config, address: str) -> set[str]:
    """Every resource `address` depends on, directly (references, depends_on) or not."""
    done: set[str] = set()
    pending = [address]
    while pending:
        kind, name = pending.pop().split(".", 1)
        for found in references(config, config.resources[kind][name]) - done:
            done.add(found)
            pending.append(found)
    return done


def module() -> Config:
    return load(MODULE)


def root() -> Config:
    return load(INFRA)


def sink_module() -> Config:
    return load(SINK_MODULE)


def all_configs() -> list[Config]:
    return [root(), module(), sink_module()]


def expression(value: Any) -> str:
    """An HCL expression as its source text, whitespace-normalised: "${a.b}" -> "a.b"."""
    assert isinstance(value, str), f"expected an expression, got {value!r}"
    text = value[2:-1] if value.startswith("${") and value.endswith("}") else value
    return re.sub(r"\s+", " ", text).strip()


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The one nested block `name` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    found = blocks[0]
    assert isinstance(found, dict)
    return found


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = body.get(name, [])
    assert isinstance(found, list)
    return found


def entry_points() -> dict[str, str]:
    """functions/main.py's entry points: {name: "http" | "cloud_event"}, read with ast
    (the decorators of functions_framework mark them)."""
    tree = ast.parse(MAIN_PY.read_text())
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                module_name, kind = target.value.id, target.attr
            elif isinstance(target, ast.Name):
                module_name, kind = "functions_framework", target.id
            else:
                continue
            if module_name == "functions_framework" and kind in ("http", "cloud_event"):
                found[node.name] = kind
    return found


def terraform() -> str | None:
    return shutil.which("terraform")


def run_terraform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = terraform()
    assert executable is not None
    return subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
