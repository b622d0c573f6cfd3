"""The process's App for the entry points: bootstrap with the real adapters and the
native execution view as the webhook payload (the one composition, built once)."""

from __future__ import annotations

from functools import lru_cache

from workflows_api.bootstrap import App, bootstrap
from workflows_api.config import get_settings
from workflows_api.http.views import execution_view


@lru_cache(maxsize=1)
def get_app() -> App:
    return bootstrap(get_settings(), webhook_payload=execution_view)
