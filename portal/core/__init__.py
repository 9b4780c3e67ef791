"""What every area shares, and nothing area-specific: the core imports no area.

- `extensions`: Flask extensions (database, translations, CSRF, compression), unbound.
- `models`: the base pieces of models (texts per language) and the content fingerprint.
- `i18n`: the languages, and views registered under a Danish and an English path.
- `slugs`, `text`: slug rules and the folding of how citizens write.
- `api`: how the JSON API is declared (pydantic models, one `SpecTree`), its errors,
  its document (`/api/v1/openapi.json`) and its clients (tokens, rate limit).
- `security`, `errors`, `assets`, `templating`: headers and cache policy, error pages,
  static files and the design system, what every page's template gets.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.core import api, assets, audit, errors, security, templating  # noqa: F401

    security.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
    templating.init_app(app)
    api.init_app(app)
