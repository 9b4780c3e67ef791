"""Questions about an offer just shown: "er det gratis?", "kan jeg være anonym?", "hvor
ligger det?", "hvornår har de åbent?", "skal jeg have en henvisning?", "how do I sign up?".

One intent, `ask_offer_fact`, says "a question about the offer"; which fact is asked is
read here from the words with a small keyword table (`FACT_WORDS`, both languages, on
folded text: "gratis", "koster", "ka man vaere anonym", "henvisnig"). The kinds are a
closed list of eight, people name them with a handful of words, and one question may ask
two ("er det gratis og anonymt?"): a table reads that reliably and is tested word by
word, where eight small intents would split the examples eight ways and blur into each
other and into the life situations. Buttons send the kind as the entity `offer_fact`.

Which offer: the slot `shown_offers` (slugs of the offers in the latest answer, in the
order shown; set by the guidance actions). One offer: its answer. Several: one short
line per offer, each a card linking the offer's page (on a phone that reads better than
a "which one?" round trip, and the answers are short); "det første" / "the second one"
or a word of one offer's title picks that one. None: say so, and offer the topics.

Every answer comes from the portal (`facts` of `GET /api/v1/offers/<slug>`), which says
honestly when the sources do not say; nothing here states a fact about an offer.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from textfold import fold

from actions import texts
from actions.actions import (
    SHOWN_OFFERS,
    ActionFallbackChoices,
    UsesPortal,
    lang_of,
    link,
    say,
    say_unavailable,
)
from actions.forms import entity_value
from actions.portal import OfferDetail, PortalUnavailable

logger = logging.getLogger(__name__)

FACT_ENTITY = "offer_fact"
MAX_KINDS = 3
SHORT_LINE = 220  # characters of a fact in a card when several offers are answered

# The kinds of question, in the order their answers are given, and the words that ask
# them, on folded text (textfold.fold: lower-case, æ/ø/å and "ae"/"oe"/"aa" to e/o/a):
# "åbent" is "abent", "gæld" "geld", "være" "vere". Danish and English, with the common
# misspellings and spoken forms ("ka", "ha", "henvisnig").
FACT_WORDS: dict[str, str] = {
    "price": r"gratis|\bkost\w*|\bpris\w*|betal\w*|\bpenge|\bkr\b|kroner|gebyr\w*|\bdyrt?\b"
             r"|\bfree\b|\bcost\w*|\bprice\w*|\bpay\w*|\bcharge\w*|\bfees?\b|\bmoney"
             r"|expensive",
    "anonymous": r"an+on[iy]m\w*|anomym\w*|\bmit navn|\bcpr|hvem jeg er|\bidentit\w*"
                 r"|\bmy name|who i am",
    "location": r"hvor (ligger|er|finder|holder|foregar|modes)\b|hvor\w* henne"
                r"|hvor skal (jeg|man|vi) hen|\badres+e\w*|\baddres+\w*|\bwhere\b|\blocat\w*"
                r"|hvilken by|\bonline\b|pa nettet|hjemmefra|from home",
    "opening_hours": r"\babent\b(?! tilbud)|\baben\b|\babne\b(?! tilbud)|\babning\w*"
                     r"|\blukke[rt]?\b|hvornar (har|er) (de|i|han|hun|det|den|stedet)\b"
                     r"|hvornar kan (jeg|man|vi) komme\b|\btider(ne)?\b|tidspunkt\w*"
                     r"|\bopen(ing)?\b(?! (offer|service))|\bhours\b|\bclos(e|ed|es|ing)\b"
                     r"|weekend\w*|\baften\w*|\bevening\w*|\btimes\b",
    "referral": r"henvis\w*|henvsning\w*|hevisning\w*|henvising\w*"
                r"|\bvisit(ation|eret|ere)\w*|afgorelse\w*|bevilling\w*"
                r"|bare (ga|komme|mode|dukke|troppe)\b|uden videre|selv henvende"
                r"|henvende mig selv|\babe?n?t? tilbud|\babne tilbud|\bopen (offer|service)"
                r"|(egen |praktiserende )?\blege\b|\brefer\w*|\bgp\b|\bdoctor\w*|decision"
                r"|\bapprov\w*|permission|just (go|show|turn|walk|drop)\b|walk in|drop in"
                r"|on my own",
    "sign_up": r"tilmeld\w*|\bmelde? (mig|sig|os)|\bi gang\b|\bkontakt\w*|\bringe?r?\b"
               r"|skrive til|hvordan (bruger|far|kommer|booker|starter|begynder|soger)\b"
               r"|\bstart\w*|\bbook\w*|sign\w* ?up|\bregist\w*|\benrol\w*|\bjoin\w*"
               r"|get started|\bcontact\w*|\bapply\w*|how do (i|you|we) (use|get|begin)"
               r"|\bcall\w*|phone number|telefon\w*",
    "waiting_time": r"\bvent\w*|hvor lang tid|hvor hurtig\w*|hvor lenge|med det samme|straks"
                    r"|hvornar kan (jeg|man|vi) (starte|begynde|komme|fa)\b|\bwait\w*"
                    r"|how long|how soon|how quick\w*|right away|immediately"
                    r"|when can (i|we|you) (start|begin|come|get)\b",
    "for_whom": r"hvem (er det|er den|er de|kan|ma)\b|for hvem|\balder\w*|aldersgr\w*"
                r"|\bar gammel|gammel nok|\bfor mig\b|who (is it|is this|are they|can|may)\b"
                r"|\bfor me\b|\bage\b|how old|old enough|eligib\w*|\bqualif\w*",
}
_PATTERNS = {kind: re.compile(words) for kind, words in FACT_WORDS.items()}
KINDS = tuple(FACT_WORDS)

# "det første", "the second one", "nummer 3", "den sidste": which of the shown offers.
ORDINALS: tuple[tuple[int, str], ...] = (
    (0, r"\bforste\b|\bfirst\b|\b1st\b|\b(nummer|nr\.?|number) ?(1|et|en|one)\b"),
    (1, r"\b(den|det|nummer) (anden|andet|2)\b|\bandet tilbud|\bsecond\b|\b2nd\b"
        r"|\b(nr\.?|number) ?(2|to|two)\b"),
    (2, r"\btredje\b|\bthird\b|\b3rd\b|\b(nummer|nr\.?|number) ?(3|tre|three)\b"),
    (-1, r"\b(den|det) sidste\b|\bsidste tilbud|\bthe last (one|offer)\b|\blast one\b"),
)
_ORDINALS = [(index, re.compile(words)) for index, words in ORDINALS]


def fact_kinds(text: str) -> list[str]:
    """The kinds of fact a message asks about, in `KINDS` order (at most MAX_KINDS)."""
    folded = " ".join(fold(text or "").split())
    return [kind for kind in KINDS if _PATTERNS[kind].search(folded)][:MAX_KINDS]


def chosen_offer(text: str, shown: list[str], titles: dict[str, str]) -> str | None:
    """The one shown offer a message points at ("det første", a word of its title)."""
    folded = " ".join(fold(text or "").split())
    for index, pattern in _ORDINALS:
        if pattern.search(folded) and -len(shown) <= index < len(shown):
            return shown[index]
    words = _words(folded)
    hits = []
    for slug in shown:
        title_words = {w for w in _words(fold(titles.get(slug, "")))
                       if len(w) >= 5 and not _asks_a_fact(w)}
        if any(w.startswith(t) for w in words for t in title_words
               if not _shared(t, slug, shown, titles)):
            hits.append(slug)
    return hits[0] if len(hits) == 1 else None


# Words that point at an offer shown, for a question that names no fact ("hvad med det
# tilbud?"): then the assistant asks which fact, with buttons.
OFFER_WORDS = re.compile(r"\btilbud\w*|\bstedet\b|\boffer\w*|\bservice\b|\bthat one\b"
                         r"|\bthis one\b")


def names_an_offer(text: str) -> bool:
    """Whether a message points at an offer: "det tilbud", "det første", "the second one"."""
    if text.startswith("/"):
        return True  # a button of the offer's answer
    folded = " ".join(fold(text or "").split())
    return bool(OFFER_WORDS.search(folded)) or any(p.search(folded) for _, p in _ORDINALS)


def _words(text: str) -> set[str]:
    """Words, with hyphenated names whole and in parts ("u-turn", "busk-gruppen")."""
    found = set()
    for token in re.findall(r"\w+(?:-\w+)*", text):
        found |= {token, *token.split("-")}
    return found


def _asks_a_fact(word: str) -> bool:
    """A title word that is also a question's word ("anonym") names no offer."""
    return any(pattern.search(word) for pattern in _PATTERNS.values())


