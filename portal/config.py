"""Configuration from the environment (12-factor). Defaults give a working local setup."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Read once when the app is created; tests pass overrides to `create_app`.

    INDGANG_ENV=production refuses to start without SECRET_KEY or with demo staff.
    """

    def __init__(self, instance_path: str) -> None:
        default_db = f"sqlite:///{Path(instance_path) / 'indgang.sqlite3'}"
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", default_db))
        self.INDGANG_ENV = os.environ.get("INDGANG_ENV", "development")
        if self.INDGANG_ENV == "production" and not os.environ.get("SECRET_KEY"):
            raise RuntimeError("INDGANG_ENV=production needs SECRET_KEY in the environment.")
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret(instance_path)
        self.CONTENT_DIR = os.environ.get("INDGANG_CONTENT_DIR", str(ROOT / "content"))
        self.SEEDS_DIR = os.environ.get("INDGANG_SEEDS_DIR", str(ROOT.parent / "shared" / "seeds"))
        self.BABEL_DEFAULT_LOCALE = "da"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
        self.DKFDS_DIST = os.environ.get(
            "DKFDS_DIST", str(ROOT / "node_modules" / "dkfds" / "dist")
        )
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.WTF_CSRF_TIME_LIMIT = None
        self.COMPRESS_MIMETYPES = [
            "text/html",
            "text/css",
            "application/javascript",
            "text/javascript",
            "application/json",
            "image/svg+xml",
            "text/plain",
        ]
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
        self.COMPRESS_MIN_SIZE = 500
        # Static files are streamed; let compressed ones still answer 304 to If-None-Match.
        self.COMPRESS_STREAMING_ENDPOINT_CONDITIONAL = ["static", "dkfds"]
        self.SEND_FILE_MAX_AGE_DEFAULT = 31536000
        self.JSON_SORT_KEYS = False
        # The chat: the portal forwards messages to Rasa's REST webhook (never the browser).
        self.RASA_URL = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
        self.CHAT_TIMEOUT = float(os.environ.get("CHAT_TIMEOUT", "8"))
        # Rasa's HTTP API (`rasa run --enable-api --auth-token`): the portal resumes a
        # conversation after a caseworker's live chat and asks whether a message during it
        # was a crisis. `make run` generates the token into instance/rasa_token.
        self.RASA_AUTH_TOKEN = os.environ.get("RASA_AUTH_TOKEN", "")
        # A caseworker who marked themself available for chat counts as available while
        # their chat page was seen open within this many seconds (portal/chat/handoff.py).
        self.CHAT_AVAILABLE_SECONDS = int(os.environ.get("CHAT_AVAILABLE_SECONDS", "90"))
        # Rate limits for the chat: per conversation, and per address (a library's or an
        # office's shared address has many visitors). `memory://` is per process; use
        # Redis (`redis://host:6379`) with several workers or servers.
        # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (0: none).
        # Without it, every visitor seems to come from the proxy's address.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.CHAT_RATE_LIMIT = os.environ.get("CHAT_RATE_LIMIT", "20/minute;300/day")
        self.CHAT_RATE_LIMIT_PER_ADDRESS = os.environ.get(
            "CHAT_RATE_LIMIT_PER_ADDRESS", "120/minute"
        )
        # The API: anonymous clients are limited per address; server-to-server clients
        # (the assistant's action server) send a token instead (`make run` generates one
        # for development into instance/api_token; set PORTAL_API_TOKEN in production).
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300/minute")
        self.API_TOKENS = {"assistant": os.environ.get("PORTAL_API_TOKEN", "")}
        # Where the portal is reached, for links in e-mails and calendar files (sent
        # from `flask outbox drain`, outside any request).
        self.PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
        # Staff sign-in.
        self.STAFF_LOCKOUT_ATTEMPTS = int(os.environ.get("STAFF_LOCKOUT_ATTEMPTS", "5"))
        self.STAFF_LOCKOUT_MINUTES = int(os.environ.get("STAFF_LOCKOUT_MINUTES", "15"))
        self.STAFF_LOGIN_RATE_LIMIT = os.environ.get("STAFF_LOGIN_RATE_LIMIT", "20/minute")
        # Optional single sign-on for staff (OpenID Connect); off unless all are set.
        self.OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
        # Booking virtual sessions.
        self.BOOKING_HORIZON_DAYS = int(os.environ.get("BOOKING_HORIZON_DAYS", "28"))
        self.BOOKING_MIN_NOTICE_MINUTES = int(os.environ.get("BOOKING_MIN_NOTICE_MINUTES",
                                                             "15"))
        # Bookings and requests made per address (a server-to-server client with a token
        # is not counted: the assistant's chats have their own limits): nobody books
        # every free time of a treatment centre.
        self.BOOKING_RATE_LIMIT = os.environ.get("BOOKING_RATE_LIMIT", "6/hour;20/day")
        self.BOOKING_CODE_RATE_LIMIT = os.environ.get("BOOKING_CODE_RATE_LIMIT",
                                                      "5/15minute")
        self.BOOKING_CODE_RATE_LIMIT_PER_ADDRESS = os.environ.get(
            "BOOKING_CODE_RATE_LIMIT_PER_ADDRESS", "30/15minute")
        self.REMINDER_MINUTES_BEFORE = int(os.environ.get("REMINDER_MINUTES_BEFORE", "120"))
        self.SESSION_MESSAGE_RETENTION_DAYS = int(
            os.environ.get("SESSION_MESSAGE_RETENTION_DAYS", "7"))
        # The live chat of a session (portal/livechat; README, "Live sessions"): how often
        # each process looks for new messages, how long a stream lasts before the browser
        # reconnects, the keep-alive interval, and messages per conversation and side.
        self.LIVECHAT_POLL_SECONDS = float(os.environ.get("LIVECHAT_POLL_SECONDS", "0.2"))
        self.LIVECHAT_STREAM_SECONDS = float(os.environ.get("LIVECHAT_STREAM_SECONDS", "300"))
        self.LIVECHAT_HEARTBEAT_SECONDS = float(
            os.environ.get("LIVECHAT_HEARTBEAT_SECONDS", "15"))
        self.LIVECHAT_RATE_LIMIT = os.environ.get("LIVECHAT_RATE_LIMIT", "30/minute;600/hour")
        # Staff sessions end this many hours after the sign-in, whatever the browser does.
        self.STAFF_SESSION_HOURS = float(os.environ.get("STAFF_SESSION_HOURS", "10"))
        # Video sessions: the meeting link is this base URL and the booking's reference.
        self.VIDEO_BASE_URL = os.environ.get("VIDEO_BASE_URL", "")
        # The one-entrance intake: the first contact is due within this many working
        # days; what is kept how long (`flask retention run`).
        self.CONTACT_DEADLINE_WORKING_DAYS = int(
            os.environ.get("CONTACT_DEADLINE_WORKING_DAYS", "2"))
        # Intakes sent from one address (web form and API; the assistant's token is not
        # counted per address): nobody floods a team's inbox.
        self.INTAKE_RATE_LIMIT = os.environ.get("INTAKE_RATE_LIMIT", "5/hour;20/day")
        # How long a status page stays open in a browser after the code was given.
        self.INTAKE_ACCESS_MINUTES = int(os.environ.get("INTAKE_ACCESS_MINUTES", "30"))
        self.INTAKE_DRAFT_RETENTION_DAYS = int(os.environ.get("INTAKE_DRAFT_RETENTION_DAYS",
                                                              "7"))
        self.CLOSED_INTAKE_RETENTION_DAYS = int(
            os.environ.get("CLOSED_INTAKE_RETENTION_DAYS", "365"))
        self.ANONYMOUS_CHAT_RETENTION_DAYS = int(
            os.environ.get("ANONYMOUS_CHAT_RETENTION_DAYS", "30"))
        # Sending (see portal/outbox/senders.py).
        self.OUTBOX_EMAIL_SENDER = os.environ.get("OUTBOX_EMAIL_SENDER", "log")
        self.OUTBOX_SMS_SENDER = os.environ.get("OUTBOX_SMS_SENDER", "log")
        self.OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "30"))
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "indgang@localhost")
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
        self.SMTP_USER = os.environ.get("SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"


def _normalise_db_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _dev_secret(instance_path: str) -> str:
    """A per-installation secret kept in `instance/` (never in the repository)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
