"""The local dev router: every route of the routing table on one port.

`functions-framework --source devstack/router.py --target dev_router` serves it;
it calls the same dispatcher as the deployed functions, with no function filter.
"""

from __future__ import annotations

import functions_framework
from flask import Request, Response
from werkzeug.exceptions import HTTPException

from workflows_api.http.dispatch import dispatch, framework_refusal

# JSON, not the framework's HTML, for requests its own routing refuses.
functions_framework.errorhandler(HTTPException)(framework_refusal)


@functions_framework.http
def dev_router(request: Request) -> Response:
    return dispatch(request, None)
