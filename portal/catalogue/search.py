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
# situations): its name, its everyday terms, the keywords of the offers serving it (an
# offer serving several situations lends each a share of its keywords).
SITUATION_SOURCE_WEIGHTS = {"name": 1.0, "terms": 0.8, "keywords": 0.5}
SITUATION_PHRASE_BONUS = 2.0
# A situation is named when it scores at least this, and this share of the best one;
# the words are understood with confidence when a named one scores at least
# CONFIDENT_SCORE from its own name and terms (about one specific word, such as "gæld",
# found as it is), not only from offers' keywords.
NAMED_MIN_SCORE = 0.9
NAMED_SHARE = 0.75
CONFIDENT_SCORE = 1.5
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
    keywords: list[tuple[str, float]] = field(default_factory=list)  # (keyword, share)


class SituationMatcher:
    """Scores the life situations against a query with the offer index's own word
    expansion (missing æ/ø/å, inflection, compounds, typos), so the words that find an
    offer are the words that name its situation."""

    def __init__(self, vocabularies: Iterable[SituationVocabulary],
                 expand: Callable[[str], tuple[tuple[str, float], ...]]) -> None:
        self.expand = expand
        raw: dict[str, dict[str, float]] = defaultdict(dict)
        self.phrases: dict[str, dict[str, float]] = defaultdict(dict)

        # The situations' own words (names and terms), as opposed to offers' keywords:
        # only these make an understanding confident.
        self.own: dict[str, set[str]] = defaultdict(set)

        def add(term: str, slug: str, weight: float) -> None:
            raw[term][slug] = max(raw[term].get(slug, 0.0), weight)

        vocabularies = list(vocabularies)
        for vocab in vocabularies:
            sources = ([(t, SITUATION_SOURCE_WEIGHTS["name"]) for t in vocab.names]
                       + [(t, SITUATION_SOURCE_WEIGHTS["terms"]) for t in vocab.terms]
                       + [(k, SITUATION_SOURCE_WEIGHTS["keywords"] * share)
                          for k, share in vocab.keywords])
            for text, weight in sources:
                # In a phrase ("hjælp i hjemmet", "min far") each word alone says less
                # than the whole, which the phrase bonus rewards.
                folded = phrase(text)
                single = " " not in folded
                for token in tokens(text):
                    add(token, vocab.slug, weight * (1.0 if single else PART_OF_PHRASE))
                if not single:
                    current = self.phrases[folded].get(vocab.slug, 0.0)
                    self.phrases[folded][vocab.slug] = max(current, weight)
            for text in vocab.names + vocab.terms:
                if " " not in phrase(text):
                    for token in tokens(text):
                        self.own[token].add(vocab.slug)
        n = max(len(vocabularies), 1)
        # A word of many situations ("hjælp", "ung") says little about which one. How
        # many use it counts by weight: a keyword lent by a broad offer counts little.
        self.weights = {}
        for term, slugs in raw.items():
            df = max(sum(slugs.values()), 1.0)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            self.weights[term] = {slug: w * idf for slug, w in slugs.items()}
        self.longest_phrase = max((len(p.split()) for p in self.phrases), default=0)

    def understand(self, query: str) -> Understanding:
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, float] = defaultdict(float)  # from the situations' own words
        for word in dict.fromkeys(tokens(query)):
            best: dict[str, float] = {}
            own: dict[str, float] = {}
            exact = word in self.weights
            for term, certainty in self.expand(word):
                # A word some situation uses as it is mostly means that: "misbrug" is
                # alcohol or drugs more than "misbrugt" (abused).
                if exact and term != word:
                    certainty *= INEXACT_WHEN_EXACT
                for slug, weight in self.weights.get(term, {}).items():
                    value = certainty * weight
                    if value > best.get(slug, 0.0):
                        best[slug] = value
                    if slug in self.own.get(term, ()) and value > own.get(slug, 0.0):
                        own[slug] = value
            for slug, value in best.items():
                scores[slug] += value
            for slug, value in own.items():
                evidence[slug] += value
        for run in _runs(phrase(query).split(), self.longest_phrase):
            for slug, weight in self.phrases.get(run, {}).items():
                scores[slug] += SITUATION_PHRASE_BONUS * weight
                evidence[slug] += SITUATION_PHRASE_BONUS * weight
        if not scores:
            return Understanding()
        top = max(scores.values())
        floor = max(NAMED_MIN_SCORE, NAMED_SHARE * top)
        # Named: called by its own words, not only by offers' keywords; and either
        # clearly (a second need in "drikker for meget og har gæld") or nearly as well
        # as the best one.
        named = sorted(((s, round(v, 3)) for s, v in scores.items()
                        if evidence.get(s, 0.0) >= CONFIDENT_SCORE
                        or (v >= floor and evidence.get(s, 0.0) > 0)),
                       key=lambda item: (-item[1], item[0]))
        confident = any(evidence.get(slug, 0.0) >= CONFIDENT_SCORE for slug, _ in named)
        return Understanding(tuple(named), confident=confident)


def _runs(words: list[str], longest: int) -> set[str]:
    """Every run of 2 to `longest` consecutive words."""
    return {" ".join(words[start:start + size])
            for size in range(2, min(longest, len(words)) + 1)
            for start in range(len(words) - size + 1)}
