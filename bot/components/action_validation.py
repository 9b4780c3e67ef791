"""Validate the action server's replies as strictly as Rasa does, at a fraction of the cost.

Rasa 3.6 checks each reply of the action server with `jsonschema.validate(result,
schema)`. Profiling the chat under load (bench/chat.py --profile) found two costs:

1. `jsonschema.validate` first validates the *schema itself* against JSON Schema's
   meta-schema, on every call. Rasa's events schema is large: this was ~80 % of Rasa's
   time per turn. Fix: a validator built (and the schema checked) once.
2. Each event must match exactly one of 24 alternatives (`oneOf`), so every event is
   validated against all 24. That remained ~15 % of Rasa's time per turn. But every
   alternative pins `event` to its own constant, so an event can only ever match the
   one alternative for its `event` name. Fix: validate each event against the item
   schema with just that alternative (built once per event name).

The fast path only says "valid". When it finds anything wrong, the reply is validated
again with Rasa's full schema, so the error raised is exactly Rasa's. If a future
Rasa's schema no longer has this shape, the fast path is not used
(`_dispatch_by_event` returns None) and every reply gets the full validation.

This module replaces `RemoteAction._validate_action_result`. It is applied when the
`components` package is imported, which Rasa does whenever it loads or trains a model
with this project's config (the pipeline names `components.crisis_guard.CrisisGuard`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@dataclass(frozen=True)
class _Validators:
    full: Any  # Rasa's schema, as it is
    top: Any | None  # the reply with any events list items (checked one by one instead)
    by_event: dict[str, Any] | None  # event name -> the item schema with its one alternative


@functools.lru_cache(maxsize=1)
def _validators() -> _Validators:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, at the first custom action call
    full = cls(schema)
    items = _dispatch_by_event(schema)
    if items is None:
        return _Validators(full, None, None)
    top = {**schema, "properties": {**schema["properties"],
                                    "events": {**schema["properties"]["events"], "items": {}}}}
    return _Validators(full, cls(top), {name: cls(item) for name, item in items.items()})


def _dispatch_by_event(schema: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The events' item schema split by event name, if each `oneOf` alternative pins a
    distinct `event` constant (then an event can match no other alternative than its own,
    and "exactly one" is "its own"); else None."""
    try:
        events = schema["properties"]["events"]
        item = events["items"]
        alternatives = item["oneOf"]
        if "event" not in item.get("required", []):
            return None
        base = {key: value for key, value in item.items() if key != "oneOf"}
        if any(key in base for key in ("anyOf", "allOf", "not", "if", "$ref")):
            return None
        by_event: dict[str, dict[str, Any]] = {}
        for alternative in alternatives:
            name = alternative["properties"]["event"]["const"]
            if not isinstance(name, str) or name in by_event:
                return None
            by_event[name] = {**base, "allOf": [alternative]}
        return by_event
    except (KeyError, TypeError):
        return None


def _fast_valid(validators: _Validators, result: Any) -> bool:
    if validators.top is None or validators.by_event is None:
        return False
    if not validators.top.is_valid(result):
        return False
    events = result.get("events") if isinstance(result, dict) else None
    if not isinstance(events, list):
        return True  # absent (allowed) or already refused by `top`
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = validators.by_event.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    validators = _validators()
    if _fast_valid(validators, result):
        return True
    error = best_match(validators.full.iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


__all__ = ["ValidationError", "apply"]
