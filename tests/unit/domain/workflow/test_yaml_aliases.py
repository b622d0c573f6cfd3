"""Issue 23, finding 2: a sub-kilobyte YAML body must not exhaust memory. Aliases are
measured as they would expand before anything expands them, in the parser and again
in the service's size check, and refused with 400 `body_too_deep`."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.apps import on_fakes
from tests.support.http_client import HttpClient
from workflows_api.domain.plain_data import TooDeep
from workflows_api.domain.workflow.yaml_text import load_yaml
from workflows_api.http.tables import all_routes
from workflows_api.service.definition_checks import check_definition_size
from workflows_api.service.errors import ServiceError


def laughs(levels: int, width: int = 9) -> str:
    """The billion laughs: each anchor a list of `width` aliases of the one before."""
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    lines.append(f"nodes: [*l{levels - 1}]")
    return "\n".join(lines)


def peak_mib(work: Callable[[], Any]) -> tuple[float, float]:
    """(peak traced MiB, seconds) of `work()`; whatever it raises is swallowed."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        work()
    except Exception:  # only the cost is measured here
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20, time.monotonic() - started


@pytest.mark.parametrize("levels", [7, 9, 12])
def test_the_billion_laughs_is_refused_by_the_parser_with_bounded_memory(levels: int) -> None:
    body = laughs(levels)
    assert len(body) < 700
    with pytest.raises(TooDeep, match="once its aliases are expanded"):
        load_yaml(body)
    peak, seconds = peak_mib(lambda: load_yaml(body))
    assert peak < 2 and seconds < 1, (peak, seconds)


def test_a_big_scalar_repeated_by_aliases_is_refused() -> None:
    body = 's: &s "' + "x" * 20_000 + '"\nnodes: [' + ", ".join(["*s"] * 60) + "]"
    with pytest.raises(TooDeep, match="KiB of text"):
        load_yaml(body)


@pytest.mark.parametrize("body", ["a: &x [*x]", "a: &x {b: [1, {c: *x}]}"])
def test_an_anchor_that_contains_itself_is_refused(body: str) -> None:
    with pytest.raises(TooDeep, match="refers to itself"):
        load_yaml(body)


def test_ordinary_aliases_and_merge_keys_still_load() -> None:
    body = (
        "base: &base {type: filter}\n"
        "cols: &cols [a, b]\n"
        "nodes:\n"
        "  - {<<: *base, id: f1, columns: *cols}\n"
        "  - {<<: *base, id: f2, columns: *cols}\n"
    )
    data = load_yaml(body)
    assert data["nodes"][1] == {"type": "filter", "id": "f2", "columns": ["a", "b"]}


def test_the_service_measures_shared_data_without_serialising_it() -> None:
    text = "x" * 100_000
    shared = {"nodes": [text] * 1000}  # 100 MB once serialised
    peak, _ = peak_mib(lambda: check_definition_size(shared))
    assert peak < 2, peak
    with pytest.raises(ServiceError) as refused:
        check_definition_size(shared)
    assert refused.value.code == "definition_too_large"


def test_the_service_refuses_a_cycle_as_too_deep() -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ServiceError) as refused:
        check_definition_size({"nodes": looped})
    assert (refused.value.code, refused.value.field) == ("body_too_deep", "body")


def test_a_billion_laughs_put_over_http_is_400_body_too_deep_and_stores_nothing() -> None:
    client = HttpClient(on_fakes(), all_routes())
    token = client.token()

    def put() -> Any:
        return client.call(
            "PUT",
            "/v1/workflows/laughs",
            token=token,
            data=laughs(7).encode(),
            content_type="application/yaml",
        )

    answer = put()
    assert answer.status == 400, answer.body
    assert answer.body["error"]["code"] == "body_too_deep"
    assert answer.body["error"]["field"] == "body"
    assert client.world.store.get_workflow("demo", "laughs") is None
    peak, seconds = peak_mib(put)
    assert peak < 4 and seconds < 2, (peak, seconds)
