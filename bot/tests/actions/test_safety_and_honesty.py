"""The crisis safety net and the bot's wording (no portal needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from components.crisis_guard import CrisisGuard, is_crisis

BOT_DIR = Path(__file__).resolve().parents[2]
WORDING = [*sorted((BOT_DIR / "domain").glob("*.yml")), BOT_DIR / "actions" / "responses.yml"]


@pytest.mark.parametrize("text", [
    "jeg vil slå mig selv ihjel", "jeg vil sla mig selv ihjel", "jeg har selvmordstanker",
    "Jeg vil dø", "jeg har ikke lyst til at leve mere", "vil ikke leve mere",
    "I'm going to kill myself", "I want to end my life", "suicide", "i want to die",
    "I don’t want to live anymore",
])
def test_strong_phrases_are_crisis(text: str) -> None:
    assert is_crisis(text)


@pytest.mark.parametrize("text", [
    "min søn på 17 ryger hash hver dag", "jeg drikker for meget", "hvad kan du",
    "I want to apply for support", "kan jeg booke en tid",
])
def test_everyday_messages_are_not_crisis(text: str) -> None:
    assert not is_crisis(text)


def test_guard_overrides_an_unsure_classification() -> None:
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": "jeg vil slaa mig selv ihjel",
                            "intent": {"name": "nlu_fallback", "confidence": 0.3},
                            "intent_ranking": [{"name": "greet", "confidence": 0.2}]})
    other = Message(data={"text": "hej", "intent": {"name": "greet", "confidence": 0.9}})
    CrisisGuard().process([message, other])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "crisis"
    assert other.get("intent")["name"] == "greet"


def test_an_unsure_crisis_is_not_a_fallback() -> None:
    from rasa.shared.nlu.training_data.message import Message

    def unsure(top: str, confidence: float) -> Message:
        return Message(data={"text": "jeg har skrevet et afskedsbrev",
                             "intent": {"name": "nlu_fallback", "confidence": 0.3},
                             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                                                {"name": top, "confidence": confidence},
                                                {"name": "greet", "confidence": 0.1}]})

    crisis, low, other = unsure("crisis", 0.25), unsure("crisis", 0.1), unsure("greet", 0.25)
    CrisisGuard().process([crisis, low, other])
    assert crisis.get("intent") == {"name": "crisis", "confidence": 0.25}
    assert low.get("intent")["name"] == "nlu_fallback"
    assert other.get("intent")["name"] == "nlu_fallback"


def _texts() -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for path in WORDING:
        walk((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses"))
    return found


def test_the_bot_never_promises_an_entitlement() -> None:
    for text in _texts():
        lowered = text.lower()
        assert "entitled" not in lowered and "har ret til" not in lowered, text


def test_the_only_phone_numbers_are_112_and_livslinien() -> None:
    import re

    for text in _texts():
        for number in re.findall(r"\d[\d ]{2,}\d", text):
            assert number.replace(" ", "") in {"112", "70201201"}, text


def test_crisis_answer_has_112_and_livslinien_in_both_languages() -> None:
    import sys

    sys.path.insert(0, str(BOT_DIR))
    from actions import texts

    for lang in ("da", "en"):
        message = texts.message("utter_crisis", lang)
        assert "112" in message["text"] and "70 201 201" in message["text"]
        urls = [link["url"] for link in message["custom"]["links"]]
        assert urls == ["tel:112", "tel:70201201"]
