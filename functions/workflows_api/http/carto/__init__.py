"""The CARTO dialect (`/v3/sql/...`): its routes, handlers (`execute.py`, `status.py`),
the request reading and refusal envelope they share (`job_requests.py`), its views and
its models."""
