"""The local stack's stand-in for Cloud Logging's sink (devstack/completion_events.py)
publishes what the deployed sink does, where it does: the same filter clauses and the
topic `<name_prefix>-bigquery-jobs` under the default prefix."""

from __future__ import annotations

from devstack import completion_events
from tests.infra.hcl import expression, module, root


def test_the_stand_in_filters_as_the_deployed_sink() -> None:
    log_filter = expression(module().locals["completion_log_filter"])
    for clause in (
        rf"protoPayload.serviceName=\"{completion_events.SINK_SERVICE}\"",
        rf"protoPayload.methodName=\"{completion_events.SINK_METHOD}\"",
        r"protoPayload.metadata.jobChange.after=\"DONE\"",
        f"protoPayload.metadata.jobChange.job.jobConfig.labels.{completion_events.SINK_LABEL}:*",
    ):
        assert clause in log_filter, clause


def test_the_stand_in_publishes_to_the_deployed_topic_name() -> None:
    topic = module().resource("google_pubsub_topic", "job_events")
    assert topic["name"] == "${var.name_prefix}-bigquery-jobs"
    prefix = root().variables["name_prefix"]["default"]
    assert f"{prefix}-bigquery-jobs" == completion_events.COMPLETION_TOPIC
