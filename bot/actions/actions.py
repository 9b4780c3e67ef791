"""The action server: slots from the portal's metadata, the municipality form, guidance.

Every offer comes from the portal's API (actions/portal.py), and so does every portal
path the bot links to (the offers, the one-entrance intake, the search page); every word
from the domain's responses (actions/texts.py). Actions never raise on a portal
failure: the citizen is told plainly that offers cannot be looked up now and gets other
ways in (links to paths last seen, or none).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import places, texts
from actions.language import conversation_language, written_language
from actions.portal import (
    Municipality,
    Offer,
    PortalClient,
    PortalUnavailable,
    Search,
    default_client,
)

logger = logging.getLogger(__name__)

LANGS = ("da", "en")
OTHER = "other"  # municipality slot: not in the demo catalogue, or not told
MAX_OFFERS = 3
MAX_RELATIVE_OFFERS = 2
MAX_PER_NEED = 2  # offers per situation when a message names several
SHOWN_OFFERS = "shown_offers"  # the slugs of the offers in the latest answer
ELSEWHERE = ("anyone", "region", "nearby")  # the portal's `elsewhere` markers
# Crisis with this much of the classifier's confidence: no offers instead of a clear answer.
CRISIS_DOUBT = 0.1

SITUATION_INTENTS = {
    "situation_alcohol": "alcohol",
    "situation_drugs": "drugs",
    "situation_mental_health": "mental-health",
    "situation_loneliness": "loneliness",
    "situation_debt": "debt",
    "situation_housing": "housing",
    "situation_violence": "violence",
    "situation_discharged": "discharged",
    "situation_disability": "disability",
    "situation_work_education": "work-education",
    "situation_daily_life": "daily-life",
    "situation_relative_support": "relatives",
}
RELATIVES = "relatives"
NEEDS = frozenset(SITUATION_INTENTS.values())


def lang_of(tracker: Tracker) -> str:
    lang = tracker.get_slot("lang")
    return lang if lang in LANGS else "da"


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _is_payload(text: str) -> bool:
    return text.startswith("/")


def link(lang: str, name: str, url: str | None) -> dict[str, str] | None:
    """The link response `name` to `url`; None when the path is unknown (portal down)."""
    if not url:
        return None
    data = texts.message(name, lang)["custom"]
    return {"title": data["title"], "text": data["text"], "url": url}


def say(dispatcher: CollectingDispatcher, text: str,
        links: list[dict[str, str] | None], **kwargs: Any) -> None:
    """A message with the links whose path is known (and none if none is)."""
    known = [lk for lk in links if lk]
    if known:
        kwargs["json_message"] = {"links": known}
    dispatcher.utter_message(text=text, **kwargs)


def say_unavailable(dispatcher: CollectingDispatcher, client: PortalClient, lang: str,
                    q: str | None = None) -> None:
    """Offers cannot be looked up now: said plainly, with the search and the intake
    (their paths last seen; the portal is not asked again this turn)."""
    say(dispatcher, texts.text("text_offers_unavailable", lang), [
        link(lang, "text_link_search", client.search_path(lang, q, ask=False)),
        link(lang, "text_link_intake", client.intake_path(lang, ask=False)),
    ])


class Resolution:
    """What a written municipality turned out to be."""

    def __init__(self, slug: str | None, name: str | None) -> None:
        self.slug = slug  # a catalogue slug, OTHER, or None (not a municipality)
        self.name = name  # how to call it in a sentence


def resolve_municipality(value: str, lang: str,
                         client: PortalClient | None = None) -> Resolution:
    """Map what someone wrote to the catalogue's slug, leniently.

    "kbh", "Kobenhavn", "Copenhagen" -> koebenhavn; "Odense" -> OTHER (a real
    municipality the demo lacks); "blabla" -> None.
    """
    client = client or default_client()
    value = (value or "").strip()
    if not value:
        return Resolution(None, None)
    if value == OTHER:
        return Resolution(OTHER, None)
    try:
        known = client.municipalities(lang)
    except PortalUnavailable:
        known = []
    by_slug = {m.slug: m for m in known}
    if value in by_slug:
        return Resolution(value, by_slug[value].name)
    pairs: list[tuple[str, str]] = []
    for m in known:
        pairs += [(m.name, m.slug), (m.slug, m.slug)]
    slug = places.match(value, pairs)
    if slug:
        return Resolution(slug, by_slug[slug].name)
    danish = places.danish_municipality(value)
    if danish:
        if not known:  # portal down: trust the spelling, the search will say the rest
            return Resolution(places.slugify(danish), danish)
        return Resolution(OTHER, danish)
    return Resolution(None, None)


def municipality_name(slug: str | None, lang: str, client: PortalClient) -> str:
    try:
        for m in client.municipalities(lang):
            if m.slug == slug:
                return m.name
    except PortalUnavailable:
        pass
    return slug or ""


def covered_list(known: list[Municipality], lang: str) -> str:
    names = [m.name for m in known]
    if len(names) < 2:
        return "".join(names)
    joiner = " og " if lang == "da" else " and "
    return ", ".join(names[:-1]) + joiner + names[-1]


class UsesPortal:
    """An action that asks the portal's API; tests pass their own client."""

    def __init__(self, client: PortalClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> PortalClient:
        return self._client or default_client()


class ActionReadMetadata(UsesPortal, Action):
    """Custom slot mapping: runs in action_extract_slots after every user message.

    Sets `lang` (the language the citizen writes in, else the page's: see
    actions/language.py) and `municipality` from the portal's metadata, and remembers the
    situation the citizen describes (its slug, their own words, who it is about).
    A municipality chosen in the chat is only replaced when the portal sends a
    different one than before (the citizen changed it on the page), never by an
    empty value.
    """

    def name(self) -> str:
        return "action_read_metadata"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        events: list[EventType] = []
        message = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        if not isinstance(metadata, dict):
            metadata = {}

        # The language the citizen writes in, else the page's (rules: actions/language.py).
        page_lang = metadata.get("lang")
        lang = conversation_language(written_language(str(message.get("text") or "")),
                                     page_lang, tracker.get_slot("page_lang"),
                                     tracker.get_slot("lang"))
        if lang != tracker.get_slot("lang"):
            events.append(SlotSet("lang", lang))
        if page_lang in LANGS and page_lang != tracker.get_slot("page_lang"):
            events.append(SlotSet("page_lang", page_lang))

        portal_municipality = metadata.get("municipality")
        if isinstance(portal_municipality, str) and portal_municipality.strip():
            portal_municipality = portal_municipality.strip()
            if portal_municipality != tracker.get_slot("metadata_municipality"):
                events.append(SlotSet("metadata_municipality", portal_municipality))
                if portal_municipality != tracker.get_slot("municipality"):
                    events.append(SlotSet("municipality", portal_municipality))

        intent = (message.get("intent") or {}).get("name")
        written = _entity(tracker, "municipality")
        if written and intent != "crisis":
            found = resolve_municipality(written, lang, self.client)
            # Some municipality names are everyday words ("vejen", "greve", "odder"):
            # one outside the demo only counts when the citizen is telling where they live.
            if found.slug and (found.slug != OTHER or intent == "inform_municipality"):
                events += [SlotSet("municipality", found.slug),
                           SlotSet("municipality_name", found.name)]

        text = (message.get("text") or "").strip()
        if intent in SITUATION_INTENTS:
            own_words = None if _is_payload(text) else text
            events += [SlotSet("relation", _entity(tracker, "relation")),
                       SlotSet("situation", SITUATION_INTENTS[intent]),
                       SlotSet("search_text", own_words)]
        return events


class ActionAskMunicipality(UsesPortal, Action):
    """Asks for the municipality with a button per municipality in the catalogue."""

    def name(self) -> str:
        return "action_ask_municipality"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        client = self.client
        data = texts.message("text_ask_municipality", lang)
        try:
            known = client.municipalities(lang)
        except PortalUnavailable:
            known = []
        buttons = [{"title": m.name, "payload": municipality_payload(m.slug)}
                   for m in known][:11]
        buttons.append({"title": data["custom"]["other_button"],
                        "payload": municipality_payload(OTHER)})
        dispatcher.utter_message(text=data["text"], buttons=buttons)
        return []


def municipality_payload(slug: str) -> str:
    return "/inform_municipality" + json.dumps({"municipality": slug})


class ValidateMunicipalityForm(UsesPortal, FormValidationAction):
    """Accepts what people write for a place, leniently, and is honest about the rest."""

    def name(self) -> str:
        return "validate_municipality_form"

    def validate_municipality(self, slot_value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        lang = lang_of(tracker)
        value = str(slot_value or "").strip()
        if value == OTHER:
            return {"municipality": OTHER}
        found = resolve_municipality(value, lang, self.client)
        if found.slug == OTHER:
            return {"municipality": OTHER, "municipality_name": found.name}
        if found.slug:
            return {"municipality": found.slug, "municipality_name": found.name}
        dispatcher.utter_message(text=texts.text("text_municipality_not_recognised", lang))
        return {"municipality": None}


class ActionSetMunicipality(UsesPortal, Action):
    """The citizen named a municipality outside the form ("jeg bor i Aarhus").

    If they already described a situation, or describe one in the same message ("I live
    in Esbjerg and my mum is an alcoholic", as the portal's search reads it), the offers
    are looked up for the place; otherwise the bot notes it and asks what it is about.
    """

    def name(self) -> str:
        return "action_set_municipality"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        client = self.client
        written = _entity(tracker, "municipality") or (tracker.latest_message or {}).get("text")
        found = resolve_municipality(written or "", lang, client)
        if not found.slug:
            dispatcher.utter_message(text=texts.text("text_municipality_not_recognised", lang))
            return []
        events: list[EventType] = [SlotSet("municipality", found.slug),
                                   SlotSet("municipality_name", found.name)]
        patched = _with_slots(tracker, {"municipality": found.slug,
                                        "municipality_name": found.name})
        if not tracker.get_slot("situation"):
            # "I live in Esbjerg and my mum is an alcoholic": the need in the same words.
            need = self.need_in(lang, found.slug, tracker)
            if need:
                events += [SlotSet("situation", need), SlotSet("search_text", need_text(tracker))]
                patched = _with_slots(patched, {"situation": need,
                                                "search_text": need_text(tracker)})
        if patched.get_slot("situation"):
            return events + Guide(client).answer(dispatcher, patched)
        if found.slug == OTHER:
            Guide(client).other_municipality(dispatcher, lang, found.name, None)
            return events
        dispatcher.utter_message(text=texts.text("text_municipality_noted", lang,
                                                 municipality=found.name))
        return events

    def need_in(self, lang: str, municipality: str, tracker: Tracker) -> str | None:
        """The life situation the same message names, when the portal is confident."""
        text = need_text(tracker)
        if not text or might_be_crisis(tracker):
            return None
        try:
            found = self.client.search(lang=lang, q=text, per_page=1,
                                       municipality=None if municipality == OTHER
                                       else municipality)
        except PortalUnavailable:
            return None
        needs = [s for s in found.understood if s in NEEDS] if found.confident else []
        return needs[0] if needs else None


def need_text(tracker: Tracker) -> str | None:
    """The citizen's own words of this turn (None for a button's payload)."""
    text = ((tracker.latest_message or {}).get("text") or "").strip()
    return None if not text or _is_payload(text) else text[:200]


def _with_slots(tracker: Tracker, slots: dict[str, Any]) -> Tracker:
    """A copy of `tracker` as it will be once this action's slot events apply."""
    patched = tracker.copy()
    patched.slots.update(slots)
    return patched


class Guide:
    """Finds and presents offers for the situation in the conversation's slots.

    Every answer returns the slot `shown_offers` (the slugs shown, in order), so that a
    question about "it" ("er det gratis?") knows which offers were just shown.
    """

    def __init__(self, client: PortalClient) -> None:
        self.client = client
        self.shown: list[str] = []

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        lang = lang_of(tracker)
        municipality = tracker.get_slot("municipality")
        try:
            if municipality == OTHER:
                self.other_municipality(dispatcher, lang, tracker.get_slot("municipality_name"),
                                        tracker.get_slot("search_text"))
            else:
                self.situation(dispatcher, lang, municipality, tracker.get_slot("situation"),
                               tracker.get_slot("search_text"), tracker.get_slot("relation"))
        except PortalUnavailable as error:
            logger.warning("portal unavailable: %s", error)
            say_unavailable(dispatcher, self.client, lang, tracker.get_slot("search_text"))
        return [SlotSet(SHOWN_OFFERS, list(dict.fromkeys(self.shown)))]

    # -- the kinds of answer -------------------------------------------------------

    def situation(self, dispatcher: CollectingDispatcher, lang: str, municipality: str | None,
                  situation: str | None, own_words: str | None, relation: str | None) -> None:
        place = municipality_name(municipality, lang, self.client)
        for_relatives = situation == RELATIVES
        audience = RELATIVES if for_relatives else None
        found = self.find(lang, municipality, situation, own_words, audience)
        situation = found.situation or situation
        # Several needs in one message ("jeg drikker for meget og har gæld"): the
        # portal's reading of the words names more situations than the intent did.
        # Only the main life situations count as another need (the intents' own):
        # "young people and substances" is the same need as drugs, for a young person.
        others = [s for s in found.understood
                  if s in NEEDS and s not in (situation, RELATIVES)]
        if situation and not for_relatives and others:
            self.several(dispatcher, lang, municipality, place, [situation, *others[:2]],
                         own_words, found)
        elif not found.offers:
            self.none_here(dispatcher, lang, municipality, place, situation, own_words,
                           found.nearest)
        else:
            dispatcher.utter_message(
                text=texts.text("text_offers_intro", lang, municipality=place),
                json_message={"links": self.links(lang, found.offers, situation)})
        if relation and not for_relatives:
            self.for_relatives(dispatcher, lang, municipality, place, found.offers)

    def several(self, dispatcher: CollectingDispatcher, lang: str, municipality: str | None,
                place: str, situations: list[str], own_words: str | None,
                first: Found) -> None:
        """One short message per situation, each with its best offers (or its nearest)."""
        names = self.situation_names(lang)
        dispatcher.utter_message(text=texts.text("text_offers_several", lang,
                                                 municipality=place))
        for number, situation in enumerate(situations):
            found = first if number == 0 else self.find(lang, municipality, situation,
                                                        own_words, None)
            name = names.get(situation, situation).lower()
            if found.offers:
                dispatcher.utter_message(
                    text=texts.text("text_offers_topic", lang, situation=name),
                    json_message={"links": self.links(lang, found.offers[:MAX_PER_NEED],
                                                      situation)})
            elif found.nearest:
                dispatcher.utter_message(
                    text=texts.text("text_offers_none_nearest", lang, situation=name,
                                    municipality=place),
                    json_message={"links": self.links(lang, found.nearest[:MAX_PER_NEED],
                                                      situation)})
            else:
                dispatcher.utter_message(text=texts.text("text_offers_topic_none", lang,
                                                         situation=name, municipality=place))

    def none_here(self, dispatcher: CollectingDispatcher, lang: str, municipality: str | None,
                  place: str, situation: str | None, own_words: str | None,
                  nearest: list[Offer]) -> None:
        """Nothing in the municipality fits: said plainly, with the nearest elsewhere."""
        if nearest and situation:
            name = self.situation_names(lang).get(situation, situation).lower()
            items = self.links(lang, nearest[:MAX_OFFERS], situation)
            # The municipality's own way in still helps where it has no open offer.
            intake = link(lang, "text_link_intake", self.client.intake_path(lang))
            if intake and intake not in items:
                items.append(intake)
            dispatcher.utter_message(
                text=texts.text("text_offers_none_nearest", lang, situation=name,
                                municipality=place),
                json_message={"links": items})
            return
        say(dispatcher, texts.text("text_offers_none", lang, municipality=place), [
            link(lang, "text_link_search", self.client.search_path(lang, own_words, municipality)),
            link(lang, "text_link_intake", self.client.intake_path(lang)),
        ])

    def for_relatives(self, dispatcher: CollectingDispatcher, lang: str,
                      municipality: str | None, place: str, shown: list[Offer]) -> None:
        """What exists for the writer as a relative: a second search."""
        offers = self.client.search(lang=lang, municipality=municipality, situation=RELATIVES,
                                    audience=RELATIVES, per_page=MAX_OFFERS + 2).offers
        if not offers:
            offers = self.client.search(lang=lang, municipality=municipality,
                                        audience=RELATIVES, per_page=MAX_OFFERS + 2).offers
        shown_slugs = {o.slug for o in shown}
        # Offers not yet shown first; one already shown still belongs here when it
        # is the one that also serves relatives (e.g. U-turn for parents).
        ordered = ([o for o in offers if o.slug not in shown_slugs]
                   + [o for o in offers if o.slug in shown_slugs])[:MAX_RELATIVE_OFFERS]
        if not ordered:
            words = "pårørende" if lang == "da" else "relatives"
            say(dispatcher, texts.text("text_offers_relatives_none", lang, municipality=place),
                [link(lang, "text_link_search",
                      self.client.search_path(lang, words, municipality))])
            return
        dispatcher.utter_message(text=texts.text("text_offers_relatives", lang),
                                 json_message={"links": self.links(lang, ordered, RELATIVES)})

    def other_municipality(self, dispatcher: CollectingDispatcher, lang: str,
                           name: str | None, own_words: str | None) -> None:
        """Honest about the demo's coverage; the whole catalogue is one search away."""
        if name:
            try:
                known = self.client.municipalities(lang)
            except PortalUnavailable:
                known = []
            text = texts.text("text_municipality_not_covered", lang, name=name,
                              covered=covered_list(known, lang))
        else:
            text = texts.text("text_municipality_other", lang)
        say(dispatcher, text, [
            link(lang, "text_link_search", self.client.search_path(lang, own_words)),
            link(lang, "text_link_intake", self.client.intake_path(lang)),
        ])

    # -- search and presentation ---------------------------------------------------

    def find(self, lang: str, municipality: str | None, situation: str | None,
             own_words: str | None, audience: str | None) -> Found:
        """Offers for the situation, in the order the citizen's own words rank them.

        The portal search is tuned for citizens' everyday words, so the q search
        orders the results; the life situation (from the intent) keeps them on topic,
        so "min mor drikker" does not list respite care first. Offers of the situation
        that the words did not find come next. Only when the situation has no offer
        in the municipality do the words alone decide (the intent may be wrong).
        The words' search also tells which situations they name (several needs).
        """
        by_words = Search([], None)
        if own_words:
            by_words = self.client.search(lang=lang, q=own_words, municipality=municipality,
                                          audience=audience, per_page=10)
        understood = by_words.understood if by_words.confident else ()
        if not situation:
            return Found(by_words.offers[:MAX_OFFERS], understood, by_words.nearest)
        on_topic = self.client.search(lang=lang, municipality=municipality, situation=situation,
                                      audience=audience, per_page=10)
        if not on_topic.offers and understood and situation not in understood \
                and by_words.offers:
            # The intent's situation has nothing here, but the portal reads the words
            # as another situation that has: the intent was probably wrong.
            return Found(by_words.offers[:MAX_OFFERS], understood, situation=understood[0])
        topic_slugs = {o.slug for o in on_topic.offers}
        offers = [o for o in by_words.offers if o.slug in topic_slugs]
        seen = {o.slug for o in offers}
        offers += [o for o in on_topic.offers if o.slug not in seen]
        # Nearest elsewhere in the order the citizen's words rank them, when they do.
        nearest = [o for o in by_words.nearest if situation in o.situations] \
            or on_topic.nearest
        return Found(offers[:MAX_OFFERS], understood, nearest)

    def situation_names(self, lang: str) -> dict[str, str]:
        try:
            return self.client.situation_names(lang)
        except PortalUnavailable:
            return {}

    def links(self, lang: str, offers: list[Offer], situation: str | None) -> list[dict]:
        names = self.situation_names(lang)
        self.shown += [o.slug for o in offers]
        items = [{"title": o.title, "text": self.why(lang, o, situation, names),
                  "url": o.path} for o in offers]
        referred = [o for o in offers if o.needs_referral]
        if referred:
            # The way in to a referred offer: its referral path (the one-entrance intake).
            path = self.client.referral_path(referred[0].slug, lang)
            intake = link(lang, "text_link_intake", path or self.client.intake_path(lang))
            if intake:
                items.append(intake)
        return items

    @staticmethod
    def why(lang: str, offer: Offer, situation: str | None, names: dict[str, str]) -> str:
        """One line on why the offer fits: the situation it is about and how to get in,
        and for an offer outside the citizen's municipality, where it is.

        E.g. "Emne: stoffer og hash. Åbent – uden visitation, du kan være anonym."
        """
        topic = ""
        details: list[str] = []
        if offer.elsewhere:
            details.append(texts.text(f"text_why_elsewhere_{offer.elsewhere}", lang,
                                      place=offer.municipality_name)
                           if offer.elsewhere in ELSEWHERE else offer.municipality_name)
        if situation == RELATIVES:
            details.append(texts.text("text_why_for_relatives", lang))
        elif situation and situation in offer.situations and situation in names:
            topic = texts.text("text_why_situation", lang, situation=names[situation].lower())
        access = {"open": "text_why_open", "self": "text_why_self",
                  "referral": "text_why_referral"}.get(offer.access)
        if access:
            details.append(texts.text(access, lang))
        if offer.anonymous:
            details.append(texts.text("text_why_anonymous", lang))
        if offer.virtual:
            details.append(texts.text("text_why_virtual", lang))
        if offer.for_relatives and situation != RELATIVES:
            details.append(texts.text("text_why_relatives", lang))
        line = ", ".join(details)
        line = line[:1].upper() + line[1:] + "." if line else ""
        if topic:
            return f"{topic}. {line}".strip()
        return line or offer.summary


class Found:
    """What `Guide.find` found: the offers to show, the situations the citizen's words
    name (when the portal is confident), and fitting offers elsewhere."""

    def __init__(self, offers: list[Offer], understood: tuple[str, ...] = (),
                 nearest: list[Offer] | None = None, situation: str | None = None) -> None:
        self.offers = offers
        self.understood = understood
        self.nearest = nearest or []
        self.situation = situation  # set when the words, not the intent, chose it


class ActionSuggestOffers(UsesPortal, Action):
    """After the municipality form: the offers that fit, from the portal's API."""

    def name(self) -> str:
        return "action_suggest_offers"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        return Guide(self.client).answer(dispatcher, tracker)


class ActionFallbackChoices(UsesPortal, Action):
    """When unsure: search the catalogue with the citizen's own words, don't shrug.

    When the portal's search recognises what the words are about (`confident`), the
    offers it finds come first ("maybe one of these?"), then the life-situation choices
    and a person. Otherwise: say so and offer choices instead of guessing. A message
    that might be a crisis is never answered with offers.
    """

    def name(self) -> str:
        return "action_fallback_choices"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        q = need_text(tracker)
        events = SearchInstead(self.client).run(dispatcher, tracker, lang)
        if events is not None:
            return events
        data = texts.message("text_fallback", lang)
        say(dispatcher, data["text"],
            [link(lang, "text_link_search", self.client.search_path(lang, q))],
            buttons=data.get("buttons") or [])
        return []


class ActionOutOfScope(UsesPortal, Action):
    """"Not social services" — unless the catalogue's search recognises the words.

    A misread message ("I think my niece is being abused…") must not be turned away:
    when the portal is confident the words name a life situation it has offers for,
    the offers come instead of "I cannot help with that".
    """

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        events = SearchInstead(self.client).run(dispatcher, tracker, lang)
        if events is not None:
            return events
        dispatcher.utter_message(text=texts.text("utter_out_of_scope", lang))
        return []


class SearchInstead:
    """The citizen's own words through the catalogue's search, for an unsure turn."""

    def __init__(self, client: PortalClient) -> None:
        self.client = client

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            lang: str) -> list[EventType] | None:
        """Offers that may fit, with choices; None when there are no words of the
        citizen's own, they might be a crisis, or the search is not confident."""
        q = need_text(tracker)
        if not q or might_be_crisis(tracker):
            return None
        municipality = tracker.get_slot("municipality")
        local = municipality if municipality and municipality != OTHER else None
        try:
            found = self.client.search(lang=lang, q=q, municipality=local,
                                       per_page=MAX_OFFERS)
        except PortalUnavailable as error:
            logger.warning("portal unavailable: %s", error)
            return None
        offers = found.offers or found.nearest
        if not found.confident or not offers:
            return None
        guide = Guide(self.client)
        situation = found.understood[0]
        data = texts.message("text_fallback_offers", lang)
        dispatcher.utter_message(text=data["text"],
                                 json_message={"links": guide.links(lang, offers[:MAX_OFFERS],
                                                                    situation)})
        fallback = texts.message("text_fallback", lang)
        buttons = _situations_first(fallback.get("buttons") or [], found.understood)
        follow_up = texts.text("text_fallback_offers_where", lang) if not local else None
        dispatcher.utter_message(text=follow_up or texts.text("text_choose_or_person", lang),
                                 buttons=buttons)
        return [SlotSet("situation", situation), SlotSet("search_text", q),
                SlotSet(SHOWN_OFFERS, list(dict.fromkeys(guide.shown)))]


def _situations_first(buttons: list[dict[str, str]],
                      situations: tuple[str, ...]) -> list[dict[str, str]]:
    """The fallback's buttons, the situations the words name first."""
    wanted = [f"/{intent}" for slug in situations
              for intent, s in SITUATION_INTENTS.items() if s == slug]
    first = [b for p in wanted for b in buttons if b.get("payload") == p]
    return first + [b for b in buttons if b not in first]


def might_be_crisis(tracker: Tracker) -> bool:
    """Whether the classifier gave crisis any real weight for this message: such a
    message is never answered with offers (the fallback's own text names 112)."""
    message = tracker.latest_message or {}
    ranking = message.get("intent_ranking") or []
    return any(item.get("name") == "crisis" and (item.get("confidence") or 0) >= CRISIS_DOUBT
               for item in ranking)


class PortalPagesResponse(UsesPortal):
    """Says a response of actions/responses.yml whose links go to portal pages.

    A link names its page (`page: intake` or `page: search`) instead of a path: the path
    comes from the API. A link whose path is unknown (portal down, never seen) is left out.
    """

    response = ""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        data = texts.message(self.response, lang)
        links = [self._link(lang, item) for item in (data.get("custom") or {}).get("links", [])]
        say(dispatcher, data["text"], links)
        return []

    def _link(self, lang: str, item: dict[str, str]) -> dict[str, str] | None:
        page = item.get("page")
        if page == "intake":
            url = self.client.intake_path(lang)
        elif page == "search":
            url = self.client.search_path(lang)
        else:
            raise ValueError(f"{self.response}: a link names no page ({item})")
        return {"title": item["title"], "text": item["text"], "url": url} if url else None


class ActionIAmABot(PortalPagesResponse, Action):
    """A bot, not a person; the one-entrance intake reaches one."""

    response = "text_iamabot"

    def name(self) -> str:
        return "action_iamabot"
