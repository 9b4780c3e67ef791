"""Custom NLU components (loaded by module path from config.yml; run rasa from bot/).

Importing this package also makes Rasa validate action-server replies with a schema
compiled once (see action_validation.py: it was most of a turn's time).
"""

from components import action_validation

action_validation.apply()
