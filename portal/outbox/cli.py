"""`flask outbox drain` (send what is due; `--every N` keeps doing it) and `flask outbox
status`. `make run` runs the drain every 30 seconds; production runs it from a timer."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from portal.outbox import service

outbox_cli = AppGroup("outbox", help="Send the queued e-mails and SMS.")


@outbox_cli.command("drain")
@click.option("--every", type=float, default=0.0,
              help="Keep draining, every this many seconds (0: once).")
def drain(every: float) -> None:
    """Send the messages that are due, once (or every N seconds)."""
    senders = current_app.extensions["outbox_senders"]
    while True:
        result = service.drain(senders)
        if result.sent or result.retried or result.failed or result.unknown or not every:
            click.echo(f"outbox: {result.sent} sent, {result.retried} to retry, "
                       f"{result.failed} failed, {result.unknown} with unknown outcome")
        if not every:
            return
        time.sleep(every)


@outbox_cli.command("status")
def status() -> None:
    """Messages whose outcome is unknown (claimed, never marked): check them by hand."""
    rows = service.stuck()
    click.echo(f"{len(rows)} message(s) with unknown outcome")
    for row in rows:
        click.echo(f"  #{row.id} {row.key} ({row.channel}) "
                   f"claimed {row.claimed_at:%Y-%m-%d %H:%M}Z")
