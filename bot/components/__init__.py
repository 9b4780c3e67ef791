"""Custom NLU components (loaded by module path from config.yml; run rasa from bot/)."""
