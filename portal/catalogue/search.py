"""Ranking offers against a citizen's own words.

An in-memory index over every offer, built from the database and rebuilt when the
content fingerprint changes. Each offer is one document made of weighted fields in
both languages (a Danish page may receive an English query and vice versa), including
the everyday `terms` of the life situations it is tagged with; that is how
"drikker for meget" finds alcohol offers whose text never says "drikker".

A query word matches index terms exactly, by prefix (inflection, partial typing), as
the head or tail of a Danish compound ("alkoholproblemer", "stofmisbrug") or within a
small edit distance (typos). Scores are BM25-like with saturation per term; multi-word
situation terms and keywords found verbatim in the query ("skærer i mig selv") give a
phrase bonus to the offers tagged with them.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from portal.core.text import phrase, tokens

# How much a word in each field says about the offer.
FIELD_WEIGHTS = {
    "title": 3.0,
    "keywords": 2.5,
    "summary": 2.0,
    "situation_name": 2.0,
    "situation_terms": 1.5,
    "body": 1.0,
}
SATURATION = 1.2  # BM25 k1: the third mention of a word adds little
PHRASE_BONUS = 2.5
PHRASE_IDF_FULL = 3.0  # a phrase this rare (idf) or rarer gets the whole bonus
MIN_RELATIVE_SCORE = 0.2  # drop results scoring under this share of the best one


@dataclass
class Document:
    """What the index knows of one offer. Filters read these attributes too."""

    offer_id: int
    area_id: int
    access: str
    anonymous: bool
    virtual: bool
    for_relatives: bool
    situations: frozenset[str]
    fields: dict[str, list[str]] = field(default_factory=dict)  # field -> texts
    phrases: list[tuple[str, float]] = field(default_factory=list)  # (phrase, weight)


class SearchIndex:
    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = list(documents)
        postings: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.phrases: dict[str, dict[int, float]] = defaultdict(dict)
        for doc in self.documents:
            for field_name, texts in doc.fields.items():
                weight = FIELD_WEIGHTS[field_name]
                for text in texts:
                    for token in tokens(text):
                        postings[token][doc.offer_id] += weight
            for text, weight in doc.phrases:
                folded = phrase(text)
                if " " in folded:  # single words are covered by the postings
                    current = self.phrases[folded].get(doc.offer_id, 0.0)
                    self.phrases[folded][doc.offer_id] = max(current, weight)
        n = max(len(self.documents), 1)
        # Each term's weight per offer: idf × saturated term frequency, computed once.
        self.weights: dict[str, dict[int, float]] = {}
        for term, docs in postings.items():
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            self.weights[term] = {doc_id: idf * (tf / (tf + SATURATION))
                                  for doc_id, tf in docs.items()}
        # A phrase many offers share ("min søn": every offer for relatives) says less
        # about which offer fits than a rare one ("skærer i mig selv"): scaled like a word.
        for docs in self.phrases.values():
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            scale = min(1.0, idf / PHRASE_IDF_FULL)
            for doc_id in docs:
                docs[doc_id] *= scale
        # Longest phrase in words: a query is matched by looking up its word runs.
        self.longest_phrase = max((len(t.split()) for t in self.phrases), default=0)
        self.vocabulary = sorted(self.weights)
        self._vocabulary_set = set(self.vocabulary)
        self.expand = lru_cache(maxsize=20_000)(self._expand)

    def _expand(self, word: str) -> tuple[tuple[str, float], ...]:
        """Index terms a query word may mean, each with how sure we are."""
        found: dict[str, float] = {}

        def offer(term: str, weight: float) -> None:
            if weight > found.get(term, 0.0):
                found[term] = weight

        if word in self._vocabulary_set:
            offer(word, 1.0)
        if len(word) >= 4:
            # The word begins a longer term: inflection ("drikker" -> "drikkeri") or
            # unfinished typing ("alko" -> "alkohol").
            start = bisect.bisect_left(self.vocabulary, word)
            for term in self.vocabulary[start:start + 50]:
                if not term.startswith(word):
                    break
                offer(term, 0.9 if len(term) - len(word) <= 3 else 0.6)
            # A term begins or ends the word: Danish compounds ("alkoholproblemer",
            # "stofmisbrug") and inflected forms ("rykkere" -> "rykker").
            for cut in range(len(word) - 1, 3, -1):
                head = word[:cut]
                if head in self._vocabulary_set:
                    offer(head, 0.85 if len(word) - cut <= 3 else 0.7)
            for cut in range(3, len(word) - 4):  # keep a real head: "brother" is not "other"
                tail = word[cut:]
                if tail in self._vocabulary_set:
                    offer(tail, 0.6)
        if len(word) >= 6:
            # Another form of the same stem: "rådgiver" ~ "rådgivning", "misbruger" ~ "misbrug".
            for cut in range(len(word) - 1, max(5, len(word) - 3) - 1, -1):
                stem = word[:cut]
                start = bisect.bisect_left(self.vocabulary, stem)
                for term in self.vocabulary[start:start + 30]:
                    if not term.startswith(stem):
                        break
                    if len(term) <= cut + 5:
                        offer(term, 0.7)
        if len(word) >= 4 and word not in self._vocabulary_set:
            max_edits = 1 if len(word) < 8 else 2
            for term, distance, _ in process.extract(
                word, self.vocabulary, scorer=Levenshtein.distance,
                score_cutoff=max_edits, limit=8,
            ):
                if abs(len(term) - len(word)) <= max_edits and len(term) >= 4:
                    offer(term, 0.75 if distance == 1 else 0.6)
        return tuple(found.items())

    @staticmethod
    def has_meaning(query: str) -> bool:
        """False for a query of only stopwords or punctuation ("og", "?")."""
        return bool(tokens(query))

    def rank(self, query: str, candidates: set[int] | None = None) -> list[tuple[int, float]]:
        """(offer id, score) of the offers matching `query`, best first.

        `candidates` limits which offers count.
        """
        scores: dict[int, float] = defaultdict(float)
        for word in dict.fromkeys(tokens(query)):  # each distinct word once
            best: dict[int, float] = {}
            for term, certainty in self.expand(word):
                for doc_id, weight in self.weights[term].items():
                    value = certainty * weight
                    if value > best.get(doc_id, 0.0):
                        best[doc_id] = value
            for doc_id, value in best.items():
                scores[doc_id] += value
        for run in _runs(phrase(query).split(), self.longest_phrase):
            docs = self.phrases.get(run)
            if docs:
                for doc_id, weight in docs.items():
                    scores[doc_id] += PHRASE_BONUS * weight
        if candidates is not None:
            scores = {d: s for d, s in scores.items() if d in candidates}
        if not scores:
            return []
        top = max(scores.values())
        floor = top * MIN_RELATIVE_SCORE
        hits = [(d, s) for d, s in scores.items() if s >= floor]
        hits.sort(key=lambda hit: (-hit[1], hit[0]))
        return hits


# --- Which life situations the words name --------------------------------------------

# How much a word in each source says about a situation (before its rarity across
# situations): its name, its everyday terms, the keywords of the offers serving it.
SITUATION_SOURCE_WEIGHTS = {"name": 1.0, "terms": 0.8, "keywords": 0.5}
SITUATION_PHRASE_BONUS = 2.0
# The words are understood with confidence when a situation scores at least
# CONFIDENT_SCORE from its own name and terms (not from offers' keywords), with at least
# one whole word or phrase of its own: one specific word such as "gæld", found as it
# is, not two halves of phrases ("ingen" of "ingen bolig" and "hjælp" of "hjælp i
# hjemmet").
CONFIDENT_SCORE = 1.5
# A second (third) need is named only on evidence of its own: more than one everyday
# term (a term scores at most 0.8 × the rarest idf, 1.84), that is a word of its name
# ("gæld", also as "debts"), a phrase ("vold i hjemmet") or two of its words; or a word,
# as it is, that no other situation uses ("inkasso"). So not "hver" in "hver dag", nor
# "bange" in "bange for at blive alkoholiker" (also in "bange for min mand"). A known
# limit: "arbejde" in "det går ud over mit arbejde" is named (a word of a name).
SECOND_SCORE = 1.9
# Without confidence, the situations scoring at least this, and this share of the best
# one, are named (not confidently).
NAMED_MIN_SCORE = 0.9
NAMED_SHARE = 0.75
# A term beginning with one of these says who the words are about ("min søn", "my
# wife"), not a need: the writer is a relative, which the assistant handles; it names
# the relatives' situation only when the words name nothing else.
POSSESSIVES = frozenset({"min", "mit", "mine", "my", "our", "vores"})
INEXACT_WHEN_EXACT = 0.5
PART_OF_PHRASE = 0.5


@dataclass(frozen=True)
class Understanding:
    """The life situations a citizen's words name, most likely first, with scores."""

    situations: tuple[tuple[str, float], ...] = ()
    confident: bool = False

    @property
    def slugs(self) -> list[str]:
        return [slug for slug, _score in self.situations]


