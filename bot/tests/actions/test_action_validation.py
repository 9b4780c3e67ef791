"""Rasa validates every action-server reply; this project compiles that schema once
(components/action_validation.py). The check must stay as strict as Rasa's own."""

from __future__ import annotations

import components  # noqa: F401  (applies the faster validation)
import pytest
from components.action_validation import _validate_action_result
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

VALID = {"events": [{"event": "slot", "name": "lang", "value": "da"}],
         "responses": [{"text": "Hej"}]}


def test_rasa_uses_the_compiled_validation():
    assert RemoteAction._validate_action_result is _validate_action_result


def test_a_valid_reply_passes():
    assert RemoteAction("action_x", None)._validate_action_result(VALID)


@pytest.mark.parametrize("reply", [
    {"events": [{"event": "slot", "name": "lang", "value": "da"}], "responses": "Hej"},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "slot", "responses": []},
])
def test_a_broken_reply_is_refused_with_rasas_message(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(reply)

