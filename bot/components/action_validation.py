"""Validate the action server's replies with a schema compiled once, not on every call.

Rasa 3.6 checks each reply of the action server with `jsonschema.validate(result,
schema)`. That function first validates the *schema itself* against JSON Schema's
meta-schema — on every call — and Rasa's events schema is large: profiling the chat
under load (bench/chat.py --profile) showed ~80 % of Rasa's time per turn spent there,
with two custom action calls per turn (the metadata slot mapping and the answer).

This module replaces `RemoteAction._validate_action_result` with the same check (same
schema, same error message) using a validator built once. It is applied when the
`components` package is imported, which Rasa does whenever it loads or trains a model
with this project's config (the pipeline names `components.crisis_guard.CrisisGuard`).
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, at the first custom action call
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = best_match(_validator().iter_errors(result))
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
