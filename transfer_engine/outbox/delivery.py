"""Delivery backends: how one email leaves the engine.

Every backend has one method, :meth:`DeliveryBackend.send`, which either returns a short
description of where the message went or raises one of two errors:

    DeliveryError
    ├── TemporaryDeliveryError      worth trying again later (server down, 4xx reply, timeout)
    ├── PermanentDeliveryError      trying again will not help (5xx reply, bad address)
    └── DeliveryOutcomeUnknownError the connection broke after the message went to the server
                                    and before its answer: it may have been accepted

``TemporaryDeliveryError.affects_all`` says the fault is not the message's but the connection's
(unreachable server, refused credentials): the outbox then stops the batch instead of failing
every message in turn.

Two backends ship:

* :class:`FileBackend`, the default: each message becomes an ``.eml`` file (readable in any mail
  program or text editor) in a folder, so a newcomer sees what would be sent without a mail
  server. The file name comes from the Message-ID, so sending a message again replaces its file
  rather than adding a second one.
* :class:`SmtpBackend`: a mail relay, with STARTTLS and credentials from the settings.

Each message has exactly one recipient in its headers and in the SMTP envelope: nobody is copied
on anyone else's notice.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import ConfigurationError


class DeliveryError(Exception):
    """A message could not be delivered; ``str()`` says why in words HR can act on."""


class TemporaryDeliveryError(DeliveryError):
    """Delivery failed for now; the outbox retries with backoff."""

    def __init__(self, message: str, *, affects_all: bool = False) -> None:
        super().__init__(message)
        self.affects_all = affects_all


class PermanentDeliveryError(DeliveryError):
    """Delivery will never succeed as things stand (e.g. the server refuses the address)."""


class DeliveryOutcomeUnknownError(DeliveryError):
    """The message went to the server, but the connection broke before the server answered.

    The server may have accepted it, so sending it again could deliver it twice: the outbox
    holds it in doubt for HR instead of retrying it.
    """

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"the connection to {where} broke after the message was sent and "
                         f"before the server answered, so it may have been accepted: {detail}")
        self.where = where
        self.detail = detail


class _SMTP(smtplib.SMTP):
    """An SMTP client that remembers the server's last reply code.

    354 ("start mail input") means the message itself is going over: a connection that breaks
    from then on, until the server's answer is read, leaves its fate unknown.
    """

    last_code: int | None = None

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()
        self.last_code = code
        return code, text


class DeliveryBackend:
    """Where messages go. Subclasses implement :meth:`send`; :meth:`close` is optional."""

    name = "base"

    def send(self, message: EmailMessage) -> str:
        """Deliver ``message`` to the one address in its ``To`` header.

        Returns where it went (a file path, the server's reply). Raises
        :class:`TemporaryDeliveryError` or :class:`PermanentDeliveryError`.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release connections held between messages."""


def _only_recipient(message: EmailMessage) -> str:
    recipients = message.get_all("To") or []
    if len(recipients) != 1 or "," in str(recipients[0]) or message.get("Cc") or \
            message.get("Bcc"):
        # The outbox builds one message per recipient; anything else is a programming error.
        raise PermanentDeliveryError("a notice must have exactly one recipient")
    return str(recipients[0])


class FileBackend(DeliveryBackend):
    """Writes each message as ``<folder>/<planned day>_<kind>_<subject words>_<hash>.eml``."""

    name = "files"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"])
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
        day = str(message.get("X-Transfer-Engine-Planned-For", "undated"))
        kind = str(message.get("X-Transfer-Engine-Kind", "notice"))
        words = re.sub(r"[^a-z0-9]+", "-", str(message["Subject"]).lower()).strip("-")[:60]
        return self.folder / f"{day}_{kind}_{words}_{digest}.eml"

    def send(self, message: EmailMessage) -> str:
        _only_recipient(message)
        path = self.path_for(message)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".eml.part")
            with temporary.open("wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            # Atomic: a reader (or a crash) never sees half a message.
            os.replace(temporary, path)
        except OSError as exc:
            raise TemporaryDeliveryError(
                f"cannot write to the outbox folder {self.folder}: {exc.strerror or exc}. "
                "Check TRANSFER_ENGINE_OUTBOX and the folder's permissions.",
                affects_all=True) from None
        return str(path.resolve())


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


class SmtpBackend(DeliveryBackend):
    """A mail relay reached over SMTP, optionally with STARTTLS and a login.

    One connection is kept open between messages of a batch and checked with NOOP before each
    message; a connection that has gone away is replaced before anything is sent, never in the
    middle of a message (that would risk sending it twice).
    """

    name = "smtp"

    def __init__(self, host: str, port: int, *, starttls: bool = False,
                 user: str | None = None, password: str | None = None,
                 timeout: float = 30.0, ca_file: Path | None = None,
                 local_hostname: str | None = None) -> None:
        self.host, self.port = host, port
        self.starttls, self.user, self.password = starttls, user, password
        self.timeout, self.ca_file = timeout, ca_file
        self.local_hostname = local_hostname
        self._connection: _SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(
                cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise TemporaryDeliveryError(
                f"cannot read TRANSFER_ENGINE_SMTP_CA_FILE={self.ca_file}: {exc}",
                affects_all=True) from None

    def _connect(self) -> _SMTP:
        if self._connection is not None:
            try:
                code, _ = self._connection.noop()
                if code == 250:
                    return self._connection
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        try:
            connection = _SMTP(self.host, self.port, timeout=self.timeout,
                               local_hostname=self.local_hostname)
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryDeliveryError(
                f"cannot reach the SMTP server {self.where}: {exc}. Check "
                "TRANSFER_ENGINE_SMTP_HOST and TRANSFER_ENGINE_SMTP_PORT, and that the server is "
                "running.", affects_all=True) from None
        try:
            connection.ehlo()
            if self.starttls:
                if not connection.has_extn("starttls"):
                    raise TemporaryDeliveryError(
                        f"the SMTP server {self.where} does not offer STARTTLS, but "
                        "TRANSFER_ENGINE_SMTP_STARTTLS is on; nothing was sent in clear text.",
                        affects_all=True)
                connection.starttls(context=self._tls_context())
                connection.ehlo()
            if self.user:
                connection.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self._quietly_close(connection)
            raise TemporaryDeliveryError(
                f"the SMTP server {self.where} refused the login of "
                f"TRANSFER_ENGINE_SMTP_USER={self.user!r}: {_reply(exc.smtp_code, exc.smtp_error)}."
                " Check the user name and TRANSFER_ENGINE_SMTP_PASSWORD.",
                affects_all=True) from None
        except TemporaryDeliveryError:
            self._quietly_close(connection)
            raise
        except (smtplib.SMTPException, OSError) as exc:  # includes ssl.SSLError
            self._quietly_close(connection)
            raise TemporaryDeliveryError(
                f"cannot open a session with the SMTP server {self.where}: {exc}",
                affects_all=True) from None
        self._connection = connection
        return connection

    def send(self, message: EmailMessage) -> str:
        recipient = _only_recipient(message)
        sender = str(message["From"])
        connection = self._connect()
        connection.last_code = None
        try:
            refused = connection.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._after_refusal()
            if 500 <= code < 600:
                raise PermanentDeliveryError(
                    f"the mail server refused the address {recipient}: {_reply(code, text)}. "
                    "Correct the address and issue the notice again.") from None
            raise TemporaryDeliveryError(
                f"the mail server deferred {recipient}: {_reply(code, text)}") from None
        except smtplib.SMTPSenderRefused as exc:
            self._after_refusal()
            raise TemporaryDeliveryError(
                f"the mail server refused the sender TRANSFER_ENGINE_MAIL_FROM={sender}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}", affects_all=True) from None
        except smtplib.SMTPResponseException as exc:  # e.g. SMTPDataError
            self._after_refusal()
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(
                    f"the mail server rejected the message to {recipient}: {reply}") from None
            raise TemporaryDeliveryError(
                f"the mail server deferred the message to {recipient}: {reply}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            if connection.last_code == 354:
                # The message data was sent (or partly) and no answer came: we cannot know
                # whether it was accepted, so it must not simply be sent again.
                raise DeliveryOutcomeUnknownError(self.where, str(exc)) from None
            # Broken before the message itself went over: nothing was accepted.
            raise TemporaryDeliveryError(
                f"the connection to {self.where} failed while sending: {exc}",
                affects_all=True) from None
        if refused:  # only possible with several recipients; kept for completeness
            code, text = refused[recipient]
            raise PermanentDeliveryError(f"refused {recipient}: {_reply(code, text)}")
        return f"accepted by {self.where}"

    def _after_refusal(self) -> None:
        # A refused transaction leaves the session usable after RSET; if not, start afresh.
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    @staticmethod
    def _quietly_close(connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def close(self) -> None:
        if self._connection is not None:
            self._quietly_close(self._connection)
            self._connection = None


def backend_from_settings(settings: Settings | None = None) -> DeliveryBackend:
    """The backend ``TRANSFER_ENGINE_MAIL`` names: ``files`` (default) or ``smtp``."""
    settings = settings or get_settings()
    if settings.mail_backend == "files":
        return FileBackend(settings.outbox_dir)
    if settings.mail_backend == "smtp":
        if settings.smtp_password and not settings.smtp_user:
            raise ConfigurationError(
                "TRANSFER_ENGINE_SMTP_PASSWORD is set but TRANSFER_ENGINE_SMTP_USER is not")
        return SmtpBackend(settings.smtp_host, settings.smtp_port,
                           starttls=settings.smtp_starttls, user=settings.smtp_user,
                           password=settings.smtp_password, timeout=settings.smtp_timeout,
                           ca_file=settings.smtp_ca_file)
    raise ConfigurationError(f"TRANSFER_ENGINE_MAIL={settings.mail_backend!r}: use files or smtp")