def _shared(word: str, slug: str, shown: list[str], titles: dict[str, str]) -> bool:
    """A title word that another shown offer's title also has ("rådgivning") picks none."""
    return any(word in fold(titles.get(other, "")) for other in shown if other != slug)


def _short(text: str) -> str:
    """A fact for a card: its first paragraph, cut after a sentence when long."""
    first = text.strip().split("\n\n", 1)[0]
    if len(first) <= SHORT_LINE:
        return first
    cut = first.rfind(". ", 0, SHORT_LINE)
    return first[:cut + 1] if cut > 0 else first[:SHORT_LINE].rsplit(" ", 1)[0] + " …"


class ActionAnswerOfferFact(UsesPortal, Action):
    """Answers a question about the offers just shown, from their facts in the portal."""

    def name(self) -> str:
        return "action_answer_offer_fact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        asked = entity_value(tracker, FACT_ENTITY)
        kinds = [asked] if asked in KINDS else ([] if text.startswith("/") else fact_kinds(text))
        shown = [s for s in tracker.get_slot(SHOWN_OFFERS) or [] if isinstance(s, str) and s]
        if not kinds and not (shown and names_an_offer(text)):
            # No fact asked, no offer named: the classifier took a question about
            # something else ("hvor langt er der til månen", "er der en natcafé hvor jeg
            # kan sove") for one about an offer. The assistant's own "unsure" answer.
            return ActionFallbackChoices(self._client).run(dispatcher, tracker, domain)
        if not shown:
            self.none_shown(dispatcher, lang)
            return []
        details = self.details(shown, lang)
        if not details:
            say_unavailable(dispatcher, self.client, lang)
            return []
        pick = None if text.startswith("/") else chosen_offer(
            text, [d.offer.slug for d in details], {d.offer.slug: d.offer.title for d in details})
        details = [d for d in details if d.offer.slug == pick] or details
        if not kinds:
            self.ask_which_fact(dispatcher, lang, details)
        elif len(details) == 1:
            self.one(dispatcher, lang, details[0], kinds)
        else:
            self.several(dispatcher, lang, details, kinds)
        return []

    def details(self, shown: list[str], lang: str) -> list[OfferDetail]:
        found = []
        for slug in shown:
            try:
                found.append(self.client.offer(slug, lang))
            except PortalUnavailable as error:
                logger.warning("offer %s: portal unavailable: %s", slug, error)
        return found

    def one(self, dispatcher: CollectingDispatcher, lang: str, detail: OfferDetail,
            kinds: list[str]) -> None:
        """One offer: the whole answer to each kind asked, and the offer's page."""
        lines = [self.answer(lang, detail, kind, labelled=len(kinds) > 1) for kind in kinds]
        intro = texts.text("text_fact_one", lang, title=detail.offer.title)
        page = link(lang, "text_link_offer", detail.offer.path)
        say(dispatcher, "\n\n".join([intro, *lines]),
            [page and {**page, "title": detail.offer.title},
             *self.ways_in(lang, [detail], kinds)])

    def several(self, dispatcher: CollectingDispatcher, lang: str,
                details: list[OfferDetail], kinds: list[str]) -> None:
        """Several offers: a card per offer with a short answer, linking its page."""
        cards = [{"title": d.offer.title,
                  "text": " ".join(_short(self.answer(lang, d, k, labelled=len(kinds) > 1))
                                   for k in kinds),
                  "url": d.offer.path} for d in details if d.offer.path]
        say(dispatcher, texts.text("text_fact_several", lang),
            [*cards, *self.ways_in(lang, details, kinds)])

    @staticmethod
    def answer(lang: str, detail: OfferDetail, kind: str, *, labelled: bool) -> str:
        fact = detail.facts.get(kind)
        answer = fact.text if fact else texts.text("text_fact_not_stated", lang)
        if labelled:
            return texts.text("text_fact_label", lang,
                              label=texts.text(f"text_fact_{kind}", lang), answer=answer)
        return answer

    def ways_in(self, lang: str, details: list[OfferDetail],
                kinds: list[str]) -> list[dict[str, str] | None]:
        """The way in that the question is about: the booking page (how to sign up,
        when) or the one-entrance intake (a referral, for a referred offer)."""
        items: list[dict[str, str] | None] = []
        if {"sign_up", "opening_hours"} & set(kinds):
            for d in details:
                booking = link(lang, "text_link_booking", d.offer.booking_path)
                if booking:
                    booking["title"] = texts.text("text_link_booking_title", lang,
                                                  title=d.offer.title)
                items.append(booking)
        referred = [d for d in details if d.offer.needs_referral]
        if {"referral", "sign_up"} & set(kinds) and referred:
            items.append(link(lang, "text_link_intake", referred[0].referral_path
                              or self.client.intake_path(lang)))
        return items

    def ask_which_fact(self, dispatcher: CollectingDispatcher, lang: str,
                       details: list[OfferDetail]) -> None:
        """The question was about the offer, but which fact was not clear: buttons."""
        text = (texts.text("text_fact_which", lang, title=details[0].offer.title)
                if len(details) == 1 else texts.text("text_fact_which_several", lang))
        buttons = [{"title": texts.text(f"text_fact_question_{kind}", lang),
                    "payload": f'/ask_offer_fact{{"{FACT_ENTITY}": "{kind}"}}'}
                   for kind in KINDS]
        dispatcher.utter_message(text=text, buttons=buttons)

    def none_shown(self, dispatcher: CollectingDispatcher, lang: str) -> None:
        """No offer shown yet: say so, and offer the topics and the search."""
        choices = texts.message("text_fallback", lang).get("buttons") or []
        say(dispatcher, texts.text("text_fact_none_shown", lang),
            [link(lang, "text_link_search", self.client.search_path(lang))],
            buttons=choices)
