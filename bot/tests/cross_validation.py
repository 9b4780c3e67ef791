"""Intent cross-validation with fixed folds, to compare the NLU before and after a change.

`rasa test nlu --cross-validation` draws its folds with numpy's global random state, so
one run differs from the next by about ±0.015 in weighted F1. With the seed set first,
the same data gives the same folds: run this before and after a change, with the same
seeds, and compare. From bot/:

    .venv/bin/python -m tests.cross_validation 1 2 3

prints, per seed, the weighted F1 and precision over all intents (reports in
results/nlu-seed<N>/). Each seed runs the whole 3-fold cross-validation (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BOT_DIR = Path(__file__).resolve().parents[1]

_RUN = """
import random, sys
import numpy
seed = int(sys.argv[1])
random.seed(seed)
numpy.random.seed(seed)
sys.argv = ["rasa", "test", "nlu", "--nlu", "data", "--config", "config.yml", "--domain",
            "domain", "--cross-validation", "--folds", "3", "--out", sys.argv[2]]
from rasa.__main__ import main
main()
"""


def run(seed: int) -> dict[str, float]:
    out = BOT_DIR / "results" / f"nlu-seed{seed}"
    subprocess.run([sys.executable, "-c", _RUN, str(seed), str(out)], cwd=BOT_DIR,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = json.loads((out / "intent_report.json").read_text())
    weighted = report["weighted avg"]
    return {"f1": weighted["f1-score"], "precision": weighted["precision"],
            "examples": weighted["support"]}


def main(seeds: list[int]) -> None:
    figures = []
    for seed in seeds:
        result = run(seed)
        figures.append(result["f1"])
        print(f"seed {seed}: weighted F1 {result['f1']:.3f}, precision "
              f"{result['precision']:.3f} ({result['examples']} examples)", flush=True)
    print(f"mean weighted F1 {sum(figures) / len(figures):.3f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1, 2, 3])
