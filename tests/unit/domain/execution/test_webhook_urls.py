"""Webhook URLs that cannot reach inside (issue 12 item 5): the syntax and address checks."""

from __future__ import annotations

import ipaddress

import pytest

from workflows_api.domain.execution.webhooks import address_problem, url_problem

INTERNAL = [
    "https://169.254.169.254/computeMetadata/v1/",
    "https://169.254.0.1/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://METADATA.Google.Internal./x",
    "https://metadata/x",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://127.0.0.1/",
    "https://127.255.255.254/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://localhost/",
    "https://api.localhost/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::127.0.0.1]/",
    "https://[fd00::1]/",
    "https://[fc00::1]/",
    "https://[fe80::1]/",
    "https://[ff02::1]/",
    "https://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "https://[64:ff9b::a01:203]/",  # NAT64 around 10.1.2.3
    # Other spellings of 127.0.0.1 that some resolvers accept.
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://017700000001/",
    "https://127.000.000.001/",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_hosts_are_refused(url: str) -> None:
    assert url_problem(url, allow_http=False) is not None


MALFORMED = [
    "https://hooks.example.com/a b",
    "https://hooks.example.com/x\r\nX-Injected: 1",
    "https://hooks.example.com/x\n",
    "https://hooks.example.com\t/x",
    " https://hooks.example.com/x",
    "https://hooks.ex\u0430mple.com/x",  # a Cyrillic a
    "https://hooks.example.com\\@10.0.0.1/",
    "https://hooks.example.com/\x00",
    "https://user@hooks.example.com/",
    "https://user:pw@hooks.example.com/",
    "https://hooks.example.com:99999/",
    "http://hooks.example.com/",
    "ftp://hooks.example.com/",
    "https:///nohost",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused(url: str) -> None:
    assert url_problem(url, allow_http=False) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x",
        "https://hooks.example.com:8443/x?a=b",
        "https://8.8.8.8/x",
        "https://[2606:4700:4700::1111]/x",
        "https://metadata.example.com/x",  # only Google's metadata names are special
    ],
)
def test_public_receivers_are_accepted(url: str) -> None:
    assert url_problem(url, allow_http=False) is None


def test_the_test_setting_allows_loopback_and_nothing_else() -> None:
    assert url_problem("http://127.0.0.1:9/x", allow_http=True) is None
    assert url_problem("http://[::1]:9/x", allow_http=True) is None
    assert url_problem("http://localhost:9/x", allow_http=True) is None
    assert url_problem("http://10.0.0.1/x", allow_http=True) is not None
    assert url_problem("http://169.254.169.254/x", allow_http=True) is not None
    assert url_problem("http://[fd00::1]/x", allow_http=True) is not None
    assert url_problem("https://127.0.0.1/x", allow_http=False, allow_loopback=False) is not None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("192.0.2.1", False),  # documentation range: not global
        ("::ffff:8.8.8.8", True),
        ("::ffff:192.168.0.1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
    ],
)
def test_address_problem(address: str, allowed: bool) -> None:
    assert (address_problem(ipaddress.ip_address(address)) is None) is allowed


def test_problem_names_the_range() -> None:
    problem = url_problem("https://169.254.169.254/", allow_http=False)
    assert problem is not None and "link-local" in problem
