"""The one-entrance intake ("Én indgang"): the citizen's story, consents, the status page.

`views` are the web pages (the form, the receipt, the status page), `api` the JSON API.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.intake import (
        api,
        models,  # noqa: F401  (the tables)
        views,
    )

    views.init_app(app)
    api.init_app(app)
