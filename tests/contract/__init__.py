"""Behaviour every implementation of a port must share, written once.

Each module holds a contract class (not collected on its own: its name does not start
with Test); a test module runs it by subclassing it with the fixture it needs, e.g.
`class TestInMemoryStore(StoreContract)` with a `store` fixture.
"""

import pytest

# Plain modules, so pytest rewrites their asserts (readable failures) only if told.
pytest.register_assert_rewrite(
    "tests.contract.access_contract",
    "tests.contract.claims_contract",
    "tests.contract.executions_contract",
    "tests.contract.store_contract",
    "tests.contract.trigger_rejections_contract",
    "tests.contract.webhooks_contract",
    "tests.contract.workflows_contract",
)
