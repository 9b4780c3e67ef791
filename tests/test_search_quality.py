"""The ranking understands how citizens write (targets on the tuned set: the right offer
first ≥ 90 %, in the top 3 ≥ 95 %, and an off-topic offer in the top 3 of at most 8 % of
the searches; measured 92.4 %, 98.6 % and 5.0 % on 2026-11-30, from 86.8 %, 97.9 % and
27.3 % before the search understood which life situations the words name, and 91.0 %,
98.6 % and 10.1 % before a second need had to be named on words of its own).

The targets are on the tuned set; the held-out set (never used to tune) is reported
beside it, with a floor under today's figure so that a change that makes the search
worse for unseen queries fails. An offer is off-topic when it serves none of the life
situations the query's `situations` label names and is not one of its `expect` offers.
"""

from __future__ import annotations

import pytest

from portal.catalogue.query import parse_offer_query
from portal.catalogue.service import find_offers
from tests.search_eval.evaluate import SETS, evaluate, load_queries, report, share

TARGET = 0.95
TOP1_TARGET = 0.90
OFF_TOPIC_MAX = 0.08
HELD_OUT_FLOOR = 0.85  # measured 0.883 when the set was written (2026-11-30)


def top(app, q: str, lang: str = "da", municipality: str | None = None, n: int = 3) -> list[str]:
    args = {"q": q, "per_page": str(n)}
    if municipality:
        args["municipality"] = municipality
    with app.test_request_context():
        return [o.slug for o in find_offers(parse_offer_query(args, lang)).items]


@pytest.mark.parametrize("name", list(SETS))
def test_evaluation_set_is_large_and_bilingual(name):
    queries = load_queries(SETS[name])
    assert len(queries) >= 60
    assert sum(q["lang"] == "en" for q in queries) >= 20
    assert sum(q["lang"] == "da" for q in queries) >= 30


def test_the_held_out_set_is_apart_from_the_tuned_one():
    tuned = {q["q"].lower() for q in load_queries(SETS["tuned"])}
    assert not tuned & {q["q"].lower() for q in load_queries(SETS["held out"])}


def test_right_offer_in_top_three_for_ninety_percent(app, capsys):
    with app.test_request_context():
        outcomes = evaluate(SETS["tuned"])
        held_out = evaluate(SETS["held out"])
    with capsys.disabled():
        print("\n" + report(outcomes) + "\n" + report(held_out, "held out", misses=False))
    assert share(outcomes) >= TARGET, report(outcomes)
    assert share(held_out) >= HELD_OUT_FLOOR, report(held_out, "held out", misses=False)


def test_right_offer_first_and_nothing_off_topic_on_the_tuned_set(app):
    with app.test_request_context():
        outcomes = evaluate(SETS["tuned"])
        off_topic = []
        labelled = [q for q in load_queries(SETS["tuned"]) if q.get("situations")]
        for item in labelled:
            args = {"q": item["q"], "per_page": "3"}
            if item.get("municipality"):
                args["municipality"] = item["municipality"]
            for offer in find_offers(parse_offer_query(args, item["lang"])).items:
                if (offer.slug not in item["expect"]
                        and not {s.slug for s in offer.situations} & set(item["situations"])):
                    off_topic.append(f"{item['q']!r}: {offer.slug}")
                    break
    assert share(outcomes, "first") >= TOP1_TARGET, report(outcomes)
    assert len(off_topic) / len(labelled) <= OFF_TOPIC_MAX, "\n".join(off_topic)


@pytest.mark.parametrize(("q", "expected"), [
    ("paaroerende", "raadgivning-paaroerende-haderslev"),  # å and ø written as aa and oe
    ("parorende", "raadgivning-paaroerende-haderslev"),  # and as plain a and o
    ("gaeldsraadgivning", "gaeldsraadgivning-haderslev"),
    ("alkohl", "virtuel-alkoholbehandling-holstebro"),  # a typo
    ("rykkere", "gaeldsraadgivning-haderslev"),  # an everyday word not in the offer's title
])
def test_spelling_variants_find_the_offer(app, q, expected):
    assert expected in top(app, q)


def test_everyday_words_map_to_the_situation(app):
    alcohol = top(app, "jeg drikker for meget")
    assert any("alkohol" in s or "rusmidler" in s for s in alcohol), alcohol
    assert "ungeraadgivning-holstebro" in top(app, "skærer i mig selv", municipality="holstebro")


def test_municipality_shows_its_regions_offers_and_not_others(app):
    aarhus = top(app, "autisme", municipality="aarhus", n=20)
    assert "specialmiljoe-autisme-hinnerup" in aarhus  # Region Midtjylland serves Aarhus
    copenhagen = top(app, "autisme", municipality="koebenhavn", n=20)
    assert "specialmiljoe-autisme-hinnerup" not in copenhagen


def test_a_query_of_only_small_words_lists_everything_rather_than_nothing(app):
    with app.test_request_context():
        everything = find_offers(parse_offer_query({}, "da")).total
        only_stopwords = find_offers(parse_offer_query({"q": "og i på"}, "da")).total
    assert only_stopwords == everything
