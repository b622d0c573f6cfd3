"""`make token ARGS="..."`: the `wfapi` CLI pointed at the running local stack."""

from __future__ import annotations

import json
import os
import sys

from devstack.run import STACK_FILE


def main() -> None:
    try:
        stack = json.loads(STACK_FILE.read_text())
    except OSError:
        sys.exit("The local stack is not running: start it with `make run` in another terminal.")
    os.environ.update(
        {
            "GOOGLE_CLOUD_PROJECT": stack["project"],
            "FIRESTORE_EMULATOR_HOST": stack["firestore_emulator_host"],
            "BIGQUERY_EMULATOR_HOST": stack["bigquery_emulator_host"],
            "WFAPI_IAM_CREDENTIALS_ENDPOINT": stack["iam_credentials_endpoint"],
        }
    )
    from workflows_api.cli import app

    app(prog_name="wfapi")


if __name__ == "__main__":
    main()
