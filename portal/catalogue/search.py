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
from collections.abc import Iterable
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
        query_words = phrase(query).split()
        runs = {" ".join(query_words[start:start + size])
                for size in range(2, min(self.longest_phrase, len(query_words)) + 1)
                for start in range(len(query_words) - size + 1)}
        for run in runs:
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
