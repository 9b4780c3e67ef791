"""`flask content load` and `flask content check`: the editors' commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.content.loader import read_content, sync_content
from portal.content.problems import ContentError
from portal.core.extensions import db

content_cli = AppGroup("content", help="Validate and load the offer catalogue from content/.")


def _read(directory: str | None):
    directory = directory or current_app.config["CONTENT_DIR"]
    try:
        return read_content(directory, current_app.config["SEEDS_DIR"])
    except ContentError as err:
        click.echo(f"The content in {directory} has {len(err.problems)} problem(s):", err=True)
        for problem in err.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None


@content_cli.command("check")
@click.option("--dir", "directory", help="Content folder (default: CONTENT_DIR).")
def check(directory: str | None) -> None:
    """Validate the content files without touching the database."""
    content = _read(directory)
    click.echo(f"OK: {len(content.offers)} offers, {len(content.situations.situations)} life "
               f"situations, {len(content.places.municipalities)} municipalities, "
               f"{len(content.pages)} pages.")


@content_cli.command("load")
@click.option("--dir", "directory", help="Content folder (default: CONTENT_DIR).")
def load(directory: str | None) -> None:
    """Validate the content and make the database hold exactly it (safe to repeat)."""
    content = _read(directory)
    stats = sync_content(db.session, content)
    retired = (f" {stats['offers_retired']} retired: gone from content, kept (hidden) for "
               "their bookings." if stats["offers_retired"] else "")
    click.echo(f"Loaded {len(content.offers)} offers: {stats['offers_added']} added, "
               f"{stats['offers_updated']} updated, {stats['offers_removed']} removed.{retired}")
