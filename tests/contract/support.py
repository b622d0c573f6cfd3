"""What the store contracts share: the ports (`ports.Store`) and sample records."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from workflows_api.domain.access.tokens import Grant, Token
from workflows_api.domain.execution.states import Execution
from workflows_api.domain.workflow.records import ApiState, WorkflowRecord
from workflows_api.service.ports import Store

__all__ = ["Store"]

# The ports themselves, for the runtime check that a store has all their methods.
STORE_PORTS: tuple[type, ...] = tuple(base for base in Store.__bases__ if base is not Protocol)

ORG = "acme"
OTHER_ORG = "globex"
# Microseconds on purpose: Firestore keeps them and the round trips must too.
T0 = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def definition() -> dict[str, Any]:
    # Keys deliberately not sorted, at every level.
    return {
        "version": 1,
        "parameters": [{"name": "radius", "type": "FLOAT64"}, {"name": "city", "type": "STRING"}],
        "nodes": {"z_last": {"type": "read", "table": "p.d.t"}, "a_first": {"type": "filter"}},
        "edges": [],
    }


def workflow(workflow_id: str = "wf-1", *, org: str = ORG, api: bool = True) -> WorkflowRecord:
    return WorkflowRecord(
        org=org,
        id=workflow_id,
        connection="main",
        definition=definition(),
        version="v-abc",
        created_at=at(0),
        updated_at=at(1),
        api=ApiState(
            enabled=True,
            procedure="proj.workflows_temp.wfproc_abc",
            deployed_version="v-abc",
            deployed_definition={"zeta": 1, "alpha": {"y": 2, "b": 3}},
            enabled_at=at(2),
            updated_at=at(3),
            signature={"parameters": [{"name": "k", "type": "INT64"}], "settings": {"cache": True}},
        )
        if api
        else None,
    )


def execution(execution_id: str | None = None, *, org: str = ORG) -> Execution:
    return Execution(
        id=execution_id or uuid.uuid4().hex,
        org=org,
        workflow_id="wf-1",
        version="v-abc",
        parameters={"radius": 2.5, "city": "Madrid", "ids": [3, 1, 2]},
        cache_key="k" * 64,
        output_table="proj.workflows_temp.wfproc_abc_out_kkkk",
        procedure="proj.workflows_temp.wfproc_abc",
        connection="main",
        created_at=at(0),
        labels={"wfapi_org": org, "wfapi_workflow": "wf-1"},
    )


def token(token_id: str = "0123456789abcdef", *, org: str = ORG) -> Token:
    return Token(
        token_id=token_id,
        org=org,
        secret_hash="ab" * 32,
        grants=frozenset({Grant.EXECUTE, Grant.EXECUTIONS_READ, Grant.WORKFLOWS_READ}),
        created_at=at(0),
        name="ci",
        workflows=("wf-2", "wf-1"),
        expires_at=at(86_400),
    )
