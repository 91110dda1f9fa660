"""Where the CLI finds the portal's URL, the API token and the default company.

Precedence, highest first (each setting on its own):
1. the command-line option (`--url`, `--token`, `--company`);
2. the environment (`PORTAL_URL`, `PORTAL_TOKEN`, `PORTAL_COMPANY`);
3. the config file: `--config PATH`, else `$PORTAL_CONFIG`, else
   `$XDG_CONFIG_HOME/portal/config.toml` (default `~/.config/portal/config.toml`);
4. defaults: URL `http://localhost:8000`, no token, no company.
"""

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://localhost:8000"
KEYS = ("url", "token", "company")


class ConfigError(Exception):
    pass


@dataclass
class Settings:
    url: str
    token: str | None
    company: str | None
    config_path: Path | None
    warnings: list


def default_config_path(environ) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "portal" / "config.toml"


def read_config_file(path: Path, explicit: bool) -> tuple[dict, list]:
    """The file's url/token/company; a missing default file is no error, a missing named one is."""
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f"config file {path}: {key} must be a string")
    warnings = []
    if data.get("token") and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(f"{path} holds a token and is readable by others: chmod 600 {path}")
    return data, warnings


def resolve(options: dict, environ=None, config_path: str | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    explicit = config_path or environ.get("PORTAL_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path(environ)
    from_file, warnings = read_config_file(path, explicit=bool(explicit))
    values = {}
    for key in KEYS:
        values[key] = options.get(key) or environ.get(f"PORTAL_{key.upper()}") or from_file.get(key) or None
    url = (values["url"] or DEFAULT_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the portal URL must start with http:// or https:// (got {url!r})")
    return Settings(
        url=url,
        token=values["token"],
        company=values["company"],
        config_path=path if path.exists() else None,
        warnings=warnings,
    )
