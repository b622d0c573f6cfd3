"""Safety of user-written SQL fragments (custom SQL nodes, computed expressions).

Every fragment goes through four gates before it may reach a procedure:
1. size: at most 64 KiB (UTF-8), refused with `fragment_too_large` (an HTTP 413);
2. lexing: `googlesql_lexer` lexes it like BigQuery; sqlglot's tokenizer must find the
   same literals, quoted names, comments and semicolons, or the fragment is refused
   (`fragment_invalid`); expression nesting is capped on the tokens (`fragment_too_deep`);
   a `;` is accepted only as the very last token (one optional trailing semicolon,
   dropped by the rendering);
3. parsing (sqlglot, BigQuery dialect): one SELECT for a query (set operations and
   WITH allowed), one scalar expression for a computed column; `INFORMATION_SCHEMA`,
   system variables (`@@x`), table-valued functions, `SELECT ... INTO`, DDL, DML and
   scripting are refused (`fragment_forbidden`); functions are called only as
   `fragment_functions` allows (built-ins by name; routines by dataset, checked with
   the connection's read allowlist);
4. rendering: comments are dropped, and the rendered text is lexed again and must be
   one statement on which both lexers agree.

sqlglot parses and renders recursively (about 30 Python frames per nesting level), so
the parse and the rendering run on one long-lived worker thread with a large stack and a
raised recursion limit; the token-level cap keeps them far below it.
"""

from __future__ import annotations

import bisect
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from . import fragment_budget, fragment_functions, fragment_parsing
from . import googlesql_lexer as lexer

MAX_FRAGMENT_BYTES = 64 * 1024
MAX_NESTING = 200
_RECURSION_LIMIT = 20_000  # > 200 levels x ~30 frames, with room for the caller's stack
_WORKER_STACK_BYTES = 256 * 1024 * 1024  # reserved address space; pages are used lazily

FORBIDDEN_NAMES = frozenset({"INFORMATION_SCHEMA"})
# Statement kinds that may never appear inside a fragment, wherever they are nested.
_FORBIDDEN_NODE_NAMES = (
    "DDL Command Into Transaction Commit Rollback Set Use Declare Execute SessionUser "
    "SessionParameter Describe DML Merge Grant Revoke Analyze Pragma Copy Export LoadData"
)
_FORBIDDEN_NODES: tuple[type, ...] = tuple(
    node
    for node in (getattr(exp, name, None) for name in _FORBIDDEN_NODE_NAMES.split())
    if isinstance(node, type)
)
_QUOTED_KINDS = (
    "STRING RAW_STRING BYTE_STRING NATIONAL_STRING BIT_STRING HEREDOC_STRING "
    "UNICODE_STRING IDENTIFIER"
)
_QUOTED_TOKEN_TYPES = frozenset(
    getattr(TokenType, name) for name in _QUOTED_KINDS.split() if hasattr(TokenType, name)
)

T = TypeVar("T")


class FragmentRefused(fragment_parsing.FragmentError):
    """A refused fragment: `code` is stable (the API's issue code), the message says why.
    A subclass of fragment_parsing.FragmentError so that existing handlers keep catching it."""

    @property
    def http_status(self) -> int:
        return 413 if self.code == "fragment_too_large" else 400


def parse_query(text: str) -> fragment_parsing.Fragment:
    """A custom SQL node's fragment, checked by all gates; comments removed."""
    _check_text(text, one_statement_code="custom_sql_not_one_select")
    fragment = _deep(lambda: fragment_parsing.parse_query(text))
    _check_tree(fragment.tree)
    _trial_render(fragment)
    return fragment


def parse_expression(text: str) -> fragment_parsing.Fragment:
    """A computed column's expression, checked by all gates; comments removed."""
    _check_text(text, one_statement_code="expression_parse_error")
    fragment = _deep(lambda: fragment_parsing.parse_expression(text))
    _check_tree(fragment.tree)
    _trial_render(fragment)
    return fragment


