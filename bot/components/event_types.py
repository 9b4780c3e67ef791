"""Look up Rasa's event classes by name in a table, not by walking the class tree.

Rasa 3.6 turns every stored or received event into an object with
`Event.resolve_by_type(name)`, which walks all subclasses of `Event` (and checks each
for abstractness) on every call. The in-memory tracker store deserialises the whole
conversation on every message, so this grows with the conversation: about a tenth of
Rasa's time per turn under load (bench/chat.py --profile). Same result, same order of
precedence (the first class found with that name), same errors.
"""

from __future__ import annotations

from typing import Any

import rasa.shared.utils.common
from rasa.shared.core.events import Event

_by_name: dict[str, type[Event]] = {}


def _rebuild() -> None:
    _by_name.clear()
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        _by_name.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: str, default: Any = None) -> type[Event] | None:
    cls = _by_name.get(type_name)
    if cls is None:
        _rebuild()  # a class imported since, or an unknown name
        cls = _by_name.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def apply() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
