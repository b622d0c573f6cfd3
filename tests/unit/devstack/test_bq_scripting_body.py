"""The local BigQuery's procedure-body capture (devstack/bq_scripting.py): the body ends
at the END that closes the procedure's BEGIN, not at END IF / END WHILE / CASE ... END."""

from __future__ import annotations

import pytest
from bqemulator.domain.errors import InvalidQueryError
from bqemulator.scripting.parser import parse_script

from devstack import bq_scripting

bq_scripting.install()

BODY = """DECLARE i INT64 DEFAULT 0;
  BEGIN TRANSACTION;
  WHILE i < n DO
    SET i = i + CASE WHEN i > 2 THEN 2 ELSE 1 END;
    IF i = 3 THEN
      LEAVE;
    END IF;
  END WHILE;
  LOOP
    LEAVE;
  END LOOP;
  FOR row IN (SELECT 1 AS x) DO
    SELECT row.x;
  END FOR;
  COMMIT TRANSACTION;
  BEGIN
    SELECT ERROR('x');
  EXCEPTION WHEN ERROR THEN
    SELECT 1;
  END;"""


def test_the_body_keeps_every_nested_block() -> None:
    script = parse_script(f"CREATE PROCEDURE d.p(n INT64)\nBEGIN\n  {BODY}\nEND;\nSELECT 2;")

    procedure, after = script.statements
    assert procedure.body.strip() == BODY  # type: ignore[attr-defined]
    assert after.sql == "SELECT 2"  # type: ignore[attr-defined]
    assert len(parse_script(procedure.body).statements) == 7  # type: ignore[attr-defined]


def test_an_unclosed_body_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="Unterminated"):
        parse_script("CREATE PROCEDURE d.p()\nBEGIN\n  IF TRUE THEN SELECT 1; END IF;\n")
