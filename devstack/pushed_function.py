"""A CloudEvent function fed by a Pub/Sub topic, as deployed (infra/.../events.tf): the
topic on the Pub/Sub emulator, the function on a port of its own, and a push
subscription from one to the other.

The webhook deliveries, the demo org's trigger topic and the sweep are all started
this way (devstack/webhook_delivery.py, devstack/run.py, devstack/scheduler_standin.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devstack import emulators, pubsub
from devstack.completion_events import COMPLETION_TOPIC


@dataclass(frozen=True)
class PushedFunction:
    topic: str  # the full name, projects/<project>/topics/<id>
    function: emulators.ManagedProcess


def start_pushed_function(
    pubsub_host: str,
    project: str,
    topic_id: str,
    target: str,
    env: dict[str, str],
    log_dir: Path,
) -> PushedFunction:
    """Create the topic, start `target` of functions/main.py with `env` and subscribe it
    (push); the function is stopped again if the subscription cannot be made."""
    topic = pubsub.create_topic(pubsub_host, project, topic_id)
    port = emulators.free_port()
    function = emulators.start_cloudevent_function(target, port, env, log_dir)
    try:
        pubsub.create_push_subscription(
            pubsub_host,
            project,
            f"{topic_id}-push",
            topic,
            # The path names the topic: functions-framework makes it the event's source.
            f"http://127.0.0.1:{port}/{topic}",
        )
    except BaseException:
        function.stop()
        raise
    return PushedFunction(topic, function)


def start_completion_function(
    pubsub_host: str, project: str, env: dict[str, str], log_dir: Path
) -> PushedFunction:
    """The completion topic (devstack/completion_events.py), pushed to
    `bigquery_job_completed` started with `env` (events.tf: the `bigquery-jobs` push
    subscription)."""
    return start_pushed_function(
        pubsub_host, project, COMPLETION_TOPIC, "bigquery_job_completed", env, log_dir
    )
