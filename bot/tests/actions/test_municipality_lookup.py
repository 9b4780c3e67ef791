"""The generated municipality lookup (scripts/bot-municipality-lookup.py): every name the
catalogue and the bot's geography know, and synonyms that agree with the action server."""

from __future__ import annotations

import runpy
from pathlib import Path

import yaml
from actions import places

REPO = Path(__file__).resolve().parents[3]
SCRIPT = runpy.run_path(str(REPO / "scripts" / "bot-municipality-lookup.py"))
CATALOGUE = yaml.safe_load((REPO / "content" / "municipalities.yml").read_text("utf-8"))


def test_every_name_is_listed_with_and_without_danish_letters() -> None:
    names, _ = SCRIPT["build"](CATALOGUE)
    lowered = {n.lower() for n in names}
    assert len(names) == len(lowered), "no name twice"
    for name in places.DANISH_MUNICIPALITIES:
        assert name.lower() in lowered
    for written in ["Koebenhavn", "Kobenhavn", "Århus", "Arhus", "Laeso", "Leso", "Holbek",
                    "Hoeje Taastrup", "Københavns", "City of Copenhagen", "Kbh", "Rønne"]:
        assert written.lower() in lowered, written


def test_synonyms_give_the_catalogue_slug_as_the_action_server_would() -> None:
    _, synonyms = SCRIPT["build"](CATALOGUE)
    assert set(synonyms) == {m["slug"] for m in CATALOGUE["municipalities"]}
    written = {n.lower(): slug for slug, names in synonyms.items() for n in names}
    assert written["kbh"] == written["københavns"] == written["copenhagen"] == "koebenhavn"
    assert written["århus"] == written["aarhus"] == "aarhus"
    assert written["rønne"] == "bornholm" and written["skagen"] == "frederikshavn"
    assert "odense" not in written  # a real municipality outside the demo: no slug


def test_shorter_names_come_first() -> None:
    """A lookup takes the first name that fits: "Københavns Kommune" gives "Københavns",
    as the training data marks it."""
    names, _ = SCRIPT["build"](CATALOGUE)
    assert "Københavns Kommune" not in names
    assert names.index("København") < names.index("Københavns")