@dataclass
class SituationVocabulary:
    """What one life situation is called, in every language, for `SituationMatcher`."""

    slug: str
    names: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    part_of: list[str] = field(default_factory=list)  # broader situations


@dataclass(frozen=True)
class OfferKeywords:
    """One offer's keywords (every language) and the situations it serves."""

    situations: frozenset[str]
    keywords: tuple[str, ...]


def _idf(count: int, df: float) -> float:
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


class SituationMatcher:
    """Scores the life situations against a query with the offer index's own word
    expansion (missing æ/ø/å, inflection, compounds, typos), so the words that find an
    offer are the words that name its situation.

    Two sources, kept apart: the situations' own words (names and everyday terms), which
    alone can name a situation, and the offers' keywords, which only add to a score. A
    keyword says as much about a situation as the offers using it serve that situation:
    "gældsrådgivning" in 60 debt offers, 5 of which also serve loneliness, is debt's
    word, not loneliness'. So a catalogue of 2,000 offers, many serving a second
    situation, does not blur what a situation's own words mean.

    `known(word)`: whether the word is a word of the catalogue as it is (then it is not
    the unfinished start of a longer one).
    """

    def __init__(self, vocabularies: Iterable[SituationVocabulary],
                 offers: Iterable[OfferKeywords],
                 expand: Callable[[str], tuple[tuple[str, float], ...]],
                 known: Callable[[str], bool] = lambda word: False) -> None:
        self.expand = expand
        self.known = known
        vocabularies = list(vocabularies)
        n = max(len(vocabularies), 1)
        # A situation and the broader one it is part of ("young-substances", "drugs")
        # are one need.
        self.broader = {vocab.slug: set(vocab.part_of) for vocab in vocabularies}

        # The situations' own words: token -> slug -> weight, and their phrases.
        own: dict[str, dict[str, float]] = defaultdict(dict)
        self.own_phrases: dict[str, dict[str, float]] = defaultdict(dict)
        # Which situations use a token as a whole word ("gæld"), not only as part of a
        # phrase ("ingen" of "ingen bolig").
        self.whole_words: dict[str, set[str]] = defaultdict(set)
        # Terms that only say who the words are about ("min søn"), and their words.
        self.person_phrases: set[str] = set()
        person_words: dict[str, set[str]] = defaultdict(set)
        other_words: dict[str, set[str]] = defaultdict(set)
        for vocab in vocabularies:
            # Each word of a name counts whole: "Gæld og økonomi" is "gæld" and "økonomi".
            sources = ([(t, SITUATION_SOURCE_WEIGHTS["name"], True) for t in vocab.names]
                       + [(t, SITUATION_SOURCE_WEIGHTS["terms"], False) for t in vocab.terms])
            for text, weight, is_name in sources:
                # In a phrase ("hjælp i hjemmet", "min far") each word alone says less
                # than the whole, which the phrase bonus rewards.
                folded = phrase(text)
                whole = is_name or " " not in folded
                about_person = " " in folded and folded.split()[0] in POSSESSIVES
                for token in tokens(text):
                    part = weight * (1.0 if whole else PART_OF_PHRASE)
                    own[token][vocab.slug] = max(own[token].get(vocab.slug, 0.0), part)
                    (person_words if about_person else other_words)[token].add(vocab.slug)
                    if whole:
                        self.whole_words[token].add(vocab.slug)
                if " " in folded:
                    current = self.own_phrases[folded].get(vocab.slug, 0.0)
                    self.own_phrases[folded][vocab.slug] = max(current, weight)
                    if about_person:
                        self.person_phrases.add(folded)
        self.person_words = {token: slugs - other_words.get(token, set())
                             for token, slugs in person_words.items()}
        # A word of many situations ("hjælp", "ung") says little about which one.
        self.own_weights: dict[str, dict[str, float]] = {}
        for term, slugs in own.items():
            idf = _idf(n, max(sum(slugs.values()), 1.0))
            self.own_weights[term] = {slug: w * idf for slug, w in slugs.items()}

        # The offers' keywords: how much of the offers using a word serve each situation
        # (an offer serving n situations gives each 1/n).
        mass: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        used: dict[str, float] = defaultdict(float)
        phrase_mass: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        phrase_used: dict[str, float] = defaultdict(float)
        for offer in offers:
            if not offer.situations:
                continue
            share = 1 / len(offer.situations)
            words: dict[str, float] = {}
            phrases: set[str] = set()
            for keyword in offer.keywords:
                folded = phrase(keyword)
                single = " " not in folded
                for token in tokens(keyword):
                    words[token] = max(words.get(token, 0.0),
                                       1.0 if single else PART_OF_PHRASE)
                if not single:
                    phrases.add(folded)
            for token, part in words.items():
                used[token] += 1
                for slug in offer.situations:
                    mass[token][slug] += part * share
            for folded in phrases:
                phrase_used[folded] += 1
                for slug in offer.situations:
                    phrase_mass[folded][slug] += share
        weight = SITUATION_SOURCE_WEIGHTS["keywords"]
        # Every source: what the words score (the order of the situations named).
        self.weights: dict[str, dict[str, float]] = {
            term: dict(slugs) for term, slugs in self.own_weights.items()}
        for term, slugs in _associations(mass, used, n).items():
            into = self.weights.setdefault(term, {})
            for slug, value in slugs.items():
                into[slug] = max(into.get(slug, 0.0), weight * value)
        self.phrases: dict[str, dict[str, float]] = {
            folded: dict(slugs) for folded, slugs in self.own_phrases.items()}
        for folded, slugs in _associations(phrase_mass, phrase_used, n).items():
            into = self.phrases.setdefault(folded, {})
            for slug, value in slugs.items():
                into[slug] = max(into.get(slug, 0.0), weight * value / _idf(n, 1.0))
        self.longest_phrase = max((len(p.split()) for p in self.phrases), default=0)

    def understand(self, query: str) -> Understanding:
        scores: dict[str, float] = defaultdict(float)  # every source
        evidence: dict[str, float] = defaultdict(float)  # the situations' own words
        person: dict[str, float] = defaultdict(float)  # ... that only name a person
        whole: set[str] = set()  # met by a whole word or phrase of their own
        alone: set[str] = set()  # met by a word, as it is, no other situation uses
        for word in dict.fromkeys(tokens(query)):
            best: dict[str, float] = {}
            own: dict[str, float] = {}
            own_person: dict[str, float] = {}
            # What the word names as it is; another word it may mean counts less for the
            # other situations: "misbrug" is alcohol or drugs more than "misbrugt"
            # (abused), and a whole word is not the start of a longer one: "hver"
            # (every) is not "hverdag" (everyday).
            itself = self.own_weights.get(word, {})
            doubtful = bool(itself) or self.known(word)
            for term, certainty in self.expand(word):
                inexact = term != word and (bool(itself) or term.startswith(word))
                for slug, weight in self.weights.get(term, {}).items():
                    if inexact and doubtful and slug not in itself:
                        weight *= INEXACT_WHEN_EXACT
                    value = certainty * weight
                    best[slug] = max(best.get(slug, 0.0), value)
                    own_weight = self.own_weights.get(term, {}).get(slug)
                    if own_weight is None:
                        continue
                    value *= own_weight / self.weights[term][slug]
                    into = own_person if slug in self.person_words.get(term, ()) else own
                    into[slug] = max(into.get(slug, 0.0), value)
                    if slug in self.whole_words.get(term, ()):
                        whole.add(slug)
                        if term == word and len(self.own_weights[term]) == 1:
                            alone.add(slug)
            for slug, value in best.items():
                scores[slug] += value
            for slug, value in own.items():
                evidence[slug] += value
            for slug, value in own_person.items():
                person[slug] += value
        for run in _runs(phrase(query).split(), self.longest_phrase):
            for slug, weight in self.phrases.get(run, {}).items():
                scores[slug] += SITUATION_PHRASE_BONUS * weight
            into = person if run in self.person_phrases else evidence
            for slug, weight in self.own_phrases.get(run, {}).items():
                into[slug] += SITUATION_PHRASE_BONUS * weight
                whole.add(slug)
        if not scores:
            return Understanding()
        # Who the words are about ("min søn") names a need only when nothing else does.
        if not any(value >= CONFIDENT_SCORE for value in evidence.values()):
            for slug, value in person.items():
                evidence[slug] += value
        clear = [slug for slug, value in evidence.items()
                 if value >= CONFIDENT_SCORE and slug in whole]
        if clear:
            # The need the words name most clearly; others on evidence of their own
            # ("gæld" in "drikker for meget og har gæld", not "hver" in "hver dag"),
            # and the broader situation of the first ("drugs" for "young-substances").
            first = max(clear, key=lambda slug: (scores[slug], slug))
            named = {first} | {slug for slug in clear
                               if evidence[slug] >= SECOND_SCORE or slug in alone
                               or slug in self.broader.get(first, ())}
        else:
            floor = max(NAMED_MIN_SCORE, NAMED_SHARE * max(scores.values()))
            named = {slug for slug, value in scores.items()
                     if value >= floor and evidence.get(slug, 0.0) > 0}
        ordered = sorted(((slug, round(scores[slug], 3)) for slug in named),
                         key=lambda item: (-item[1], item[0]))
        return Understanding(tuple(ordered), confident=bool(clear))


def _associations(mass: dict[str, dict[str, float]], used: dict[str, float],
                  count: int) -> dict[str, dict[str, float]]:
    """Per keyword, each situation's share of the offers using it, times the keyword's
    rarity across situations (by how evenly those offers spread over situations)."""
    out: dict[str, dict[str, float]] = {}
    for term, slugs in mass.items():
        total = sum(slugs.values())
        spread = 1 / sum((v / total) ** 2 for v in slugs.values())  # 1: a single situation
        idf = _idf(count, spread)
        out[term] = {slug: v / used[term] * idf for slug, v in slugs.items()}
    return out


def _runs(words: list[str], longest: int) -> set[str]:
    """Every run of 2 to `longest` consecutive words."""
    return {" ".join(words[start:start + size])
            for size in range(2, min(longest, len(words)) + 1)
            for start in range(len(words) - size + 1)}
