"""A safety net under the intent classifier: strong crisis phrases always mean `crisis`.

Three kinds, as the issue names them: suicidal thoughts, self-harm in progress and
acute danger, written by the person themselves or about someone else. The phrases are
tested on crisis messages written apart from the training data and on near misses
("jeg dør af grin", "i used to self-harm"), and must agree with every training example
(tests/actions/test_safety_and_honesty.py).

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

It needs no training and no downloads; matching is on text folded by the bot's one
folding (textfold: lower-case, æ/ø/å and their ASCII spellings ae/oe/aa to e/o/a).
"""

from __future__ import annotations

import re
from typing import Any

import textfold
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

CRISIS_INTENT = "crisis"
FALLBACK_INTENT = "nlu_fallback"

# Written for folded text (see `fold`): "slå" -> "sla", "dø" -> "do", "kvæler" -> "kveler",
# and in English "does" -> "dos", "shoe" -> "sho"; folded text never holds "aa", "ae" or
# "oe". Where æ is folded to "e", the phrases also accept "a" ("kv[ae]ler"): some people
# type a for æ, and a missed crisis costs more than a longer pattern. Three kinds, as the
# issue names them; each phrase must be unmistakable on its own, because it wins over
# the classifier.
SUICIDAL_THOUGHTS = (
    r"selvmord",
    r"sla (mig|sig|dig) selv ihjel",
    r"(skyde|h[ae]nge|dr[ae]be) (mig|sig) selv",
    r"tager? (mit|sit|dit) (eget )?liv",
    r"tage livet af (mig|sig)",
    r"gore en ende pa (det hele|mit liv|sit liv)",
    r"gore en ende pa det\b(?! (med|forhold))",
    r"gore det af med (mig|sig) selv",
    r"(kore|korer|kort) galt med vilje",
    r"ikke (mere )?(noget )?at leve for",
    r"ikke (at )?vagne op igen",
    r"bedst for alle (hvis|at) jeg ikke (er|var) her",
    r"plan om at do\b",
    r"\bet reb\b.{0,40}\b(i nat|i aften|nu|gore det)",
    r"kanten af (taget|broen|bron|altanen)",
    r"(gemt|samlet|sparet) (pa )?(piller|tabletter)\b.{0,40}\b(alle|dem|sammen)",
    r"brev til (min familie|mine born|mine foreldre)\b.{0,40}\bikke (er|var) her",
    r"\bende (det hele|mit liv|sit liv|livet)",
    r"ikke (mere )?lyst til at leve",
    r"(vil|ville) ikke leve (mere|l[ae]ngere)",
    r"ikke (vil|ville) leve (mere|l[ae]ngere)",
    r"orker ikke (mere )?at leve",
    r"ikke v[ae]rd at leve",
    r"(ingen|ikke nogen|ikke en) grund til at leve",
    r"\bvil (bare )?do\b(?! af grin)",
    r"(piller|tabletter|nok) (nok )?(til|for) at do\b",
    r"ikke (mere )?(lyst til at )?v[ae]re her (mere|l[ae]ngere)",
    r"(vil|orker) (bare )?ikke v[ae]re her",
    r"ikke (at )?v[ae]re i live",
    r"(hellere|bare) v[ae]re dod|(onsker|onske) (at )?jeg var dod",
    r"(skrevet|sagt|sendt) farvel\b.{0,30}\b(svarer ikke|tager ikke)",
    r"(ingen|ikke nogen) (vil|ville) savne mig",
    r"bedre (for alle )?uden mig",
    r"forsvind(e|er)? for altid",
    r"(haber|onsker) (at )?jeg (ikke|aldrig) vagner",
    r"afskedsbrev",
    r"h[ae]nge mig( selv)?\b",
    r"(et|mit) reb\b.{0,30}\bklar",
    r"planlagt hvordan jeg (skal|vil) gore det",
    r"(hoppe|hopper|springe|springer|kaste mig)\b.{0,30}\b(bron|en bro|taget|vinduet|altanen|"
    r"toget|skinnerne)",  # "broen" folds to "bron"
    r"(bron|taget|altanen)\b.{0,30}\b(hoppe|springe|kaste mig)",
    r"kill (my ?self|me)\b",
    r"(kill|hang|hanging|shoot|stab) (my|him|her|them) ?sel(f|ves)",
    r"(will|might|going to|gonna|stop|want to) (hurt|harm|hurting|harming) my ?self",
    r"\bkms\b",
    r"wanna die\b",
    r"decided to die\b",
    r"done with (life|living)",
    r"(no|any|a) (reason|point) (to|in) liv(e|ing)",
    r"pills to die",
    r"pills (are )?ready",
    r"goodbye\b.{0,40}\b(pills|tablets)|(pills|tablets)\b.{0,40}\bgoodbye",
    r"(has|have|got) (the|a) rope",
    r"saving (up )?(pills|tablets)",
    r"(wrote|written) (goodbye )?letters? to my (family|kids|children|parents)",
    r"tonight is the night",
    r"do ?n[o']?t want to wake up",
    r"throw(ing)? my ?self (in front of|off|under)",
    r"plan to die\b",
    r"(says|said|texted|writes|wrote) (that )?(he|she|they) (wants?|is going|are going) to die",
    r"edge of the (roof|bridge|balcony)",
    r"(and|to) (never|not) wake up",
    r"suicid",
    r"end (my|his|her|their|it all|my own) ?life|end it all",
    r"take my (own )?life",
    r"(want|wanna|going) to die\b",
    r"do ?n[o']?t want to (live|be alive)",
    r"do ?n[o']?t want to be here any ?more",
    r"(thinking (about|of)|going to|want to|wanna|gonna) end(ing)? it\b(?! with)",
    r"better off without me",
    r"(no ?one|nobody) (would|will) (even )?(miss|notice|care)",
    r"(not|n'?t) worth living",
    r"(goodbye|suicide) (letter|note)",
    r"(hope|wish) i (do ?n[o']?t|never) wake up",
    r"jump(ing)? (off|from|in front of) (the |a )?(bridge|roof|building|balcony|window|train)",
    r"(bridge|roof|balcony)\b.{0,30}\bjump",
)
SELF_HARM_IN_PROGRESS = (
    r"(skar|skaret|snittet)\b.{0,30}\b(handled|pulsare)",
    # Not in the past ("har skåret i sig selv før": worry, not danger) or an accident
    # ("skåret mig på et glas").
    r"((skaret|skar|sk[ae]rer|sk[ae]re) (i )?(mig|sig) selv|(skaret|skar) (mig|sig))\b"
    r"(?! (for|tidligere|pa)\b)",
    r"for mange (piller|tabletter|sovepiller)",
    r"(blod|blodning)\w*\b.{0,30}\b(stopper ikke|vil ikke stoppe|kan ikke stoppe)",
    r"slugt\b.{0,30}\b(piller|tabletter|panodil|pamol|paracetamol|sovepiller)",
    r"(tager|taget|spist|spiser|sluger) (en hel|hele|alle|mange|et helt|en masse|[0-9]+)\b.{0,20}"
    r"\b(piller|tabletter|pakke|panodil|pamol|paracetamol|sovepiller)",
    r"overdos",
    r"tr[ae]kker (n[ae]sten |knap )?ikke vejret",
    r"bevidstlos",
    r"faldet om\b.{0,30}\b(bla|reagerer ikke|svarer ikke)",
    r"(sidder|star) med et reb\b",
    r"bla om l[ae]berne",
    r"(ligger|faldet om)\b.{0,30}\brorer sig ikke",
    r"(bloder|blodning) (meget|voldsomt|kraftigt)",
    r"(br[ae]ndt|skadet|skaret) mig selv med vilje",
    r"kan ikke stoppe med at skade mig selv",
    r"(cut|slit|slashed) (my|his|her|their) wrists?",
    r"(won'?t|will not|dos ?n'?t|can'?t|cannot) stop (the )?bleeding",
    r"swallowed\b.{0,30}\b(pills|tablets|paracetamol|painkillers|sleeping)",
    r"(took|taken) (a whole|the whole|all|all of|an entire|[0-9]+|lots of|loads of|a lot of)\b"
    r".{0,20}\b(pills|tablets|paracetamol|painkillers)",
    r"(is ?n[o']?t|not|stopped|barely) breathing",
    r"unconscious",
    r"lips are (turning )?blue",
    r"(lying|collapsed)\b.{0,30}\bnot moving",
    r"bleeding (a lot|heavily|badly)",
    r"(burned|burnt|hurt|cut|harmed) my ?self on purpose",
    r"(?<!used to )cut(ting)? my ?self",
    r"(too many|enough) (pills|tablets|sleeping pills|painkillers)",
    r"(won'?t|will not|can'?t|cannot|dos ?n'?t) wake (up|her|him)",
)
ACUTE_DANGER = (
    r"(kv[ae]ler|kv[ae]lte|slar|sparker|stikker|truer) \w+\b.{0,20}\blige nu",
    r"(kv[ae]ler|kv[ae]lte) mig",
    r"truer (mig|os) med (en )?(kniv|pistol|vaben)",
    r"\b(har|med|holder) en (kniv|pistol|bosse|vaben)",
    r"sla\w* (mig|os|dig|hende|ham) ihjel",
    r"hj[ae]lp,? (han|hun|de) (slar|sparker|kv[ae]ler)",
    r"er last inde",
    r"akut hj[ae]lp|det er akut|hj[ae]lp akut",
    r"(prover|forsoger|ved) at bryde ind",
    r"ikke i sikkerhed",
    r"(gemt|gemmer) mig\b.{0,20}\b(badev[ae]relset|toilettet|skabet|v[ae]relset)",
    r"(is|are|'s|keeps) (strangling|choking|stabbing) (me|us)\b",
    r"(beating|hitting|kicking) (me|us) (right )?now",
    r"(trying to|is|are) break(ing)? in(to)?\b",
    r"(i'?m|i am|we'?re|we are) not safe",
    r"(threaten\w*|coming at|after) (me|us) with a (knife|gun)",
    r"\b(has|have|got|holding|outside with|is here with) a (knife|gun|weapon)",
    r"(hitting|beating|hurting|kicking) (me|us|my \w+|his \w+|her \w+) (right )?now",
    r"(vil|skal|truer med at) dr[ae]be (mig|os|dig|hende|ham)",
    r"holder mig fast og vil ikke lade mig ga",
    r"(slet|slog|slar) mig\b.{0,30}\bbloder",
    r"hit me\b.{0,30}\bbleeding",
    r"\b(han|hun) sparker (mig|os)\b",
    r"(overfaldet|attacked) (mig|me)\b.{0,40}\b(saret|hurt|bloder|bleeding)",
    r"hiding in the (toilet|bathroom|wardrobe|closet)",
    r"(he'?s|he is|she'?s|she is) kicking me",
)
STRONG_PHRASES = SUICIDAL_THOUGHTS + SELF_HARM_IN_PROGRESS + ACUTE_DANGER
_PATTERN = re.compile(r"\b(?:" + "|".join(STRONG_PHRASES) + r")")


def fold(text: str) -> str:
    """The bot's one folding (textfold), with ’ as ' and whitespace collapsed."""
    return re.sub(r"\s+", " ", textfold.fold(text.replace("’", "'")))


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
