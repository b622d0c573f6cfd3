"""Webhooks: a workflow's receiver URLs, which addresses a receiver may have, and the
signatures of deliveries (what an execution records of their attempts is in
delivery_attempts.py; a queued delivery, in webhook_deliveries.py).

Each delivery carries `Workflows-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256, keyed with the workflow's signing secret, over `<t>.<raw body>`. A
receiver recomputes it and checks `t` is recent (replays of old deliveries fail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from .delivery_attempts import receiver_host

SIGNATURE_HEADER = "Workflows-Signature"
EVENT_HEADER = "Workflows-Event"
DELIVERY_HEADER = "Workflows-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_URLS = 10


@dataclass(frozen=True)
class WebhookConfig:
    org: str
    workflow_id: str
    urls: tuple[str, ...]
    updated_at: dt.datetime


def redacted_url(url: str) -> str:
    """`https://<host>/…`: a webhook URL shown to a caller who may not set webhooks."""
    return f"https://{receiver_host(url)}/…"


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Workflows-Signature` header value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver runs: the signature matches and is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal"})
LOOPBACK_NAMES = frozenset({"localhost"})
_NUMERIC_LABEL = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")
_CANONICAL_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
)
# Named ranges a receiver may not be in (checked before the catch-all `is_global`).
_FORBIDDEN_NETWORKS = tuple(
    (ipaddress.ip_network(network), why)
    for network, why in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (metadata)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("224.0.0.0/4", "multicast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
)


def url_problem(url: str, allow_http: bool, *, allow_loopback: bool | None = None) -> str | None:
    """Why `url` cannot receive webhooks, or None. HTTPS only, unless `allow_http`;
    never a host that is an internal address or name. `allow_loopback` (default: as
    `allow_http`, the local stack's and tests' setting) lets loopback receivers in.
    Names are checked here; what they resolve to is checked when sending."""
    if any(ord(char) <= 0x20 or ord(char) >= 0x7F or char == "\\" for char in url):
        return "the URL must not contain whitespace, control or non-ASCII characters"
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return f"expected a {' or '.join(schemes)} URL, got {url[:100]!r}"
    if not parts.hostname:
        return f"the URL has no host: {url[:100]!r}"
    if "@" in parts.netloc:
        return "the URL must not carry credentials"
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return "the URL has an invalid port"
    loopback = allow_http if allow_loopback is None else allow_loopback
    return host_problem(parts.hostname, allow_loopback=loopback)


def host_problem(host: str, *, allow_loopback: bool = False) -> str | None:
    """Why a URL's host (lowercase, no brackets) may not receive webhooks, or None."""
    name = host.lower().rstrip(".")
    if name in METADATA_HOSTS or name.endswith(".metadata.google.internal"):
        return f"host {name} is the metadata server"
    if (name in LOOPBACK_NAMES or name.endswith(".localhost")) and not allow_loopback:
        return f"host {name} is loopback"
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]) and not _CANONICAL_IPV4.fullmatch(name):
        # 2130706433, 0x7f.1, 0177.0.0.1 all mean 127.0.0.1 to some resolvers.
        return f"host {name} is an IPv4 address in a non-canonical spelling"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None  # a name: checked again once resolved
    return address_problem(address, allow_loopback=allow_loopback)


def address_problem(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool = False
) -> str | None:
    """Why a receiver may not be at `address`, or None: only public unicast addresses.
    IPv6 forms that embed an IPv4 address (mapped, compatible, 6to4, NAT64) are judged
    by the IPv4 address inside."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return address_problem(embedded, allow_loopback=allow_loopback)
    if allow_loopback and address.is_loopback:
        return None
    for network, why in _FORBIDDEN_NETWORKS:
        if address.version == network.version and address in network:
            return f"address {address} is {why}"
    if not address.is_global:
        return f"address {address} is not a public address"
    return None


def _embedded_ipv4(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    packed = address.packed
    if packed[:12] == bytes(12) and int(address) > 1:  # ::a.b.c.d (deprecated "compatible")
        return ipaddress.IPv4Address(packed[12:])
    if address in _NAT64:
        return ipaddress.IPv4Address(packed[12:])
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
