"""The content that orders "the nearest offers elsewhere": an offer open to all (only
where its sources say so), a situation part of a broader one, municipalities' positions.

These tests edit a copy of content/ and load it into a database of their own (the
fixtures of test_loader.py), never the session `app` other tests read.
"""

from __future__ import annotations

from urllib.parse import urlencode

from portal.catalogue.index import reset_index_cache
from tests.test_loader import content_dir, edit, fresh, load, loader_app  # noqa: F401


def _api(app, **params) -> dict:
    response = app.test_client().get("/api/v1/offers?" + urlencode(params))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_an_offer_open_to_all_comes_first_elsewhere_and_says_so(fresh, content_dir):  # noqa: F811
    edit(content_dir / "offers" / "din-indgang-fredericia.yml",
         lambda d: d.update(open_to_all=True))
    load(fresh, content_dir)
    nearest = _api(fresh, q="gæld", municipality="holstebro")["nearest"]
    assert (nearest[0]["slug"], nearest[0]["elsewhere"]) == ("din-indgang-fredericia", "anyone")
    assert {n["elsewhere"] for n in nearest[1:]} == {"nearby"}
    page = fresh.test_client().get("/soeg?" + urlencode({"q": "gæld",
                                                        "municipality": "holstebro"}))
    text = page.get_data(as_text=True)
    assert "Åbent for alle:" in text
    assert "Du skal måske bo i Fredericia Kommune" not in text
    assert "Du skal måske bo i Haderslev Kommune for at bruge det." in text


def test_nearby_municipalities_come_nearest_first(fresh, content_dir):  # noqa: F811
    # Move Haderslev (its debt advice) next to Holstebro: it now comes before Fredericia.
    def move(data):
        haderslev = next(m for m in data["municipalities"] if m["slug"] == "haderslev")
        haderslev["position"] = [56.35, 8.70]

    edit(content_dir / "municipalities.yml", move)
    load(fresh, content_dir)
    nearest = _api(fresh, situation="debt", municipality="holstebro")["nearest"]
    places = [n["municipality"]["slug"] for n in nearest]
    assert places.index("haderslev") < places.index("fredericia"), places


def test_a_narrower_situation_fits_the_broader_ones_words(fresh, content_dir):  # noqa: F811
    load(fresh, content_dir)
    words = {"q": "er 18 og drikker og ryger for meget", "municipality": "holstebro",
             "per_page": 20}
    with_part = {i["slug"] for i in _api(fresh, **words)["items"]}
    assert "ungeraadgivning-holstebro" in with_part  # young people's substance use

    def drop(data):
        young = next(s for s in data["situations"] if s["slug"] == "young-substances")
        young.pop("part_of")

    edit(content_dir / "situations.yml", drop)
    load(fresh, content_dir)
    with fresh.app_context():
        reset_index_cache()  # not five seconds until the worker looks again
    assert "ungeraadgivning-holstebro" not in {
        i["slug"] for i in _api(fresh, **words)["items"]}


def test_a_part_of_an_unknown_situation_is_refused(fresh, content_dir):  # noqa: F811
    def broken(data):
        data["situations"][0]["part_of"] = ["gambling"]

    edit(content_dir / "situations.yml", broken)
    result = fresh.test_cli_runner().invoke(args=["content", "load", "--dir",
                                                  str(content_dir)])
    assert result.exit_code == 1
    assert "situations.0.part_of.0" in result.output and "gambling" in result.output


def test_a_position_outside_denmark_is_refused(fresh, content_dir):  # noqa: F811
    def swapped(data):
        data["municipalities"][0]["position"] = [9.919, 57.048]  # longitude first

    edit(content_dir / "municipalities.yml", swapped)
    result = fresh.test_cli_runner().invoke(args=["content", "load", "--dir",
                                                  str(content_dir)])
    assert result.exit_code == 1
    assert "position" in result.output
