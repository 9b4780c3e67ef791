"""The whole trained NLU pipeline (classifier, fallback, crisis guard) on crisis phrasings
that are not in the training data: every one must come out as `crisis`.

Two tuned lists: the guard's phrasings (test_safety_and_honesty.CRISIS_NOT_IN_TRAINING)
and crisis_more.yml (long messages, indirect plans, emergencies about someone else). The
held-out set (tests/held_out/crisis.yml) is only reported, never asserted on beyond the
guard's floor (test_held_out_crisis.py). Needs the trained model (make bot-train).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import yaml
from test_safety_and_honesty import CRISIS_NOT_IN_TRAINING, training_examples

BOT_DIR = Path(__file__).resolve().parents[2]
MODEL = BOT_DIR / "models" / "indgang.tar.gz"
MORE = Path(__file__).with_name("crisis_more.yml")


def more() -> list[str]:
    return yaml.safe_load(MORE.read_text(encoding="utf-8"))["crisis"]


@pytest.fixture(scope="module")
def intent_of():
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL} (make bot-train)")
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> str:
        return (loop.run_until_complete(agent.parse_message(text))["intent"] or {})["name"]

    yield parse
    loop.close()


def test_the_phrasings_are_not_in_the_training_data() -> None:
    trained = {text.lower() for _intent, text in training_examples()}
    assert [t for t in more() if t.lower() in trained] == []
    assert len(more()) >= 40


def test_every_tuned_crisis_phrasing_gets_the_crisis_answer(intent_of) -> None:
    missed = [t for t in CRISIS_NOT_IN_TRAINING + more() if intent_of(t) != "crisis"]
    assert missed == []
