"""filter: the rows meeting conditions on columns, combined with AND or OR."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from ..parameter_types import ARRAY_ELEMENT_TYPES
from ..parts import ParamRef, Scalar, Strict
from ..sql_render import column, literal
from .base import NodeBase
from .checks import NodeChecker
from .compiling import CompileContext, NodeSql, Query, relation
from .spec import NodeType

FilterOperator = Literal[
    "=", "!=", "<", "<=", ">", ">=", "in", "not_in", "like", "is_null", "is_not_null"
]
_NO_VALUE = ("is_null", "is_not_null")
_LIST_VALUE = ("in", "not_in")


class Condition(Strict):
    column: StrictStr
    operator: FilterOperator
    value: ParamRef | list[Scalar] | Scalar | None = None


class FilterSettings(Strict):
    conditions: list[Condition] = Field(min_length=1)
    combine: Literal["AND", "OR"] = "AND"


class FilterNode(NodeBase):
    type: Literal["filter"]
    settings: FilterSettings


def check(node: FilterNode, checker: NodeChecker) -> None:
    for i, condition in enumerate(node.settings.conditions):
        _check_condition(checker, condition, f"settings.conditions.{i}")


def _check_condition(checker: NodeChecker, condition: Condition, field: str) -> None:
    checker.column(condition.column, f"{field}.column")
    operator, value = condition.operator, condition.value
    if operator in _NO_VALUE:
        if value is not None:
            checker.issue("unexpected_value", f"{operator} takes no value", f"{field}.value")
        return
    if value is None:
        checker.issue("missing_value", f"{operator} needs a value", f"{field}.value")
        return
    listy = operator in _LIST_VALUE
    if isinstance(value, ParamRef):
        if listy:
            allowed = tuple(f"ARRAY<{t}>" for t in ARRAY_ELEMENT_TYPES)
        elif operator == "like":
            allowed = ("STRING",)
        else:
            allowed = ARRAY_ELEMENT_TYPES
        checker.parameter(value.param, f"{field}.value", allowed, f"operator {operator}")
        return
    if listy and not isinstance(value, list):
        checker.issue("invalid_value", f"{operator} needs a list of values", f"{field}.value")
    elif not listy and isinstance(value, list):
        checker.issue("invalid_value", f"{operator} needs one value, not a list", f"{field}.value")
    elif operator == "like" and not isinstance(value, str):
        checker.issue("invalid_value", "like needs a string pattern", f"{field}.value")
    elif listy and not value:
        checker.issue("invalid_value", f"{operator} needs at least one value", f"{field}.value")


def compile_rule(node: FilterNode, context: CompileContext) -> NodeSql:
    joiner = f" {node.settings.combine} "
    where = joiner.join(f"({_condition_sql(c, context)})" for c in node.settings.conditions)
    return relation(Query(["*"], context.inputs[0], where=where))


def _condition_sql(condition: Condition, context: CompileContext) -> str:
    subject = column(condition.column)
    operator, value = condition.operator, condition.value
    if operator == "is_null":
        return f"{subject} IS NULL"
    if operator == "is_not_null":
        return f"{subject} IS NOT NULL"
    negation = "NOT " if operator == "not_in" else ""
    if operator in _LIST_VALUE:
        if isinstance(value, ParamRef):
            return f"{subject} {negation}IN UNNEST({context.parameter_sql(value.param)})"
        assert isinstance(value, list)
        return f"{subject} {negation}IN ({', '.join(literal(v) for v in value)})"
    if operator == "like":
        return f"{subject} LIKE {context.value_sql(value)}"
    return f"{subject} {'<>' if operator == '!=' else operator} {context.value_sql(value)}"


NODE_TYPE = NodeType(FilterNode, inputs=(1, 1), check=check, compile_rule=compile_rule)
