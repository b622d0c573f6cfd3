"""Every argument and block name of every resource and data source exists in the schema
of the pinned provider version: what `terraform validate` would catch first, without
downloading providers. The names come from infra/tools/provider_schema.json, extracted
from the providers' own sources at the pinned tags by infra/tools/
extract_provider_schema.py (issue 17)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.infra.hcl import PROVIDER_SCHEMA, Config, all_configs, expression, module

# Terraform's own arguments, valid in every resource or data block.
META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider"}


@cache
def schema() -> dict[str, Any]:
    loaded = json.loads(PROVIDER_SCHEMA.read_text())
    assert isinstance(loaded, dict)
    return loaded


def misspelt(body: dict[str, Any], names: dict[str, Any], where: str) -> list[str]:
    """The names of `body` that `names` (arguments and nested blocks) does not know."""
    errors = []
    for key, value in body.items():
        if key == "dynamic":
            errors += misspelt_dynamic(value, names, where)
        elif key in names["blocks"]:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                errors.append(f"{where}.{key} is a block, written as an argument")
                continue
            for nested in value:
                errors += misspelt(nested, names["blocks"][key], f"{where}.{key}")
        elif key not in names["arguments"]:
            errors.append(f"{where}.{key}")
    return errors


def misspelt_dynamic(value: Any, names: dict[str, Any], where: str) -> list[str]:
    """`dynamic "name" { for_each = ..., content { ... } }`: `name` is a nested block of
    `names`, and its content is checked like the block itself."""
    errors = []
    for generated in value:
        for name, spec in generated.items():
            if name not in names["blocks"]:
                errors.append(f"{where}.dynamic.{name}")
                continue
            unknown = set(spec) - {"for_each", "iterator", "labels", "content"}
            errors += [f"{where}.dynamic.{name}.{key}" for key in sorted(unknown)]
            for content in spec.get("content", []):
                errors += misspelt(content, names["blocks"][name], f"{where}.{name}")
    return errors


def blocks_of(config: Config) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for kind, by_type in (("resource", config.resources), ("data", config.data)):
        for type_name, named in by_type.items():
            for name, body in named.items():
                found.append((kind, type_name, name, body))
    return found


@pytest.mark.parametrize("config", all_configs(), ids=lambda c: c.directory.name)
def test_every_argument_and_block_name_is_in_the_provider_schema(config: Config) -> None:
    errors = []
    for kind, type_name, name, body in blocks_of(config):
        names = schema()[kind].get(type_name)
        assert names, f"{kind} {type_name} is not in {PROVIDER_SCHEMA.name}: rerun the extractor"
        own = {k: v for k, v in body.items() if k not in META_ARGUMENTS}
        errors += misspelt(own, names, f"{type_name}.{name}")
    assert not errors, f"not in the provider schema: {errors}"


def test_beta_only_types_use_the_beta_provider() -> None:
    for config in all_configs():
        for kind, type_name, name, body in blocks_of(config):
            if schema()[kind][type_name]["beta_only"]:
                assert expression(body.get("provider", "")) == "google-beta", (
                    f"{type_name}.{name} exists only in google-beta"
                )


def test_the_schema_is_of_the_pinned_versions_and_the_used_types() -> None:
    pins = module().required_providers()
    for provider, extracted in schema()["providers"].items():
        pinned = re.fullmatch(r"~> (\d+\.\d+)", pins[provider]["version"])
        assert pinned, pins[provider]
        assert extracted["ref"].startswith(f"v{pinned[1]}."), (provider, extracted["ref"])
        assert re.fullmatch(r"[0-9a-f]{40}", extracted["commit"])
    assert schema()["providers"]["google"]["ref"] == "v7.45.0"
    used = {
        (kind, type_name) for config in all_configs() for kind, type_name, _, _ in blocks_of(config)
    }
    listed = {(kind, t) for kind in ("resource", "data") for t in schema()[kind]}
    assert used == listed, "rerun infra/tools/extract_provider_schema.py (infra/README.md)"


def test_the_check_catches_a_misspelt_name() -> None:
    # The check itself: a typo in a nested block and a block written as an argument.
    names = schema()["resource"]["google_pubsub_subscription"]
    body = {"name": "x", "push_config": [{"push_endpont": "https://x", "oidc_token": []}]}
    assert misspelt(body, names, "s") == ["s.push_config.push_endpont"]
    assert misspelt({"retry_policy": {"minimum_backoff": "1s"}}, names, "s") == [
        "s.retry_policy is a block, written as an argument"
    ]
    # Blocks generated by `dynamic` are checked too: their name and their content.
    generated = {"dynamic": [{"retry_policy": {"for_each": [1], "content": [{"minimum": "1s"}]}}]}
    assert misspelt(generated, names, "s") == ["s.retry_policy.minimum"]
    assert misspelt({"dynamic": [{"retry_polcy": {"content": [{}]}}]}, names, "s") == [
        "s.dynamic.retry_polcy"
    ]
