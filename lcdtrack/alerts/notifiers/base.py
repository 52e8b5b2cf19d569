"""What every notifier shares: the `Notifier` protocol, the registry entry, typed options.

A notifier decides where a message goes, never how a change reads (`Message.render` does).
Options come from the notifier's `[notifiers.NAME]` table, `${ENV}` references expanded;
an unknown option is an error, so a typo never silently drops a setting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from lcdtrack.alerts.errors import ConfigError
from lcdtrack.alerts.message import Message


class Notifier(Protocol):
    def send(self, message: Message) -> None:
        """Deliver `message` or raise `DeliveryError` (or an `OSError`)."""


@dataclass(frozen=True)
class NotifierContext:
    """The outside world a notifier may touch: environment, standard output, base folder."""

    env: Mapping[str, str]
    stdout: TextIO
    folder: Path = field(default_factory=Path.cwd)


class Options:
    """A notifier's options with typed getters; `finish()` rejects what nobody read."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name = name
        self._values = dict(values)
        self._read: set[str] = set()

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        value = self._values.get(key, default)
        if value is _REQUIRED:
            raise ConfigError(f"notifier {self.name}: option {key!r} is required")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise ConfigError(f"notifier {self.name}: option {key!r} must be a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, None)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"notifier {self.name}: option {key!r} must be a string")
        return value

    def integer(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"notifier {self.name}: option {key!r} must be a whole number")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"notifier {self.name}: option {key!r} must be a number")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key, choices[0])
        if value not in choices:
            raise ConfigError(
                f"notifier {self.name}: option {key!r} is {value!r}; "
                f"choose from {', '.join(choices)}"
            )
        return str(value)

    def strings(self, key: str) -> list[str]:
        value = self._get(key, _REQUIRED)
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not all(isinstance(v, str) for v in values)
            or not values
        ):
            raise ConfigError(f"notifier {self.name}: option {key!r} must list strings")
        return list(values)

    def string_table(self, key: str) -> dict[str, str]:
        value = self._get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"notifier {self.name}: option {key!r} must be a table of strings")
        return {str(k): v for k, v in value.items()}

    def finish(self) -> None:
        unknown = sorted(set(self._values) - self._read)
        if unknown:
            raise ConfigError(f"notifier {self.name}: unknown option(s) {', '.join(unknown)}")


_REQUIRED = object()

Factory = Callable[[Options, NotifierContext], Notifier]


@dataclass(frozen=True)
class NotifierKind:
    """A registry entry: the kind's kebab-case name, one line for `notify --list`, a factory."""

    name: str
    description: str
    factory: Factory
