"""docs/security.md's webhook verification snippet agrees with what the service signs."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from workflows_api.domain.execution.webhooks import signature

SECURITY_DOC = Path(__file__).parents[4] / "docs" / "security.md"


def documented_verify() -> Any:
    blocks = re.findall(r"```python\n(.*?)```", SECURITY_DOC.read_text(encoding="utf-8"), re.S)
    [snippet] = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # our own docs, run to prove them right
    return namespace["verify"]


def test_the_security_doc_snippet_verifies_our_signatures() -> None:
    verify = documented_verify()
    body = b'{"id":"abc","state":"succeeded"}'
    header = signature("whsec_test", int(time.time()), body)
    assert verify("whsec_test", header, body)
    assert not verify("whsec_other", header, body)
    assert not verify("whsec_test", header, body + b" ")
    assert not verify("whsec_test", signature("whsec_test", int(time.time()) - 3600, body), body)
