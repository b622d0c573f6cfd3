"""Requests through the real dispatcher, on an App bootstrapped on fakes.

`HttpClient.call` builds a Flask request, serves it with `http.dispatch.dispatch`
(the deployed functions' own path) and notes which route of the table answered, so
a test can check that every route was exercised.

Every JSON answer is held to the model its route declares for that status (the one
the OpenAPI document shows): the views build plain data, and this is where a view
that drifts from its model fails, in whichever test first meets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from tests.support.apps import OnFakes
from workflows_api.domain.access.tokens import ALL_GRANTS, Grant
from workflows_api.http.dispatch import dispatch
from workflows_api.http.openapi import model_of
from workflows_api.http.routing import Route

_FLASK = Flask(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class HttpClient:
    world: OnFakes
    routes: tuple[Route, ...]
    hit: set[str] = field(default_factory=set)

    def token(self, org: str = "demo", grants: tuple[Grant, ...] = ALL_GRANTS) -> str:
        return self.world.app.admin.create_token(org, frozenset(grants)).secret

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            data, content_type = json.dumps(body).encode(), content_type or "application/json"
        with _FLASK.test_request_context(
            path,
            method=method,
            data=data,
            content_type=content_type,
            query_string=query,
            headers=sent,
        ):
            current: Request = request._get_current_object()  # type: ignore[attr-defined]
            route = self._note_route(current)
            response = dispatch(current, None, self.world.app, routes=self.routes)
        raw = response.get_data()
        # JSON answers parsed; the console's files (HTML, JS, CSS) as their bytes.
        body = json.loads(raw) if raw and response.is_json else (raw or None)
        answer = Answer(response.status_code, body, dict(response.headers))
        if route is not None and response.mimetype == "application/json":
            _check_against_model(route, answer)
        return answer

    def _note_route(self, current: Request) -> Route | None:
        rules = [Rule(r.path, methods=[r.method], endpoint=r.name) for r in self.routes]
        url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        try:
            endpoint, _ = url_map.bind_to_environ(current.environ).match()
        except HTTPException:
            return None
        self.hit.add(str(endpoint))
        return next(r for r in self.routes if r.name == endpoint)


def _check_against_model(route: Route, answer: Answer) -> None:
    """The body is what the route's model for this status reads and writes back alike:
    every field known and typed, no required one missing, nothing changed by a round
    trip. Statuses a route does not declare are a documentation bug."""
    declared = dict(route.responses)
    if answer.status in declared:
        ref = declared[answer.status]
    elif answer.status in route.errors or answer.status == 500:
        ref = route.error_model
    else:
        raise AssertionError(f"{route.name} answered {answer.status}, which it does not declare")
    if ref is None:
        return
    model = model_of(ref)
    parsed = model.model_validate(answer.body)
    again = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert again == answer.body, f"{route.name} {answer.status}: not a {model.__name__}"
