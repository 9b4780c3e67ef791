"""Errors in the user's language: HTML pages for people, JSON for the API and the chat.

Never a stack trace: an unexpected error is logged and answered with a plain message.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.api import PREFIX
from portal.core.api.models import BadParameter

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith((PREFIX + "/", "/chat/"))


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("The form had expired. Please try again — nothing was saved.")
        if _wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("errors/error.html", code=400, title=_("Please try again"),
                               message=message), 400

    @app.errorhandler(BadParameter)
    def bad_parameter(error: BadParameter):
        if _wants_json():
            return jsonify(error.to_json()), 400
        return render_template("errors/error.html", code=400, title=_("Please try again"),
                               message=error.message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        titles = {
            404: _("We could not find the page"),
            405: _("That is not possible here"),
            429: _("Too many requests"),
        }
        messages = {
            401: _("The API token is not valid."),
            404: _("The page may have been moved or removed, or the address may be misspelt."),
            405: _("The page cannot be used in that way."),
            429: _("Please wait a moment and try again."),
        }
        title = titles.get(code, _("Something went wrong"))
        message = messages.get(code, _("Please try again. If it keeps happening, use search."))
        # Keep what the error says about itself (Retry-After, WWW-Authenticate, Allow).
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            body = jsonify(error=error.name.lower().replace(" ", "_"), message=message)
            return body, code, headers
        template = "errors/404.html" if code == 404 else "errors/error.html"
        return render_template(template, code=code, title=title, message=message), code, headers

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("Unhandled error on %s", request.path)
        message = _("Something went wrong on our side. Please try again in a moment.")
        if _wants_json():
            return jsonify(error="internal_error", message=message), 500
        return render_template("errors/error.html", code=500, title=_("Something went wrong"),
                               message=message), 500
