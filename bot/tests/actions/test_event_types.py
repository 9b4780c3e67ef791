"""Rasa reads events by name (components/event_types.py looks them up in a table);
every event must still come back as the class Rasa itself would choose."""

from __future__ import annotations

import components  # noqa: F401  (applies the table lookup)
import pytest
import rasa.shared.utils.common
from components.event_types import resolve_by_type
from rasa.shared.core.events import Event, SlotSet


def rasas_own_choice(type_name: str):
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    return None


def test_rasa_uses_the_table():
    assert Event.resolve_by_type is resolve_by_type


def test_every_event_name_resolves_as_rasa_would():
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is rasas_own_choice(name)


def test_unknown_names_fail_or_fall_back_as_before():
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
