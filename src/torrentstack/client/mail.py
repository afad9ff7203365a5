"""`app/sendTestEmail`: one message to the SMTP server of the `mail_notification_*` preferences
(SSL or STARTTLS when the server offers it, login when auth is enabled), with `smtplib` on a
worker thread. qBittorrent answers the call before the mail goes: the outcome is logged."""

from __future__ import annotations

import asyncio
import email.utils
import smtplib
import ssl
from email.message import EmailMessage

from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.preferences import Preferences
from torrentstack.client.torrents import Background
from torrentstack.errors import TorrentstackError

_TIMEOUT = 30.0


class MailError(TorrentstackError):
    """The test e-mail could not be sent (the server refused it or could not be reached)."""


def _server(text: str, ssl_on: bool) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if host and port.isdigit():
        return host.strip("[]"), int(port)
    return text.strip(), 465 if ssl_on else 25


def send(
    server: str,
    *,
    use_ssl: bool,
    username: str | None,
    password: str,
    sender: str,
    to: str,
    message: EmailMessage,
) -> None:
    """Blocking: connect, secure, log in and send; smtplib's errors become MailError."""
    host, port = _server(server, use_ssl)
    context = ssl.create_default_context()
    try:
        if use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=_TIMEOUT)
        with client:
            client.ehlo()
            if not use_ssl and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if username is not None:
                client.login(username, password)
            client.send_message(message, from_addr=sender, to_addrs=[to])
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc


class Mailer:
    def __init__(self, *, prefs: Preferences, log: LogBuffer, background: Background) -> None:
        self._prefs = prefs
        self._log = log
        self._background = background

    async def send_test_email(self) -> None:
        """Start sending; the call does not wait for the server (as qBittorrent)."""
        self._background.spawn(self.send_now())

    async def send_now(self) -> None:
        get = self._prefs.get
        to = str(get("mail_notification_email"))
        sender = str(get("mail_notification_sender"))
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = "Test email"
        message["Date"] = email.utils.formatdate(localtime=True)
        message.set_content("This is a test email from torrentstack (qBittorrent WebUI API).\n")
        auth = bool(get("mail_notification_auth_enabled"))
        try:
            await asyncio.to_thread(
                send,
                str(get("mail_notification_smtp")),
                use_ssl=bool(get("mail_notification_ssl_enabled")),
                username=str(get("mail_notification_username")) if auth else None,
                password=str(get("mail_notification_password")),
                sender=sender,
                to=to,
                message=message,
            )
        except MailError as exc:
            self._log.add("critical", f"Notification email sending error: {exc}")
            return
        self._log.add("info", f"Test email sent to {to}")
