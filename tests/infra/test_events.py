"""Events reach their functions through push subscriptions managed here: each waits for
its function's whole timeout, retries with backoff and ends in a dead-letter topic
(issue 17, item 3); job completions come from log sinks filtered to our jobs, in this
project and, optionally, in connections' projects (item 6)."""

from __future__ import annotations

from tests.infra.hcl import block, expression, module, root, sink_module
from workflows_api.domain.execution.states import EXECUTION_LABEL


def functions_by_trigger() -> dict[str, str]:
    return {spec["trigger"]: name for name, spec in module().locals["functions"].items()}


def test_every_push_subscription_waits_for_its_function_and_dead_letters() -> None:
    config = module()
    subscriptions = config.all_resources("google_pubsub_subscription")
    pushing = {name: body for name, body in subscriptions.items() if body.get("push_config")}
    assert set(pushing) == {"push"}
    push = pushing["push"]
    assert expression(push["for_each"]) == "local.push_subscriptions"
    # The ack deadline is also the push timeout: the function's whole timeout.
    assert expression(push["ack_deadline_seconds"]) == (
        "min(600, local.functions[each.value.function].timeout_seconds)"
    )
    for name, spec in config.locals["functions"].items():
        if spec["trigger"] != "http":
            assert spec["timeout_seconds"] <= 600, f"{name}: Pub/Sub waits at most 600 s"
    retry = block(push, "retry_policy")
    assert retry["minimum_backoff"] and retry["maximum_backoff"]
    dead_letter = block(push, "dead_letter_policy")
    assert expression(dead_letter["dead_letter_topic"]) == "google_pubsub_topic.dead_letter.id"
    assert 5 <= dead_letter["max_delivery_attempts"] <= 100
    assert block(push, "expiration_policy")["ttl"] == ""


def test_pushes_carry_an_oidc_token_of_the_functions_invoker() -> None:
    config = module()
    push_config = block(config.resource("google_pubsub_subscription", "push"), "push_config")
    oidc = block(push_config, "oidc_token")
    assert expression(oidc["service_account_email"]) == (
        "google_service_account.accounts[each.value.invoker].email"
    )
    uri = "google_cloudfunctions2_function.functions[each.value.function].service_config[0].uri"
    assert expression(oidc["audience"]) == uri
    # functions-framework reads the topic from the path: .../projects/<p>/topics/<t>.
    assert push_config["push_endpoint"] == f"${{{uri}}}/${{each.value.topic}}"
    wiring = expression(config.locals["push_subscriptions"])
    by_trigger = functions_by_trigger()
    invokers = config.locals["invoker_by_trigger"]
    for topic, function, trigger, invoker in (
        ("google_pubsub_topic.org[org].id", "pubsub_function", "pubsub", "pubsub-invoker"),
        (
            "google_pubsub_topic.job_events.id",
            "completion_function",
            "bigquery_audit_log",
            "audit-invoker",
        ),
        (
            "google_pubsub_topic.webhook_deliveries.id",
            "webhook_function",
            "webhook_delivery",
            "hooks-invoker",
        ),
        ("google_pubsub_topic.sweep.id", "sweep_function", "schedule", "pubsub-invoker"),
    ):
        wired = f'topic = {topic}, function = local.{function}, invoker = "{invoker}"'
        assert wired in wiring, topic
        # That account is the one allowed to invoke that function (iam.tf).
        assert f'accounts["{invoker}"]' in invokers[trigger], by_trigger[trigger]
        assert by_trigger[trigger] in expression(config.locals[function]) or trigger in (
            expression(config.locals[function])
        )


def test_dead_letters_are_kept_and_the_agent_may_move_them() -> None:
    config = module()
    keeper = config.resource("google_pubsub_subscription", "dead_letter")
    assert expression(keeper["topic"]) == "google_pubsub_topic.dead_letter.id"
    assert keeper["message_retention_duration"] == "604800s"
    publisher = config.resource("google_pubsub_topic_iam_member", "dead_letter_publisher")
    assert publisher["role"] == "roles/pubsub.publisher"
    assert expression(publisher["member"]) == "local.pubsub_agent_member"
    subscriber = config.resource("google_pubsub_subscription_iam_member", "dead_letter_subscriber")
    assert subscriber["role"] == "roles/pubsub.subscriber"
    assert expression(subscriber["for_each"]) == "local.push_subscriptions"
    assert (
        expression(subscriber["subscription"]) == "google_pubsub_subscription.push[each.key].name"
    )


def test_job_completions_come_from_a_sink_filtered_to_our_jobs() -> None:
    config = module()
    sink = config.resource("google_logging_project_sink", "job_events")
    assert sink["destination"] == "pubsub.googleapis.com/${google_pubsub_topic.job_events.id}"
    assert expression(sink["filter"]) == "local.completion_log_filter"
    assert sink["unique_writer_identity"] is True
    publisher = config.resource("google_pubsub_topic_iam_member", "job_events_sink_publisher")
    assert expression(publisher["member"]) == (
        "google_logging_project_sink.job_events.writer_identity"
    )
    log_filter = expression(config.locals["completion_log_filter"])
    for clause in (
        r"protoPayload.serviceName=\"bigquery.googleapis.com\"",
        r"protoPayload.methodName=\"google.cloud.bigquery.v2.JobService.InsertJob\"",
        r"protoPayload.metadata.jobChange.after=\"DONE\"",
        # Only jobs labelled as executions, with the label the code sets.
        f"protoPayload.metadata.jobChange.job.jobConfig.labels.{EXECUTION_LABEL}:*",
    ):
        assert clause in log_filter, clause


def test_connections_in_other_projects_get_the_same_sink_on_request() -> None:
    call = root().modules["completion_events_sink"]
    assert call["source"] == "./modules/completion_events_sink"
    assert expression(call["for_each"]) == "toset(var.completion_event_projects)"
    assert root().variables["completion_event_projects"]["default"] == []
    assert expression(call["topic"]) == "module.workflows_api.completion_events_topic"
    assert expression(call["filter"]) == "module.workflows_api.completion_events_log_filter"
    assert expression(module().outputs["completion_events_log_filter"]["value"]) == (
        "local.completion_log_filter"
    )
    sink = sink_module().resource("google_logging_project_sink", "job_events")
    assert sink["destination"] == "pubsub.googleapis.com/${var.topic}"
    assert expression(sink["filter"]) == "var.filter"
    grant = sink_module().resource("google_pubsub_topic_iam_member", "sink_publisher")
    assert grant["role"] == "roles/pubsub.publisher"
    assert expression(grant["member"]) == "google_logging_project_sink.job_events.writer_identity"


def test_a_schedule_publishes_the_sweeps_ticks_to_its_topic() -> None:
    # Executions whose submission timed out stay `created` until swept (issue 13, item 5).
    config = module()
    job = config.resource("google_cloud_scheduler_job", "sweep")
    assert job["schedule"] == "*/5 * * * *"
    target = block(job, "pubsub_target")
    assert expression(target["topic_name"]) == "google_pubsub_topic.sweep.id"
    sweep = functions_by_trigger()["schedule"]
    assert sweep == "sweep_executions"
    # The function's timeout covers the sweep's own deadline.
    from workflows_api.service.sweep import SWEEP_DEADLINE_SECONDS

    assert config.locals["functions"][sweep]["timeout_seconds"] > SWEEP_DEADLINE_SECONDS
