"""Tenancy checks through the API on fakes (issue 12 items 3, 4, 6): the read allowlist
at PUT, enable and update; the caps; identifiers checked whole; CARTO's uniform answer
for a workflow a token may not run. Every refusal writes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.apps import DEMO, DEMO_CONNECTION, GOOD, with_demo_workflow
from tests.support.hostile_fragments import NESTED_PARENTHESES
from tests.support.http_client import Answer, HttpClient
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import ALL_GRANTS, Grant
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.workflow.validation import MAX_NODES, MAX_PARAMETERS
from workflows_api.http.tables import all_routes
from workflows_api.service.definition_checks import MAX_DEFINITION_BYTES
from workflows_api.service.errors import ServiceError


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def reading(table: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "src", "type": "read_table", "settings": {"table": table}},
            {"id": "out", "type": "output", "inputs": ["src"]},
        ]
    }


def custom_sql(sql: str, table: str = "retail.stores") -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "src", "type": "read_table", "settings": {"table": table}},
            {"id": "q", "type": "custom_sql", "inputs": ["src"], "settings": {"sql": sql}},
            {"id": "out", "type": "output", "inputs": ["q"]},
        ]
    }


def put(client: HttpClient, workflow_id: str, definition: Any) -> Answer:
    return client.call("PUT", f"/v1/workflows/{workflow_id}", token=client.token(), body=definition)


def refused_and_absent(
    client: HttpClient, answer: Answer, status: int, code: str, workflow_id: str = "new"
) -> dict[str, Any]:
    assert answer.status == status, answer.body
    error: dict[str, Any] = answer.body["error"]
    assert error["code"] == code
    assert ("demo", workflow_id) not in client.world.store.workflows
    assert client.call("GET", f"/v1/workflows/{workflow_id}", token=client.token()).status == 404
    return error


# --- the read allowlist -------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        "victim-project.secret_ds.customers",
        "secret_ds.customers",
        "workflows_temp.wfproc_clusters_out_0123",  # the org's own generated dataset
        "demo-project.retail_private.t",
    ],
)
def test_read_table_outside_the_allowlist_is_refused_naming_node_table_and_allowlist(
    client: HttpClient, table: str
) -> None:
    error = refused_and_absent(client, put(client, "new", reading(table)), 400, "table_not_allowed")
    qualified = table if table.count(".") == 2 else f"demo-project.{table}"
    assert "node src" in error["message"] and qualified in error["message"]
    assert "demo-project.retail" in error["message"]  # the allowlist
    assert error["details"][0]["node"] == "src"
    assert error["details"][0]["field"] == "settings.table"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM $a WHERE id IN (SELECT id FROM (SELECT id FROM secret_ds.customers))",
        "WITH c AS (SELECT * FROM `victim-project.secret_ds.customers`) SELECT * FROM c",
        "SELECT * FROM $a UNION ALL SELECT * FROM `victim-project`.secret_ds.t",
    ],
)
def test_a_fragment_reaching_another_table_is_refused(client: HttpClient, sql: str) -> None:
    error = refused_and_absent(
        client, put(client, "new", custom_sql(sql)), 400, "table_not_allowed"
    )
    assert error["details"][0]["node"] == "q"
    assert error["details"][0]["field"] == "settings.sql"
    assert "secret_ds" in error["message"]


@pytest.mark.parametrize(
    "table", ["demo-project.INFORMATION_SCHEMA.SCHEMATA", "region-us.information_schema.jobs"]
)
def test_read_table_of_information_schema_is_refused_even_under_a_wildcard(table: str) -> None:
    wildcard = ("demo-project.*", "region-us.*")
    connection = replace(DEMO_CONNECTION, read_allowlist=wildcard)
    client = HttpClient(with_demo_workflow(connections=(connection,)), all_routes())
    refused_and_absent(client, put(client, "new", reading(table)), 400, "table_invalid")


def test_allowed_tables_and_time_travel_are_accepted(client: HttpClient) -> None:
    sql = (
        "SELECT * FROM retail.customers FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-01 00:00:00+00'"
        " WHERE id IN (SELECT id FROM $a)"
    )
    answer = put(client, "fine", custom_sql(sql))
    assert answer.status == 201, answer.body
    enabled = client.call("POST", "/v1/workflows/fine/api", token=client.token())
    assert enabled.status == 200, enabled.body
    assert "FOR SYSTEM_TIME AS OF" in client.world.warehouse.ddl[-1]


def test_a_project_wildcard_opens_every_dataset_but_generated_ones() -> None:
    wildcard = replace(DEMO_CONNECTION, read_allowlist=("demo-project.*",))
    client = HttpClient(with_demo_workflow(connections=(wildcard,)), all_routes())
    assert put(client, "other", reading("sales.orders")).status == 201
    own_output = reading("workflows_temp.wfproc_x_out_1")
    refused_and_absent(client, put(client, "new", own_output), 400, "table_not_allowed")
    another_orgs = reading("wfapi_acme.wfproc_x_out_1")  # a per-org generated dataset
    refused_and_absent(client, put(client, "new", another_orgs), 400, "table_not_allowed")
    listed = replace(wildcard, read_allowlist=("demo-project.*", "demo-project.workflows_temp"))
    client.world.store.put_connection(listed)
    assert put(client, "new", own_output).status == 201


def test_enable_and_update_check_the_allowlist_again(client: HttpClient) -> None:
    assert put(client, "later", reading("retail.customers")).status == 201
    before = list(client.world.warehouse.ddl)
    client.world.store.put_connection(replace(DEMO_CONNECTION, read_allowlist=()))
    for method in ("POST", "PUT"):  # enable, and update of the already enabled demo
        workflow_id = "later" if method == "POST" else "clusters"
        answer = client.call(method, f"/v1/workflows/{workflow_id}/api", token=client.token())
        assert answer.status == 400, answer.body
        assert answer.body["error"]["code"] == "table_not_allowed"
        assert "(nothing)" in answer.body["error"]["message"]
    assert client.world.warehouse.ddl == before  # no procedure created or replaced
    assert client.world.store.workflows[("demo", "later")].api is None


def test_registering_a_connection_checks_each_allowlist_entry() -> None:
    admin = with_demo_workflow().app.admin
    good = Connection(
        "demo",
        "two",
        "demo-project",
        service_account="wfapi-demo@demo-project.iam.gserviceaccount.com",
        read_allowlist=("demo-project.retail",),
    )
    assert admin.put_connection(good) == good
    for entry in ("demo-project.retail\n", "demo-project", "demo-project.ret ail", "*.*"):
        with pytest.raises(ServiceError) as refused:
            admin.put_connection(replace(good, read_allowlist=("p-roject.x", entry)))
        assert (refused.value.code, refused.value.field) == (
            "invalid_read_allowlist",
            "read_allowlist.1",
        )


# --- caps and whole-name checks -------------------------------------------------------


def test_too_many_nodes_is_refused(client: HttpClient) -> None:
    nodes: list[dict[str, Any]] = [
        {"id": "n0", "type": "read_table", "settings": {"table": "retail.stores"}}
    ]
    nodes += [
        {"id": f"n{i}", "type": "select", "inputs": [f"n{i - 1}"], "settings": {}}
        for i in range(1, MAX_NODES + 1)
    ]
    definition = {"nodes": [*nodes, {"id": "out", "type": "output", "inputs": [f"n{MAX_NODES}"]}]}
    error = refused_and_absent(client, put(client, "new", definition), 400, "too_many_nodes")
    assert str(MAX_NODES) in error["message"]


def test_too_many_parameters_is_refused(client: HttpClient) -> None:
    parameters = [{"name": f"p{i}", "type": "INT64"} for i in range(MAX_PARAMETERS + 1)]
    definition = {**reading("retail.stores"), "parameters": parameters}
    refused_and_absent(client, put(client, "new", definition), 400, "too_many_parameters")


def test_a_fragment_over_64_kib_is_413(client: HttpClient) -> None:
    sql = "SELECT * FROM $a WHERE name != '" + "y" * (64 * 1024) + "'"
    refused_and_absent(client, put(client, "new", custom_sql(sql)), 413, "fragment_too_large")


def test_3000_nested_parentheses_are_refused(client: HttpClient) -> None:
    error = refused_and_absent(
        client, put(client, "new", custom_sql(NESTED_PARENTHESES)), 400, "fragment_too_deep"
    )
    assert error["details"][0]["node"] == "q"


def test_a_definition_over_1_mib_is_413_also_without_http() -> None:
    world = with_demo_workflow()
    text = "name: big\ndescription: '" + "x" * MAX_DEFINITION_BYTES + "'\n"
    with pytest.raises(ServiceError) as refused:
        world.app.workflows.put("demo", "new", text)
    assert (refused.value.kind, refused.value.code) == ("too_large", "definition_too_large")
    assert ("demo", "new") not in world.store.workflows


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        (reading("retail.stores\n"), "invalid_identifier"),
        (custom_sql("SELECT * FROM $a", table="retail.stores\n"), "invalid_identifier"),
        (
            {
                **reading("retail.stores"),
                "parameters": [{"name": "p\n", "type": "INT64"}],
            },
            "invalid_identifier",
        ),
    ],
)
def test_a_trailing_newline_does_not_pass_an_identifier_check(
    client: HttpClient, definition: dict[str, Any], code: str
) -> None:
    answer = put(client, "new", definition)
    assert answer.status == 400, answer.body
    assert code in {d["code"] for d in answer.body["error"]["details"]}
    assert ("demo", "new") not in client.world.store.workflows


def test_a_workflow_id_with_a_trailing_newline_is_refused(client: HttpClient) -> None:
    with pytest.raises(ServiceError) as refused:
        client.world.app.workflows.put("demo", "new\n", DEMO)
    assert refused.value.code == "invalid_workflow_id"


# --- CARTO: a workflow the token may not run is an unknown procedure --------------------


def test_carto_answers_a_disallowed_procedure_exactly_like_an_unknown_one(
    client: HttpClient,
) -> None:
    app = client.world.app
    app.workflows.put("demo", "secret", {**DEMO, "parameters": [*DEMO["parameters"]]})
    app.workflows.enable_api("demo", "secret")
    limited = app.admin.create_token("demo", frozenset(ALL_GRANTS), workflows=("clusters",))
    known = app.workflows.get("demo", "secret").api
    assert known is not None
    unknown = known.procedure.replace("wfproc_secret", "wfproc_nothing")

    def carto_call(procedure: str, names: list[str]) -> Answer:
        body = {"query": format_call(procedure, names), "queryParameters": GOOD}
        return client.call("POST", "/v3/sql/local/job", token=limited.secret, body=body)

    # Wrong parameter names would tell the parameters of a visible workflow; here they don't.
    disallowed = carto_call(known.procedure, ["x"])
    missing = carto_call(unknown, ["x"])
    assert disallowed.status == missing.status == 404
    assert disallowed.body["error"]["code"] == missing.body["error"]["code"]
    assert disallowed.body["error"]["message"].replace(known.procedure, "P") == missing.body[
        "error"
    ]["message"].replace(unknown, "P")
    assert "number_of_clusters" not in str(disallowed.body)
    app.workflows.disable_api("demo", "secret")  # a disabled one answers the same too
    assert carto_call(known.procedure, list(GOOD)).status == 404
    assert client.world.store.executions == {}


def test_carto_still_runs_the_workflows_the_token_may_run(client: HttpClient) -> None:
    app = client.world.app
    limited = app.admin.create_token("demo", frozenset({Grant.EXECUTE}), workflows=("clusters",))
    api = app.workflows.get("demo", "clusters").api
    assert api is not None
    body = {"query": format_call(api.procedure, list(GOOD)), "queryParameters": GOOD}
    answer = client.call("POST", "/v3/sql/local/job", token=limited.secret, body=body)
    assert answer.status == 200, answer.body
