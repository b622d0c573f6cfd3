"""The Nexadata dialect (`/api/v1/...`): its routes, handlers (`execute.py`,
`status.py`), its view and its models."""
