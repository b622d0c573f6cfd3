"""Registering a connection (issue 12 items 1-2): each runs as its own service account
unless the deployment is single-org, and each org gets a dataset no other org has."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from tests.support.apps import OnFakes, on_fakes
from workflows_api import cli
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.identifiers import ORG_PATTERN, org_dataset
from workflows_api.domain.workflow.sql_render import DATASET_PATTERN
from workflows_api.service.errors import ServiceError

ACCOUNT = "wfapi-acme@acme-project.iam.gserviceaccount.com"


def world(*, single_org: bool = False) -> OnFakes:
    return on_fakes(
        connections=(), settings=Settings(webhook_secrets="firestore", single_org=single_org)
    )


def refusal(on: OnFakes, connection: Connection) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        on.app.admin.put_connection(connection)
    return raised.value


# --- settings -------------------------------------------------------------------------


def test_single_org_is_off_unless_set() -> None:
    assert Settings.from_env({}).single_org is False
    assert Settings.from_env({"WFAPI_SINGLE_ORG": "true"}).single_org is True
    assert Settings.from_env({"WFAPI_SINGLE_ORG": "0"}).single_org is False
    with pytest.raises(ValueError, match="WFAPI_SINGLE_ORG"):
        Settings.from_env({"WFAPI_SINGLE_ORG": "ture"})


def test_iam_credentials_endpoint_defaults_to_google() -> None:
    assert Settings.from_env({}).iam_credentials_endpoint == "https://iamcredentials.googleapis.com"
    local = {"WFAPI_IAM_CREDENTIALS_ENDPOINT": "http://127.0.0.1:9"}
    assert Settings.from_env(local).iam_credentials_endpoint == "http://127.0.0.1:9"


# --- the org's dataset ----------------------------------------------------------------


def test_the_default_dataset_is_the_org_s_own() -> None:
    assert org_dataset("demo") == "wfapi_demo"
    assert Connection("demo", "local", "p-project").dataset == "wfapi_demo"
    assert Connection("demo", "local", "p-project", dataset="mine").dataset == "mine"


def test_default_datasets_are_valid_and_never_shared() -> None:
    orgs = ["a-b", "a_b", "a--b", "a__b", "a_-b", "a-_b", "ab", "a", "0-x", "0_x", "x" * 63]
    orgs += ["".join(p) for p in itertools.product("a_-", repeat=4) if p[0] == "a"]
    assert all(ORG_PATTERN.fullmatch(org) for org in orgs)
    datasets = [org_dataset(org) for org in orgs]
    assert all(DATASET_PATTERN.fullmatch(dataset) for dataset in datasets)
    assert len(set(datasets)) == len(orgs)


# --- one identity per connection ------------------------------------------------------


def test_multi_org_refuses_a_connection_without_a_service_account() -> None:
    on = world()
    error = refusal(on, Connection("acme", "main", "acme-project"))
    assert (error.kind, error.code, error.field) == (
        "invalid",
        "service_account_required",
        "service_account",
    )
    assert "service_account" in error.message
    assert on.store.connections == {} and on.warehouse.datasets == []


def test_single_org_may_run_as_the_runtime_identity() -> None:
    on = world(single_org=True)
    on.app.admin.put_connection(Connection("acme", "main", "acme-project"))
    assert on.store.get_connection("acme", "main") == Connection("acme", "main", "acme-project")


@pytest.mark.parametrize(
    "account",
    ["not-an-email", "a@b.iam.gserviceaccount.com/../x", "a@b.com\n", "a b@c.com", "A@B.COM"],
)
def test_a_malformed_service_account_is_refused(account: str) -> None:
    on = world()
    error = refusal(on, Connection("acme", "main", "acme-project", service_account=account))
    assert (error.code, error.field) == ("invalid_service_account", "service_account")
    assert on.store.connections == {}


def test_registering_creates_the_org_s_dataset_and_stores_the_connection() -> None:
    on = world()
    connection = Connection("acme", "main", "acme-project", service_account=ACCOUNT)
    on.app.admin.put_connection(connection)
    assert on.warehouse.datasets == ["acme-project.wfapi_acme"]
    stored = on.store.get_connection("acme", "main")
    assert stored == connection and stored is not None
    assert (stored.dataset, stored.service_account) == ("wfapi_acme", ACCOUNT)


def test_two_orgs_never_share_a_dataset() -> None:
    on = world()
    on.app.admin.put_connection(
        Connection("acme", "main", "shared-project", service_account=ACCOUNT)
    )
    squatter = Connection(
        "other", "main", "shared-project", dataset="wfapi_acme", service_account=ACCOUNT
    )
    error = refusal(on, squatter)
    assert (error.kind, error.code, error.field) == ("conflict", "dataset_taken", "dataset")
    assert on.store.get_connection("other", "main") is None
    assert on.warehouse.datasets == ["shared-project.wfapi_acme"]
    # The org itself may register it again (a second connection, or a replacement).
    on.app.admin.put_connection(
        Connection("acme", "second", "shared-project", service_account=ACCOUNT)
    )
    # The same dataset name in another project is another dataset.
    on.app.admin.put_connection(replace(squatter, project="p-other"))


@pytest.mark.parametrize(
    ("connection", "field"),
    [
        (Connection("acme\n", "main", "acme-project", service_account=ACCOUNT), "org"),
        (Connection("acme", "main\n", "acme-project", service_account=ACCOUNT), "connection"),
        (Connection("acme", "main", "acme-project\n", service_account=ACCOUNT), "project"),
        (Connection("acme", "main", "acme-project", "US", "d-s", ACCOUNT), "dataset"),
        (Connection("acme", "main", "acme-project", "US", "ds\n", ACCOUNT), "dataset"),
    ],
)
def test_malformed_names_are_refused_naming_the_field(connection: Connection, field: str) -> None:
    on = world()
    error = refusal(on, connection)
    assert (error.kind, error.field) == ("invalid", field)
    assert on.store.connections == {} and on.warehouse.datasets == []


def test_cli_refuses_a_connection_without_a_service_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on = world()
    monkeypatch.setattr(cli, "get_app", lambda: on.app)
    args = ["connection", "create", "--org", "acme", "--id", "main", "--project", "acme-project"]
    refused = CliRunner().invoke(cli.app, args)
    assert refused.exit_code == 2
    assert "service_account" in refused.output
    assert on.store.connections == {}

    created = CliRunner().invoke(cli.app, [*args, "--service-account", ACCOUNT])
    assert created.exit_code == 0, created.output
    assert "acme-project.wfapi_acme" in created.output
    assert on.store.get_connection("acme", "main") is not None
