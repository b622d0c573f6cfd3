"""Workflow -> `CREATE OR REPLACE PROCEDURE` text for BigQuery.

The procedure takes one argument per parameter (declared order) and `output_table`.
Its body materialises each node as a TEMP table in topological order and copies the
Output node's input into `output_table` with an expiration.

Constraints from running the same SQL on real BigQuery and on bqemulator:
- no IF/WHILE/LOOP blocks: bqemulator ends a procedure body at the first `END`
  (of `END IF`/`END WHILE`), so k-means iterations are unrolled to a fixed cap and
  the output_table guard is an expression (`ERROR()` in a DECLARE default);
- no `EXECUTE IMMEDIATE ... USING`: the output table name goes in with FORMAT, after
  the guard has checked it against a strict `project.dataset.table` pattern.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import sqltext
from .errors import WorkflowInvalid
from .model import (
    AggregateNode,
    BufferNode,
    Condition,
    CustomSqlNode,
    FilterNode,
    JoinNode,
    KMeansNode,
    Node,
    OutputNode,
    Parameter,
    ParamRef,
    ReadTableNode,
    SelectNode,
    UnionNode,
    WithinDistanceNode,
    Workflow,
)
from .parameters import bigquery_type
from .sql import (
    OUTPUT_TABLE_REGEX,
    alias,
    call,
    column,
    literal,
    quote_identifier,
    quote_string,
    quote_table_reference,
)
from .validation import topological_order, validate_workflow
from .version import workflow_version

ARGUMENT_PREFIX = "wfparam_"
OUTPUT_TABLE_ARGUMENT = "output_table"
TEMP_TABLE_PREFIX = "wf_"
PROCEDURE_PREFIX = "wfproc_"
_PROCEDURE_ID_CHARS = 40
_PROCEDURE_HASH_CHARS = 16
_INDENT = "  "


@dataclass(frozen=True)
class CompiledProcedure:
    procedure_ref: str  # project.dataset.name, unquoted
    sql: str
    arguments: tuple[tuple[str, str], ...]  # (argument name, BigQuery type), output_table last
    parameter_names: tuple[str, ...]  # workflow parameter feeding each argument but the last
    statements: tuple[str, ...]  # the body, one statement each (for inspection and tests)
    version: str  # workflow_version() of the compiled definition


def procedure_name(org: str, workflow_id: str) -> str:
    """`wfproc_<sanitised id>_<hash of org and id>`: a valid routine name, distinct per pair.

    The readable part is lossy (sanitised, truncated); the hash keeps names apart.
    """
    readable = re.sub(r"[^a-z0-9]+", "_", workflow_id.lower()).strip("_")[:_PROCEDURE_ID_CHARS]
    digest = hashlib.sha256(f"{org}\x00{workflow_id}".encode()).hexdigest()[:_PROCEDURE_HASH_CHARS]
    return f"{PROCEDURE_PREFIX}{readable}_{digest}" if readable else f"{PROCEDURE_PREFIX}{digest}"


def argument_name(parameter_name: str) -> str:
    """Arguments are prefixed: in BigQuery a column shadows a variable of the same name."""
    return f"{ARGUMENT_PREFIX}{parameter_name}"


def temp_table(node_id: str, suffix: str = "") -> str:
    return quote_identifier(f"{TEMP_TABLE_PREFIX}{node_id}{suffix}")


def compile_procedure(
    workflow: Workflow, *, project: str, dataset: str, procedure: str
) -> CompiledProcedure:
    """The full procedure text; raises WorkflowInvalid if the workflow has errors."""
    issues = validate_workflow(workflow)
    if any(issue.severity == "error" for issue in issues):
        raise WorkflowInvalid(issues)
    compiler = _Compiler(workflow, project)
    statements = compiler.body()
    arguments = (
        *((argument_name(p.name), bigquery_type(p)) for p in workflow.parameters),
        (OUTPUT_TABLE_ARGUMENT, "STRING"),
    )
    routine = quote_table_reference(project, dataset, procedure, "routine")
    signature = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in arguments)
    header = f"CREATE OR REPLACE PROCEDURE {routine}({signature})"
    body = "\n".join(_indent(statement) for statement in statements)
    return CompiledProcedure(
        procedure_ref=f"{project}.{dataset}.{procedure}",
        sql=f"{header}\nBEGIN\n{body}\nEND;\n",
        arguments=arguments,
        parameter_names=tuple(p.name for p in workflow.parameters),
        statements=tuple(statements),
        version=workflow_version(workflow),
    )


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


def _indent(statement: str) -> str:
    return "\n".join(_INDENT + line if line else line for line in statement.split("\n"))


# --- a small query renderer ----------------------------------------------------------


@dataclass(frozen=True)
class Query:
    select: Sequence[str]
    from_: str
    joins: Sequence[str] = ()
    where: str | None = None
    group_by: Sequence[str] = ()
    order_by: Sequence[str] = ()
    limit: int | None = None

    def render(self) -> str:
        lines = [f"SELECT {', '.join(self.select)}", f"FROM {self.from_}", *self.joins]
        if self.where:
            lines.append(f"WHERE {self.where}")
        if self.group_by:
            lines.append(f"GROUP BY {', '.join(self.group_by)}")
        if self.order_by:
            lines.append(f"ORDER BY {', '.join(self.order_by)}")
        if self.limit is not None:
            lines.append(f"LIMIT {self.limit}")
        return "\n".join(lines)


def create_temp_table(name: str, query: Query | str) -> str:
    text = query.render() if isinstance(query, Query) else query
    return f"CREATE OR REPLACE TEMP TABLE {name} AS\n{text};"


# --- the compiler --------------------------------------------------------------------


@dataclass
class _Compiler:
    workflow: Workflow
    project: str
    declarations: list[str] = field(default_factory=list)

    def parameter_sql(self, name: str) -> str:
        parameter = self.workflow.parameter(name)
        reference = quote_identifier(argument_name(name))
        if parameter is not None and parameter.type == "GEOGRAPHY":
            return call("ST_GEOGFROMTEXT", reference)
        return reference

    def value_sql(self, value: object) -> str:
        if isinstance(value, ParamRef):
            return self.parameter_sql(value.param)
        return literal(value)

    def body(self) -> list[str]:
        statements = [self._output_table_guard()]
        for node in topological_order(self.workflow):
            if isinstance(node, OutputNode):
                continue
            statements.append(f"-- node {node.id} ({node.type})")
            statements.extend(self.node_statements(node))
        output = next(node for node in self.workflow.nodes if isinstance(node, OutputNode))
        statements.append(self._write_output(output))
        return statements

    def _output_table_guard(self) -> str:
        # A DECLARE default is the one place an expression can stop the script before
        # anything runs, without an IF block (see module docstring).
        check = call(
            "REGEXP_CONTAINS", quote_identifier(OUTPUT_TABLE_ARGUMENT), f"r'{OUTPUT_TABLE_REGEX}'"
        )
        failure = call("ERROR", quote_string("output_table must be project.dataset.table"))
        return (
            f"DECLARE {quote_identifier('wf_output_table_checked')} BOOL "
            f"DEFAULT IF({check}, TRUE, {failure});"
        )

    def _write_output(self, output: OutputNode) -> str:
        days = self.workflow.settings.output_expiration_days
        template = (
            "CREATE TABLE IF NOT EXISTS `%s` OPTIONS(expiration_timestamp="
            f"TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {days} DAY)) "
            f"AS SELECT * FROM {temp_table(output.inputs[0])}"
        )
        target = quote_identifier(OUTPUT_TABLE_ARGUMENT)
        return f"EXECUTE IMMEDIATE {call('FORMAT', quote_string(template), target)};"

    def node_statements(self, node: Node) -> list[str]:
        target = temp_table(node.id)
        inputs = [temp_table(source) for source in node.inputs]
        if isinstance(node, ReadTableNode):
            parts = node.settings.table.split(".")
            project, dataset, table = parts if len(parts) == 3 else [self.project, *parts]
            return [
                create_temp_table(
                    target, Query(["*"], quote_table_reference(project, dataset, table))
                )
            ]
        if isinstance(node, FilterNode):
            joiner = f" {node.settings.combine} "
            where = joiner.join(f"({self.condition(c)})" for c in node.settings.conditions)
            return [create_temp_table(target, Query(["*"], inputs[0], where=where))]
        if isinstance(node, SelectNode):
            selected = (
                ["*"]
                if node.settings.columns is None
                else [column(c) for c in node.settings.columns]
            )
            for computed in node.settings.computed:
                expression = sqltext.render(
                    sqltext.parse_expression(computed.expression),
                    input_table=lambda _letter: inputs[0],
                    parameter=self._fragment_parameters(),
                )
                selected.append(alias(expression, computed.name))
            return [create_temp_table(target, Query(selected, inputs[0]))]
        if isinstance(node, JoinNode):
            kind = {"inner": "INNER JOIN", "left": "LEFT JOIN", "full": "FULL OUTER JOIN"}[
                node.settings.join_type
            ]
            keys = ", ".join(column(key) for key in node.settings.on)
            join = f"{kind} {inputs[1]} USING ({keys})"
            return [create_temp_table(target, Query(["*"], inputs[0], joins=[join]))]
        if isinstance(node, UnionNode):
            operator = "UNION DISTINCT" if node.settings.distinct else "UNION ALL"
            text = f"\n{operator}\n".join(Query(["*"], source).render() for source in inputs)
            return [create_temp_table(target, text)]
        if isinstance(node, AggregateNode):
            groups = [column(c) for c in node.settings.group_by]
            measures = [
                alias(call(a.function, column(a.column) if a.column else "*"), a.alias)
                for a in node.settings.aggregations
            ]
            return [
                create_temp_table(target, Query([*groups, *measures], inputs[0], group_by=groups))
            ]
        if isinstance(node, BufferNode):
            geography = column(node.settings.geography_column)
            buffered = call("ST_BUFFER", geography, self.value_sql(node.settings.distance))
            out = node.settings.output_column or node.settings.geography_column
            selected = (
                [f"* EXCEPT ({geography})", alias(buffered, out)]
                if out == node.settings.geography_column
                else ["*", alias(buffered, out)]
            )
            return [create_temp_table(target, Query(selected, inputs[0]))]
        if isinstance(node, WithinDistanceNode):
            point = call(
                "ST_GEOGPOINT",
                self.value_sql(node.settings.longitude),
                self.value_sql(node.settings.latitude),
            )
            where = call(
                "ST_DWITHIN",
                column(node.settings.geography_column),
                point,
                self.value_sql(node.settings.distance),
            )
            return [create_temp_table(target, Query(["*"], inputs[0], where=where))]
        if isinstance(node, KMeansNode):
            return self.kmeans(node, inputs[0])
        if isinstance(node, CustomSqlNode):
            text = sqltext.render(
                sqltext.parse_query(node.settings.sql),
                input_table=lambda letter: inputs[ord(letter) - ord("a")],
                parameter=self._fragment_parameters(),
            )
            return [create_temp_table(target, text)]
        raise AssertionError(f"no compiler for node type {node.type}")  # pragma: no cover

    def _fragment_parameters(self) -> dict[str, str]:
        return {p.name: self.parameter_sql(p.name) for p in self.workflow.parameters}

    def condition(self, condition: Condition) -> str:
        subject = column(condition.column)
        operator, value = condition.operator, condition.value
        if operator == "is_null":
            return f"{subject} IS NULL"
        if operator == "is_not_null":
            return f"{subject} IS NOT NULL"
        negation = "NOT " if operator == "not_in" else ""
        if operator in ("in", "not_in"):
            if isinstance(value, ParamRef):
                return f"{subject} {negation}IN UNNEST({self.parameter_sql(value.param)})"
            assert isinstance(value, list)
            return f"{subject} {negation}IN ({', '.join(literal(v) for v in value)})"
        if operator == "like":
            return f"{subject} LIKE {self.value_sql(value)}"
        return f"{subject} {'<>' if operator == '!=' else operator} {self.value_sql(value)}"

    def kmeans(self, node: KMeansNode, source: str) -> list[str]:
        """Lloyd's k-means on (longitude, latitude) of each row's centroid.

        Deterministic farthest-first start: the point with the smallest (x, y), then
        repeatedly the point farthest from its nearest centre (ties by x, y), up to k.
        Centres are coordinate means and distances geodesic metres (ST_DISTANCE), so
        clusters spanning the antimeridian are not supported. Cluster numbers are
        0-based in start order; a cluster that loses all its points is dropped.
        Both loops are unrolled (see module docstring): k-1 start steps guarded by the
        current count, and max_iterations assignment/update rounds.
        """
        settings = node.settings
        points, centres, assignment = (
            temp_table(node.id, "__points"),
            temp_table(node.id, "__centres"),
            temp_table(node.id, "__assignment"),
        )
        point_id, x, y, cluster_id, rank = (
            quote_identifier(name)
            for name in ("__wf_point_id", "__wf_x", "__wf_y", "__wf_cluster", "__wf_rank")
        )
        geography = column(settings.geography_column)
        centroid = call("ST_CENTROID", geography)
        k_sql = self.value_sql(settings.k)
        k_max = (
            settings.k
            if isinstance(settings.k, int)
            else int(_parameter(self.workflow, settings.k.param).maximum or 1)
        )

        def distance(point_alias: str, centre_alias: str) -> str:
            return call(
                "ST_DISTANCE",
                call("ST_GEOGPOINT", f"{point_alias}.{x}", f"{point_alias}.{y}"),
                call("ST_GEOGPOINT", f"{centre_alias}.{x}", f"{centre_alias}.{y}"),
            )

        located = f"p.{x} IS NOT NULL"
        statements = [
            create_temp_table(
                points,
                Query(
                    [
                        alias(
                            f"ROW_NUMBER() OVER (ORDER BY {call('ST_X', centroid)}, "
                            f"{call('ST_Y', centroid)})",
                            "__wf_point_id",
                        ),
                        alias(call("ST_X", centroid), "__wf_x"),
                        alias(call("ST_Y", centroid), "__wf_y"),
                        "*",
                    ],
                    source,
                ),
            ),
            create_temp_table(
                centres,
                Query(
                    [f"0 AS {cluster_id}", x, y],
                    points,
                    where=f"{x} IS NOT NULL",
                    order_by=[x, y],
                    limit=1,
                ),
            ),
        ]
        count_centres = f"(SELECT COUNT(*) FROM {centres})"
        farthest = Query(
            [f"p.{x}", f"p.{y}", alias(f"MIN({distance('p', 'c')})", "__wf_distance")],
            f"{points} AS p",
            joins=[f"CROSS JOIN {centres} AS c"],
            where=located,
            group_by=[f"p.{point_id}", f"p.{x}", f"p.{y}"],
        )
        next_centre = Query(
            [count_centres, x, y],
            f"(\n{farthest.render()}\n)",
            where=f"{count_centres} < {k_sql}",
            order_by=[f"{quote_identifier('__wf_distance')} DESC", x, y],
            limit=1,
        )
        insert = f"INSERT INTO {centres} ({cluster_id}, {x}, {y})\n{next_centre.render()};"
        statements.extend([insert] * (k_max - 1))
        nearest = Query(
            [
                f"p.{point_id}",
                f"c.{cluster_id}",
                alias(
                    f"ROW_NUMBER() OVER (PARTITION BY p.{point_id} "
                    f"ORDER BY {distance('p', 'c')}, c.{cluster_id})",
                    "__wf_rank",
                ),
            ],
            f"{points} AS p",
            joins=[f"CROSS JOIN {centres} AS c"],
            where=located,
        )
        assign = create_temp_table(
            assignment,
            Query([point_id, cluster_id], f"(\n{nearest.render()}\n)", where=f"{rank} = 1"),
        )
        update = create_temp_table(
            centres,
            Query(
                [f"a.{cluster_id}", alias(f"AVG(p.{x})", "__wf_x"), alias(f"AVG(p.{y})", "__wf_y")],
                f"{assignment} AS a",
                joins=[f"INNER JOIN {points} AS p USING ({point_id})"],
                group_by=[f"a.{cluster_id}"],
            ),
        )
        for _ in range(settings.max_iterations - 1):
            statements.extend([assign, update])
        statements.append(assign)
        statements.append(
            create_temp_table(
                temp_table(node.id),
                Query(
                    [
                        f"p.* EXCEPT ({point_id}, {x}, {y})",
                        alias(f"a.{cluster_id}", settings.cluster_column),
                    ],
                    f"{points} AS p",
                    joins=[f"LEFT JOIN {assignment} AS a USING ({point_id})"],
                ),
            )
        )
        return statements


def _parameter(workflow: Workflow, name: str) -> Parameter:
    parameter = workflow.parameter(name)
    assert parameter is not None  # validated before compiling
    return parameter
