"""Which language a message is written in (actions/language.py), and the rule that follows it.

The example messages below were written in one go — both languages, as people write
(no æ/ø/å, misspelt, slang, short answers) and what cannot be told ("ok", a payload, a
place, a mixed message) — and 30 % of them were set apart as HELD_OUT before the word
lists were tuned; HELD_OUT is never used to tune. The figures of both:

    cd bot && .venv/bin/python -m tests.actions.test_language          # add --misses to list them

A wrong language is worse than "can't tell" (the conversation then keeps its language),
so the tests hold both: how many are right, and how few get the other language.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

BOT_DIR = Path(__file__).resolve().parents[2]
if str(BOT_DIR) not in sys.path:  # also when run as a module (the figures, below)
    sys.path.insert(0, str(BOT_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402
from actions.actions import ActionAskMunicipality, ActionReadMetadata  # noqa: E402
from actions.language import conversation_language, written_language  # noqa: E402
from actions.portal import PortalClient  # noqa: E402
from conftest import make_tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

# The examples the word lists were tuned on (70 %).
TUNED: dict[str | None, list[str]] = {
    "da": [
        "jeg drikker for meget og har gæld",
        "min søn på 17 ryger hash hver dag",
        "jeg lever med depression og vil gerne lære at komme mig",
        "min søn er autist og er ved at blive gammel, hvor kan han bo?",
        "hvordan kan jeg faa hjaelp til min gaeld",
        "jeg er ensom og har ingen venner",
        "er det gratis?",
        "hvor ligger det?",
        "hvornår har de åbent?",
        "ja tak",
        "nej tak",
        "jeg ved ikke hvad jeg skal gøre",
        "min mand slår mig",
        "jeg er blevet smidt ud af min lejlighed",
        "hvad gør jeg hvis jeg ikke kan betale husleje",
        "kan i hjælpe mig med at finde et job",
        "jg har det rigtig skidt",
        "ik noget med alkohol, det er mere min mor der er syg",
        "kan jeg tale med et menneske",
        "er du en robot",
        "vi bor i kbh",
        "min datter har spiseforstyrrelse hvad gør vi",
        "jeg har tanker om at tage mit liv",
        "min far er dement og jeg er helt udkørt",
        "hvordan melder jeg mig til",
        "kan man komme uden at være henvist",
        "jeg har brug for nogen at snakke med",
        "jeg ryger alt for meget og vil gerne stoppe",
        "har i noget for unge",
        "hvad koster det",
        "jeg sover paa gaden",
        "jeg har ADHD og kan ikke finde ud af at holde styr på min økonomi",
        "hvad er aabningstiderne",
        "jeg føler mig så alene",
        "må jeg tage min kæreste med?",
        "jeg er pårørende til en med skizofreni",
        "hvordan kommer jeg i kontakt med en sagsbehandler",
        "nej det er ikke det",
        "jeg forstår ikke",
        "sgu da ikke noget der virker",
        "jeg er så træt af det hele",
        "vil gerne have hjælp til at komme ud af misbrug",
        "jeg har været i fængsel og skal løslades snart",
        "min nabo råber ad sine børn hele tiden, hvad kan jeg gøre",
        "jeg har mistet mit arbejde og har ingen penge",
        "jeg er på kontanthjælp og kan ikke få det til at hænge sammen",
        "kan jeg faa en tid i morgen",
        "jeg vil gerne aflyse min tid",
        "min mor drikker og jeg er 15",
        "jeg er bange for min eks",
        "behøver jeg at sige mit navn",
        "ved ikke",
        "okay men hvad så nu",
        "har i chat om aftenen",
        "jeg spiller for meget og har tabt alle mine penge",
        "min ven har det ikke godt, han snakker om at dø",
        "jeg har angst og tør ikke gå ud",
        "er der noget i nærheden af mig",
        "jeg er blind og har brug for hjælp i hjemmet",
        "min søster bliver slået af sin kæreste",
        "skal jeg betale noget",
        "hvordan virker det her",
        "fuck det hele, ingen gider hjælpe mig",
        "hvad hvis jeg ikke har en kommune",
        "kan i ringe til mig i stedet",
        "min datter er 19 og tager stoffer",
        "tusind tak",
        "jeg er stresset og føler mig burned out",
        "kan jeg tage en ven med",
        "har i noget til folk med handicap",
        "hvordn faar jeg hjaelp",
        "jeg er saa traet",
        "jeg har gaeld til skat",
        "kan jeg vaere anonym",
        "jeg ved ik hva jeg skal",
        "vil bare gerne snakke med nogen",
        "ka jeg komme i dag",
    ],
    "en": [
        "I think my niece is being abused, can I get advice anonymously?",
        "my brother drinks too much every day",
        "I want to end my life",
        "is it free?",
        "where is it?",
        "when are they open?",
        "how do I sign up?",
        "yes please",
        "no thanks",
        "I don't know what to do",
        "my husband hits me",
        "I've been kicked out of my flat",
        "what do I do if I can't pay rent",
        "I just got discharged from the psych ward and have nowhere to go",
        "im feeling really bad",
        "its not about alcohol, its more my mom who is sick",
        "can i talk to a real person",
        "are you a bot",
        "we live in copenhagen",
        "my daughter has an eating disorder what should we do",
        "I don't want to live anymore",
        "my dad has dementia and I'm exhausted",
        "how do i register",
        "can I come without a referral",
        "I need someone to talk to",
        "I smoke way too much weed and want to quit",
        "do you have anything for young people",
        "I owe money to everyone",
        "i'm sleeping on the street",
        "I have ADHD and can't keep track of my finances",
        "what are the opening hours",
        "I feel so alone",
        "can I bring my partner?",
        "I'm a carer for someone with schizophrenia",
        "great thanks",
        "no that's not it",
        "I don't understand",
        "nothing works ffs",
        "I'm so tired of everything",
        "want help getting out of addiction",
        "I've been in prison and I'm getting released soon",
        "need a place to live",
        "lost my job and have no money",
        "I'm on benefits and can't make ends meet",
        "can I get an appointment tomorrow",
        "I'd like to cancel my appointment",
        "my mum drinks and I'm 15",
        "I'm scared of my ex",
        "sounds good",
        "dunno",
        "ok but what now",
        "do you have chat in the evening",
        "I gamble too much and lost all my money",
        "my friend isn't doing well, he talks about dying",
        "I have anxiety and don't dare go outside",
        "I'm new in Denmark and don't know where to start",
        "I'm blind and need help at home",
        "my sister is being beaten by her boyfriend",
        "do I have to pay anything",
        "how does this work",
        "nobody bothers to help me",
        "what if I don't have a municipality",
        "I need somewhere to sleep tonight",
        "my daughter is 19 and takes drugs",
        "thanks a lot",
        "I'm stressed and burnt out",
        "can I bring a friend",
        "got anything for people with disabilities",
        "how do i get help",
        "my mom died and i cant cope",
        "i have debt to the tax office",
        "where is it located",
        "just want to talk to someone",
        "my child has autism what is there",
        "pls help",
        "Hi, I'm an expat living in Aarhus and my drinking is getting out of hand",
        "her boyfriend controls all her money",
    ],
    None: [
        "/affirm",
        "/situation_debt",
        "/book_session",
        "ok",
        "OK!",
        "ok ok",
        "12345678",
        "+45 12 34 56 78",
        "10:30",
        "...",
        "Holstebro",
        "Aarhus",
        "kbh",
        "Haderslev Kommune",
        "Esbjerg",
        "Anna",
        "hi",
        "tak",
        "ja",
        "yes",
        "no",
        "ADHD",
        "hash",
        "anna@example.com",
        "hej, I need help med min gæld",
        "help mig please",
        "hello jeg",
    ],
}


# Written together with TUNED, set apart before any tuning and never used to tune
# (30 %): their figure is reported, their misses are not fixed.
HELD_OUT: dict[str | None, list[str]] = {
    "da": [
        "findes der en gruppe for folk med angst?",
        "Jeg har boet på krisecenter og skal flytte ud, kan jeg få støtte bagefter?",
        "kan jeg være anonym?",
        "skal jeg have en henvisning?",
        "tak for hjælpen",
        "min kaereste drikker hver weekend og jeg kan ikke mere",
        "jeg er lige blevet udskrevet fra psykiatrisk og ved ikke hvor jeg skal hen",
        "hej jeg vil gerne booke en samtale",
        "jeg bor i Holstebro",
        "jeg vil ikke leve mere",
        "det passer ikke, jeg bor i aarhus",
        "mit barn bliver mobbet i skolen",
        "jeg skylder penge til alle mulige",
        "er der nogen der kan hjaelpe mig",
        "det er min bror der tager kokain",
        "fedt tak",
        "kan du skrive det på dansk",
        "hva så, kan i hjælpe mig",
        "mangler et sted at bo",
        "hvem kan jeg ringe til",
        "hvor skal jeg henvende mig",
        "det lyder godt",
        "jeg har det ad helvede til",
        "kan jeg få en støttekontaktperson",
        "jeg er ny i danmark og ved ikke hvor jeg skal starte",
        "jeg kan ikke sove og tænker hele tiden",
        "jeg vil gerne snakke med en voksen",
        "jeg har brug for et sted at sove i nat",
        "jamen så gør vi det",
        "jeg er hjemløs",
        "min mor er doed og jeg kan ikke klare det",
        "hvor er det henne",
        "mit barn har autisme hvad findes der",
    ],
    "en": [
        "I would like to book a chat with an alcohol counsellor",
        "can I be anonymous?",
        "do I need a referral?",
        "thank you so much",
        "my girlfriend drinks every weekend and I can't take it anymore",
        "can you help me find a job",
        "hi i want to book a session",
        "I live in Holstebro",
        "I have thoughts of killing myself",
        "no, I live in Aarhus",
        "my kid is being bullied at school",
        "how much does it cost",
        "is there anyone who can help me",
        "it's my brother who's doing coke",
        "how do I get in touch with a caseworker",
        "do you speak english?",
        "hey can u help me",
        "my neighbour yells at his kids all the time, what can I do",
        "who can I call",
        "where should I go",
        "do I have to give my name",
        "I feel like shit",
        "can I get a support worker",
        "is there anything near me",
        "I can't sleep and overthink all the time",
        "wanna talk to an adult",
        "could you call me instead",
        "alright let's do that",
        "I'm homeless",
        "im so tired",
        "idk what to do tbh",
        "can i come today",
        "my wife and I are both struggling",
    ],
    None: [
        "/inform_municipality{\"municipality\": \"aarhus\"}",
        "okay",
        "123",
        "?",
        "København",
        "cph",
        "hej",
        "thanks",
        "nej",
        "ok tak",
        "jeg need help",
    ],
}


Cases = dict[str | None, list[str]]


def figures(cases: Cases) -> tuple[float, float, list[tuple[str | None, str | None, str]]]:
    """Accuracy, the share given the other language, and the misses (want, got, text)."""
    misses = [(want, got, text) for want, texts in cases.items() for text in texts
              if (got := written_language(text)) != want]
    total = sum(len(texts) for texts in cases.values())
    wrong = [m for m in misses if m[0] and m[1]]
    return 1 - len(misses) / total, len(wrong) / total, misses


def test_tuned_messages() -> None:
    accuracy, wrong, misses = figures(TUNED)
    assert accuracy >= 0.97, misses
    assert wrong == 0, misses


def test_held_out_messages() -> None:
    # Floors fixed before HELD_OUT was first measured; its misses are reported, not fixed.
    accuracy, wrong, misses = figures(HELD_OUT)
    assert accuracy >= 0.85, misses
    assert wrong <= 0.02, misses


@pytest.mark.parametrize(("text", "want"), [
    ("/situation_debt", None),  # a button: not the citizen's words
    ('/inform_municipality{"municipality": "aarhus"}', None),
    ("", None), ("   ", None), ("ok", None), ("okay :)", None), ("70 20 12 01", None),
    ("København", None), ("Ringkøbing-Skjern", None), ("kbh", None),  # places
    ("tak", None), ("thanks", None),  # one word
    ("jeg need help", None), ("hej, I need help med min gæld", None),  # mixed
    ("hvordan faar jeg hjaelp", "da"),  # without æ/ø/å
    ("jg ved ik hva jeg skal", "da"),  # in a hurry
    ("Kan I hjælpe mig?", "da"),  # Danish "I" (you, plural)
    ("i morgen kan jeg", "da"),  # "i" goes with the word after it
    ("i need help", "en"), ("dunno tbh", "en"),
    ("I'm fine", "en"),  # a contraction counts twice: no Danish sentence has one
    ("I’m fine", "en"),  # typographic apostrophe
    ("I live in Næstved", "en"),  # a place with ø does not make it Danish
    ("my son lives in Aalborg", "en"),  # "son" is English; Danish writes søn
    ("min søn bor i Aalborg", "da"),
])
def test_written_language(text: str, want: str | None) -> None:
    assert written_language(text) == want


def test_fast_enough_for_every_message() -> None:
    texts = [t for cases in (TUNED, HELD_OUT) for texts in cases.values() for t in texts]
    start = time.perf_counter()
    for _ in range(10):
        for text in texts:
            written_language(text)
    per_message = (time.perf_counter() - start) / (10 * len(texts))
    assert per_message < 0.001, f"{per_message * 1000:.3f} ms a message"


# -- the rule ------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "page", "page_before", "current", "want"), [
    ("en", "da", "da", "da", "en"),  # English on the Danish page
    ("da", "en", "en", "en", "da"),  # Danish on the English page
    (None, "da", "da", "en", "en"),  # "ok": the conversation keeps its language
    (None, "en", "da", "da", "en"),  # the page switched language: followed...
    ("da", "en", "da", "da", "da"),  # ...unless they write clearly in the other
    (None, "en", None, "da", "en"),  # the first message: the page's language
    (None, None, None, "en", "en"),  # no metadata: nothing changes
    (None, "xx", None, None, "da"),  # nothing known: Danish
    (None, ["en"], None, "en", "en"),  # metadata of the wrong type: ignored
])
def test_conversation_language(written: str | None, page: Any, page_before: str | None,
                               current: str | None, want: str) -> None:
    assert conversation_language(written, page, page_before, current) == want


def turn(client: PortalClient, text: str, page: str, slots: dict[str, Any],
         intent: str = "greet") -> dict[str, Any]:
    """One message as Rasa runs it: the metadata action, its slot events applied."""
    tracker = make_tracker(text, intent, metadata={"lang": page, "municipality": None},
                           **slots)
    events = ActionReadMetadata(client).run(CollectingDispatcher(), tracker, {})
    return {**slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}


def test_a_conversation_follows_the_language_written(down_client: PortalClient) -> None:
    slots: dict[str, Any] = {"lang": "da", "page_lang": None}
    steps = [
        # (what is written, the page's language, the language answered in)
        ("my brother drinks too much every day", "da", "en"),
        ("ok", "da", "en"),
        ("/affirm", "da", "en"),
        ("Holstebro", "da", "en"),
        ("undskyld, jeg vil hellere skrive dansk", "da", "da"),
        ("ok", "en", "en"),  # they switched the page to English
        ("tak", "en", "en"),
        ("kan jeg tale med et menneske", "en", "da"),
        ("ok", "en", "da"),
        ("I need help with my debt", "da", "en"),  # back to the Danish page, in English
    ]
    for text, page, want in steps:
        slots = turn(down_client, text, page, slots)
        assert slots["lang"] == want, (text, page, slots)
        assert slots["page_lang"] == page


def test_a_crisis_in_english_on_a_danish_page_is_answered_in_english(
        down_client: PortalClient) -> None:
    slots = turn(down_client, "I want to end my life", "da", {"lang": "da"}, intent="crisis")
    assert slots["lang"] == "en"
    slots = turn(down_client, "jeg vil ikke leve mere", "en", {"lang": "en", "page_lang": "en"},
                 intent="crisis")
    assert slots["lang"] == "da"


def test_the_municipality_form_asks_in_the_language_written(down_client: PortalClient) -> None:
    slots = turn(down_client, "my mum drinks every day", "da", {"lang": "da"},
                 intent="situation_alcohol")
    dispatcher = CollectingDispatcher()
    ActionAskMunicipality(down_client).run(dispatcher, make_tracker(**slots), {})
    assert dispatcher.messages[0]["text"].startswith("Which municipality")


def main() -> None:
    for name, cases in (("tuned", TUNED), ("held out", HELD_OUT)):
        accuracy, wrong, misses = figures(cases)
        total = sum(len(texts) for texts in cases.values())
        print(f"{name}: {total} messages, {accuracy:.1%} right, {wrong:.1%} the other language")
        if "--misses" in sys.argv:
            for want, got, text in misses:
                print(f"    want {want}, got {got}: {text}")


if __name__ == "__main__":
    main()
