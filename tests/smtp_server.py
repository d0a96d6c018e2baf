"""A real SMTP server on loopback for the outbox and review tests (aiosmtpd).

``smtp_server`` (a pytest fixture; use it through ``pytest_plugins =
["tests.smtp_server"]``) starts one on 127.0.0.1 and a free port, records
every message it accepts, and can be told to refuse (``refuse_data``,
``refuse_mail``), to drop the connection on MAIL (``drop_on_mail_after``),
to be slow to answer the end of DATA (``answer_delay``: the message is kept
first), or to require a login.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from pathlib import Path
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        """The message parsed (line endings as stored: LF)."""
        return message_from_bytes(self.data.replace(b"\r\n", b"\n"))


@dataclass
class Recorder:
    """The handler: keeps what it accepted, refuses when told to."""

    received: list[Received] = field(default_factory=list)
    refuse_data: str | None = None  # e.g. "550 5.7.1 no bots here"
    refuse_mail: str | None = None
    drop_on_mail_after: int | None = None  # close the connection on MAIL after N messages
    answer_delay: float = 0.0  # seconds between keeping a message and saying 250

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.drop_on_mail_after is not None and len(self.received) >= self.drop_on_mail_after:
            await server.push("421 4.3.2 going away")
            server.transport.close()
            return "421 4.3.2 going away"
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_data:
            return self.refuse_data
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return "250 2.0.0 accepted"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user, self.password)
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """A started server: ``host``, ``port``, ``received``, ``stop()``."""

    def __init__(self, *, auth: tuple[str, str] | None = None, security: str = "none",
                 certificate: tuple[str, str] | None = None) -> None:
        self.handler = Recorder()
        self.host = "127.0.0.1"
        self.port = free_port()
        kwargs: dict = {}
        if auth is not None:
            kwargs = {"authenticator": _Authenticator(*auth), "auth_require_tls": False,
                      "auth_required": True}
        if security != "none":
            assert certificate is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            if security == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port,
                                     server_hostname="localhost", ready_timeout=5, **kwargs)
        self.controller.start()
        self.running = True

    @property
    def received(self) -> list[Received]:
        """What the server accepted, in order."""
        return self.handler.received

    def stop(self) -> None:
        """Stop listening (a server that disappeared)."""
        if self.running:
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_auth() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that wants ``bot`` / ``s3cret``."""
    server = SmtpServer(auth=("bot", "s3cret"))
    try:
        yield server
    finally:
        server.stop()


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """(certificate, key) for 127.0.0.1 and localhost, made by openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)
