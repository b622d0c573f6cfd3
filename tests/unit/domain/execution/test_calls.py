"""CARTO's query string: exactly one CALL of a procedure with named parameters."""

from __future__ import annotations

import re
import time

import pytest

from workflows_api.domain.execution.calls import (
    EXPECTED_FORM,
    MAX_QUERY_CHARS,
    CallSyntaxError,
    ProcedureCall,
    format_call,
    parse_call,
)

REF = "workflows-api-demo.workflows_temp.wfproc_f2f8df5df4ddf279"
SEED_QUERY = f"CALL `{REF}`(@number_of_clusters,@buffer_radius,@store_type)"
NAMES = ["number_of_clusters", "buffer_radius", "store_type"]


@pytest.mark.parametrize(
    "query",
    [
        SEED_QUERY,
        f"CALL `{REF}`(@number_of_clusters, @buffer_radius, @store_type)",
        f"call `{REF}`(@number_of_clusters,@buffer_radius,@store_type)",
        f"Call `{REF}`(@number_of_clusters,@buffer_radius,@store_type);",
        f"  CALL   `{REF}`  ( @number_of_clusters ,\n\t@buffer_radius , @store_type )  ;  \n",
        "CALL `workflows-api-demo`.`workflows_temp`.`wfproc_f2f8df5df4ddf279`"
        "(@number_of_clusters,@buffer_radius,@store_type)",
        f"CALL\n`{REF}`(@number_of_clusters,@buffer_radius,@store_type)",
        f"CALL`{REF}`(@number_of_clusters,@buffer_radius,@store_type)",
    ],
)
def test_valid_forms_give_the_procedure_and_names_in_order(query: str) -> None:
    assert parse_call(query) == ProcedureCall(REF, NAMES)


def test_a_procedure_without_parameters() -> None:
    assert parse_call(f"CALL `{REF}`()") == ProcedureCall(REF, [])
    assert parse_call(f"CALL `{REF}`( );") == ProcedureCall(REF, [])


def test_format_call_writes_carto_form_and_parses_back() -> None:
    assert format_call(REF, NAMES) == SEED_QUERY
    assert parse_call(format_call(REF, [])) == ProcedureCall(REF, [])


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("SELECT 1", "got a statement starting with 'SELECT'"),
        ("", "got no statement"),
        ("   ", "got no statement"),
        (f"DROP PROCEDURE `{REF}`", "starting with 'DROP'"),
        (f"EXECUTE IMMEDIATE 'CALL `{REF}`()'", "starting with 'EXECUTE'"),
        (f"CALLX `{REF}`()", "starting with 'CALLX'"),
        (f"CALL `{REF}`(@a); SELECT 1", "expected a single statement"),
        (f"CALL `{REF}`(@a); CALL `{REF}`(@a)", "expected a single statement"),
        (f"CALL `{REF}`(@a);;", "expected a single statement"),
        (f"CALL `{REF}`(@a) -- ; DROP TABLE x", "comments are not accepted"),
        (f"CALL `{REF}`(@a) /* x */", "comments are not accepted"),
        (f"CALL `{REF}`(@a) # x", "comments are not accepted"),
        (f"CALL `{REF}`(@a /* ) ; SELECT 1 ( */)", "comments are not accepted"),
        (f"CALL `{REF}`(@a)\n-- trailing", "comments are not accepted"),
        (f"CALL `{REF}`(2, 500, 'Supermarket')", "argument 1: expected a named query parameter"),
        (f"CALL `{REF}`(@a, 500)", "argument 2: expected a named query parameter"),
        (f"CALL `{REF}`(@a, @a)", "@a is passed twice"),
        (f"CALL `{REF}`(@a,)", "argument 2"),
        (f"CALL `{REF}`(@)", "argument 1"),
        (f"CALL `{REF}`(@1a)", "argument 1"),
        (f"CALL `{REF}`(@a b)", "argument 1"),
        (f"CALL `{REF}`(@a-b)", "argument 1"),
        (f"CALL `{REF}`(@`a`)", "argument 1"),
        (f"CALL `{REF}`(@a + 1)", "argument 1"),
        (f"CALL `{REF}`(@a, (SELECT 1))", "expected exactly"),
        (f"CALL `{REF}`", "expected exactly"),
        (f"CALL `{REF}`(@a", "expected exactly"),
        (f"CALL `{REF}`(@a) extra", "expected exactly"),
        (f"CALL {REF}(@a)", "expected exactly"),  # unquoted
        ("CALL `p`.`d`(@a)", "expected exactly"),
        ("CALL `ab-cdef.d`(@a)", "expected the procedure as `project.dataset.routine`"),
        ("CALL `ab-cdef.d.r.x`(@a)", "expected the procedure as `project.dataset.routine`"),
        ("CALL `Bad_Project.d.r`(@a)", "expected a GCP project id"),
        ("CALL `ab-cdef.da-ta.r`(@a)", "expected a dataset name"),
        ("CALL `ab-cdef.d.1r`(@a)", "expected a routine name"),
        ("CALL `ab-cdef.d.r;x`(@a)", "expected a routine name"),
        ("CALL `ab-cdef\n.d.r`(@a)", "expected a GCP project id"),
        ("CALL `ab-cdef`.`d.x`.`r`(@a)", "expected a dataset name"),
        ("CALL `ab-cdef`.`d`.``(@a)", "expected a routine name"),
        (f"CALL `{REF}`(@a)\u00a0", "expected exactly"),  # no exotic whitespace
    ],
)
def test_anything_else_is_refused_saying_what_was_expected(query: str, says: str) -> None:
    with pytest.raises(CallSyntaxError) as refused:
        parse_call(query)
    message = str(refused.value)
    assert message.startswith("query: ")
    assert says in message
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("query", ["SELECT 1", f"CALL `{REF}`(@a); SELECT 1", f"CALL `{REF}`"])
def test_statement_level_refusals_show_the_expected_form(query: str) -> None:
    with pytest.raises(CallSyntaxError, match=re.escape(EXPECTED_FORM)):
        parse_call(query)


def test_not_a_string_and_too_long_are_refused() -> None:
    with pytest.raises(CallSyntaxError, match="expected a string"):
        parse_call(None)  # type: ignore[arg-type]
    with pytest.raises(CallSyntaxError, match=f"at most {MAX_QUERY_CHARS}"):
        parse_call(f"CALL `{REF}`(@a)" + " " * MAX_QUERY_CHARS)


@pytest.mark.parametrize(
    "query",
    [
        "CALL `a`()" + " " * (MAX_QUERY_CHARS - 20) + "x",
        "CALL" + " " * (MAX_QUERY_CHARS - 10) + "x",
        f"CALL `{REF}`" + " " * (MAX_QUERY_CHARS - 80) + "x",
        f"CALL `{REF}`(" + "@a " * (MAX_QUERY_CHARS // 4) + ")",
        "CALL `" + "a" * (MAX_QUERY_CHARS - 10) + "(",
    ],
)
def test_pathological_inputs_are_refused_quickly(query: str) -> None:
    started = time.perf_counter()
    with pytest.raises(CallSyntaxError):
        parse_call(query)
    assert time.perf_counter() - started < 0.5
