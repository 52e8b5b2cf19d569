"""`lcdtrack.toml`: the notifiers and the check settings, read when alerts are checked or sent.

    [check]                      # all optional
    failures_before_alert = 3    # consecutive failed checks before a "cannot check" alert
    digest = false               # one message per notifier per check
    lock_wait = 10               # seconds a second `check` waits for the first
    api_url = "https://api.coverage.cms.gov"

    [notifiers.team]             # a notifier named "team"
    kind = "email"               # a kind from the registry (`lcdtrack notify --list`)
    password = "${SMTP_PASSWORD}"

Any string may reference environment variables as `${NAME}`; they are expanded when the
notifier is built, so a secret lives in the environment (or the file) and never in the
database. Without any notifier configured, alerts go to one named "stdout" (kind stdout).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lcdtrack.alerts.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG = "lcdtrack.toml"
DEFAULT_FAILURES = 3
DEFAULT_LOCK_WAIT = 10.0
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CHECK_KEYS = {"failures_before_alert", "digest", "lock_wait", "api_url"}


@dataclass(frozen=True)
class NotifierSpec:
    """A configured notifier: its name, kind and options (references not yet expanded)."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertConfig:
    path: Path | None = None
    notifiers: dict[str, NotifierSpec] = field(default_factory=dict)
    failures_before_alert: int = DEFAULT_FAILURES
    digest: bool = False
    lock_wait: float = DEFAULT_LOCK_WAIT
    api_url: str | None = None

    @property
    def folder(self) -> Path:
        """Relative paths in the file are relative to the file's folder."""
        return self.path.parent if self.path else Path.cwd()


def load_config(path: Path | None) -> AlertConfig:
    """Read `path`; with None, ./lcdtrack.toml if it exists, else the built-in defaults."""
    explicit = path is not None
    path = path or Path(DEFAULT_CONFIG)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such config file")
        return _with_stdout(AlertConfig())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file ({error})") from None
    return _with_stdout(parse_config(data, path.resolve()))


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> AlertConfig:
    where = str(path or DEFAULT_CONFIG)
    unknown = set(data) - {"check", "notifiers"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}")
    check = _table(data.get("check", {}), f"{where} [check]")
    bad = set(check) - _CHECK_KEYS
    if bad:
        raise ConfigError(f"{where} [check]: unknown key(s) {', '.join(sorted(bad))}")
    notifiers = {}
    for name, table in _table(data.get("notifiers", {}), f"{where} [notifiers]").items():
        options = dict(_table(table, f"{where} [notifiers.{name}]"))
        kind = options.pop("kind", None)
        if not isinstance(kind, str):
            raise ConfigError(f'{where} [notifiers.{name}]: say which kind (kind = "email", …)')
        notifiers[name] = NotifierSpec(name, kind, options)
    try:
        return AlertConfig(
            path=path,
            notifiers=notifiers,
            failures_before_alert=max(1, int(check.get("failures_before_alert", DEFAULT_FAILURES))),
            digest=bool(check.get("digest", False)),
            lock_wait=float(check.get("lock_wait", DEFAULT_LOCK_WAIT)),
            api_url=str(check["api_url"]) if "api_url" in check else None,
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where} [check]: {error}") from None


def expand(value: Any, env: Mapping[str, str], where: str) -> Any:
    """`value` with every `${NAME}` in its strings replaced from `env` (lists, tables too)."""
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return env[name]

        return _REFERENCE.sub(lookup, value)
    if isinstance(value, list):
        return [expand(item, env, where) for item in value]
    if isinstance(value, dict):
        return {key: expand(item, env, where) for key, item in value.items()}
    return value


def environment() -> dict[str, str]:
    return dict(os.environ)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    return value


def _with_stdout(config: AlertConfig) -> AlertConfig:
    if config.notifiers:
        return config
    return dataclasses.replace(config, notifiers={"stdout": NotifierSpec("stdout", "stdout")})
