"""Who actually sends: pluggable per channel (`OUTBOX_EMAIL_SENDER`, `OUTBOX_SMS_SENDER`).

- `log`: writes the message to the log (development, tests, a demo without a mail server).
- `smtp`: e-mail through an SMTP server (`SMTP_HOST`, `SMTP_PORT`, `SMTP_USER`,
  `SMTP_PASSWORD`, `SMTP_STARTTLS`, `MAIL_FROM`).

A sender raises `SendError` when the message certainly did not go (then it is retried);
any other exception leaves the outcome unknown and the message is not sent again.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol

from portal.outbox.models import OutboxMessage

log = logging.getLogger("portal.outbox")


class SendError(Exception):
    """The message was not delivered to the next hop: try again later."""


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class LogSender:
    """Writes what would be sent to the log; keeps the last messages for inspection."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, message: OutboxMessage) -> None:
        record = {"channel": message.channel, "to": message.recipient,
                  "subject": message.subject, "body": message.body,
                  "attachments": [a["filename"] for a in message.attachments or []]}
        self.sent = [*self.sent[-99:], record]
        log.info("outbox %s to %s: %s\n%s", message.channel, message.recipient,
                 message.subject, message.body)


class SmtpSender:
    def __init__(self, host: str, port: int, user: str, password: str, starttls: bool,
                 sender: str) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.sender = starttls, sender

    def send(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # The same Message-ID on every attempt: a server that got it once can tell.
        email["Message-ID"] = f"<outbox-{message.id}@{self.sender.rpartition('@')[2]}>"
        email.set_content(message.body)
        for item in message.attachments or []:
            maintype, _sep, subtype = item["content_type"].partition("/")
            email.add_attachment(item["content"].encode(), maintype=maintype, subtype=subtype,
                                 filename=item["filename"])
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(email)
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected,
                smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, ConnectionError,
                TimeoutError) as error:
            raise SendError(str(error)) from error


def senders_from_config(config: dict[str, Any]) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    log_sender = LogSender()
    email = config["OUTBOX_EMAIL_SENDER"]
    if email == "smtp":
        senders["email"] = SmtpSender(config["SMTP_HOST"], config["SMTP_PORT"],
                                      config["SMTP_USER"], config["SMTP_PASSWORD"],
                                      config["SMTP_STARTTLS"], config["MAIL_FROM"])
    elif email == "log":
        senders["email"] = log_sender
    else:
        raise ValueError(f"OUTBOX_EMAIL_SENDER must be log or smtp, not {email!r}")
    sms = config["OUTBOX_SMS_SENDER"]
    if sms != "log":
        raise ValueError(f"OUTBOX_SMS_SENDER must be log (no SMS gateway yet), not {sms!r}")
    senders["sms"] = log_sender
    return senders
