"""Fragment safety (issue 12 items 3 and 4): hostile fragments are refused with a stable
code, legitimate ones are accepted and rendered with their meaning intact."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.support.hostile_fragments import HOSTILE_QUERIES
from workflows_api.domain.workflow import fragments, googlesql_lexer, sql_render
from workflows_api.domain.workflow.fragments import FragmentRefused
from workflows_api.domain.workflow.read_allowlist import ReadAllowlist, TableName, tables_read


@pytest.mark.parametrize("text", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_hostile_query_is_refused(text: str) -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(text)
    assert refused.value.code in {
        "fragment_invalid",
        "fragment_forbidden",
        "custom_sql_not_one_select",
        "custom_sql_parse_error",
    }, refused.value.code


def test_hostile_suite_is_big_enough() -> None:
    assert len(HOSTILE_QUERIES) >= 25


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (HOSTILE_QUERIES["backslash_in_backticks"], "fragment_invalid"),
        (HOSTILE_QUERIES["two_statements"], "custom_sql_not_one_select"),
        (HOSTILE_QUERIES["information_schema_quoted"], "fragment_forbidden"),
        (HOSTILE_QUERIES["external_query"], "fragment_forbidden"),
        (HOSTILE_QUERIES["ml_predict"], "fragment_forbidden"),
        (HOSTILE_QUERIES["select_into"], "fragment_forbidden"),
        (HOSTILE_QUERIES["session_user"], "fragment_forbidden"),
        (HOSTILE_QUERIES["fullwidth_semicolon"], "fragment_invalid"),
    ],
)
def test_refusal_codes_are_stable(text: str, code: str) -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(text)
    assert refused.value.code == code
    assert refused.value.http_status == 400


def test_three_thousand_nested_parentheses_are_refused_before_parsing() -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query("SELECT " + "(" * 3000 + "1" + ")" * 3000)
    assert refused.value.code == "fragment_too_deep"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT " + "NOT " * 300 + "TRUE",
        "SELECT " + "- " * 300 + "1",
        "SELECT " + "CASE WHEN TRUE THEN " * 300 + "1" + " END" * 300,
        "SELECT * FROM " + "(SELECT * FROM " * 300 + "$a" + ")" * 300,
        "SELECT CAST(NULL AS " + "ARRAY<" * 3000 + "INT64" + ">" * 3000 + ")",
        "SELECT CAST(NULL AS " + "STRUCT<a " * 300 + "INT64" + ">>" * 150 + ")",
    ],
)
def test_deep_nesting_of_every_kind_is_refused(text: str) -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(text)
    assert refused.value.code == "fragment_too_deep"


def test_two_hundred_levels_are_accepted_and_render() -> None:
    fragment = fragments.parse_query("SELECT " + "(" * 199 + "x" + ")" * 199 + " AS y FROM $a")
    text = fragments.render(fragment, input_table=lambda _: "`p`.`d`.`t`", parameter={})
    assert text.startswith("SELECT ") and "`p`.`d`.`t`" in text


def test_fragment_over_64_kib_is_refused_as_too_large() -> None:
    text = "SELECT 1 AS x FROM $a WHERE 'x' != '" + "y" * (64 * 1024) + "'"
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(text)
    assert (refused.value.code, refused.value.http_status) == ("fragment_too_large", 413)


def test_long_flat_sum_is_not_deep() -> None:
    fragments.parse_query("SELECT " + " + ".join(["x"] * 3000) + " AS s FROM $a")


LEGITIMATE = [
    "SELECT * FROM $a WHERE kind <> @kind",
    "SELECT a.id FROM $a AS a JOIN $b USING (id)",
    "select $a.id, b.name, ST_ASTEXT(@area) AS t from $a join $b as b using (id)",
    "SELECT * FROM retail.stores FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-01 00:00:00+00'",
    "WITH recent AS (SELECT * FROM $a WHERE day > '2026-01-01') SELECT COUNT(*) AS n FROM recent",
    "SELECT s.id, o.total FROM `demo-project.retail.stores` AS s "
    "JOIN `demo-project`.retail.orders AS o ON o.store_id = s.id",
    "SELECT 'it''s', \"a;b\", r'\\d+;', b'\\x00', '''multi\nline ; --''' AS t FROM $a",
    "SELECT x -- a comment; with a semicolon\nFROM $a /* and; another */",
    "SELECT x FROM $a;",
    "SELECT 1 AS x UNION ALL SELECT 2",
    "SELECT 0x1F AS hex, 1e5 AS big, .5 AS half",
    "(SELECT x FROM $a)",
    "SELECT `weird name` FROM $a WHERE `weird name` = 'caf\u00e9'",
]


@pytest.mark.parametrize("text", LEGITIMATE)
def test_legitimate_query_is_accepted_and_renders_one_statement(text: str) -> None:
    fragment = fragments.parse_query(text)
    rendered = fragments.render(
        fragment, input_table=lambda letter: f"`p`.`d`.`in_{letter}`", parameter={}
    )
    kinds = [token.kind for token in googlesql_lexer.lex(rendered)]
    assert "comment" not in kinds and "semicolon" not in kinds
    assert rendered.upper().lstrip("(").startswith(("SELECT", "WITH"))


def test_system_time_survives_the_rendering() -> None:
    fragment = fragments.parse_query(LEGITIMATE[3])
    rendered = fragments.render(fragment, input_table=str, parameter={})
    assert "FOR SYSTEM_TIME AS OF" in rendered


def test_time_travel_on_an_input_placeholder_is_refused_not_dropped() -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query("SELECT * FROM $a FOR SYSTEM_TIME AS OF CURRENT_TIMESTAMP()")
    assert refused.value.code == "fragment_invalid"


def test_a_large_legitimate_fragment_is_accepted() -> None:
    columns = ", ".join(f"x{i}, 'label {i};--'" for i in range(2000))
    fragments.parse_query(f"SELECT {columns} FROM $a")


def test_comments_are_not_rendered() -> None:
    fragment = fragments.parse_query("SELECT x /* DROP */ AS y FROM $a -- tail")
    rendered = fragments.render(fragment, input_table=lambda _: "`p`.`d`.`t`", parameter={})
    assert "DROP" not in rendered and "tail" not in rendered


@pytest.mark.parametrize(
    "text",
    ["x + 1", "UPPER(name) || '-' || CAST(id AS STRING)", "CASE WHEN a THEN 1 ELSE 2 END"],
)
def test_legitimate_expressions_are_accepted(text: str) -> None:
    fragments.parse_expression(text)


@pytest.mark.parametrize(
    "text",
    [
        "x; DROP TABLE y",
        "SESSION_USER()",
        "(SELECT 1 FROM retail.INFORMATION_SCHEMA.TABLES)",
        "`a\\`",
        "ML.STANDARD_SCALER(x) OVER ()",
    ],
)
def test_hostile_expressions_are_refused(text: str) -> None:
    with pytest.raises(FragmentRefused):
        fragments.parse_expression(text)


def test_tables_read_excludes_inputs_and_ctes_and_qualifies_names() -> None:
    fragment = fragments.parse_query(
        "WITH c AS (SELECT * FROM retail.stores) "
        "SELECT * FROM c JOIN $a USING (id) "
        "WHERE id IN (SELECT id FROM `other-proj.sales.orders` WHERE x IN "
        "(SELECT x FROM `other-proj.secret_ds`.customers))"
    )
    assert [str(t) for t in tables_read(fragment, "home-project")] == [
        "home-project.retail.stores",
        "other-proj.sales.orders",
        "other-proj.secret_ds.customers",
    ]


def test_a_table_without_a_dataset_is_refused() -> None:
    fragment = fragments.parse_query("SELECT * FROM stores")
    with pytest.raises(FragmentRefused) as refused:
        tables_read(fragment, "home-project")
    assert refused.value.code == "table_not_qualified"


def test_allowlist_refuses_a_nested_subquery_reaching_another_dataset() -> None:
    allowlist = ReadAllowlist(("home-project.retail", "shared-proj.*"))
    fragment = fragments.parse_query(
        "SELECT * FROM retail.stores WHERE id IN "
        "(SELECT id FROM (SELECT id FROM `victim-project.secret_ds.customers`))"
    )
    tables = tables_read(fragment, "home-project")
    with pytest.raises(FragmentRefused) as refused:
        allowlist.check(tables)
    assert refused.value.code == "table_not_allowed"
    assert "victim-project.secret_ds.customers" in str(refused.value)
    assert "home-project.retail, shared-proj.*" in str(refused.value)


def test_allowlist_entries() -> None:
    allowlist = ReadAllowlist(("home-project.retail", "shared-proj.*"))
    assert allowlist.allows(TableName("home-project", "retail", "stores"))
    assert allowlist.allows(TableName("shared-proj", "anything", "t"))
    assert not allowlist.allows(TableName("home-project", "retail_private", "t"))
    assert not allowlist.allows(TableName("shared-proj2", "x", "t"))
    with pytest.raises(ValueError):
        ReadAllowlist(("home-project.retail\n",))
    with pytest.raises(ValueError):
        ReadAllowlist(("home-project",))


@pytest.mark.parametrize("name", ["stores\n", "stores\r\n", "sto res", ""])
def test_quoting_checks_the_whole_name(name: str) -> None:
    # `re.match` with a `$` anchor let a trailing newline through.
    with pytest.raises(sql_render.UnsafeIdentifier):
        sql_render.quote_identifier(name, "table")


def test_a_wildcard_does_not_open_closed_datasets() -> None:
    allowlist = ReadAllowlist(
        ("home-project.*", "home-project.wfapi_mine"),
        closed=("home-project.generated",),
        closed_prefixes=("wfapi_",),
    )
    assert allowlist.allows(TableName("home-project", "retail", "t"))
    assert not allowlist.allows(TableName("home-project", "generated", "t"))
    assert not allowlist.allows(TableName("home-project", "wfapi_theirs", "t"))
    assert not allowlist.allows(TableName("home-project", "WFAPI_theirs", "t"))
    assert allowlist.allows(TableName("home-project", "wfapi_mine", "t"))  # named exactly


def _thread_of_each_render(texts: list[str]) -> list[threading.Thread]:
    """The thread each rendering ran on (its `input_table` callback runs there)."""
    seen: list[threading.Thread] = []

    def input_table(letter: str) -> str:
        seen.append(threading.current_thread())
        return "`p`.`d`.`t`"

    for text in texts:
        fragments.render(fragments.parse_query(text), input_table=input_table, parameter={})
    return seen


def test_parses_reuse_one_long_lived_parser_thread() -> None:
    seen = _thread_of_each_render(["SELECT x FROM $a", "SELECT y AS z FROM $a"])
    assert len(seen) == 2
    parser = seen[0]
    assert seen[1] is parser
    assert parser is not threading.current_thread()
    assert parser.daemon and parser.is_alive()
    # The big stack was for that thread only: threads started now get the default.
    assert threading.stack_size() == 0


def test_the_parser_thread_answers_too_deep_and_keeps_serving() -> None:
    def recurse(depth: int) -> int:
        return recurse(depth + 1)

    with pytest.raises(FragmentRefused) as refused:
        fragments._deep(lambda: recurse(0))
    assert refused.value.code == "fragment_too_deep"
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query("SELECT " + "(" * 250 + "1" + ")" * 250)
    assert refused.value.code == "fragment_too_deep"
    # Other errors reach the caller as they were raised; the thread lives on.
    with pytest.raises(ZeroDivisionError):
        fragments._deep(lambda: 1 // 0)
    first, second = _thread_of_each_render(["SELECT x FROM $a", "SELECT x FROM $a"])
    assert first is second and first.is_alive()


def test_a_forked_process_parses_on_a_parser_thread_of_its_own() -> None:
    # As gunicorn forks workers from the process that imported (maybe used) the code.
    fragments.parse_query("SELECT x FROM $a")
    child = os.fork()
    if child == 0:  # the child: exit 0 once a parse answered, 1 if it failed
        code = 1
        try:
            fragments.parse_query("SELECT y FROM $a")
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(child, 9)
        os.waitpid(child, 0)
    assert done[0] == child and os.waitstatus_to_exitcode(done[1]) == 0
