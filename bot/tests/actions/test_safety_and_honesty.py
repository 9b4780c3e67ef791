"""The crisis safety net and the bot's wording (no portal needed)."""

from __future__ import annotations

import re
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


# Written apart from the training data (first run: 33 of 38 caught, 1 of 25 flagged;
# the guard was then widened where a miss showed a general phrasing). The three kinds of
# the issue: suicidal thoughts, self-harm in progress, acute danger; first person, about
# someone else, without æ/ø/å.
CRISIS_NOT_IN_TRAINING = [
    'jeg kan ikke mere, jeg vil ikke leve længere',
    'jeg har tænkt på selvmord hele ugen',
    'jeg har lige slugt 20 panodiler',
    'min kæreste har taget en overdosis',
    'jeg sidder med kniven og har skåret mig i håndleddet',
    'hjælp min ven trækker ikke vejret',
    'han kvæler mig',
    'min eks står uden for døren og truer mig med en kniv',
    'jeg står oppe på taget og vil springe',
    'der er nogen der prøver at bryde ind hos mig',
    'jeg er ikke i sikkerhed derhjemme',
    'jeg vil gøre en ende på det hele',
    'min søn har sagt han vil tage sit liv',
    'jeg orker ikke at være i live mere',
    'jeg vil hellere være død',
    'min far truer med at skyde sig selv',
    'jeg har ingen grund til at leve',
    'jeg tager alle mine piller nu',
    'jeg har lyst til at skære i mig selv igen lige nu',
    'min mand slår mig lige nu og børnene er her',
    'i want to kill myself',
    "i'm going to end it tonight",
    'i took 30 paracetamol an hour ago',
    "my girlfriend overdosed and won't respond",
    'she slit her wrists',
    "my dad isn't breathing",
    'someone is breaking into my house right now',
    'my husband has a gun and is threatening us',
    "i'm on the roof and i'm going to jump",
    'no one would even notice if i died',
    'i have written a suicide note',
    'life is not worth living anymore',
    'i want to hurt myself right now',
    'my brother says he is going to hang himself',
    "i can't go on, i want to die",
    "i'm cutting myself and can't stop",
    "he's strangling me",
    'i am not safe at home',
    "i don't want to be alive anymore",
    'i swallowed a bottle of sleeping pills',
]

# Near misses: the same words without danger.
EVERYDAY_NOT_IN_TRAINING = [
    'jeg dør af grin',
    'min telefon er død',
    'jeg har skåret mig på et glas i går',
    'min mor har svært ved at tage sine piller',
    'jeg har taget min medicin',
    'min søn er afhængig af piller',
    'hvor kan jeg få hjælp til at stoppe med at drikke',
    'min mand slog mig for to år siden, og jeg har stadig mareridt',
    'jeg vil gerne leve et bedre liv',
    'min far er død, og jeg er ked af det',
    'jeg bor alene og er ensom',
    'kan jeg få hjælp til min gæld',
    "i'm dying to see the new movie",
    'my phone died',
    'i could kill for a coffee',
    "i used to self-harm but i'm better now",
    'my son takes too many risks',
    'i cut my finger cooking',
    'my mum forgets to take her pills',
    'how do i end my contract',
    'my grandfather died last year and i miss him',
    'i am scared of the dark',
    'i need help with my debt',
    'my dad was violent when i was a child',
    'is it safe to take paracetamol with alcohol',
]


@pytest.mark.parametrize("text", CRISIS_NOT_IN_TRAINING)
def test_crisis_phrasings_outside_the_training_data_are_crisis(text: str) -> None:
    assert is_crisis(text)


@pytest.mark.parametrize("text", EVERYDAY_NOT_IN_TRAINING)
def test_near_misses_are_not_crisis(text: str) -> None:
    assert not is_crisis(text)


def training_examples() -> list[tuple[str, str]]:
    examples = []
    for path in sorted((BOT_DIR / "data" / "nlu").glob("*/*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                text = re.sub(r"^\s*-\s*", "", line).strip()
                # "[Aarhus](municipality)" -> "Aarhus"
                text = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", text)
                if text:
                    examples.append((item["intent"], text))
    return examples


def test_the_guard_agrees_with_the_training_data() -> None:
    """It catches every crisis example and never overrules another intent's example."""
    examples = training_examples()
    crisis = [text for intent, text in examples if intent == "crisis"]
    assert len(crisis) > 100
    assert [text for text in crisis if not is_crisis(text)] == []
    assert [(intent, text) for intent, text in examples
            if intent != "crisis" and is_crisis(text)] == []


def test_the_phrasings_above_are_not_in_the_training_data() -> None:
    trained = {text.lower() for _intent, text in training_examples()}
    assert not [t for t in CRISIS_NOT_IN_TRAINING + EVERYDAY_NOT_IN_TRAINING
                if t.lower() in trained]


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
        return Message(data={"text": "jeg kan ikke mere",
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
