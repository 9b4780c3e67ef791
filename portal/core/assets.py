"""Static files: our own under /static, the design system's `dist/` under /dkfds.

URLs carry a content hash (`?v=`), so browsers may cache them for a year and a second
page costs only its HTML.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory, url_for
from markupsafe import Markup


def init_app(app: Flask) -> None:
    @app.route("/dkfds/<path:filename>")
    def dkfds(filename: str):
        dist = Path(current_app.config["DKFDS_DIST"])
        if not dist.is_dir():
            abort(404)
        return send_from_directory(dist, filename, max_age=31536000)

    @app.context_processor
    def asset_helpers():
        return {"asset_url": asset_url, "dkfds_url": dkfds_url, "dkfds_icon": dkfds_icon}


def asset_url(filename: str) -> str:
    """URL of one of our static files, versioned by its content."""
    return url_for("static", filename=filename, v=_file_hash(
        str(Path(current_app.static_folder) / filename)))


def dkfds_url(filename: str) -> str:
    """URL of a design-system file, versioned by the installed DKFDS release."""
    return url_for("dkfds", filename=filename, v=_dkfds_version(current_app.config["DKFDS_DIST"]))


@lru_cache(maxsize=64)
def _file_hash(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"


@lru_cache(maxsize=4)
def _dkfds_version(dist: str) -> str:
    try:
        return json.loads((Path(dist).parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "missing"


def dkfds_icon(name: str, classes: str = "", label: str | None = None) -> Markup:
    """A DKFDS icon (`dist/img/svg-icons/<name>.svg`) inlined as `<svg class="icon-svg">`.

    Inline, so a page needs no sprite and no extra request; decorative unless `label`
    is given. An unknown name gives nothing (the text next to an icon carries meaning).
    """
    return _icon_markup(current_app.config["DKFDS_DIST"], name, classes, label)


@lru_cache(maxsize=1024)
def _icon_markup(dist: str, name: str, classes: str, label: str | None) -> Markup:
    """Cached: a page has dozens of icons, and a label is one of a few UI strings."""
    source = _icon_source(dist, name)
    if not source:
        return Markup("")
    cls = f"icon-svg {classes}".strip()
    if label:
        attrs = Markup(' role="img" aria-label="{}"').format(label)
    else:
        attrs = Markup(' aria-hidden="true"')
    return Markup('<svg class="{}" focusable="false"{}{}').format(cls, attrs, Markup(source))


@lru_cache(maxsize=256)
def _icon_source(dist: str, name: str) -> str:
    """The icon's `viewBox="..."><path .../></svg>` tail, or "" when there is no such icon."""
    if not re.fullmatch(r"[a-z0-9-]+", name or ""):
        return ""
    try:
        svg = (Path(dist) / "img" / "svg-icons" / f"{name}.svg").read_text()
    except OSError:
        return ""
    match = re.search(r"<svg\b[^>]*?(\sviewBox=\"[^\"]*\")[^>]*>(.*)</svg>", svg, re.S)
    return f"{match.group(1)}>{match.group(2).strip()}</svg>" if match else ""
