"""Statements on a deployed procedure, made without compiling anything: the CALL an
execution submits, and the DROP that retires a procedure. Apart from the compiler, so
submitting a run never loads the definition model (cold start)."""

from __future__ import annotations

from collections.abc import Sequence

from .sql_render import quote_identifier, quote_table_reference

OUTPUT_TABLE_QUERY_PARAMETER = "wfapi_output_table"


def call_statement(procedure_ref: str, parameter_names: Sequence[str]) -> str:
    """`CALL `p`.`d`.`proc`(@a, @b, @wfapi_output_table)`: values travel as query parameters.

    Arguments are positional, so the names follow the declared parameter order.
    """
    project, dataset, routine = procedure_ref.split(".")
    routine_ref = quote_table_reference(project, dataset, routine, "routine")
    names = [*parameter_names, OUTPUT_TABLE_QUERY_PARAMETER]
    for name in names:
        quote_identifier(name)  # checked like every identifier, though not quoted here
    return f"CALL {routine_ref}({', '.join('@' + name for name in names)})"


def drop_procedure_statement(procedure_ref: str) -> str:
    project, dataset, routine = procedure_ref.split(".")
    return f"DROP PROCEDURE IF EXISTS {quote_table_reference(project, dataset, routine, 'routine')}"
