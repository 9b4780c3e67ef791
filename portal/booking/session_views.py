"""The citizen's session page (`links.SESSION`: /samtale/<reference>).

The page is shown to a browser that has given the booking's code (on this page or the
booking page: `access`); otherwise it asks for the code. A wrong code and an unknown
reference get the same answer, and both count towards the rate limits of
`service.open_booking`. Then, by channel: the live chat (from a few minutes before the
start), the video meeting's link, or the phone arrangement — and when.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.booking import access, links, service
from portal.booking.models import Booking
from portal.catalogue import service as catalogue
from portal.core import codes
from portal.core.i18n import format_moment, route
from portal.livechat import service as livechat

bp = Blueprint("session", __name__)
FORGET = {"da": "/samtale/<reference>/glem", "en": "/en/session/<reference>/forget"}
MAX_CODE = 100


def init_app(app) -> None:
    app.register_blueprint(bp)


def _code_form(lang: str, reference: str, error: str | None = None, status: int = 200,
               headers: dict | None = None):
    return render_template("session/code.html", reference=reference[:30], error=error), \
        status, headers or {}


@route(bp, links.SESSION, methods=["GET", "POST"])
def session_page(lang: str, reference: str):
    canonical = codes.normalise(reference)
    if request.method == "POST":
        try:
            booking = service.open_booking(canonical or reference[:30],
                                           request.form.get("code", "")[:MAX_CODE],
                                           request.remote_addr or "-")
        except service.TooManyAttempts as wait:
            minutes = max(1, -(-wait.retry_after // 60))
            return _code_form(lang, reference, _(
                "Too many attempts. Please wait %(n)d minute(s) and try again.", n=minutes),
                429, {"Retry-After": str(wait.retry_after)})
        except service.AccessDenied:
            return _code_form(lang, reference, _(
                "The reference and the code do not match. Check both and try again: the "
                "code is on the confirmation you got when you booked."), 400)
        access.remember(booking.reference)
        return redirect(links.session_path(booking.reference, lang), 303)

    booking = service.by_reference(canonical) if canonical and access.is_open(canonical) else None
    if booking is None:
        return _code_form(lang, reference)
    if reference != booking.reference:
        return redirect(links.session_path(booking.reference, lang))
    return _session(lang, booking)


def _session(lang: str, booking: Booking):
    state = service.session_state(booking)
    room = None
    if booking.channel == "chat" and booking.room_id is not None and state in ("open", "ended"):
        room = livechat.room_for(booking.room_id, livechat.CITIZEN,
                                 until=booking.ends_at + service.SESSION_GRACE,
                                 writable=state == "open")
    offer = catalogue.offer_by_id(booking.offer_id)
    opens_at = booking.starts_at - service.CHAT_OPENS_BEFORE
    return render_template(
        "session/page.html", booking=booking, state=state, room=room,
        offer_title=offer.text(lang).title if offer else "",
        when=format_moment(booking.starts_at, lang),
        ends=format_moment(booking.ends_at, lang, time_only=True),
        opens=format_moment(opens_at, lang, time_only=True), opens_at=opens_at,
        minutes_before=int(service.CHAT_OPENS_BEFORE.total_seconds() // 60),
        video_url=service.video_url(booking), manage_url=links.MANAGE[lang],
        retention_days=current_app.config["SESSION_MESSAGE_RETENTION_DAYS"],
    )


@route(bp, FORGET, methods=["POST"])
def forget(lang: str, reference: str):
    """Close the session on this device (a shared computer): the code is asked again."""
    canonical = codes.normalise(reference)
    booking = service.by_reference(canonical) if canonical and access.is_open(canonical) else None
    if booking is not None:
        access.forget(booking.reference)
        if booking.room_id is not None:
            livechat.revoke(booking.room_id)
    return redirect(url_for("catalogue.home", lang=lang), 303)
