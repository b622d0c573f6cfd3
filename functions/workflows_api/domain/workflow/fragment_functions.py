"""What a SQL fragment may call (issue 23, finding 1): an allowlist, not a deny-list.

BigQuery resolves a function name without a dataset to a built-in (procedures run with
no default dataset), and a name with a dataset path (`dataset.f`, `project.dataset.f`,
or one backticked `p.d.f`) to a persistent routine, which runs with the caller's rights
and so reads whatever the connection's account reaches. Every call in the syntax tree
is named here, quoted parts unquoted and split at their dots, compared case-folded:

- a `SAFE.` prefix is dropped; what follows must be a built-in, never a routine;
- one part: a function sqlglot's BigQuery dialect parses to a class of its own (its
  knowledge of BigQuery's built-ins), or a name in `googlesql_functions.FUNCTIONS`;
- `NS.NAME` in a built-in namespace (`NET`, `HLL_COUNT`, `KLL_QUANTILES`): listed there;
- refused outright (`fragment_forbidden`): functions that reach models, remote services,
  keys or the caller's identity (`ML.*`, `AI.*`, `KEYS.*`, `AEAD.*`, `OBJ.*`,
  `VECTOR_SEARCH`, `EXTERNAL_QUERY`, `SESSION_USER`, ...), and any sqlglot function
  class that takes a TABLE or MODEL argument;
- anything else with a dataset path is a routine: allowed only when its dataset is in
  the connection's read allowlist (`read_allowlist.routines_called`, checked with the
  tables); any other name is refused (`function_not_allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from .googlesql_functions import FUNCTIONS, NAMESPACES, REFUSED, REFUSED_NAMESPACES

# sqlglot classes for calls that reach models, indexes, remote services or the caller.
_REFUSED_CLASS_NAMES = (
    "Predict GenerateEmbedding GenerateText GenerateTable GenerateBool GenerateInt "
    "GenerateDouble VectorSearch FeaturesAtTime MLTranslate MLForecast AIForecast "
    "AIGenerate AIClassify AIAgg AISummarize SessionUser"
)
_REFUSED_CLASSES: tuple[type, ...] = tuple(
    cls
    for cls in (getattr(exp, name, None) for name in _REFUSED_CLASS_NAMES.split())
    if isinstance(cls, type)
)
# Calls named by their text (names sqlglot does not know): `this` holds the name.
_NAMED_CALLS: tuple[type, ...] = tuple(
    cls
    for cls in (getattr(exp, name, None) for name in ("Anonymous", "AnonymousAggFunc"))
    if isinstance(cls, type)
)
_WRAPPERS = {"SafeFunc": "SAFE", "NetFunc": "NET"}


@dataclass(frozen=True)
class Call:
    """One function call: its name path as written (unquoted, split at dots), and
    whether sqlglot parsed it to a function class of its own."""

    path: tuple[str, ...]
    known: bool
    node: exp.Func

    @property
    def display(self) -> str:
        return ".".join(self.path)


class CallRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def call_of(node: exp.Expr) -> Call | None:
    """The call `node` makes, or None when it is not one (a `SAFE.`/`NET.` wrapper is
    named with the call it wraps). Raises CallRefused for a call on a value."""
    if not isinstance(node, exp.Func) or type(node).__name__ in _WRAPPERS:
        return None
    known = not isinstance(node, _NAMED_CALLS)
    name = (node.sql_name() if known else str(node.name)).split(".")
    parent = node.parent
    prefix: tuple[str, ...] = ()
    if parent is not None and type(parent).__name__ in _WRAPPERS and node.arg_key == "this":
        prefix = (_WRAPPERS[type(parent).__name__],)
    elif isinstance(parent, exp.Dot) and node.arg_key == "expression":
        found = _path(parent.this)
        if found is None:
            raise CallRefused("function_not_allowed", f"{name[-1]}(): calls on a value")
        prefix = found
    return Call((*prefix, *name), known, node)


def _path(node: exp.Expr) -> tuple[str, ...] | None:
    """`a.b` written before a call, as name parts; None when it is not a name."""
    if isinstance(node, exp.Identifier):
        return tuple(node.name.split("."))
    if isinstance(node, exp.Column):
        parts: list[str] = []
        for part in node.parts:
            parts.extend(part.name.split("."))
        return tuple(parts)
    if isinstance(node, exp.Dot):
        left, right = _path(node.this), _path(node.expression)
        return None if left is None or right is None else (*left, *right)
    return None


def routine_path(call: Call) -> tuple[str, ...] | None:
    """The routine's path (`dataset.f` or `project.dataset.f`) when the call names one;
    None for a built-in. Raises CallRefused for what is neither."""
    upper = tuple(part.upper() for part in call.path)
    safe = len(upper) > 1 and upper[0] == "SAFE"
    if safe:
        upper = upper[1:]
    shown = ".".join(upper)
    if upper[0] in REFUSED_NAMESPACES or shown in REFUSED:
        raise CallRefused("fragment_forbidden", f"{shown} is not allowed")
    if isinstance(call.node, _REFUSED_CLASSES) or (
        call.known and any(isinstance(v, exp.Table) for v in call.node.iter_expressions())
    ):
        raise CallRefused("fragment_forbidden", f"{shown} is not allowed (it reads a model)")
    if len(upper) == 1 and (call.known or shown in FUNCTIONS):
        return None
    if len(upper) == 2 and upper[0] in NAMESPACES:
        if shown in FUNCTIONS:
            return None
        raise CallRefused("function_not_allowed", f"{shown} is not a built-in function")
    if len(upper) == 1 or safe or len(upper) > 3:
        raise CallRefused(
            "function_not_allowed",
            f"{call.display} is not a built-in function fragments may call; call a "
            "persistent function by its dataset (dataset.function)",
        )
    return call.path


def check_call(node: exp.Expr) -> None:
    """Raises CallRefused when `node` calls a function no fragment may call (routines
    pass here: whether their dataset may be read depends on the connection)."""
    call = call_of(node)
    if call is not None:
        routine_path(call)


def routines(tree: exp.Expr) -> list[tuple[str, ...]]:
    """The routine paths a checked tree calls, each once."""
    found: list[tuple[str, ...]] = []
    for node in tree.walk():
        call = call_of(node)
        path = routine_path(call) if call is not None else None
        if path is not None and path not in found:
            found.append(path)
    return found
