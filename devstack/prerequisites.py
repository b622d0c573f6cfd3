"""What the local stack needs on this machine, checked before anything starts: the
Google Cloud CLI with its emulator components, Java, and DuckDB's spatial extension
(from PyPI, put where DuckDB looks for it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DUCKDB_VERSION = "1.5.5"


class StackError(RuntimeError):
    """A problem starting the local stack, with a message meant for a person."""


def check_prerequisites() -> None:
    """Fail early, saying exactly what to install, when a tool is missing."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise StackError(
            "The Google Cloud CLI (`gcloud`) is not on PATH. Install it "
            "(https://cloud.google.com/sdk/docs/install, or Debian/Ubuntu: "
            "`apt-get install google-cloud-cli`) together with the Firestore emulator "
            "(`apt-get install google-cloud-cli-firestore-emulator` or "
            "`gcloud components install cloud-firestore-emulator`)."
        )
    if firestore_emulator_path(gcloud) is None:
        raise StackError(
            "The Firestore emulator component of the Google Cloud CLI is missing. Install it: "
            "`apt-get install google-cloud-cli-firestore-emulator` (Debian/Ubuntu packages) or "
            "`gcloud components install cloud-firestore-emulator`."
        )
    if not (Path(os.path.realpath(gcloud)).parent.parent / "platform" / "pubsub-emulator").is_dir():
        raise StackError(
            "The Pub/Sub emulator component of the Google Cloud CLI is missing. Install it: "
            "`apt-get install google-cloud-cli-pubsub-emulator` (Debian/Ubuntu packages) or "
            "`gcloud components install pubsub-emulator`."
        )
    if shutil.which("java") is None:
        raise StackError(
            "Java is not on PATH; the Firestore emulator needs a Java runtime 11 or newer "
            "(Java 21 recommended). Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`."
        )


def firestore_emulator_path(gcloud: str) -> Path | None:
    sdk_root = Path(os.path.realpath(gcloud)).parent.parent
    candidate = sdk_root / "platform" / "cloud-firestore-emulator"
    return candidate if candidate.is_dir() else None


def install_duckdb_spatial_extension() -> Path:
    """Put the PyPI-packaged spatial extension where DuckDB looks, so it never downloads.

    bqemulator loads `spatial` at start; this machine (and CI) cannot reach
    DuckDB's extension server, so the `duckdb-extension-spatial` wheel provides it.
    """
    import duckdb
    import duckdb_extension_spatial

    if duckdb.__version__ != DUCKDB_VERSION:
        raise StackError(
            f"duckdb {duckdb.__version__} is installed but the stack pins {DUCKDB_VERSION}; "
            "run `make install`."
        )
    package_dir = Path(duckdb_extension_spatial.__file__).parent
    source = package_dir / "extensions" / f"v{DUCKDB_VERSION}" / "spatial.duckdb_extension"
    platform = duckdb.connect().execute("PRAGMA platform").fetchone()
    assert platform is not None
    target_dir = Path.home() / ".duckdb" / "extensions" / f"v{DUCKDB_VERSION}" / str(platform[0])
    target = target_dir / "spatial.duckdb_extension"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target
