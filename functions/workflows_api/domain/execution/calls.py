"""CARTO's query string: `CALL `project.dataset.routine`(@a, @b, ...)`, and nothing else.

The CARTO dialect accepts a query only to learn which procedure to run and in which
order the caller passes its named parameters; the service then builds its own CALL.
Anything that is not exactly one such CALL is refused, so this endpoint can never
become a general SQL endpoint. sqlglot parses CALL as an opaque command, so a strict
regular expression over the whole string does the parsing; only plain whitespace may
separate tokens (no comments, no second statement, no literals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..workflow.sql_render import (
    DATASET_PATTERN,
    IDENTIFIER_PATTERN,
    PROJECT_PATTERN,
    ROUTINE_PATTERN,
)

# Generous for any real procedure (hundreds of parameters), small enough to refuse abuse.
MAX_QUERY_CHARS = 20_000
EXPECTED_FORM = "CALL `project.dataset.routine`(@a, @b, ...)"

_WS = r"[ \t\r\n\f]"
_CALL = re.compile(
    rf"^{_WS}*CALL{_WS}*"
    r"(?P<ref>`[^`]*`\.`[^`]*`\.`[^`]*`|`[^`]*`)"
    rf"{_WS}*\((?P<arguments>[^()]*)\){_WS}*(?:;{_WS}*)?\Z",
    re.IGNORECASE,
)
_ARGUMENT = re.compile(rf"^{_WS}*@(?P<name>[^ \t\r\n\f]*){_WS}*\Z")
_LEADING_WORD = re.compile(rf"^{_WS}*(?P<word>[A-Za-z_]+)")
_COMMENT = re.compile(r"--|#|/\*")
_SECOND_STATEMENT = re.compile(rf";{_WS}*[^ \t\r\n\f]")


class CallSyntaxError(ValueError):
    """The query is not a single `CALL` of a procedure with named parameters."""


@dataclass(frozen=True)
class ProcedureCall:
    procedure_ref: str  # project.dataset.routine
    parameter_names: list[str]  # in the order the CALL passes them (arguments are positional)


def parse_call(query: str) -> ProcedureCall:
    """The procedure and the named parameters of a CARTO query; CallSyntaxError otherwise.

    Accepted: `CALL `p.d.r`(@a, @b)` or `CALL `p`.`d`.`r`(@a,@b)`, any case of CALL,
    whitespace between tokens, an optional trailing `;`, no arguments at all.
    Identifiers are checked with `fullmatch`: the patterns end in `$`, which would
    otherwise let a trailing newline through.
    """
    if not isinstance(query, str):
        raise CallSyntaxError(f"query: expected a string like {EXPECTED_FORM}")
    if len(query) > MAX_QUERY_CHARS:
        raise CallSyntaxError(
            f"query: expected at most {MAX_QUERY_CHARS} characters, got {len(query)}"
        )
    match = _CALL.match(query)
    if match is None:
        raise CallSyntaxError(_diagnose(query))
    return ProcedureCall(
        _procedure_ref(match.group("ref")), _parameter_names(match.group("arguments"))
    )


def format_call(procedure_ref: str, parameter_names: list[str]) -> str:
    """The query in the form CARTO's UI shows: CALL `p.d.r`(@a,@b,@c)."""
    return f"CALL `{procedure_ref}`({','.join('@' + name for name in parameter_names)})"


def _procedure_ref(quoted: str) -> str:
    parts = [part.strip("`") for part in quoted.split("`.`")]
    if len(parts) == 1:
        parts = parts[0].split(".")
    if len(parts) != 3:
        raise CallSyntaxError(
            f"query: expected the procedure as `project.dataset.routine`, got {quoted[:300]}"
        )
    project, dataset, routine = parts
    for value, pattern, kind in (
        (project, PROJECT_PATTERN, "a GCP project id"),
        (dataset, DATASET_PATTERN, "a dataset name (letters, digits, _)"),
        (routine, ROUTINE_PATTERN, "a routine name (letters, digits, _)"),
    ):
        if not pattern.fullmatch(value):
            raise CallSyntaxError(
                f"query: expected {kind} in `project.dataset.routine`, got {value[:300]!r}"
            )
    return f"{project}.{dataset}.{routine}"


def _parameter_names(arguments: str) -> list[str]:
    if not arguments.strip(" \t\r\n\f"):
        return []
    names: list[str] = []
    seen: set[str] = set()
    for position, argument in enumerate(arguments.split(","), start=1):
        match = _ARGUMENT.match(argument)
        name = match.group("name") if match else None
        if name is None or not IDENTIFIER_PATTERN.fullmatch(name):
            shown = argument.strip(" \t\r\n\f")[:100]
            raise CallSyntaxError(
                f"query: argument {position}: expected a named query parameter like "
                f"@number_of_clusters (values go in queryParameters), got {shown!r}"
            )
        if name in seen:
            raise CallSyntaxError(
                f"query: argument {position}: @{name} is passed twice; expected each parameter once"
            )
        names.append(name)
        seen.add(name)
    return names


def _diagnose(query: str) -> str:
    """Why a query that is not a CALL of one procedure was refused, as precisely as we can."""
    word = _LEADING_WORD.match(query)
    if word is None or word.group("word").upper() != "CALL":
        got = f"a statement starting with {word.group('word')[:30]!r}" if word else "no statement"
        return f"query: expected a single {EXPECTED_FORM}, got {got}"
    if _COMMENT.search(query):
        return f"query: comments are not accepted; expected a single {EXPECTED_FORM}"
    if _SECOND_STATEMENT.search(query):
        return f"query: expected a single statement, {EXPECTED_FORM}; got several"
    return f"query: expected exactly {EXPECTED_FORM}"
