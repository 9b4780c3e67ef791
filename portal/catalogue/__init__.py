"""The offer catalogue: offers, municipalities and life situations, and which offers fit.

models.py   the tables (texts per language)     query.py    a search's parameters
index.py    the per-process index of everything search.py   the ranking
service.py  the rules ("which offers fit")      views.py    home, search, offer pages
api.py      the catalogue as JSON (/api/v1)
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.catalogue import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
