"""Static files: our own under /static, the design system's `dist/` under /dkfds.

URLs carry a content hash (`?v=`), so browsers may cache them for a year and a second
page costs only its HTML.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory, url_for


def init_app(app: Flask) -> None:
    @app.route("/dkfds/<path:filename>")
    def dkfds(filename: str):
        dist = Path(current_app.config["DKFDS_DIST"])
        if not dist.is_dir():
            abort(404)
        return send_from_directory(dist, filename, max_age=31536000)

    @app.context_processor
    def asset_helpers():
        return {"asset_url": asset_url, "dkfds_url": dkfds_url}


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
