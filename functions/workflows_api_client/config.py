"""Where `wfapi`'s caller commands find the API: flags, environment, or a saved profile.

Profiles live in $XDG_CONFIG_HOME/wfapi/config.toml (~/.config/wfapi/config.toml), readable
by their owner only since they hold tokens:

    [profiles.default]
    url = "https://..."
    token = "wfapi_..."
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """No URL or token could be found, or the config file is unreadable."""


@dataclass(frozen=True)
class Target:
    url: str
    token: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wfapi" / "config.toml"


def load_profiles(path: Path | None = None) -> dict[str, dict[str, str]]:
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    return {
        str(name): {key: str(value) for key, value in entries.items()}
        for name, entries in profiles.items()
        if isinstance(entries, dict)
    }


def save_profile(name: str, target: Target, path: Path | None = None) -> Path:
    """Add or replace one profile; the file is written with mode 0600, its folder 0700."""
    path = path or config_path()
    profiles = load_profiles(path)
    profiles[name] = {"url": target.url, "token": target.token}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: set it anyway
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(_toml(profiles))
    return path


def _toml(profiles: dict[str, dict[str, str]]) -> str:
    # Tables of strings only: a JSON string literal is a valid TOML basic string, so no
    # TOML writer is needed (tomllib only reads).
    lines: list[str] = []
    for name, entries in profiles.items():
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in entries.items())
        lines.append("")
    return "\n".join(lines)


def resolve(url: str | None, token: str | None, profile: str) -> Target:
    """Flags and environment variables (WFAPI_URL, WFAPI_TOKEN) first, then the profile."""
    if url and token:
        return Target(url, token)
    saved = load_profiles().get(profile, {})
    url, token = url or saved.get("url"), token or saved.get("token")
    if not url or not token:
        missing = " and ".join(
            name
            for name, value in (("--url/WFAPI_URL", url), ("--token/WFAPI_TOKEN", token))
            if not value
        )
        raise ConfigError(
            f"no {missing}: pass it, set it, or save a profile with `wfapi login` "
            f"(profile {profile!r} in {config_path()})"
        )
    return Target(url, token)
