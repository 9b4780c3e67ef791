"""The TF-IDF intent classifier: trains, persists without pickle, loads the same model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from components.tfidf_classifier import TfidfIntentClassifier, fold
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
        assert np.allclose(trained.model.predict_proba([fold(text)]),
                           loaded.model.predict_proba([fold(text)]))
    message = Message(data={"text": "min far drikker"})
    loaded.process([message])
    assert message.get("intent")["name"] == "situation_alcohol"
    assert message.get("intent_ranking")[0] == message.get("intent")


def test_folding_meets_ascii_spellings() -> None:
    assert fold("Pårørende") == fold("paaroerende") == fold("parorende")
    assert fold("Gæld") == fold("gaeld") == fold("gald")
