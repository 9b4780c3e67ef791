"""Languages: Danish at the root, English under /en, each page reachable in both.

Every web view is registered once per language with `route`, so `url_for(endpoint,
lang=...)` builds the Danish or the English address of the same page, and the
language switcher can always link to "this page in the other language".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, g, request, url_for
from werkzeug.routing import BuildError

# The portal's languages: the one list (content files, pages, API and chat all use it).
# Adding one takes its texts in every content file and a Babel catalogue.
LANGUAGES = ("da", "en")
DEFAULT = "da"
Language = Literal[LANGUAGES]  # type: ignore[valid-type]  # "da" | "en", for declarations


def route(bp: Blueprint, paths: dict[str, str], **options) -> Callable:
    """Register a view under a Danish and an English path: `{"da": "/soeg", "en": "/en/search"}`."""

    def decorator(view: Callable) -> Callable:
        for lang, path in paths.items():
            bp.add_url_rule(path, view_func=view, defaults={"lang": lang}, **options)
        return view

    return decorator


def current_lang() -> str:
    """The language of this request: the page's language, or the API's `lang` parameter."""
    lang = getattr(g, "lang", None)
    if lang:
        return lang
    if request:
        if request.view_args and request.view_args.get("lang") in LANGUAGES:
            return request.view_args["lang"]
        if request.path.startswith("/api/"):
            value = request.args.get("lang")
            return value if value in LANGUAGES else DEFAULT
        if request.path == "/en" or request.path.startswith("/en/"):
            return "en"
    return DEFAULT


# How a moment is written for people, in Copenhagen time: "tirsdag 1. dec. kl. 17.30",
# "Tuesday 1 Dec, 17:30".
MOMENT_FORMATS = {"da": "EEEE d. MMM 'kl.' HH.mm", "en": "EEEE d MMM, HH:mm"}
TIME_FORMATS = {"da": "HH.mm", "en": "HH:mm"}
TIMEZONE = ZoneInfo("Europe/Copenhagen")


def format_moment(moment: dt.datetime, lang: str, time_only: bool = False) -> str:
    """A moment as people read it in `lang`, in Copenhagen time."""
    lang = lang if lang in LANGUAGES else DEFAULT
    pattern = (TIME_FORMATS if time_only else MOMENT_FORMATS)[lang]
    return format_datetime(moment, pattern, tzinfo=TIMEZONE, locale=lang)


def other_lang(lang: str) -> str:
    return "en" if lang == "da" else "da"


def alternate_url() -> str:
    """This page in the other language, keeping its query string."""
    lang = other_lang(current_lang())
    explicit = getattr(g, "alternate_urls", None)
    if explicit and lang in explicit:
        return explicit[lang]
    if request.endpoint and request.view_args and "lang" in request.view_args:
        args = {**request.view_args, "lang": lang}
        try:
            return url_for(request.endpoint, **args, **request.args.to_dict())
        except BuildError:
            pass  # fall back to the home page below
    return url_for("catalogue.home", lang=lang)
