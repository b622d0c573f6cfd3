"""What the console's sources never do: insert text as HTML, run strings as code, or keep
the token anywhere but sessionStorage (and never in a URL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "console" / "src"
TS_FILES = sorted(SOURCE.rglob("*.ts"))

FORBIDDEN = {
    "innerHTML": "untrusted text would become markup: build with dom.h (text nodes)",
    "outerHTML": "same",
    "insertAdjacentHTML": "same",
    "document.write": "same",
    "DOMParser": "same",
    "createContextualFragment": "same",
    "eval(": "the CSP forbids eval",
    "new Function": "the CSP forbids eval",
    "localStorage": "the token lives in sessionStorage only",
    "document.cookie": "no cookies: the token is sent as a header",
    'setTimeout("': "strings as code",
}


def code(path: Path) -> str:
    """The file without its comments (which may name what the code avoids)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.DOTALL)


def test_there_are_sources() -> None:
    assert len(TS_FILES) >= 8


@pytest.mark.parametrize("path", TS_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_html_sinks_eval_or_other_token_storage(path: Path) -> None:
    text = code(path)
    found = [f"{word}: {why}" for word, why in FORBIDDEN.items() if word in text]
    assert not found, found


def test_event_handlers_are_listeners_not_attributes() -> None:
    for path in TS_FILES:
        assert not re.search(r"setAttribute\(\s*[\"']on", code(path)), path


def test_the_token_goes_in_a_header_only() -> None:
    api = (SOURCE / "api.ts").read_text()
    assert "Authorization = `Bearer ${current}`" in api
    assert "access_token" not in "".join(code(p) for p in TS_FILES)
    assert 'credentials: "omit"' in api
    session = (SOURCE / "session.ts").read_text()
    assert "sessionStorage.setItem" in session and "sessionStorage.removeItem" in session
