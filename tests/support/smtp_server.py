"""A loopback SMTP server (asyncio) that records what it is sent: enough of RFC 5321 for
smtplib (EHLO/HELO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), over
plain TCP, TLS from the start (`implicit_tls`), or upgraded by STARTTLS."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    login: tuple[str, str] | None  # (user, password) of AUTH, when one was given
    encrypted: bool  # over TLS (implicit or STARTTLS)


@dataclass
class SmtpServer:
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    tls: ssl.SSLContext | None = None  # offers STARTTLS with it (unless implicit)
    implicit_tls: bool = False


async def _session(
    server: SmtpServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def reply(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    async def line() -> str:
        return (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n")

    sender, recipients, login = "", [], None
    encrypted = server.implicit_tls
    await reply("220 localhost test SMTP")
    while True:
        command = await line()
        verb = command.split(" ", 1)[0].upper()
        if not command and reader.at_eof():
            break
        if verb == "EHLO":
            starttls = "250-STARTTLS\r\n" if server.tls and not encrypted else ""
            await reply(f"250-localhost\r\n{starttls}250-AUTH PLAIN LOGIN\r\n250 8BITMIME")
        elif verb == "STARTTLS" and server.tls and not encrypted:
            await reply("220 Ready to start TLS")
            await writer.start_tls(server.tls)
            encrypted = True
        elif verb == "HELO":
            await reply("250 localhost")
        elif verb == "AUTH":
            parts = command.split(" ")
            if parts[1].upper() == "PLAIN":
                blob = parts[2] if len(parts) > 2 else ""
                if not blob:
                    await reply("334 ")
                    blob = await line()
                _, user, password = base64.b64decode(blob).decode().split("\0")
            else:
                await reply("334 VXNlcm5hbWU6")
                user = base64.b64decode(await line()).decode()
                await reply("334 UGFzc3dvcmQ6")
                password = base64.b64decode(await line()).decode()
            login = (user, password)
            await reply("235 2.7.0 Authentication successful")
        elif verb == "MAIL":
            sender = command.split(":", 1)[1].strip().strip("<>").split(">")[0]
            await reply("250 OK")
        elif verb == "RCPT":
            recipients.append(command.split(":", 1)[1].strip().strip("<>"))
            await reply("250 OK")
        elif verb == "DATA":
            await reply("354 End data with <CR><LF>.<CR><LF>")
            body = bytearray()
            while (chunk := await reader.readline()) not in (b".\r\n", b""):
                body += chunk[1:] if chunk.startswith(b"..") else chunk
            server.messages.append(Received(sender, recipients, bytes(body), login, encrypted))
            sender, recipients = "", []
            await reply("250 OK queued")
        elif verb in ("RSET", "NOOP"):
            await reply("250 OK")
        elif verb == "QUIT":
            await reply("221 Bye")
            break
        else:
            await reply("502 Command not implemented")
    writer.close()


@contextlib.asynccontextmanager
async def smtp_server(
    tls: ssl.SSLContext | None = None, *, implicit_tls: bool = False
) -> AsyncIterator[SmtpServer]:
    """Serve on 127.0.0.1 (a free port) until the block ends."""
    state = SmtpServer(tls=tls, implicit_tls=implicit_tls)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await _session(state, reader, writer)

    wrap = tls if implicit_tls else None
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=wrap)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
