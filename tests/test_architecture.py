"""The layout's rules are enforced (import-linter, contracts in pyproject.toml): the core
imports no area, areas use each other only through their services, and within an area
pages and API sit on the service, the service on the models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(tree), "PATH": ""})


def test_the_portal_keeps_its_contracts():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_wrong_way_import_breaks_a_contract(tmp_path: Path):
    """The contracts bite: the imports the old layout had fail them."""
    shutil.copytree(ROOT / "portal", tmp_path / "portal",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    wrong = {
        "core/text.py": "from portal.catalogue import views",          # core -> an area
        "chat/service.py": "from portal.guidance import views",        # another area's views
        "guidance/models.py": "from portal.catalogue import models",   # another area's models
        "catalogue/service.py": "from portal.content import loader",   # an area -> the loader
    }
    for module, line in wrong.items():
        with open(tmp_path / "portal" / module, "a") as f:
            f.write(f"\n{line}  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    for importer, imported in (("portal.core.text", "portal.catalogue.views"),
                               ("portal.chat.service", "portal.guidance.views"),
                               ("portal.guidance.models", "portal.catalogue.models"),
                               ("portal.catalogue.service", "portal.content.loader")):
        assert f"{importer} -> {imported}" in done.stdout, done.stdout
