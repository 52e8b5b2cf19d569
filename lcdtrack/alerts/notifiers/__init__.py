"""The notifier registry: kinds keyed by a short kebab-case name, built-ins registered the same
way an outsider would (`register(NotifierKind(...))`), listed by `lcdtrack notify --list`.

    Message (alerts.message)  →  NOTIFIERS[kind].factory(options, context).send(message)

`Notifiers` builds the configured notifiers lazily, by name, so a notifier whose secret is
missing fails on its own while the others still deliver.
"""

from __future__ import annotations

from lcdtrack.alerts.config import AlertConfig, NotifierSpec, expand
from lcdtrack.alerts.errors import ConfigError
from lcdtrack.alerts.notifiers.base import Notifier, NotifierContext, NotifierKind, Options
from lcdtrack.alerts.notifiers.basic import file_notifier, stdout_notifier
from lcdtrack.alerts.notifiers.feed import atom_notifier
from lcdtrack.alerts.notifiers.smtp import email_notifier
from lcdtrack.alerts.notifiers.webhook import webhook_notifier

NOTIFIERS: dict[str, NotifierKind] = {}


def register(kind: NotifierKind) -> None:
    if kind.name in NOTIFIERS:
        raise ValueError(f"notifier kind {kind.name!r} is already registered")
    NOTIFIERS[kind.name] = kind


def build(spec: NotifierSpec, context: NotifierContext) -> Notifier:
    """A notifier from its config table (`${ENV}` references expanded now)."""
    kind = NOTIFIERS.get(spec.kind)
    if kind is None:
        raise ConfigError(
            f"notifier {spec.name}: unknown kind {spec.kind!r}; "
            f"choose from {', '.join(sorted(NOTIFIERS))}"
        )
    options = Options(spec.name, expand(spec.options, context.env, f"notifier {spec.name}"))
    notifier = kind.factory(options, context)
    options.finish()
    return notifier


class Notifiers:
    """The configured notifiers by name, each built on first use."""

    def __init__(self, config: AlertConfig, context: NotifierContext) -> None:
        self.config = config
        self.context = context
        self._built: dict[str, Notifier] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.config.notifiers)

    def get(self, name: str) -> Notifier:
        if name not in self._built:
            spec = self.config.notifiers.get(name)
            if spec is None:
                raise ConfigError(
                    f"no notifier named {name!r} in {self.config.path or 'the config'} "
                    f"(configured: {', '.join(self.names) or 'none'})"
                )
            self._built[name] = build(spec, self.context)
        return self._built[name]


for _kind in (
    NotifierKind(
        "stdout", "print the text report (or markdown/json) on standard output", stdout_notifier
    ),
    NotifierKind(
        "file", "write each message as a Markdown or HTML file in a folder", file_notifier
    ),
    NotifierKind("atom", "add each message as an entry of an Atom feed file", atom_notifier),
    NotifierKind(
        "email", "send multipart text + HTML email over SMTP (STARTTLS/SSL)", email_notifier
    ),
    NotifierKind(
        "webhook", "POST the change as JSON, or a Slack-compatible payload", webhook_notifier
    ),
):
    register(_kind)

__all__ = [
    "NOTIFIERS",
    "Notifier",
    "NotifierContext",
    "NotifierKind",
    "Notifiers",
    "Options",
    "build",
    "register",
]
