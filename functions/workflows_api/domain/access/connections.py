"""Connections: where an org's workflows run, as which identity, reading what."""

from __future__ import annotations

from dataclasses import dataclass

from workflows_api.domain.access.identifiers import org_dataset

# The dataset Terraform creates for a single-org deployment (infra `dataset_id`), and
# the one connections registered before per-org datasets used. New connections
# default to their org's own dataset (`Connection.dataset`).
DEFAULT_DATASET = "workflows_temp"


@dataclass(frozen=True)
class Connection:
    """Where an org's workflows run (CARTO's `/v3/sql/{connection}`)."""

    org: str
    id: str
    project: str
    location: str = "US"
    # Where its procedures and output tables go; empty means the org's own dataset
    # (`wfapi_<org>`, domain.identifiers.org_dataset). Never shared between orgs.
    dataset: str = ""
    # The service account every BigQuery call of this connection impersonates; None
    # runs as the runtime identity (single-org deployments only).
    service_account: str | None = None
    # `project.dataset` / `project.*` entries the org's workflows may read (nothing if empty).
    read_allowlist: tuple[str, ...] = ()
    # Cap on the bytes any one run may bill (maximumBytesBilled); None: no cap.
    maximum_bytes_billed: int | None = None

    def __post_init__(self) -> None:
        if not self.dataset:
            object.__setattr__(self, "dataset", org_dataset(self.org))
