"""The bot's one folding gives exactly the shared cases (the portal's fold must too)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textfold import fold

CASES = Path(__file__).resolve().parents[3] / "tests" / "shared" / "folding.yml"


@pytest.mark.parametrize("written, folded", yaml.safe_load(CASES.read_text(encoding="utf-8")))
def test_fold_gives_the_shared_cases(written: str, folded: str) -> None:
    assert fold(written) == folded
