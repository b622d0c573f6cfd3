"""The structured log lines the functions write, read from their source with ast (no
import: modules may move), for the checks of the log-based metrics' filters.

A line is written by `logs.log(logger, level, message, **fields)` (functions/
workflows_api/logs.py) or by a logger call with `extra={"fields": {...}}`. Its entry in
Cloud Logging is jsonPayload = {message, the fields...}, except `httpRequest`, which
Cloud Run moves to the entry's own httpRequest.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

from tests.infra.hcl import FUNCTIONS

LOGGER_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


@dataclass(frozen=True)
class LogCall:
    path: str
    line: int
    # The message as a regex: literal text, `.*` where an f-string or %-format puts a value.
    message: str
    # Whether the message is a constant (no formatted parts).
    constant: bool
    fields: frozenset[str]
    # The keys of the httpRequest field, when it is a dict literal.
    http_request: frozenset[str]

    def may_write(self, text: str) -> bool:
        return re.fullmatch(self.message, text, re.DOTALL) is not None


def _message(node: ast.expr) -> tuple[str, bool] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = re.split(r"%[sdr]", node.value)
        return ".*".join(re.escape(part) for part in parts), len(parts) == 1
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(
            re.escape(str(value.value)) if isinstance(value, ast.Constant) else ".*"
            for value in node.values
        )
        return pattern, False
    return None


def _is_logs_log(func: ast.expr) -> bool:
    # logs.log(...) or log(...) imported from the logs module.
    if isinstance(func, ast.Attribute):
        return func.attr == "log" and isinstance(func.value, ast.Name) and func.value.id == "logs"
    return False


def _calls_in(path: str, tree: ast.AST) -> list[LogCall]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fields: dict[str, ast.expr] = {}
        if _is_logs_log(node.func) and len(node.args) >= 3:
            message = _message(node.args[2])
            fields = {k.arg: k.value for k in node.keywords if k.arg is not None}
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in LOGGER_METHODS - {"log"}
            and node.args
        ):
            extra = next((k.value for k in node.keywords if k.arg == "extra"), None)
            if not isinstance(extra, ast.Dict):
                continue
            logged = dict(zip(extra.keys, extra.values, strict=True))
            given = next(
                (
                    v
                    for k, v in logged.items()
                    if isinstance(k, ast.Constant) and k.value == "fields"
                ),
                None,
            )
            if not isinstance(given, ast.Dict):
                continue
            message = _message(node.args[0])
            fields = {
                k.value: v
                for k, v in zip(given.keys, given.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
        else:
            continue
        if message is None:
            continue
        request = fields.get("httpRequest")
        request_keys = (
            frozenset(
                k.value
                for k in request.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
            if isinstance(request, ast.Dict)
            else frozenset()
        )
        found.append(
            LogCall(path, node.lineno, message[0], message[1], frozenset(fields), request_keys)
        )
    return found


@cache
def log_calls() -> tuple[LogCall, ...]:
    calls: list[LogCall] = []
    for path in sorted(FUNCTIONS.rglob("*.py")):
        calls += _calls_in(str(path.relative_to(FUNCTIONS)), ast.parse(path.read_text()))
    return tuple(calls)


def module_constant(name: str) -> ast.expr:
    """The value of the module-level assignment `name = ...` somewhere under functions/
    (exactly one)."""
    found = []
    for path in FUNCTIONS.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                assert isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                found.append(node.value)
    assert len(found) == 1, f"{name}: {len(found)} definitions under functions/"
    return found[0]


def class_field_literal(class_name: str, field: str) -> set[str]:
    """The values of `field: Literal[...]` in the class `class_name` under functions/."""
    for path in FUNCTIONS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                for item in node.body:
                    if (
                        isinstance(item, ast.AnnAssign)
                        and isinstance(item.target, ast.Name)
                        and item.target.id == field
                        and isinstance(item.annotation, ast.Subscript)
                    ):
                        values = item.annotation.slice
                        elements = values.elts if isinstance(values, ast.Tuple) else [values]
                        return {
                            e.value
                            for e in elements
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        }
    raise AssertionError(f"no {class_name}.{field}: Literal[...] under functions/")
