"""Rasa validates every action-server reply; this project does it faster
(components/action_validation.py). The check must accept and refuse exactly what Rasa's
own `jsonschema.validate` accepts and refuses."""

from __future__ import annotations

import copy
from typing import Any

import components  # noqa: F401  (applies the faster validation)
import jsonschema
import pytest
from components.action_validation import _fast_valid, _validate_action_result, _validators
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)

VALID = {"events": [{"event": "slot", "name": "lang", "value": "da"}],
         "responses": [{"text": "Hej"}]}

# Every kind of event Rasa's SDK can send back, as Rasa itself writes them.
RASA_EVENTS = [
    UserUttered("min søn ryger hash", {"name": "situation_drugs", "confidence": 0.9},
                [{"entity": "relation", "value": "søn", "start": 4, "end": 7}]),
    ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
    SlotSet("municipality", "koebenhavn"), SlotSet("relation", None),
    EntitiesAdded([{"entity": "municipality", "value": "aarhus"}]),
    ReminderCancelled(name="r"), ActionExecutionRejected("action_x"),
    LoopInterrupted(True), ActiveLoop("municipality_form"), ActiveLoop(None),
    AllSlotsReset(), ConversationResumed(), ConversationPaused(), FollowupAction("action_x"),
    StoryExported(), Restarted(), UserUtteranceReverted(), ActionReverted(),
    BotUttered("Hej", {"buttons": [{"title": "Ja", "payload": "/affirm"}]}),
    SessionStarted(), AgentUttered("hej"),
]


def rasa_accepts(reply: Any) -> bool:
    """Rasa 3.6's own check (rasa.core.actions.action.RemoteAction, unpatched)."""
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except ValidationError:
        return False
    return True


def ours_accepts(reply: Any) -> bool:
    try:
        return _validate_action_result(RemoteAction("action_x", None), reply)
    except ValidationError:
        return False


def broken_variants(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event with each of its fields in turn missing or of a wrong type."""
    variants = []
    for key in event:
        missing = {k: v for k, v in event.items() if k != key}
        variants.append(missing)
        for wrong in (12345, "text", None, [], {}, True, 1.5):
            changed = copy.deepcopy(event)
            changed[key] = wrong
            variants.append(changed)
    return variants


def replies() -> list[Any]:
    events = [e.as_dict() for e in RASA_EVENTS]
    corpus: list[Any] = [VALID, {}, {"events": []}, {"responses": []},
                         {"events": events, "responses": []}]
    for event in events:
        corpus.append({"events": [event]})
        corpus += [{"events": [SlotSet("lang", "da").as_dict(), variant]}
                   for variant in broken_variants(event)]
    corpus += [{"events": "slot"}, {"events": [None]}, {"events": ["slot"]},
               {"events": [{"event": "no_such_event"}]}, {"events": [{"event": 3}]},
               {"events": [{}]}, {"responses": "Hej"}, {"responses": [3]}, [], "reply", None,
               {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]},
               {"events": [{"event": "slot", "name": "x", "value": 1, "metadata": []}]}]
    return corpus


def test_rasa_uses_the_faster_validation():
    assert RemoteAction._validate_action_result is _validate_action_result


def test_the_fast_path_is_in_use_for_rasas_schema():
    validators = _validators()
    assert validators.by_event is not None and "slot" in validators.by_event
    assert _fast_valid(validators, VALID)


def test_accepts_and_refuses_exactly_what_rasa_does():
    corpus = replies()
    verdicts = [(rasa_accepts(reply), ours_accepts(reply)) for reply in corpus]
    differ = [reply for reply, (rasa, ours) in zip(corpus, verdicts, strict=True) if rasa != ours]
    assert differ == []
    # The corpus exercises both sides.
    assert sum(rasa for rasa, _ in verdicts) > 25
    assert sum(not rasa for rasa, _ in verdicts) > 100


def test_the_fast_path_never_says_valid_where_rasa_refuses():
    validators = _validators()
    for reply in replies():
        if _fast_valid(validators, reply):
            assert rasa_accepts(reply), reply


@pytest.mark.parametrize("reply", [
    {"events": [{"event": "slot", "name": "lang", "value": "da"}], "responses": "Hej"},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "slot", "responses": []},
])
def test_a_broken_reply_is_refused_with_rasas_message(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(reply)
