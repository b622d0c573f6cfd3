"""The shapes of the names callers choose: orgs, connections, workflows, principals.

One place for them, so every surface and use case accepts the same names. (BigQuery
project, dataset and table names are in `sql.py`, next to their quoting.)
"""

from __future__ import annotations

import re

# Org and connection ids: lowercase, as they appear in Firestore paths and CARTO URLs.
ORG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CONNECTION_PATTERN = ORG_PATTERN
WORKFLOW_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
