"""Webhook deliveries on the local stack, as deployed: the deliveries topic on the
Pub/Sub emulator, pushed to the `deliver_webhook` function (infra/.../events.tf).

The API publishes to `projects/<project>/topics/wfapi-webhook-deliveries` (config's
default topic, on PUBSUB_EMULATOR_HOST); a failed attempt answers 500, and the
emulator pushes the message again after the subscription's backoff.
"""

from __future__ import annotations

from pathlib import Path

from devstack import emulators, pubsub
from workflows_api.config import DEFAULT_DELIVERY_TOPIC


def start_webhook_delivery(
    pubsub_host: str, project: str, env: dict[str, str], log_dir: Path
) -> emulators.ManagedProcess:
    """Create the topic, start `deliver_webhook` with `env` and subscribe it (push)."""
    topic = pubsub.create_topic(pubsub_host, project, DEFAULT_DELIVERY_TOPIC)
    port = emulators.free_port()
    function = emulators.start_cloudevent_function("deliver_webhook", port, env, log_dir)
    try:
        pubsub.create_push_subscription(
            pubsub_host,
            project,
            f"{DEFAULT_DELIVERY_TOPIC}-push",
            topic,
            f"http://127.0.0.1:{port}/{topic}",
        )
    except BaseException:
        function.stop()
        raise
    return function
