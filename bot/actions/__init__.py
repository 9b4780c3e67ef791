"""Indgang's rasa-sdk action server (run: rasa run actions --actions actions)."""