def render(
    fragment: fragment_parsing.Fragment,
    *,
    input_table: Callable[[str], str],
    parameter: Mapping[str, str],
) -> str:
    """fragment_parsing.render, run where deep trees fit, and its output checked again."""
    text = _deep(
        lambda: fragment_parsing.render(fragment, input_table=input_table, parameter=parameter)
    )
    tokens = _lex(text)
    if any(token.kind in ("comment", "semicolon") for token in tokens):
        raise FragmentRefused("fragment_invalid", "the rendering is not one plain statement")
    _require_agreement(text, tokens)
    return text


def _trial_render(fragment: fragment_parsing.Fragment) -> None:
    """Render once at validation, so a rendering that fails its checks is refused when
    the definition is written, not when it is compiled."""
    render(fragment, input_table=lambda letter: f"`p`.`d`.`input_{letter}`", parameter={})


def _check_text(text: str, *, one_statement_code: str) -> None:
    if len(text.encode("utf-8")) > MAX_FRAGMENT_BYTES:
        raise FragmentRefused(
            "fragment_too_large", f"is longer than {MAX_FRAGMENT_BYTES // 1024} KiB"
        )
    tokens = _lex(text)
    depth = lexer.nesting_depth(tokens)
    if depth > MAX_NESTING:
        raise FragmentRefused(
            "fragment_too_deep", f"nests {depth} levels deep; at most {MAX_NESTING}"
        )
    code = lexer.code_tokens(tokens)
    semicolons = [token for token in code if token.kind == "semicolon"]
    if semicolons and (len(semicolons) > 1 or code[-1] is not semicolons[0]):
        raise FragmentRefused(
            one_statement_code, "must be one statement: `;` is only allowed at the very end"
        )
    if len(code) == 1 and semicolons:
        raise FragmentRefused(one_statement_code, "is empty")
    _require_agreement(text, tokens)


def _lex(text: str) -> list[lexer.Token]:
    try:
        return lexer.lex(text)
    except lexer.LexError as error:
        raise FragmentRefused("fragment_invalid", str(error)) from None


def _require_agreement(text: str, tokens: list[lexer.Token]) -> None:
    """sqlglot must see the same quoted tokens, comments and statement breaks."""
    try:
        theirs = sqlglot.tokenize(text, read=fragment_parsing.DIALECT)
    except TokenError as error:
        raise FragmentRefused("fragment_invalid", f"does not lex: {error}") from None
    ours_quoted = {(t.start, t.end) for t in tokens if t.kind in ("string", "identifier")}
    theirs_quoted = {(t.start, t.end + 1) for t in theirs if t.token_type in _QUOTED_TOKEN_TYPES}
    disagreement = ours_quoted ^ theirs_quoted
    if not disagreement:
        disagreement = _coverage_gaps(tokens, theirs)
    if not disagreement:
        ours_breaks = sum(t.kind == "semicolon" for t in tokens)
        theirs_breaks = sum(t.token_type == TokenType.SEMICOLON for t in theirs)
        disagreement = {(0, 0)} if ours_breaks != theirs_breaks else set()
    if disagreement:
        at = min(start for start, _ in disagreement)
        raise FragmentRefused(
            "fragment_invalid", f"is ambiguous: it lexes two ways near character {at}"
        )


def _coverage_gaps(ours: list[lexer.Token], theirs: list) -> set[tuple[int, int]]:
    """Spans where one lexer sees code and the other a comment or nothing.
    Both token lists are in text order and do not overlap, so bisection finds the
    one span that could contain a position."""
    hidden = [(t.start, t.end) for t in ours if t.kind in ("comment", "string", "identifier")]
    covered = [(t.start, t.end + 1) for t in theirs]
    gaps = set()
    for token in theirs:  # a token of theirs inside our comment or literal
        if _inside(hidden, token.start, strictly=True):
            gaps.add((token.start, token.end))
    for token in lexer.code_tokens(ours):  # code of ours that they skipped
        if not _inside(covered, token.start, strictly=False):
            gaps.add((token.start, token.end))
    return gaps


