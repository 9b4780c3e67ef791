"""Intent classifier: TF-IDF on words and character n-grams + logistic regression.

Why not Rasa's own classifiers: on Indgang's Danish/English data, 3-fold
cross-validation gave a weighted intent F1 of 0.73 for LogisticRegressionClassifier
(on Rasa's raw count features) and 0.72 for DIETClassifier (no transformer, 80 epochs),
while this classifier reaches about 0.76 (0.79 with the crisis guard under it), and
recalls crisis messages far better (≈0.75 against 0.64); see bot/README.md. The gain
comes from sublinear TF-IDF weighting (short messages, many shared words), character
n-grams within words (missing æ/ø/å, typos, Danish compounds) and the bot's one folding
(textfold: æ/ø/å and their ASCII spellings together) before vectorising. It trains in
seconds, answers in a fraction of a millisecond (`_FastScorer`), and needs no downloads;
it is language-agnostic, so Danish and English share one model.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import textfold
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabularies.json"
ARRAYS_FILE = "arrays.npz"


def classifier_text(text: str) -> str:
    """What the vectorisers see: the bot's one folding (textfold), whitespace collapsed."""
    return re.sub(r"\s+", " ", textfold.fold(text)).strip()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    """TF-IDF (word 1-2 grams + char_wb n-grams) and multinomial logistic regression."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngram_range": [1, 2],
            "char_ngram_range": [2, 5],
            "C": 20.0,
            "max_iter": 2000,
            "random_state": 42,
            "ranking_length": 10,
            # Part of Rasa's training-cache fingerprint: bump it when `persist` changes,
            # so a model cached in an older format is retrained instead of loaded empty.
            "storage_format": 2,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Part of Rasa's training-cache fingerprint: the text the model is trained on
        depends on code outside the config (textfold), so a change there retrains."""
        source = Path(inspect.getfile(textfold)).read_bytes()
        source += inspect.getsource(classifier_text).encode()
        return hashlib.sha256(source).hexdigest()

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, model: Pipeline | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self._fast: _FastScorer | None = None

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext
               ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_model(self) -> Pipeline:
        words = TfidfVectorizer(analyzer="word", token_pattern=r"(?u)\b\w+\b",
                                ngram_range=tuple(self.config["word_ngram_range"]),
                                sublinear_tf=True, lowercase=False)
        chars = TfidfVectorizer(analyzer="char_wb",
                                ngram_range=tuple(self.config["char_ngram_range"]),
                                sublinear_tf=True, lowercase=False)
        return Pipeline([
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("classifier", LogisticRegression(C=self.config["C"],
                                              max_iter=self.config["max_iter"],
                                              random_state=self.config["random_state"])),
        ])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = {e.get(INTENT) for e in examples}
        if len(labels) < 2:
            logger.debug("Not enough intents to train %s.", type(self).__name__)
            return self._resource
        self.model = self._new_model()
        self._fast = None
        self.model.fit([classifier_text(e.get(TEXT)) for e in examples],
                       [e.get(INTENT) for e in examples])
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        if self._fast is None:
            self._fast = _FastScorer(self.model)
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            probabilities = self._fast.predict_proba(classifier_text(text))
            order = np.argsort(-probabilities)
            classes = self._fast.classes
            ranking = [{"name": str(classes[i]), "confidence": float(probabilities[i])}
                       for i in order]
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        """Saves the fitted parameters as JSON and NumPy arrays (no pickle, no skops).

        Loading them back is instant and safe; skops alone took ~10 s of Rasa's start.
        """
        if self.model is None:
            return
        features = self.model.named_steps["features"]
        classifier = self.model.named_steps["classifier"]
        vocabularies = {name: {term: int(index) for term, index in vec.vocabulary_.items()}
                        for name, vec in features.transformer_list}
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / VOCABULARY_FILE).write_text(json.dumps(vocabularies), encoding="utf-8")
            np.savez(model_dir / ARRAYS_FILE,
                     classes=np.array([str(c) for c in classifier.classes_]),
                     coef=classifier.coef_, intercept=classifier.intercept_,
                     **{f"idf_{name}": vec.idf_ for name, vec in features.transformer_list})

    def _restore(self, vocabularies: dict[str, dict[str, int]], arrays: Any) -> Pipeline:
        model = self._new_model()
        for name, vec in model.named_steps["features"].transformer_list:
            vec.vocabulary_ = vocabularies[name]
            vec.fixed_vocabulary_ = True
            vec.idf_ = arrays[f"idf_{name}"]
        classifier = model.named_steps["classifier"]
        classifier.classes_ = arrays["classes"]
        classifier.coef_ = arrays["coef"]
        classifier.intercept_ = arrays["intercept"]
        return model

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                vocabularies = json.loads((model_dir / VOCABULARY_FILE).read_text("utf-8"))
                with np.load(model_dir / ARRAYS_FILE, allow_pickle=False) as arrays:
                    component.model = component._restore(vocabularies, dict(arrays))
        except (ValueError, FileNotFoundError) as error:
            logger.warning("No trained %s could be loaded (%s): retrain the model.",
                           cls.__name__, error)
        return component


class _FastScorer:
    """The fitted pipeline's `predict_proba` for one text, without sklearn's per-call
    overhead (input checks, sparse matrix assembly): ~20 % of Rasa's time per turn.

    Same arithmetic as TfidfVectorizer (sublinear tf × idf, l2 per vectorizer, the
    vectorizer's own analyzer) and multinomial LogisticRegression (softmax of the
    decision function); tests compare it with the pipeline on the training data.
    """

    def __init__(self, model: Pipeline) -> None:
        features = model.named_steps["features"]
        classifier = model.named_steps["classifier"]
        self.classes = classifier.classes_
        self._model = model
        self._binary = len(self.classes) == 2  # sklearn's binary case: not multinomial
        self._parts = []
        offset = 0
        for _name, vectorizer in features.transformer_list:
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            self._parts.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, idf,
                                offset))
            offset += len(idf)
        self._coef_t = np.ascontiguousarray(np.asarray(classifier.coef_, dtype=np.float64).T)
        self._intercept = np.asarray(classifier.intercept_, dtype=np.float64)

    def predict_proba(self, text: str) -> np.ndarray:
        if self._binary:
            return self._model.predict_proba([text])[0]
        scores = self._intercept.copy()
        for analyzer, vocabulary, idf, offset in self._parts:
            counts = Counter(term for term in analyzer(text) if term in vocabulary)
            if not counts:
                continue
            index = np.fromiter((vocabulary[term] for term in counts), dtype=np.intp,
                                count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64,
                                                count=len(counts)))) * idf[index]
            weights /= np.sqrt(weights @ weights)
            scores += weights @ self._coef_t[offset + index]
        scores -= scores.max()
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum()
