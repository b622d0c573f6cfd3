"""Every Firestore collection the adapters write an `expire_at` into has a TTL policy
(issue 23, finding 13: `trigger_rejections` wrote `expire_at` that nothing deleted by).

Read from the code, not from the docstrings: a function of a store module writes
`expire_at` when its body holds that literal, or calls a function of the module that
does; every collection it names (`self._org(org, "<collection>")`, or
`.collection("<collection>")`) is one whose documents carry it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.infra.hcl import ROOT, expression, module

STORE = ROOT / "functions" / "workflows_api" / "adapters" / "firestore"
TTL_FIELD = "expire_at"


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _holds_literal(node: ast.AST, text: str) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == text for n in ast.walk(node))


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        if isinstance(call.func, ast.Name):
            names.add(call.func.id)
        elif isinstance(call.func, ast.Attribute):
            names.add(call.func.attr)
    return names


def _collections_named(node: ast.AST) -> set[str]:
    found = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else None
        literals = [a.value for a in call.args if isinstance(a, ast.Constant)]
        if name in ("_org", "collection") and literals and isinstance(literals[-1], str):
            found.add(literals[-1])
    return found - {"orgs"}


def collections_written_with_ttl_field(path: Path) -> set[str]:
    functions = _functions(ast.parse(path.read_text()))
    writing = {name for name, fn in functions.items() if _holds_literal(fn, TTL_FIELD)}
    while True:  # and whatever calls one of those, transitively
        more = {
            name
            for name, fn in functions.items()
            if name not in writing and _called_names(fn) & writing
        }
        if not more:
            break
        writing |= more
    return {c for name in writing for c in _collections_named(functions[name])}


def test_the_scan_finds_the_known_ttl_collections() -> None:
    executions = collections_written_with_ttl_field(STORE / "executions.py")
    assert executions == {"executions", "cache_entries", "idempotency_keys"}
    assert collections_written_with_ttl_field(STORE / "workflows.py") == set()


def test_every_collection_written_with_expire_at_has_a_ttl_policy() -> None:
    written = set()
    for path in sorted(STORE.glob("*.py")):
        written |= collections_written_with_ttl_field(path)
    assert "trigger_rejections" in written
    ttl = module().resource("google_firestore_field", "ttl")
    policies = set(re.findall(r'"(\w+)"', expression(ttl["for_each"])))
    missing = written - policies
    assert not missing, f"collections written with {TTL_FIELD} but no TTL policy: {missing}"
