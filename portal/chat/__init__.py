"""The chat: the browser talks only to the portal (same origin), the portal to Rasa.

`POST /chat/messages` takes `{"message": "...", "lang": "da"|"en"}` and answers
`{"status": "ok"|"unavailable", "messages": [...]}` (see bot/README.md for the contract
with the bot, and `service.py` for the rules).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("chat", __name__, url_prefix="/chat")


def init_app(app: Flask) -> None:
    from portal.chat import (
        api,
        models,  # noqa: F401  (the tables)
        views,
    )
    from portal.chat.limits import ChatLimiter
    from portal.chat.rasa import RasaClient

    app.extensions["chat_bot"] = RasaClient(app.config["RASA_URL"], app.config["CHAT_TIMEOUT"],
                                           app.config["RASA_AUTH_TOKEN"])
    app.extensions["chat_limiter"] = ChatLimiter(
        app.config["RATELIMIT_STORAGE_URI"],
        app.config["CHAT_RATE_LIMIT"],
        app.config["CHAT_RATE_LIMIT_PER_ADDRESS"],
    )
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    app.context_processor(views.widget_context)
