"""Outgoing e-mail over SMTP: the install's server by default, a tenant's own where it set one.

Sending is done by the standard library's ``smtplib`` in a worker thread, so the event loop never
waits on the network. Callers record what they sent only after the server accepted it: a failed
send leaves nothing recorded and can be retried.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import anyio

from core.errors import DomainError
from core.settings import Settings

__all__ = ["Attachment", "MailError", "SmtpConfig", "build_message", "send", "smtp_config"]


class MailError(DomainError):
    status = 502
    type = "mail-failed"
    title = "Bad Gateway"


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


def smtp_config(settings: Settings, override: Mapping[str, Any] | None = None) -> SmtpConfig:
    """The tenant's SMTP settings where it has a host, else the install's."""
    if override and override.get("host"):
        return SmtpConfig(
            host=str(override["host"]),
            port=int(override.get("port") or 25),
            sender=str(override.get("sender") or settings.smtp_from),
            user=str(override.get("user") or ""),
            password=str(override.get("password") or ""),
            starttls=bool(override.get("starttls", False)),
        )
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=bool(settings.smtp_user),
    )


def _one_line(text: str) -> str:
    """``text`` folded to one line: a header is one line, whatever the names put in it."""
    return " ".join(text.split())


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    sender_name: str | None = None,
) -> EmailMessage:
    """A MIME message with a text body, an optional HTML alternative and attachments."""
    message = EmailMessage()
    message["From"] = formataddr((_one_line(sender_name), sender)) if sender_name else sender
    message["To"] = ", ".join(to)
    message["Subject"] = _one_line(subject)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def _deliver(config: SmtpConfig, message: EmailMessage) -> None:
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as server:
        if config.starttls:
            server.starttls(context=ssl.create_default_context())
        if config.user:
            server.login(config.user, config.password)
        server.send_message(message)


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; ``MailError`` (502) when it cannot be delivered."""
    try:
        await anyio.to_thread.run_sync(_deliver, config, message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"the mail server {config.host}:{config.port} did not take the message: {exc}"
        ) from None
