"""The README's webhook verification snippet agrees with what the service signs."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from workflows_api.domain.execution.webhooks import signature

README = Path(__file__).parents[4] / "README.md"


def readme_verify() -> Any:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [snippet] = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # our own README, run to prove it right
    return namespace["verify"]


def test_the_readme_snippet_verifies_our_signatures() -> None:
    verify = readme_verify()
    body = b'{"id":"abc","state":"succeeded"}'
    header = signature("whsec_test", int(time.time()), body)
    assert verify("whsec_test", header, body)
    assert not verify("whsec_other", header, body)
    assert not verify("whsec_test", header, body + b" ")
    assert not verify("whsec_test", signature("whsec_test", int(time.time()) - 3600, body), body)
