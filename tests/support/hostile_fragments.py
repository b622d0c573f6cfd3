"""Hostile SQL fragments (issue 12 items 3 and 4): one list, used by the unit tests of
the fragment gates (tests/unit/domain/workflow/test_fragment_safety.py) and by the e2e
suite that sends each one through PUT (tests/e2e/test_tenancy.py).

`HOSTILE_QUERIES` are refused by the fragment gates alone; `REFUSED_BY_THE_ALLOWLIST`
parse as one harmless SELECT and are refused only because they read a table outside a
connection's read allowlist (which lists `<project>.retail`).
"""

from __future__ import annotations

HOSTILE_QUERIES = {
    # The fragment: sqlglot reads `t\` as a name, BigQuery reads an escape.
    "backslash_in_backticks": "SELECT 1 AS x FROM $a AS `t\\` , `; DROP TABLE retail.stores; --`",
    "two_statements": "SELECT * FROM $a; DROP TABLE retail.stores",
    "two_selects": "SELECT 1; SELECT 2",
    "statement_after_trailing_semicolon_comment": "SELECT 1; -- fine\nDROP TABLE x",
    "semicolon_then_select": "SELECT 1;;",
    "delete": "DELETE FROM retail.stores WHERE TRUE",
    "insert": "INSERT INTO retail.stores (id) VALUES (1)",
    "create_table": "CREATE TABLE x AS SELECT 1",
    "drop": "DROP TABLE retail.stores",
    "merge": "MERGE retail.stores t USING $a s ON t.id = s.id WHEN MATCHED THEN DELETE",
    "select_into": "SELECT 1 AS x INTO retail.copy FROM $a",
    "scripting_declare": "DECLARE x INT64 DEFAULT 1",
    "scripting_execute_immediate": "EXECUTE IMMEDIATE 'DROP TABLE retail.stores'",
    "scripting_begin": "BEGIN SELECT 1; END",
    "information_schema": "SELECT * FROM retail.INFORMATION_SCHEMA.TABLES",
    "information_schema_lowercase": "SELECT * FROM retail.information_schema.tables",
    "information_schema_quoted": "SELECT * FROM `region-us`.`INFORMATION_SCHEMA`.JOBS",
    "information_schema_one_backtick": (
        "SELECT * FROM `my-project.region-us.INFORMATION_SCHEMA.JOBS`"
    ),
    "information_schema_in_subquery": (
        "SELECT id FROM $a WHERE id IN (SELECT 1 FROM retail.INFORMATION_SCHEMA.COLUMNS)"
    ),
    "external_query": "SELECT * FROM EXTERNAL_QUERY('p.us.conn', 'SELECT * FROM users')",
    "external_query_lowercase": "select * from external_query('p.us.conn', 'select 1')",
    "ml_predict": "SELECT * FROM ML.PREDICT(MODEL `proj.ds.model`, TABLE $a)",
    "ml_function_in_select": "SELECT ML.STANDARD_SCALER(x) OVER () FROM $a",
    "ai_function": "SELECT AI.GENERATE(('Summarise ', name), connection_id => 'c') FROM $a",
    "session_user": "SELECT SESSION_USER() AS who FROM $a",
    "system_variable": "SELECT @@project_id AS p",
    "comment_hides_nothing_unterminated": "SELECT 1 /* DROP TABLE x",
    "unterminated_string": "SELECT 'abc FROM $a",
    "escaped_backslash_ends_string": "SELECT 'a\\\\' ; DROP TABLE x; --' FROM $a",
    "fullwidth_semicolon": "SELECT 1 AS x FROM $a\uff1b DROP TABLE retail.stores",
    "fullwidth_quote": "SELECT \uff07x\uff07 FROM $a",
    "cyrillic_select": "\u0405ELECT 1",
    "zero_width_space": "SELECT 1\u200b FROM $a",
    "nul_byte": "SELECT 1\x00 FROM $a",
    "bare_carriage_return_ends_comment": "SELECT 1 -- note\r; DROP TABLE x",
    "raw_string_two_backslashes": "SELECT r'\\\\' ; DROP TABLE x; --' FROM $a",
    "newline_in_one_quote_string": "SELECT 'a\n' FROM $a",
    "prefix_sqlglot_does_not_know": "SELECT rb'x' AS y FROM $a",
    "doubled_backtick": "SELECT 1 AS `a``b` FROM $a",
    "table_function": "SELECT * FROM APPENDS(TABLE retail.stores, NULL, NULL)",
}

NESTED_PARENTHESES = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS x FROM $a"

REFUSED_BY_THE_ALLOWLIST = {
    "nested_subquery_to_another_project": (
        "SELECT * FROM $a WHERE id IN "
        "(SELECT id FROM (SELECT id FROM `victim-project.secret_ds.customers`))"
    ),
    "cte_to_another_dataset": (
        "WITH c AS (SELECT * FROM secret_ds.customers) SELECT * FROM $a JOIN c USING (id)"
    ),
    "exists_to_another_dataset": (
        "SELECT * FROM $a WHERE EXISTS (SELECT 1 FROM workflows_temp.anything)"
    ),
    "union_to_another_dataset": "SELECT id FROM $a UNION ALL SELECT id FROM secret_ds.t",
    "time_travel_to_another_dataset": (
        "SELECT * FROM secret_ds.customers FOR SYSTEM_TIME AS OF '2026-01-01'"
    ),
    "unqualified_table": "SELECT * FROM customers",
}
