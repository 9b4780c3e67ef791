"""Our search against PostgreSQL's own full-text search, on the held-out queries.

Issue 11: the search must be clearly ahead of the baseline (tests/search_eval/baseline.py:
danish/english configurations, OR-query, ts_rank_cd, the same offers and municipality
filter) on recall@1, recall@3 and precision@3, and show less off-topic, judged on
situation fit (tests/search_eval/metrics.py). `make search-quality` prints the full
table, at 34 and at 2,000 offers.

The baseline needs PostgreSQL on this machine (SEARCH_EVAL_DATABASE_URL, default the
database indgang_search_eval, created when missing): skipped without it, failed in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import need
from tests.search_eval import baseline
from tests.search_eval.judge import SETS, Facts, judge, labels, load_set, ours
from tests.search_eval.metrics import Judged, Shown, summarise

# "Clearly ahead": at least this many points on each measure.
MARGIN = 0.05


def shown(*tags: str | tuple[str, ...]) -> list[Shown]:
    """Results tagged with these situations (a tuple: several on one offer)."""
    return [Shown(f"offer-{i}", frozenset((t,) if isinstance(t, str) else t))
            for i, t in enumerate(tags)]


def judged(results: list[Shown], wanted: str = "debt", *, fits_in_scope: bool = True,
           expect: list[str] | None = None) -> Judged:
    return Judged(q="gæld", lang="da", municipality=None, situations=frozenset({wanted}),
                  shown=results, fits_in_scope=fits_in_scope, expect=expect or [])


# --- the measures, on small hand-made result lists ------------------------------------

def test_all_fitting_scores_full_marks():
    j = judged(shown("debt", ("debt", "housing"), "debt", "alcohol"))  # 4th: not counted
    assert (j.recall1, j.recall3, j.precision3, j.off_topic3) == (True, True, 1.0, False)


def test_an_off_topic_offer_first():
    j = judged(shown("daily-life", "debt", "relatives"))
    assert not j.recall1
    assert j.recall3
    assert j.precision3 == pytest.approx(1 / 3)
    assert j.off_topic3


def test_nothing_shown_is_right_only_when_nothing_fits_where_the_search_may_look():
    assert judged([], fits_in_scope=False).precision3 == 1.0
    assert judged([], fits_in_scope=True).precision3 == 0.0
    nothing = judged([], fits_in_scope=False)
    assert not nothing.recall1 and not nothing.recall3 and not nothing.off_topic3


def test_precision_counts_only_what_is_shown():
    j = judged(shown("debt"))  # one result, and it fits
    assert j.precision3 == 1.0
    assert judged(shown("violence")).precision3 == 0.0


def test_nearest_offers_elsewhere_count_after_the_searchs_own():
    own = shown("respite")
    nearest = [Shown("gaeld-elsewhere", frozenset({"debt"}), nearest=True)]
    j = judged(own + nearest)
    assert not j.recall1 and j.recall3 and j.precision3 == 0.5


def test_summary_averages_recall_over_answerable_queries_and_expect_over_its_own():
    hit = judged(shown("debt", "alcohol"), expect=["offer-0"])
    miss = judged(shown("alcohol"), expect=["offer-9"])
    unanswerable = judged([], fits_in_scope=False)
    unanswerable.answerable = False
    s = summarise([hit, miss, unanswerable])
    assert s["queries"] == 3
    assert s["recall@1"] == 0.5  # the unanswerable query does not count
    assert s["precision@3"] == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    assert s["off-topic@3"] == pytest.approx(2 / 3)
    assert (s["top-1"], s["top-3"], s["with expect"]) == (0.5, 0.5, 2)


def test_every_held_out_query_is_labelled_with_known_situations(app):
    with app.app_context():
        from portal.catalogue.service import list_situations

        known = {s.slug for s in list_situations()}
    items = load_set(SETS["held-out"])
    assert len(items) >= 200
    assert all(labels(item) and labels(item) <= known for item in items), [
        item["q"] for item in items if not labels(item) or not labels(item) <= known]
    national = sum(not item.get("municipality") for item in items)
    assert 0.3 <= national / len(items) <= 0.5


# --- the baseline on PostgreSQL ---------------------------------------------------------

@pytest.fixture(scope="module")
def pg(app) -> Iterator[tuple[object, str]]:
    """The baseline's table of the demo offers (one per test process, dropped after)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        conn = baseline.connect()
    except psycopg.OperationalError as error:
        need(False, f"PostgreSQL for the search baseline ({baseline.database_url()}) is "
                    f"not reachable: {str(error).strip().splitlines()[0]}")
    table = f"offers_test_{os.getpid()}"
    baseline.load(conn, table, app)
    yield conn, table
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.close()


def test_the_baseline_is_a_working_full_text_search(app, pg):
    conn, table = pg
    assert baseline.search(conn, table, "gældsrådgivning", None)[0] == \
        "gaeldsraadgivning-haderslev"
    assert baseline.search(conn, table, "debt counselling", None)[0] == \
        "gaeldsraadgivning-haderslev"
    assert baseline.search(conn, table, "xyzzy", None) == []
    # Any word may match; the municipality's own offers and its region's only.
    aarhus = baseline.search(conn, table, "autisme xyzzy", ["aarhus", "region-midtjylland"])
    assert "specialmiljoe-autisme-hinnerup" in aarhus
    copenhagen = baseline.search(conn, table, "autisme hjemløs",
                                 ["koebenhavn", "region-hovedstaden"])
    assert copenhagen and all(s.endswith("koebenhavn") for s in copenhagen)


def test_our_search_is_clearly_ahead_of_postgresql_on_the_held_out_set(app, pg, capsys):
    conn, table = pg
    facts = Facts.of(app)
    items = load_set(SETS["held-out"])
    with app.app_context():
        mine = summarise(judge(items, facts, ours(app, facts)))
        theirs = summarise(judge(items, facts, baseline.baseline(conn, table, facts)))
    lines = [f"{m:12} ours {mine[m]:6.1%}   postgresql-fts {theirs[m]:6.1%}"
             for m in ("recall@1", "recall@3", "precision@3", "off-topic@3")]
    with capsys.disabled():
        print("\nheld-out set, 34 offers:\n" + "\n".join(lines))
    for measure in ("recall@1", "recall@3", "precision@3"):
        assert mine[measure] >= theirs[measure] + MARGIN, "\n".join(lines)
    assert mine["off-topic@3"] <= theirs["off-topic@3"] - MARGIN, "\n".join(lines)
