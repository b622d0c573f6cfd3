"""Behaviour every implementation of a port must share, written once.

Each module holds a contract class (not collected on its own: its name does not start
with Test); a test module runs it by subclassing it with the fixture it needs, e.g.
`class TestInMemoryStore(StoreContract)` with a `store` fixture.
"""

import pkgutil

import pytest

# Plain modules, not test modules: pytest rewrites their asserts (readable failures)
# only when told, before they are imported.
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
