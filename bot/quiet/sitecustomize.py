"""A calm start for the assistant's processes (Rasa and the action server).

Loaded by Python at start-up when this directory is on PYTHONPATH (the Procfile's
`rasa` and `actions` lines: `PYTHONPATH=quiet`, run from bot/). It hides what Rasa's
dependencies print on every start and that no one here can act on:

- deprecation warnings (DeprecationWarning, PendingDeprecationWarning, FutureWarning
  and their subclasses, e.g. SQLAlchemy's MovedIn20Warning) raised from code installed
  in the virtual environment (TensorFlow, jax, pkg_resources, sanic-cors, matplotlib,
  Rasa itself, ...). Our own warnings are raised from files outside it (bot/actions,
  bot/components, the portal) and stay visible, and so do all other warnings (Rasa's
  UserWarnings about the domain or the data, for instance);
- the action server's list of registered actions (one INFO line per action).

Why `showwarning` and not warning filters (PYTHONWARNINGS, `filterwarnings`): sanic
inserts `filterwarnings("once", DeprecationWarning)` in front of every filter when it
is imported, after start-up, which would undo any filter set here.
"""

from __future__ import annotations

import logging
import sysconfig
import warnings
from pathlib import Path

_INSTALLED = tuple(
    str(Path(p).resolve()) for p in {sysconfig.get_paths()["purelib"],
                                     sysconfig.get_paths()["platlib"]}
)
_DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
_show = warnings.showwarning


def _from_a_dependency(filename: str) -> bool:
    try:
        return str(Path(filename).resolve()).startswith(_INSTALLED)
    except (OSError, ValueError):
        return False


def showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    """Shows a warning unless it is a dependency's deprecation warning."""
    if issubclass(category, _DEPRECATIONS) and _from_a_dependency(filename):
        return
    _show(message, category, filename, lineno, file, line)


warnings.showwarning = showwarning
logging.getLogger("rasa_sdk.executor").setLevel(logging.WARNING)
