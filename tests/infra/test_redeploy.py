"""Destroy and redeploy, and long-running deployments (issue 17, items 5 and 6): custom
role ids a soft-deleted role does not block, and a source archive that is never deleted
while the functions are built from it."""

from __future__ import annotations

from tests.infra.hcl import block, blocks, expression, module


def test_custom_role_ids_are_new_for_each_deployment() -> None:
    # A deleted custom role keeps its id 7 to 37 days: a redeploy after a destroy must
    # not ask for the same id.
    config = module()
    roles = config.all_resources("google_project_iam_custom_role")
    assert roles
    assert config.resource("time_static", "custom_roles") == {}
    assert expression(config.locals["custom_role_suffix"]) == "time_static.custom_roles.unix"
    for name, role in roles.items():
        assert role["role_id"].endswith("_${local.custom_role_suffix}"), name
        assert role["role_id"].startswith("${local.custom_role_prefix}_"), name
        # 64 characters at most: prefix (15) + name + "_" + 10-digit unix time.
        literal = role["role_id"].split("}_", 1)[1].split("_${")[0]
        assert 15 + 1 + len(literal) + 1 + 10 <= 64, name


def test_no_lifecycle_rule_deletes_the_live_source_archive() -> None:
    bucket = module().resource("google_storage_bucket", "source")
    for rule in blocks(bucket, "lifecycle_rule"):
        if block(rule, "action")["type"] == "Delete":
            condition = block(rule, "condition")
            # Only rules that can never match the current object would be safe.
            assert set(condition) <= {"num_newer_versions", "days_since_noncurrent_time"}, rule
            assert condition.get("with_state") != "LIVE"
    archive = module().resource("google_storage_bucket_object", "functions_source")
    # A new archive is a new object; the old one is deleted after the functions move.
    assert "output_sha256" in expression(archive["name"])
    assert block(archive, "lifecycle")["create_before_destroy"] is True
