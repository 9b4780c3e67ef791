"""Lenient matching of what people write for a municipality ("kbh", "Kobenhavn", "århus").

The catalogue's municipalities come from the portal API. This module only knows how
people spell places: folding (textfold: æ/ø/å, "aa", case), everyday aliases, and the
names of all 98 Danish municipalities, so that "Odense" is recognised as a real
municipality that the demo catalogue does not cover (rather than as nonsense).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import textfold

# All 98 Danish municipalities (geography, not catalogue data).
DANISH_MUNICIPALITIES = (
    "Albertslund", "Allerød", "Assens", "Ballerup", "Billund", "Bornholm", "Brøndby",
    "Brønderslev", "Dragør", "Egedal", "Esbjerg", "Fanø", "Favrskov", "Faxe",
    "Fredensborg", "Fredericia", "Frederiksberg", "Frederikshavn", "Frederikssund",
    "Furesø", "Faaborg-Midtfyn", "Gentofte", "Gladsaxe", "Glostrup", "Greve", "Gribskov",
    "Guldborgsund", "Haderslev", "Halsnæs", "Hedensted", "Helsingør", "Herlev", "Herning",
    "Hillerød", "Hjørring", "Holbæk", "Holstebro", "Horsens", "Hvidovre", "Høje-Taastrup",
    "Hørsholm", "Ikast-Brande", "Ishøj", "Jammerbugt", "Kalundborg", "Kerteminde",
    "Kolding", "København", "Køge", "Langeland", "Lejre", "Lemvig", "Lolland",
    "Lyngby-Taarbæk", "Læsø", "Mariagerfjord", "Middelfart", "Morsø", "Norddjurs",
    "Nordfyn", "Nyborg", "Næstved", "Odder", "Odense", "Odsherred", "Randers", "Rebild",
    "Ringkøbing-Skjern", "Ringsted", "Roskilde", "Rudersdal", "Rødovre", "Samsø",
    "Silkeborg", "Skanderborg", "Skive", "Slagelse", "Solrød", "Sorø", "Stevns", "Struer",
    "Svendborg", "Syddjurs", "Sønderborg", "Thisted", "Tønder", "Tårnby", "Vallensbæk",
    "Varde", "Vejen", "Vejle", "Vesthimmerland", "Viborg", "Vordingborg", "Ærø",
    "Aabenraa", "Aalborg", "Aarhus",
)

# Everyday names that are not the municipality's name: abbreviations, other languages,
# old spellings and towns (everyday name -> the municipality's name above).
ALIASES = {
    "kbh": "København", "kbhvn": "København", "kbhn": "København", "cph": "København",
    "copenhagen": "København", "kopenhagen": "København", "kobnhavn": "København",
    "kjøbenhavn": "København", "køben": "København",
    "rønne": "Bornholm", "nexø": "Bornholm", "nordfyns": "Nordfyn",
    "lyngby": "Lyngby-Taarbæk", "taastrup": "Høje-Taastrup", "elsinore": "Helsingør",
    "hinnerup": "Favrskov", "ølstykke": "Egedal", "stenløse": "Egedal", "smørum": "Egedal",
    "skagen": "Frederikshavn", "sæby": "Frederikshavn", "frhavn": "Frederikshavn",
}

# Words around a place name that say nothing about which place it is.
_NOISE = re.compile(
    r"\b(jeg|i|bor|vi|min|mit|er|fra|kommune|kommunen|kommuner|municipality|"
    r"regionskommune|regional|city|of|the|in|live|living|lives|im|we|my|is|from|"
    r"det|den|nok|vel|ja|yes|town|by|byen|area|omkring|ved|near)\b"
)


def fold(text: str) -> str:
    """The bot's one folding (textfold), punctuation dropped: 'København', 'Koebenhavn'
    and 'Kobenhavn' meet."""
    text = re.sub(r"[^a-z0-9\- ]+", " ", textfold.fold(text))
    return re.sub(r"\s+", " ", text).strip()


_FOLDED_ALIASES = {fold(k): fold(v) for k, v in ALIASES.items()}


def _candidates(text: str) -> list[str]:
    """The whole text without noise words, then its word runs (longest first)."""
    folded = fold(text)
    stripped = _NOISE.sub(" ", folded)
    words = stripped.split()
    runs = [" ".join(words)] if words else []
    for size in (3, 2, 1):
        for start in range(0, max(len(words) - size + 1, 0)):
            runs.append(" ".join(words[start:start + size]))
    out: list[str] = []
    for run in runs:
        for variant in (run, run.replace(" ", "-")):
            if variant and variant not in out:
                out.append(variant)
    return out


def _lookup(candidate: str, names: dict[str, str]) -> str | None:
    if candidate in names:
        return names[candidate]
    if candidate.endswith("s") and candidate[:-1] in names:  # "Københavns Kommune"
        return names[candidate[:-1]]
    alias = _FOLDED_ALIASES.get(candidate)
    if alias and alias in names:
        return names[alias]
    return None


def match(text: str, names: Iterable[tuple[str, str]], fuzzy: bool = True) -> str | None:
    """The key of the (name, key) pair that `text` most plausibly means, or None.

    `names` pairs a written name (e.g. "Københavns Kommune", "koebenhavn") with the
    key to return (e.g. the slug). Exact folded matches and aliases win; then a close
    spelling (typos) of at least four letters.
    """
    table: dict[str, str] = {}
    for name, key in names:
        for variant in (fold(name), _NOISE.sub(" ", fold(name)).strip()):
            variant = re.sub(r"\s+", " ", variant)
            if variant:
                table.setdefault(variant, key)
                table.setdefault(variant.replace(" ", "-"), key)
    alias_table = {k: table[v] for k, v in _FOLDED_ALIASES.items() if v in table}
    candidates = _candidates(text)
    for candidate in candidates:
        found = _lookup(candidate, table) or alias_table.get(candidate)
        if found:
            return found
    if fuzzy:
        keys = list(table)
        for candidate in candidates:
            if len(candidate) < 4:
                continue
            close = difflib.get_close_matches(candidate, keys, n=1, cutoff=0.82)
            if close:
                return table[close[0]]
    return None


def slugify(name: str) -> str:
    """The portal's slug style: 'København' -> 'koebenhavn'."""
    text = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def danish_municipality(text: str) -> str | None:
    """The Danish municipality `text` names (its usual name), whether in the demo or not."""
    return match(text, ((name, name) for name in DANISH_MUNICIPALITIES))
