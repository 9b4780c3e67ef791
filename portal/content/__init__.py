"""`content/` into the database: the offer catalogue and the guidance pages.

Editors write YAML files; `flask content check` validates them (every problem with its
file and field), `flask content load` makes the database hold exactly them.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.content.cli import content_cli

    app.cli.add_command(content_cli)
