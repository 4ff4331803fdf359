"""Outgoing e-mail over SMTP: the install's server by default, a tenant's own where it set one.

Sending is done by the standard library's ``smtplib`` in a worker thread, so the event loop never
waits on the network. Callers record what they sent only after the server accepted it: a failed
send leaves nothing recorded and can be retried. A tenant's server is checked before every connection
(``core.mail_servers``); why a send failed goes to the server log, never to the user, who would
otherwise read the banners and errors of whatever the install can reach.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import anyio

from core.errors import DomainError
from core.mail_servers import ServerRefused, safe_address
from core.settings import Settings

__all__ = [
    "FAILED",
    "Attachment",
    "MailError",
    "SmtpConfig",
    "build_message",
    "display_name",
    "send",
    "smtp_config",
]

log = logging.getLogger(__name__)

FAILED = "the mail server could not be reached or refused the message"


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
    tenant_rules: Settings | None = None
    """The install's settings when this is a tenant's own server, checked before each connection;
    None for the install's own server, which the operator chose."""
    install_name: str = ""
    """Set for the install's own server: mail sent for a tenant then says it comes "via" the install."""


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
            tenant_rules=settings,
        )
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=bool(settings.smtp_user),
        install_name=settings.smtp_from_name,
    )


def display_name(config: SmtpConfig, tenant_name: str) -> str:
    """The From name of mail sent for a tenant: "<tenant> via <install>" from the install's address,
    so that a tenant cannot pass its mail off as the install's own; the tenant's name alone from its
    own server."""
    return f"{tenant_name} via {config.install_name}" if config.install_name else tenant_name


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


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to a fixed address: the host name stays the one TLS checks the certificate against."""

    def __init__(self, address: str | None, host: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        connected: socket.socket = super()._get_socket(self._address or host, port, timeout)  # type: ignore[misc]
        return connected


class _PinnedSMTPS(_PinnedSMTP, smtplib.SMTP_SSL):
    """SMTP over TLS from the first byte (port 465), to a fixed address, the certificate verified."""

    def __init__(self, address: str | None, host: str, port: int, timeout: float) -> None:
        self._address = address
        context = ssl.create_default_context()
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)


def _deliver(config: SmtpConfig, address: str | None, message: EmailMessage) -> None:
    kind = _PinnedSMTPS if config.port == 465 else _PinnedSMTP
    with kind(address, config.host, config.port, config.timeout) as server:
        if config.starttls and kind is _PinnedSMTP:
            server.starttls(context=ssl.create_default_context())
        if config.user:
            server.login(config.user, config.password)
        server.send_message(message)


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; ``MailError`` (502) when it cannot be delivered.

    A tenant's server is resolved and checked first, and the connection goes to the checked address.
    """
    try:
        address = None
        if config.tenant_rules is not None:
            address = await safe_address(config.host, config.port, config.tenant_rules)
        await anyio.to_thread.run_sync(_deliver, config, address, message)
    except (OSError, smtplib.SMTPException, ServerRefused) as exc:
        log.warning("mail to %s:%s not sent: %r", config.host, config.port, exc)
        raise MailError(FAILED) from None
