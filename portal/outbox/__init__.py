"""The outbox: e-mail and SMS, queued in the database and sent by `flask outbox drain`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.outbox import models  # noqa: F401  (the table)
    from portal.outbox.cli import outbox_cli
    from portal.outbox.senders import senders_from_config

    app.extensions["outbox_senders"] = senders_from_config(app.config)
    app.cli.add_command(outbox_cli)
