"""The held-out conversation set and its evaluator (tests/chat/conversations.py).

The set itself is a yardstick, not a test: its figure is reported (make bot-held-out),
not asserted. These tests check that the set is well formed, and that the evaluator,
run end to end on the real stack, passes what is right and fails what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chat import conversations as held_out
from tests.chat.conversations import Conversation, Turn, check, load_set, run_conversation

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = {
    "alcohol", "drugs", "young", "mental-health", "loneliness", "debt", "housing",
    "violence", "discharged", "disability", "work-education", "daily-life", "relatives",
    "several-needs", "offer-question", "other-language", "odd-phrasing", "crisis", "person",
    "booking", "apply", "off-topic",
}


def _conversation(say: str, expect: dict, municipality: str | None = "holstebro",
                  lang: str = "da", page: str | None = None) -> Conversation:
    return Conversation(id=f"test-{say[:20]}", category="test", lang=lang, page=page or lang,
                        municipality=municipality, turns=[Turn(say, expect)])


# --- The set: large enough, both languages, every kind, expectations the catalogue knows ---

def test_the_set_has_150_conversations_in_both_languages_and_every_kind():
    conversations = load_set()
    assert len(conversations) >= 150
    for lang in ("da", "en"):
        assert sum(c.lang == lang for c in conversations) >= 0.4 * len(conversations), lang
    assert {c.category for c in conversations} == CATEGORIES
    assert any(c.page != c.lang for c in conversations)  # written in the page's other language
    assert any(c.municipality is None for c in conversations)
    assert any(t.only_if_asked for c in conversations for t in c.turns)


def test_the_sets_expectations_name_situations_offers_and_municipalities_that_exist():
    situations = {s["slug"] for s in yaml.safe_load(
        (ROOT / "content" / "situations.yml").read_text())["situations"]}
    offers = {p.stem for p in (ROOT / "content" / "offers").glob("*.yml")}
    municipalities = {m["slug"] for m in yaml.safe_load(
        (ROOT / "content" / "municipalities.yml").read_text())["municipalities"]}
    for c in load_set():
        assert c.municipality is None or c.municipality in municipalities, c.id
        for turn in c.turns:
            for wanted in turn.expect.get("situations", []):
                options = [wanted] if isinstance(wanted, str) else wanted
                assert set(options) <= situations, (c.id, options)
            assert set(turn.expect.get("offers", [])) <= offers, c.id


def test_a_typo_in_an_expectation_is_refused():
    data = {"conversations": [{"id": "x", "category": "alcohol", "turns": [
        {"say": "jeg drikker", "expect": {"situation": ["alcohol"]}}]}]}
    with pytest.raises(ValueError, match="unknown expectation"):
        held_out.parse(data)


# --- The checks, on replies as the chat endpoint gives them ------------------------------

class _Facts:
    def situations(self, slug: str) -> list[str]:
        return {"virtuel-alkoholbehandling-holstebro": ["alcohol"],
                "gaeldsraadgivning-haderslev": ["debt"]}.get(slug, [])

    def titles(self, slug: str) -> list[str]:
        return []


def _reply(text: str, *urls: str) -> dict:
    return {"status": "ok", "messages": [
        {"text": text, "buttons": [], "links": [{"title": u, "text": "", "url": u}
                                                for u in urls]}]}


def test_several_needs_need_an_offer_for_each():
    reply = _reply("Her er tilbud, der kan passe til det, du fortæller:",
                   "/tilbud/virtuel-alkoholbehandling-holstebro")
    problems = check(reply, {"situations": ["alcohol", "debt"]}, "da", _Facts())
    assert problems == ["no offer for debt (offers: ['virtuel-alkoholbehandling-holstebro'])"]


def test_the_answer_must_be_in_the_language_written_links_and_text():
    english = _reply("Here are offers that may fit what you describe, in your municipality.",
                     "/en/offers/virtuel-alkoholbehandling-holstebro")
    assert check(english, {"situations": ["alcohol"]}, "en", _Facts()) == []
    problems = check(english, {"situations": ["alcohol"]}, "da", _Facts())
    assert any("other language" in p for p in problems)
    assert any("answered in en" in p for p in problems)


def test_a_question_about_the_offer_shown_needs_an_answer_about_it():
    shown = ["virtuel-alkoholbehandling-holstebro", "gaeldsraadgivning-haderslev"]
    expect = {"about_offer": True, "mentions": "gratis|kilde"}
    answer = _reply("Kilderne siger ikke, om det koster noget.",
                    "/tilbud/virtuel-alkoholbehandling-holstebro")
    assert check(answer, expect, "da", _Facts(), shown) == []
    each = _reply("Her er svaret for hvert af de tilbud, jeg viste: kilderne siger det ikke.",
                  *(f"/tilbud/{slug}" for slug in shown))
    assert check(each, expect, "da", _Facts(), shown) == []
    other = _reply("Her er tilbud, der er gratis:", "/tilbud/virtuel-alkoholbehandling-holstebro",
                   "/tilbud/u-turn-koebenhavn", "/tilbud/busk-bornholm")
    assert any("a new list of offers" in p for p in check(other, expect, "da", _Facts(), shown))
    shrug = _reply("Jeg er ikke sikker på, at jeg forstod dig rigtigt.", "/soeg?q=gratis")
    assert any(p.startswith("not about") for p in check(shrug, expect, "da", _Facts(), shown))
    assert check(answer, expect, "da", _Facts(), []) == ["no offer was shown before the question"]


def test_a_bare_fallback_fails_and_off_topic_offers_fail():
    shrug = _reply("Jeg er ikke sikker på, at jeg forstod dig rigtigt.", "/soeg?q=x")
    assert "a bare 'I did not understand'" in check(shrug, {"not_fallback": True}, "da",
                                                     _Facts())
    offers = _reply("Her er tilbud:", "/tilbud/gaeldsraadgivning-haderslev")
    assert check(offers, {"no_offers": True}, "da", _Facts())


# --- End to end: the real portal and assistant ---------------------------------------------

@pytest.mark.rasa
def test_the_evaluator_passes_a_right_expectation_and_fails_a_wrong_one(
        live_server: str, with_rasa):
    facts = held_out.OfferFacts(live_server)
    crisis = run_conversation(live_server, _conversation(
        "jeg vil ikke leve mere, jeg tager en overdosis i aften", {"crisis": True}), facts)
    assert crisis.passed, crisis
    assert crisis.transcript[0]["reply"]["status"] == "ok"

    # Deliberately wrong: a crisis answer has no debt offer, and it is not in English.
    wrong = run_conversation(live_server, _conversation(
        "jeg vil ikke leve mere, jeg tager en overdosis i aften",
        {"situations": ["debt"]}, lang="en", page="da"), facts)
    assert not wrong.passed
    assert any("no offer for debt" in p for p in wrong.problems), wrong.problems
    assert any("answered in da" in p for p in wrong.problems), wrong.problems

    # Deliberately wrong: the weather is off-topic, so no alcohol offer can be shown.
    weather = run_conversation(live_server, _conversation(
        "hvad bliver vejret i morgen?", {"situations": ["alcohol"]}), facts)
    assert not weather.passed and weather.problems[0].startswith("turn 1: no offer for alcohol")


@pytest.mark.rasa
def test_the_evaluator_runs_conversations_of_the_set(live_server: str, with_rasa):
    chosen = [c for c in load_set() if c.category in ("crisis", "off-topic")][:4]
    results = held_out.run(chosen, live_server)
    assert [r.id for r in results] == [c.id for c in chosen]
    for result in results:
        assert result.transcript and all(t["reply"].get("status") == "ok"
                                         for t in result.transcript), result
    figures = held_out.summary(results)
    assert figures["overall"]["total"] == len(chosen)
    assert figures["overall"]["passed"] == sum(r.passed for r in results)
