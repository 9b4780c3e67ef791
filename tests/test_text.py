"""How citizens write, folded to one form: the portal and the bot agree (one mapping,
`tests/shared/folding.yml`; the bot's test reads the same file)."""

from __future__ import annotations

import pytest
import yaml

from portal.core.text import fold, tokens
from tests.conftest import ROOT

CASES = yaml.safe_load((ROOT / "tests" / "shared" / "folding.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("written", "folded"), CASES, ids=[c[0] for c in CASES])
def test_fold_gives_the_shared_form(written: str, folded: str) -> None:
    assert fold(written) == folded


def test_every_spelling_of_a_danish_word_is_one_search_term() -> None:
    assert tokens("Pårørende") == tokens("paaroerende") == tokens("parorende") == ["parorende"]
    assert tokens("Gæld og rykkere") == tokens("gaeld og rykkere") == ["geld", "rykkere"]
