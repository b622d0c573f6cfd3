"""Webhook deliveries on the local stack, as deployed: the deliveries topic on the
Pub/Sub emulator, pushed to the `deliver_webhook` function (infra/.../events.tf).

The API publishes to `projects/<project>/topics/wfapi-webhook-deliveries` (config's
default topic, on PUBSUB_EMULATOR_HOST); a failed attempt answers 500, and the
emulator pushes the message again after the subscription's backoff.
"""

from __future__ import annotations

from pathlib import Path

from devstack import emulators
from devstack.pushed_function import start_pushed_function
from workflows_api.config import DEFAULT_DELIVERY_TOPIC


def start_webhook_delivery(
    pubsub_host: str, project: str, env: dict[str, str], log_dir: Path
) -> emulators.ManagedProcess:
    """Create the topic, start `deliver_webhook` with `env` and subscribe it (push)."""
    pushed = start_pushed_function(
        pubsub_host, project, DEFAULT_DELIVERY_TOPIC, "deliver_webhook", env, log_dir
    )
    return pushed.function
