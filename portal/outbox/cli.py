"""`flask outbox drain` (send what is due; `--every N` keeps doing it) and `flask outbox
status`. `make run` runs the drain every 30 seconds; production runs it from a timer."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.core.extensions import db
from portal.outbox import service

log = logging.getLogger("portal.outbox")

outbox_cli = AppGroup("outbox", help="Send the queued e-mails and SMS.")


@outbox_cli.command("drain")
@click.option("--every", type=float, default=0.0,
              help="Keep draining, every this many seconds (0: once).")
def drain(every: float) -> None:
    """Send the messages that are due, once (or every N seconds)."""
    _show_what_the_log_sender_sends()
    senders = current_app.extensions["outbox_senders"]
    while True:
        try:
            result = service.drain(senders)
        except SQLAlchemyError:
            if not every:
                raise
            # The database was busy or away: the messages wait for the next round (the
            # process keeps running: under `make run` its end would stop everything).
            db.session.rollback()
            log.exception("outbox: the drain failed; trying again in %s s", every)
            time.sleep(every)
            continue
        if result.sent or result.retried or result.failed or result.unknown or not every:
            click.echo(f"outbox: {result.sent} sent, {result.retried} to retry, "
                       f"{result.failed} failed, {result.unknown} with unknown outcome")
        if not every:
            return
        time.sleep(every)


def _show_what_the_log_sender_sends() -> None:
    """In development the log sender is how e-mails and SMS are seen (`make run` shows
    this command's output): its INFO lines are printed, not dropped by the default
    WARNING level. Logging set up by the deployment is left as it is."""
    logger = logging.getLogger("portal.outbox")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)


@outbox_cli.command("status")
def status() -> None:
    """Messages whose outcome is unknown (claimed, never marked): check them by hand."""
    rows = service.stuck()
    click.echo(f"{len(rows)} message(s) with unknown outcome")
    for row in rows:
        click.echo(f"  #{row.id} {row.key} ({row.channel}) "
                   f"claimed {row.claimed_at:%Y-%m-%d %H:%M}Z")
