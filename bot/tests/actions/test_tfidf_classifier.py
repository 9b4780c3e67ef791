"""The TF-IDF intent classifier: trains, persists without pickle, loads the same model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from components.tfidf_classifier import TfidfIntentClassifier, classifier_text
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

EXAMPLES = [("hej", "greet"), ("hejsa", "greet"), ("hello there", "greet"),
            ("farvel", "goodbye"), ("vi ses", "goodbye"), ("bye", "goodbye"),
            ("jeg drikker for meget", "situation_alcohol"),
            ("min mor drikker hver dag", "situation_alcohol"),
            ("i drink too much", "situation_alcohol")]


def test_round_trip_gives_the_same_probabilities(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("tfidf")
    trained = TfidfIntentClassifier({}, storage, resource)
    trained.train(TrainingData([Message(data={"text": t, "intent": i}) for t, i in EXAMPLES]))
    loaded = TfidfIntentClassifier.load({}, storage, resource, None)
    for text in ["hej med dig", "jeg drikker", "Farvel så længe", "jeg draekker"]:
        assert np.allclose(trained.model.predict_proba([classifier_text(text)]),
                           loaded.model.predict_proba([classifier_text(text)]))
    message = Message(data={"text": "min far drikker"})
    loaded.process([message])
    assert message.get("intent")["name"] == "situation_alcohol"
    assert message.get("intent_ranking")[0] == message.get("intent")


def test_fast_scoring_equals_the_pipeline_on_the_real_training_data(tmp_path: Path) -> None:
    """`process` scores without sklearn's per-call overhead; it must give exactly the
    pipeline's probabilities, on every example the assistant is trained on."""
    from rasa.shared.importers.importer import TrainingDataImporter

    bot = Path(__file__).resolve().parents[2]
    data = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(bot / "data" / "nlu")]).get_nlu_data()
    storage, resource = LocalModelStorage(tmp_path), Resource("tfidf")
    classifier = TfidfIntentClassifier({}, storage, resource)
    classifier.train(data)
    texts = [classifier_text(e.get("text")) for e in data.intent_examples]
    texts += [classifier_text(t) for t in ["", "zzzz qqqq", "hej hej hej", "MIN SØN RYGER HASH!!"]]
    expected = classifier.model.predict_proba(texts)
    from components.tfidf_classifier import _FastScorer

    fast = _FastScorer(classifier.model)
    got = np.array([fast.predict_proba(t) for t in texts])
    assert len(texts) > 1500
    assert np.allclose(got, expected, rtol=0, atol=1e-9)
