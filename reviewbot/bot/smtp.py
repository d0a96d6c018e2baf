"""Hand one message at a time to an SMTP server, and say exactly what happened.

The outbox needs to know, for each message, one of three things: the server
took it (:class:`Delivered`), it surely did not (:class:`TemporaryFailure`,
:class:`PermanentFailure`), or nobody can tell (:class:`UncertainDelivery`:
the connection broke after the whole message was handed over, before the
server answered).  So DATA is driven by hand: the message goes out without
its terminating ``.``; then ``on_handoff`` is called (the outbox marks the
reply ``sending``) and the ``.`` follows.  A run that dies before the ``.``
leaves a message the server drops and a reply still ``pending``, so the
window in which delivery is unknown is the server's answer to the ``.``
alone.

Security is ``none``, ``starttls`` or ``tls`` (certificates verified against
the system's trust store, or ``SSL_CERT_FILE``); the user name and password
come from environment variables named in :class:`SmtpConfig`, never from a
file, and are sent only over TLS unless ``smtp.allow-plaintext-auth`` says
otherwise (a key only the user's own configuration may set).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence

from reviewbot.config import SmtpConfig
from reviewbot.errors import ConfigError, RemoteError
import logging
from reviewbot.records import record

log = logging.getLogger(__name__)

SECURITY_CHOICES = ("none", "starttls", "tls")


class TemporaryFailure(RemoteError):
    """The server did not take the message and may later (4xx, no connection)."""


class PermanentFailure(RemoteError):
    """The server refused the message for good (5xx)."""


class UncertainDelivery(RemoteError):
    """The message was handed over but the server's answer never came."""


@record
class Delivered:
    """The server accepted the message for ``accepted``; ``refused`` maps the
    recipients it turned down to its answer."""

    accepted: tuple[str, ...]
    refused: tuple[tuple[str, str], ...] = ()


def refuse_plaintext_login(config: SmtpConfig) -> None:
    """ConfigError when a login would send the password in clear text."""
    if config.security == "none" and not config.allow_plaintext_auth:
        raise ConfigError(
            f"smtp: refusing to log in to {config.host}:{config.port} without TLS (the password "
            f"would cross the network in clear text): set smtp.security to starttls or tls, or "
            f"smtp.allow-plaintext-auth: true in your own configuration")


def _failure(code: int, reply: bytes | str, what: str) -> RemoteError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{what}: {code} {text}".strip()
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


class SmtpSession:
    """One SMTP connection, opened lazily, used for many messages.

    ``env`` is where the credentials are looked up (``os.environ`` in the
    command); ``factory`` builds the smtplib client (tests may replace it)."""

    def __init__(self, config: SmtpConfig, env: Mapping[str, str]) -> None:
        if config.security not in SECURITY_CHOICES:
            raise ConfigError(f"smtp.security: {config.security!r} is not one of "
                              f"{', '.join(SECURITY_CHOICES)}")
        self.config = config
        self.env = env
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _credentials(self) -> tuple[str, str] | None:
        user = self.env.get(self.config.user_env, "") if self.config.user_env else ""
        if not user:
            return None
        password = self.env.get(self.config.password_env, "") if self.config.password_env else ""
        if not password:
            raise ConfigError(f"smtp: ${self.config.user_env} is set but "
                              f"${self.config.password_env} (the password) is not")
        refuse_plaintext_login(self.config)
        return user, password

    def connect(self) -> smtplib.SMTP:
        """The open connection (opening, securing and logging in once)."""
        if self._smtp is not None:
            return self._smtp
        cfg = self.config
        credentials = self._credentials()
        where = f"{cfg.host}:{cfg.port}"
        try:
            if cfg.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if credentials is not None:
                smtp.login(*credentials)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(f"{where}: login refused: {exc.smtp_code} "
                                   f"{exc.smtp_error.decode('utf-8', 'replace')}") from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TemporaryFailure(f"{where}: {type(exc).__name__}: {exc}") from exc
        log.info("connected to %s (%s)", where, cfg.security)
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say QUIT if the connection is still up."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def deliver(self, sender: str, recipients: Sequence[str], data: bytes,
                on_handoff: Callable[[], None] = lambda: None) -> Delivered:
        """Send ``data`` (a whole message, any line endings) to ``recipients``.

        Raises :class:`TemporaryFailure` or :class:`PermanentFailure` when
        the server surely did not take it, :class:`UncertainDelivery` when
        it may have."""
        smtp = self.connect()
        try:
            return self._transaction(smtp, sender, recipients, data, on_handoff)
        except (TemporaryFailure, PermanentFailure):
            self._reset(smtp)
            raise
        except UncertainDelivery:
            self._drop()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            # Anything before the hand-off: the server cannot have taken the message.
            self._drop()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _transaction(self, smtp: smtplib.SMTP, sender: str, recipients: Sequence[str],
                     data: bytes, on_handoff: Callable[[], None]) -> Delivered:
        payload = _wire_format(data)
        options = ["BODY=8BITMIME"] if not data.isascii() and smtp.has_extn("8bitmime") else []
        code, reply = smtp.mail(sender, options)
        if code != 250:
            raise _failure(code, reply, f"MAIL FROM:<{sender}>")
        accepted, refused = [], []
        for rcpt in recipients:
            code, reply = smtp.rcpt(rcpt)
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                refused.append((rcpt, f"{code} {reply.decode('utf-8', 'replace')}"))
                last_failure = _failure(code, reply, f"RCPT TO:<{rcpt}>")
        if not accepted:
            raise last_failure if refused else PermanentFailure("no recipients")
        code, reply = smtp.docmd("DATA")
        if code != 354:
            raise _failure(code, reply, "DATA")
        try:
            smtp.send(payload[:-len(_END)])
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"connection lost while sending: {exc}") from exc
        on_handoff()
        try:
            smtp.send(_END)
        except (smtplib.SMTPException, OSError) as exc:
            # The final "." did not leave: the server discards the message.
            raise TemporaryFailure(f"connection lost while sending: {exc}") from exc
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise UncertainDelivery(f"connection lost after the message was sent, before the "
                                    f"server answered: {exc}") from exc
        if code != 250:
            raise _failure(code, reply, "end of DATA")
        for rcpt, why in refused:
            log.warning("%s refused recipient %s: %s", self.config.host, rcpt, why)
        return Delivered(accepted=tuple(accepted), refused=tuple(refused))


_END = b".\r\n"  # after the message's last CRLF: the end of DATA


def _wire_format(data: bytes) -> bytes:
    """CRLF line endings, dot-stuffed, terminated by ``.``."""
    data = re.sub(rb"\r?\n|\r", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
