"""Custom NLU components (loaded by module path from config.yml; run rasa from bot/).

Importing this package also applies two speed-ups to Rasa 3.6 that keep its behaviour
(see each module: together they were most of a chat turn's time in Rasa):
action-server replies are validated with a schema compiled once, and event classes
are looked up by name in a table.
"""

from components import action_validation, event_types

action_validation.apply()
event_types.apply()
