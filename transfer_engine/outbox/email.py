"""The email of one outbox message: headers, text, HTML alternative and the letter's files.

The Message-ID is the one written on the row when the notice was decided (see
:func:`transfer_engine.outbox.queue.message_id_for`): derived from the notice's idempotency key
and the recipient, it is the same every time the message is built, so a message sent again
(released after being in doubt) can be recognised as a repeat by the receiving system.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from transfer_engine.config import Settings
from transfer_engine.outbox.delivery import PermanentDeliveryError, TemporaryDeliveryError
from transfer_engine.store.messages import OutboxMessage


def build_email(row: OutboxMessage, settings: Settings, *, late: bool,
                now: datetime) -> EmailMessage:
    """The email for one outbox row: one recipient, a stable Message-ID, plain text.

    A letter adds its HTML alternative and its PDF (multipart/mixed); everything else stays a
    single 7-bit text part that reads as it stands in a text editor.
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.recipient or ""
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Transfer-Engine-Kind"] = row.kind.value
    message["X-Transfer-Engine-Planned-For"] = row.planned_for.isoformat()
    if late:
        message["X-Transfer-Engine-Late"] = f"planned for {row.planned_for.isoformat()}"
    # Plain 7-bit text stays readable in a text editor; anything else is quoted-printable.
    readable = row.body.isascii() and all(len(line) <= 998 for line in row.body.splitlines())
    message.set_content(row.body, cte="7bit" if readable else "quoted-printable")
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html", cte="quoted-printable")
    for attachment in row.attachments or ():
        data = _attachment(attachment, settings)
        maintype, _, subtype = attachment["media_type"].partition(";")[0].partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype,
                               filename=attachment["filename"])
    return message


def _attachment(attachment: dict[str, str], settings: Settings) -> bytes:
    """An issued letter's file, refused if it is not the file the register recorded."""
    path = settings.letters_dir / attachment["path"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemporaryDeliveryError(
            f"cannot read the letter file {path}: {exc.strerror or exc}. Check "
            "TRANSFER_ENGINE_LETTERS_DIR and that the folder is available.") from None
    if hashlib.sha256(data).hexdigest() != attachment["sha256"]:
        raise PermanentDeliveryError(
            f"the letter file {path} has changed since the letter was issued, so it was not "
            "sent; check the transfer's issued letters against the register and issue the "
            "letter again")
    return data
