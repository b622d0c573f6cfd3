"""The token issuer standing in for Google, from devstack (the local stack signs Cloud
Scheduler's fires with the same machinery)."""

from __future__ import annotations

from devstack.oidc_keys import CertsServer, Issuer

__all__ = ["CertsServer", "Issuer"]
