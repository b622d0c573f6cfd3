"""User-written SQL fragments (custom SQL nodes, computed columns), parsed with sqlglot.

Parsing is what keeps them in their box: a custom SQL node must be exactly one
query, an expression must be one expression without subqueries. They are
re-rendered from the syntax tree, with `$a`/`$b` and `@name` replaced by the
compiler's own quoted names, never spliced in as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

# sqlglot is imported where a fragment is parsed or rendered, not with this module:
# processes that never compile a definition (status) skip its import time.

INPUT_PLACEHOLDER = re.compile(r"^\$([a-z])$")
DIALECT = "bigquery"


class FragmentError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Fragment:
    tree: exp.Expr
    parameters: frozenset[str]
    inputs: frozenset[str]  # placeholder letters used: {"a", "b"}


def _references(tree: exp.Expr) -> tuple[frozenset[str], frozenset[str]]:
    from sqlglot import exp

    parameters = {p.name for p in tree.find_all(exp.Parameter)}
    inputs = set()
    for table in tree.find_all(exp.Table):
        match = INPUT_PLACEHOLDER.fullmatch(table.name)
        if match:
            inputs.add(match.group(1))
    return frozenset(parameters), frozenset(inputs)


def parse_query(text: str) -> Fragment:
    """Exactly one SELECT (set operations and WITH allowed); anything else is refused."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as error:
        raise FragmentError("custom_sql_parse_error", f"does not parse: {error}") from None
    except RecursionError:  # sqlglot recurses per nesting level (fragments.py caps it first)
        raise FragmentError("custom_sql_too_deep", "nests too deeply to parse") from None
    except Exception as error:  # sqlglot's own bug on valid SQL: refused, never a 500
        raise FragmentError("custom_sql_parse_error", _unreadable(error)) from None
    if len(statements) != 1:
        raise FragmentError(
            "custom_sql_not_one_select", f"must be one SELECT, found {len(statements)} statements"
        )
    tree = statements[0]
    if isinstance(tree, exp.Subquery):
        tree = tree.unnest()
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise FragmentError(
            "custom_sql_not_one_select", f"must be a SELECT, found {tree.key.upper()}"
        )
    for node in tree.walk():
        if isinstance(node, exp.DML | exp.Create | exp.Drop | exp.Command):
            raise FragmentError("custom_sql_not_one_select", "must only read: found a statement")
    return Fragment(tree, *_references(tree))


def parse_expression(text: str) -> Fragment:
    """One scalar expression over the input's columns: no subqueries, no tables."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = sqlglot.parse(text, read=DIALECT)
    except (ParseError, TokenError) as error:
        raise FragmentError("expression_parse_error", f"does not parse: {error}") from None
    except RecursionError:  # as in parse_query
        raise FragmentError("expression_too_deep", "nests too deeply to parse") from None
    except Exception as error:  # as in parse_query
        raise FragmentError("expression_parse_error", _unreadable(error)) from None
    if len(statements) != 1 or statements[0] is None:
        raise FragmentError("expression_parse_error", "must be exactly one expression")
    tree = statements[0]
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command) or any(
        isinstance(node, exp.Query | exp.Table | exp.Subquery) for node in tree.walk()
    ):
        raise FragmentError("expression_not_scalar", "must be one expression without subqueries")
    return Fragment(tree, *_references(tree))


def _unreadable(error: Exception) -> str:
    return f"could not be parsed (the SQL parser failed: {type(error).__name__}); rewrite it"


def render(
    fragment: Fragment,
    *,
    input_table: Callable[[str], str],
    parameter: Mapping[str, str],
) -> str:
    """BigQuery text of a fragment with placeholders swapped for quoted names.

    `input_table` maps a placeholder letter to an already-quoted table name;
    `parameter` maps a parameter name to the SQL that reads its argument.
    """
    import sqlglot
    from sqlglot import exp

    tree = fragment.tree.copy()

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Parameter) and node.name in parameter:
            return sqlglot.parse_one(parameter[node.name], read=DIALECT)
        if isinstance(node, exp.Table):
            match = INPUT_PLACEHOLDER.fullmatch(node.name)
            if match and not node.args.get("db"):
                replacement = exp.to_table(input_table(match.group(1)), dialect=DIALECT)
                node_alias = node.args.get("alias")
                # Keep `$a` usable as a qualifier when no alias was given.
                replacement.set(
                    "alias",
                    node_alias
                    or exp.TableAlias(this=exp.to_identifier(f"__wf_input_{match.group(1)}")),
                )
                return replacement
        if isinstance(node, exp.Column):
            match = INPUT_PLACEHOLDER.fullmatch(node.table)
            if match:
                node.set("table", exp.to_identifier(f"__wf_input_{match.group(1)}"))
        return node

    try:
        return tree.transform(swap).sql(dialect=DIALECT)
    except RecursionError:
        raise  # the caller's nesting cap answers it
    except Exception as error:  # sqlglot's own bug: refused, never a 500
        raise FragmentError(
            "fragment_invalid", f"could not be rendered ({type(error).__name__})"
        ) from None
