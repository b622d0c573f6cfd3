"""The dev router on a free port, over the session's emulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import emulators
from devstack.emulators import Emulators


@pytest.fixture(scope="session")
def base_url(emulators_running: Emulators, stack_log_dir: Path) -> Iterator[str]:
    port = emulators.free_port()
    router = emulators.start_dev_router(port, emulators_running.env(), stack_log_dir)
    yield f"http://127.0.0.1:{port}"
    router.stop()
