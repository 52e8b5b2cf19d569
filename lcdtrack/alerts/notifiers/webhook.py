"""The `webhook` notifier: an HTTP POST of the message as JSON, generic or Slack-compatible.

`payload = "json"` posts `lcdtrack diff --format json` of the change (a digest posts
`{"digest": true, "items": [...]}`); `payload = "slack"` posts `{"text": ...}` with the text
report in a code block, which Slack incoming webhooks and their look-alikes (Mattermost,
Rocket.Chat, Discord's /slack endpoint) accept. Every request carries `Idempotency-Key` and
`X-Lcdtrack-Message-Id` headers with the message's stable id, so a receiver can drop a message
re-sent after a crash. Any 2xx answer is success; anything else is a `DeliveryError` and the
outbox keeps the message for the next check.

Uses the standard library's urllib: httpx belongs to the fetch stage, which reads CMS.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from lcdtrack.alerts.errors import ConfigError, DeliveryError
from lcdtrack.alerts.message import Message
from lcdtrack.alerts.notifiers.base import NotifierContext, Options
from lcdtrack.fetch.http import user_agent

PAYLOADS = ("json", "slack")
SLACK_TEXT_LIMIT = 3500


@dataclass(frozen=True)
class WebhookNotifier:
    url: str
    payload: str = "json"
    timeout: float = 30.0
    headers: tuple[tuple[str, str], ...] = ()

    def body(self, message: Message) -> bytes:
        if self.payload == "slack":
            text = message.render("text")
            if len(text) > SLACK_TEXT_LIMIT:
                text = text[:SLACK_TEXT_LIMIT] + "\n… (truncated)"
            data = {"text": f"*{message.subject}*\n```\n{text}```"}
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        return message.render("json").encode("utf-8")

    def send(self, message: Message) -> None:
        request = urllib.request.Request(
            self.url,
            data=self.body(message),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": user_agent(),
                "Idempotency-Key": message.message_id,
                "X-Lcdtrack-Message-Id": message.message_id,
                **dict(self.headers),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"webhook {self.url}: HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"webhook {self.url}: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook {self.url}: HTTP {status}")


def webhook_notifier(options: Options, context: NotifierContext) -> WebhookNotifier:
    url = options.text("url")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"notifier {options.name}: url must be http(s), not {url!r}")
    headers = options.string_table("headers")
    return WebhookNotifier(
        url=url,
        payload=options.choice("payload", PAYLOADS),
        timeout=options.number("timeout", 30.0),
        headers=tuple(headers.items()),
    )
