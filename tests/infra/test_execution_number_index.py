"""The lookup by execution number (find_executions_by_number, the Nexadata dialect's
integer ids) is served by Firestore's automatic single-field index on `number`: nothing
in the configuration may switch it off."""

from __future__ import annotations

from tests.infra.hcl import all_configs, expression


def test_no_field_override_exempts_the_execution_number() -> None:
    for config in all_configs():
        for name, field in config.all_resources("google_firestore_field").items():
            assert expression(field["field"]).strip('"') != "number", name
