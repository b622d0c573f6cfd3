"""The shapes of the names callers choose: orgs, connections, workflows, principals.

One place for them, so every surface and use case accepts the same names. (BigQuery
project, dataset and table names are in `sql.py`, next to their quoting.)
"""

from __future__ import annotations

import hashlib
import re

# Org and connection ids: lowercase, as they appear in Firestore paths and CARTO URLs.
ORG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CONNECTION_PATTERN = ORG_PATTERN
WORKFLOW_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A service account a connection impersonates: name@project.iam.gserviceaccount.com
# (or a Google-managed domain); it goes into a URL path, so no `/`, `:` or spaces.
SERVICE_ACCOUNT_PATTERN = re.compile(
    r"[a-z0-9][a-z0-9_.+-]{0,99}@[a-z0-9][a-z0-9.-]{1,200}\.[a-z]{2,}"
)

GENERATED_DATASET_PREFIX = "wfapi_"


def org_dataset(org: str) -> str:
    """The default dataset for an org's generated procedures and output tables.

    `wfapi_<org>` when the org is already a valid dataset name (no `-`). Otherwise `-`
    becomes `_` and `_H` + a digest of the org is appended, so `a-b` and `a_b` (both
    valid orgs) never get the same dataset: the upper-case `H` cannot come from an org
    (lowercase only), and the digest tells hyphenated orgs apart.
    """
    if "-" not in org:
        return f"{GENERATED_DATASET_PREFIX}{org}"
    digest = hashlib.sha256(org.encode()).hexdigest()[:16]
    return f"{GENERATED_DATASET_PREFIX}{org.replace('-', '_')}_H{digest}"
