"""The web console (`/console/`): static files built from `console/` into
`workflows_api/console_assets/`, served by the `status` function with a strict
Content-Security-Policy. It signs in with a pasted API token and calls the native API."""
