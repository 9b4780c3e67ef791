"""The crisis safety net measured on phrasings it was tuned on and on the held-out set.

    cd bot && .venv/bin/python -m tests.held_out.report            # the crisis guard
    cd bot && .venv/bin/python -m tests.held_out.report --model models/indgang.tar.gz
    cd bot && .venv/bin/python -m tests.held_out.report --misses   # list what it gets wrong

Two sets, side by side:

- tuned: the phrasings in tests/actions/test_safety_and_honesty.py (written apart from
  the training data, but the guard was widened where they showed a miss);
- held out: tests/held_out/crisis.yml, written blind to the guard and NEVER used to tune
  it (see that file's header). Its misses are reported, not fixed.

For each: crisis recall (crisis messages that get the crisis answer) and false alarms
(near misses taken for a crisis). `--model` adds what the whole NLU pipeline decides
(classifier, fallback and guard: intent `crisis`), which is what the citizen gets.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

BOT_DIR = Path(__file__).resolve().parents[2]
HELD_OUT = Path(__file__).resolve().parent / "crisis.yml"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up lines (Rasa's)
if str(BOT_DIR) not in sys.path:
    sys.path.insert(0, str(BOT_DIR))
sys.path.insert(0, str(BOT_DIR / "tests" / "actions"))

from components.crisis_guard import is_crisis  # noqa: E402
from test_safety_and_honesty import (  # noqa: E402
    CRISIS_NOT_IN_TRAINING,
    EVERYDAY_NOT_IN_TRAINING,
)


@dataclass(frozen=True)
class Phrasings:
    name: str
    crisis: list[str]
    not_crisis: list[str]


def tuned() -> Phrasings:
    return Phrasings("tuned", list(CRISIS_NOT_IN_TRAINING), list(EVERYDAY_NOT_IN_TRAINING))


def held_out() -> Phrasings:
    data = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    return Phrasings("held out", list(data["crisis"]), list(data["not_crisis"]))


@dataclass(frozen=True)
class Figures:
    caught: int
    crisis: int
    flagged: int
    not_crisis: int
    missed: list[str]
    false_alarms: list[str]

    @property
    def recall(self) -> float:
        return self.caught / self.crisis

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged / self.not_crisis

    def __str__(self) -> str:
        return (f"{self.caught}/{self.crisis} = {self.recall:.2f}".ljust(17)
                + f"{self.flagged}/{self.not_crisis} = {self.false_alarm_rate:.2f}")


def measure(phrasings: Phrasings, decides=is_crisis) -> Figures:
    missed = [t for t in phrasings.crisis if not decides(t)]
    alarms = [t for t in phrasings.not_crisis if decides(t)]
    return Figures(len(phrasings.crisis) - len(missed), len(phrasings.crisis),
                   len(alarms), len(phrasings.not_crisis), missed, alarms)


def pipeline(model: str):
    """The trained model's decision: intent `crisis` after classifier, fallback, guard."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)  # no debug line per parsed message
    agent = Agent.load(model)
    loop = asyncio.new_event_loop()

    def decides(text: str) -> bool:
        parsed = loop.run_until_complete(agent.parse_message(text))
        return (parsed.get("intent") or {}).get("name") == "crisis"

    return decides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="also the whole NLU pipeline of this trained model")
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()

    deciders = [("crisis guard", is_crisis)]
    if args.model:
        deciders.append(("NLU pipeline", pipeline(args.model)))
    sets = [tuned(), held_out()]
    print(f"{'':24}{'crisis recall':17}false alarms")
    for label, decides in deciders:
        for phrasings in sets:
            figures = measure(phrasings, decides)
            print(f"{label + ', ' + phrasings.name:24}{figures}")
            if args.misses:
                for text in figures.missed:
                    print(f"    missed:      {text}")
                for text in figures.false_alarms:
                    print(f"    false alarm: {text}")


if __name__ == "__main__":
    main()
