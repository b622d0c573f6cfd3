"""A first apply on a fresh project: every resource waits for the APIs it calls, and
what needs a service agent waits for the agent, its grants and their propagation
(issue 17, item 1)."""

from __future__ import annotations

from tests.infra.hcl import block, dependencies, expression, module

SERVICES = "google_project_service.services"
SLEEP = "time_sleep.iam_propagation"


def test_every_resource_waits_for_the_apis() -> None:
    config = module()
    for kind, named in config.resources.items():
        if kind == "google_project_service" or kind.startswith("time_"):
            continue  # the APIs themselves; time_* call no Google API
        for name in named:
            assert SERVICES in dependencies(config, f"{kind}.{name}"), (
                f"{kind}.{name} may be created before the APIs are enabled"
            )


def test_these_name_the_apis_themselves() -> None:
    # Reached only through an optional parent (Firestore's database is not created
    # when it already exists) or through a service account by chance: explicit.
    config = module()
    for kind in (
        "google_firestore_index",
        "google_firestore_field",
        "google_project_iam_member",
        "google_logging_project_exclusion",
        "google_logging_project_sink",
        "google_project_service_identity",
    ):
        assert config.all_resources(kind), kind
        for name, body in config.all_resources(kind).items():
            assert f"${{{SERVICES}}}" in body.get("depends_on", []), f"{kind}.{name}"


def test_the_pubsub_service_agent_exists_holds_its_grants_and_had_time_to_propagate() -> None:
    config = module()
    identity = config.resource("google_project_service_identity", "pubsub")
    assert identity["service"] == "pubsub.googleapis.com"
    assert expression(identity["provider"]) == "google-beta"
    agent = "google_project_service_identity.pubsub.email"
    assert agent in expression(config.locals["pubsub_agent_member"])
    sleep = config.resource("time_sleep", "pubsub_agent_grants")
    assert sleep["create_duration"].endswith("s") and int(sleep["create_duration"][:-1]) >= 30
    waited_for = dependencies(config, "time_sleep.pubsub_agent_grants")
    for grant in (
        "google_pubsub_topic_iam_member.dead_letter_publisher",
        "google_service_account_iam_member.pubsub_agent_signs_for_invokers",
        "google_cloud_run_v2_service_iam_member.invokers",
        "google_project_service_identity.pubsub",
    ):
        assert grant in waited_for, grant
    # The subscriptions that push and dead-letter as the agent come after the wait.
    push = config.resource("google_pubsub_subscription", "push")
    assert push["depends_on"] == ["${time_sleep.pubsub_agent_grants}"]


def test_no_eventarc_trigger_is_left_without_its_service_agent() -> None:
    # Events reach the functions through push subscriptions managed here (events.tf);
    # an Eventarc trigger would need Eventarc's agent, its role and a wait first.
    config = module()
    assert not config.all_resources("google_eventarc_trigger")
    assert "eventarc.googleapis.com" not in expression(config.locals["services"])
    function = config.resource("google_cloudfunctions2_function", "functions")
    assert not function.get("event_trigger")
    assert block(function, "service_config")


def test_dataset_entries_and_functions_wait_for_iam_propagation() -> None:
    # The dataset-access resource retries rate limits only; "service account ... does
    # not exist" right after its creation failed first applies (issue 27).
    config = module()
    sleep = config.resource("time_sleep", "iam_propagation")
    assert int(sleep["create_duration"].removesuffix("s")) >= 60
    # A new account or a changed grant is waited for again (triggers replace the sleep).
    waited_for = dependencies(config, SLEEP)
    assert "google_service_account.accounts" in waited_for
    build_grants = {
        "google_project_iam_member.build_log_writer",
        "google_project_iam_member.build_staging_objects",
        "google_artifact_registry_repository_iam_member.build_image_writer",
        "google_storage_bucket_iam_member.build_source_reader",
    }
    runtime_grants = {
        "google_project_iam_member.runtime_bigquery_job_user",
        "google_project_iam_member.runtime_datastore_user",
        "google_project_iam_member.runtime_webhook_secret_creator",
        "google_project_iam_member.runtime_webhook_secret_manager",
    }
    assert build_grants | runtime_grants <= waited_for
    triggers = sleep["triggers"]
    assert "google_service_account.accounts" in str(triggers["accounts"])
    for grant in build_grants | runtime_grants:
        assert grant in str(triggers["grants"]), grant
    for name in config.all_resources("google_bigquery_dataset_access"):
        entry = config.resource("google_bigquery_dataset_access", name)
        assert entry["depends_on"] == [f"${{{SLEEP}}}"], name
    function = config.resource("google_cloudfunctions2_function", "functions")
    assert function["depends_on"] == [f"${{{SLEEP}}}"]
