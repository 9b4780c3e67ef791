"""The bot's wording for actions: responses from actions/responses.yml and the domain.

Actions that compose messages (offer lists, "why it fits" lines) take their words from
response files in the domain's format, not from Python strings, so all wording has a
Danish default and an English variant (`condition: lang = en`) and is edited in one
style. Rendering here, instead of asking Rasa to render a response by name, lets an
action put several texts into one message and lets the unit tests read the real text.
"""

from __future__ import annotations

import copy
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DOMAIN_DIR = HERE.parent / "domain"
# responses.yml (guidance, booking), responses_intake.yml (the intake, a person).
RESPONSE_FILES = (*sorted(DOMAIN_DIR.glob("*.yml")), *sorted(HERE.glob("responses*.yml")))
LANGS = ("da", "en")


@lru_cache(maxsize=1)
def responses() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in RESPONSE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged.update(data.get("responses") or {})
    return merged


def _variant(name: str, lang: str) -> dict[str, Any]:
    variants = responses().get(name)
    if not variants:
        raise KeyError(f"no response {name!r} in domain/ or actions/responses.yml")
    default = None
    for variant in variants:
        conditions = variant.get("condition") or []
        if not conditions:
            default = default or variant
            continue
        if all(c.get("name") == "lang" and c.get("value") == lang for c in conditions):
            return variant
    if default is None:
        raise KeyError(f"response {name!r} has no variant without a condition")
    return default


class _Keep(dict):
    """Leave unknown {placeholders} as they are instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return string.Formatter().vformat(value, (), _Keep(variables))
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    return value


def message(name: str, lang: str, /, **variables: Any) -> dict[str, Any]:
    """The response `name` in `lang` with {variables} filled: text, buttons, custom."""
    lang = lang if lang in LANGS else "da"
    variant = copy.deepcopy(_variant(name, lang))
    variant.pop("condition", None)
    return _fill(variant, variables)


def text(name: str, lang: str, /, **variables: Any) -> str:
    return message(name, lang, **variables).get("text", "")
