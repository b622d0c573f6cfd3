"""TriggerRejectionStore on Firestore: Pub/Sub messages that started no execution, and why.

Collection owned (partitioned by org):

    orgs/{org}/trigger_rejections/{message_id}  expire_at: TTL field

`expire_at` is service/triggers.py's retention; Firestore's TTL policy on it
(infra/.../firestore.tf) deletes the record once it has passed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workflows_api.adapters.firestore.documents import (
    FirestoreCollections,
    read,
    timestamp,
    utc,
    write,
)

if TYPE_CHECKING:
    from workflows_api.domain.execution.records import TriggerRejection


class FirestoreTriggerRejections(FirestoreCollections):
    """TriggerRejectionStore."""

    def record_trigger_rejection(self, rejection: TriggerRejection, expire_at: dt.datetime) -> None:
        ref = self._org(rejection.org, "trigger_rejections").document(rejection.message_id)
        write(ref, {**_rejection_to_doc(rejection), "expire_at": timestamp(expire_at)})

    def get_trigger_rejection(self, org: str, message_id: str) -> TriggerRejection | None:
        data = read(self._org(org, "trigger_rejections").document(message_id))
        return None if data is None else _rejection_from_doc(org, data)


def _rejection_to_doc(rejection: TriggerRejection) -> dict[str, Any]:
    return {
        "message_id": rejection.message_id,
        "topic": rejection.topic,
        "workflow_id": rejection.workflow_id,
        "code": rejection.code,
        "message": rejection.message,
        "received_at": timestamp(rejection.received_at),
    }


def _rejection_from_doc(org: str, data: dict[str, Any]) -> TriggerRejection:
    # Imported with the first rejection read (a Pub/Sub trigger's), not with the store
    # every function builds (cold start).
    from workflows_api.domain.execution.records import TriggerRejection

    return TriggerRejection(
        org=org,
        message_id=data["message_id"],
        topic=data["topic"],
        workflow_id=data["workflow_id"],
        code=data["code"],
        message=data["message"],
        received_at=utc(data["received_at"]),
    )
