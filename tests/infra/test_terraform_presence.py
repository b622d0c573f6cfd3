"""The Terraform checks cannot pass by not running in CI: a missing terraform skips them
on a developer's machine and fails them under CI=true (tests/infra/hcl.py)."""

from __future__ import annotations

import pytest

from tests.infra import hcl
from tests.support.ci import in_ci


def test_a_missing_terraform_skips_outside_ci_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hcl.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        hcl.terraform_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        hcl.terraform_or_skip()


@pytest.mark.parametrize(
    ("value", "ci"), [("true", True), ("TRUE", True), ("1", True), ("", False), ("false", False)]
)
def test_ci_is_what_ci_services_set(value: str, ci: bool) -> None:
    assert in_ci({"CI": value}) is ci
    assert in_ci({}) is False
