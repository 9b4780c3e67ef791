"""A safety net under the intent classifier: strong crisis phrases always mean `crisis`.

The classifier learns crisis from examples, but a statistical model can be unsure of a
short or misspelt message ("vil slaa mig selv ihjel"), and an unsure answer must never
become a fallback when someone may be in danger. This component runs after the
classifier and the FallbackClassifier and, when the text contains an unmistakable
phrase, sets the intent to `crisis` with full confidence. The rules then answer with
112 and Livslinien at once, in any state of the conversation.

It also keeps an unsure crisis from becoming a fallback: when the FallbackClassifier
gave up (confidence below its threshold) but the classifier's best guess was still
`crisis` with at least `min_unsure_confidence`, the intent becomes `crisis`. A calm
answer with 112 and Livslinien to someone who was not in crisis costs little; a
"did you mean…?" to someone who was can cost a great deal.

It needs no training and no downloads; matching is on lower-cased text with æ/ø/å and
their ASCII spellings (ae/oe/aa, a/o) folded together.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

CRISIS_INTENT = "crisis"
FALLBACK_INTENT = "nlu_fallback"

# Written for folded text (see `fold`): "slå" -> "sla", "dø" -> "do", "æ" -> "a".
STRONG_PHRASES = (
    r"selvmord",
    r"sla mig selv ihjel",
    r"slaa mig selv ihjel",
    r"tage mit (eget )?liv",
    r"tage livet af mig",
    r"gore en ende pa (det hele|mit liv)",
    r"ikke (mere )?lyst til at leve",
    r"vil ikke leve (mere|langere)",
    r"jeg vil do\b(?! af grin)",
    r"vil bare do\b",
    r"kill (my ?self|me)\b",
    r"suicid",
    r"end (my|it all|my own) ?life|end it all",
    r"take my (own )?life",
    r"(want|wanna|going) to die\b",
    r"do ?n[o']?t want to (live|be alive)",
)
_PATTERN = re.compile(r"\b(?:" + "|".join(STRONG_PHRASES) + r")")


def fold(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = text.replace("aa", "a").replace("oe", "o").replace("ae", "a")
    return re.sub(r"\s+", " ", text)


def is_crisis(text: str) -> bool:
    return bool(text) and _PATTERN.search(fold(text)) is not None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisGuard(GraphComponent):
    """Sets the intent to `crisis` for unmistakable phrases (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_unsure_confidence": 0.2}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = {**self.get_default_config(), **(config or {})}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> CrisisGuard:
        return cls(config)

    def _unsure_crisis(self, message: Message) -> float | None:
        """The crisis confidence if a fallback hides a best guess of `crisis`."""
        if (message.get("intent") or {}).get("name") != FALLBACK_INTENT:
            return None
        ranking = [r for r in message.get("intent_ranking") or []
                   if r.get("name") != FALLBACK_INTENT]
        if not ranking or ranking[0].get("name") != CRISIS_INTENT:
            return None
        confidence = float(ranking[0].get("confidence") or 0.0)
        return confidence if confidence >= self.config["min_unsure_confidence"] else None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text") or ""
            if text.startswith("/"):
                continue
            if is_crisis(text):
                confidence = 1.0
            else:
                unsure = self._unsure_crisis(message)
                if unsure is None:
                    continue
                confidence = unsure
            intent = {"name": CRISIS_INTENT, "confidence": confidence}
            ranking = [r for r in message.get("intent_ranking") or []
                       if r.get("name") not in (CRISIS_INTENT, FALLBACK_INTENT)]
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", [intent, *ranking], add_to_output=True)
        return messages