def _inside(spans: list[tuple[int, int]], position: int, *, strictly: bool) -> bool:
    index = bisect.bisect_right(spans, (position, sys.maxsize)) - 1
    if index < 0:
        return False
    start, end = spans[index]
    return (start < position if strictly else start <= position) and position < end


def _check_tree(tree: exp.Expr) -> None:
    for node in tree.walk():
        node.comments = None  # rendered comments could carry anything: never rendered
        if isinstance(node, _FORBIDDEN_NODES):
            raise FragmentRefused(
                "fragment_forbidden", f"must only read: {node.key.upper()} is not allowed"
            )
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            raise FragmentRefused("fragment_forbidden", "table functions are not allowed")
        if (
            isinstance(node, exp.Table)
            and node.args.get("version")
            and fragment_parsing.INPUT_PLACEHOLDER.fullmatch(node.name)
        ):
            # The rendering swaps `$a` for a temp table, which has no history.
            raise FragmentRefused("fragment_invalid", "FOR SYSTEM_TIME AS OF needs a table")
        if isinstance(node, exp.Identifier) and any(
            part.upper() in FORBIDDEN_NAMES for part in node.name.split(".")
        ):
            raise FragmentRefused("fragment_forbidden", f"{node.name} is not allowed")
        try:
            fragment_functions.check_call(node)  # built-ins by name; routines pass
        except fragment_functions.CallRefused as refused:
            raise FragmentRefused(refused.code, str(refused)) from None


def _deep(work: Callable[[], T]) -> T:
    """Run sqlglot's recursive work on the parser thread, whose stack fits MAX_NESTING
    levels; wait for its result. Errors are re-raised here, on the caller's thread.
    Refused unrun once the caller's parse budget (`fragment_budget`) is spent."""
    if fragment_budget.budget_spent():
        raise FragmentRefused(
            "fragments_too_complex",
            "was not checked: checking this definition's SQL fragments took longer than "
            f"{fragment_budget.PARSE_BUDGET_SECONDS:.0f} s; make them smaller or simpler",
        )
    try:
        return _PARSER.run(work)
    except RecursionError:
        raise FragmentRefused("fragment_too_deep", "nests too deeply") from None
    except FragmentRefused:
        raise
    except fragment_parsing.FragmentError as error:
        raise FragmentRefused(error.code, str(error)) from None


class _ParserThread:
    """One long-lived daemon thread with a big stack that runs the parses in turn.

    `threading.stack_size` is process-wide: any thread started while it is raised gets
    the big stack too. So the thread is started once, on first use, and the size is
    restored right after; every later parse reuses it through the queue.
    """

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, work: Callable[[], T]) -> T:
        self._start_once()
        result: Future[T] = Future()
        self._work.put((work, result))
        return result.result()

    def _start_once(self) -> None:
        with self._start_lock:
            # Not alive after a fork (functions-framework imports the code, then gunicorn
            # forks its workers): the child starts its own, with a queue of its own.
            if self._thread is not None and self._thread.is_alive():
                return
            self._work = queue.SimpleQueue()
            previous = threading.stack_size(_WORKER_STACK_BYTES)
            try:
                thread = threading.Thread(target=self._serve, name="sql-fragment", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
            self._thread = thread

    def _serve(self) -> None:
        if sys.getrecursionlimit() < _RECURSION_LIMIT:
            sys.setrecursionlimit(_RECURSION_LIMIT)  # raised once, never lowered
        while True:
            work, result = self._work.get()
            try:
                result.set_result(work())
            except BaseException as error:  # handed to the waiting caller
                result.set_exception(error)


_PARSER = _ParserThread()
