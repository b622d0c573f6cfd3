"""The native API (`/v1/...`, `/healthz`): its routes for every function, their handlers
(`workflows.py`: api_access, `execute.py`, `status.py` and `health.py`), its views and
its models (`models.py`, also the error body the Nexadata dialect shares)."""
