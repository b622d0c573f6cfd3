"""Firestore: the indexes the code's queries need and TTL on the fields the code
declares as TTL fields."""

from __future__ import annotations

import ast
import re

from tests.infra.hcl import ROOT, blocks, expression, module
from workflows_api.adapters.firestore import COLLECTION_GROUP_INDEXES, COMPOSITE_INDEXES

STORE = ROOT / "functions" / "workflows_api" / "adapters" / "firestore"


def declared_indexes(
    scope: str = "COLLECTION",
) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    found = []
    for name, index in module().all_resources("google_firestore_index").items():
        if index.get("query_scope", "COLLECTION") != scope:
            continue
        fields = tuple((f["field_path"], f["order"]) for f in blocks(index, "fields"))
        found.append((name, index["collection"], fields))
    return found


def without_implicit_name(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Firestore appends __name__ with the last field's direction; an index may spell it."""
    if len(fields) > 1 and fields[-1] == ("__name__", fields[-2][1]):
        return fields[:-1]
    return fields


def test_every_composite_index_the_queries_need_exists() -> None:
    assert COMPOSITE_INDEXES
    declared = {
        (collection, without_implicit_name(fields)) for _, collection, fields in declared_indexes()
    }
    for collection, fields in COMPOSITE_INDEXES:
        assert (collection, fields) in declared, (
            f"no google_firestore_index for {collection} {fields}"
        )


def test_every_collection_group_index_the_queries_need_exists() -> None:
    declared = {
        (collection, without_implicit_name(fields))
        for _, collection, fields in declared_indexes("COLLECTION_GROUP")
    }
    assert declared == set(COLLECTION_GROUP_INDEXES)


def test_no_index_the_code_does_not_use() -> None:
    needed = set(COMPOSITE_INDEXES)
    for name, collection, fields in declared_indexes():
        assert (collection, without_implicit_name(fields)) in needed, f"stale index {name}"


def test_indexes_are_collection_scoped_in_the_deployments_database() -> None:
    # The per-org queries run on orgs/{org}/executions: collection scope covers every
    # org's collection of that id. Only the sweep's query spans every org (a group).
    for name, index in module().all_resources("google_firestore_index").items():
        assert index.get("query_scope", "COLLECTION") in ("COLLECTION", "COLLECTION_GROUP"), name
        assert expression(index["database"]) == "local.firestore_database", name


def ttl_collections() -> set[str]:
    """Collections whose documents carry a TTL field, as the store modules' docstrings
    declare them: `orgs/{org}/executions/{execution_id}       expire_at: TTL field`."""
    sources = [path.read_text() for path in sorted(STORE.glob("*.py"))]
    layout = "\n".join(ast.get_docstring(ast.parse(source)) or "" for source in sources)
    found = re.findall(r"orgs/\{org\}/(\w+)/\{\w+\}\s+(\w+): TTL field", layout)
    assert found, "the Firestore store modules' docstrings no longer declare their TTL fields"
    fields = {field for _, field in found}
    assert fields == {"expire_at"}, fields
    assert all(any(f'"{field}"' in source for source in sources) for field in fields)
    return {collection for collection, _ in found}


def test_ttl_policies_on_the_ttl_fields() -> None:
    ttl = module().resource("google_firestore_field", "ttl")
    collections = expression(ttl["for_each"])
    listed = set(re.findall(r'"(\w+)"', collections))
    assert listed == ttl_collections()
    assert expression(ttl["collection"]) == "each.value"
    assert ttl["field"] == "expire_at"
    assert blocks(ttl, "ttl_config") == [{}]
    # No query reads expire_at: its single-field indexes are switched off.
    assert blocks(ttl, "index_config") == [{}]
    assert expression(ttl["database"]) == "local.firestore_database"


def test_a_native_mode_database() -> None:
    database = module().resource("google_firestore_database", "records")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert expression(database["name"]) == "var.firestore_database"
    assert module().variables["firestore_database"]["default"] == "(default)"
    assert {"location_id", "deletion_policy", "delete_protection_state"} <= set(database)
