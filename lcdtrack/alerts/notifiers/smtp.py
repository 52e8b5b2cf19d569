"""The `email` notifier: a multipart message (plain text + email-safe HTML) sent over SMTP.

Both parts come from `lcdtrack.report` (the HTML redline uses inline styles only). Security is
`starttls` (default, port 587), `ssl` (implicit TLS, port 465) or `none` (a local relay);
`ca_file` trusts a private CA. Credentials come from the config file, usually as `${ENV}`
references, or from LCDTRACK_SMTP_USERNAME / LCDTRACK_SMTP_PASSWORD; they are never stored in
the database. The `Message-ID` header is the message's stable id, so a message re-sent after a
crash can be recognised as the same one by any receiver that deduplicates by Message-ID.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from lcdtrack.alerts.errors import DeliveryError
from lcdtrack.alerts.message import Message
from lcdtrack.alerts.notifiers.base import NotifierContext, Options

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 30.0


class EmailNotifier:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def compose(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.settings.sender
        email["To"] = ", ".join(self.settings.recipients)
        email["Date"] = formatdate(localtime=False)
        domain = self.settings.sender.rpartition("@")[2].strip(">") or "lcdtrack.invalid"
        email["Message-ID"] = f"<lcdtrack.{message.message_id}@{domain}>"
        email["X-Lcdtrack-Idempotency-Key"] = message.message_id
        email.set_content(message.render("text"))
        email.add_alternative(message.render("html"), subtype="html")
        return email

    def send(self, message: Message) -> None:
        settings = self.settings
        email = self.compose(message)
        try:
            with self._connect() as smtp:
                if settings.username and settings.password:
                    smtp.login(settings.username, settings.password)
                smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as error:
            where = f"{settings.host}:{settings.port}"
            raise DeliveryError(f"email via {where}: {error}") from None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def email_notifier(options: Options, context: NotifierContext) -> EmailNotifier:
    security = options.choice("security", SECURITY)
    env = context.env
    return EmailNotifier(
        SmtpSettings(
            host=options.text("host"),
            port=options.integer("port", DEFAULT_PORTS[security]),
            security=security,
            sender=options.text("from"),
            recipients=tuple(options.strings("to")),
            username=options.optional_text("username") or env.get("LCDTRACK_SMTP_USERNAME"),
            password=options.optional_text("password") or env.get("LCDTRACK_SMTP_PASSWORD"),
            ca_file=_path(context, options.optional_text("ca_file")),
            timeout=options.number("timeout", 30.0),
        )
    )


def _path(context: NotifierContext, value: str | None) -> str | None:
    return str(context.folder / value) if value else None
