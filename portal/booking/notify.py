"""What a booking sends, through the outbox, in the booking's language: a confirmation
(with the calendar file) when the citizen gave an e-mail address, reminders
`REMINDER_MINUTES_BEFORE` the session by e-mail and SMS, the moved or cancelled event,
and an alert to the treatment centre when someone asks for a time. Never the code."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.booking import ics, links
from portal.booking.models import Booking, BookingRequest
from portal.catalogue import service as catalogue
from portal.core.i18n import format_moment
from portal.core.models import utcnow
from portal.outbox import service as outbox
from portal.staff import service as staff


def _offer_title(offer_id: int, lang: str) -> str:
    offer = catalogue.offer_by_id(offer_id)
    return offer.text(lang).title if offer else ""


def how_to_join(booking: Booking) -> str:
    """One sentence, in the current language, on how the session is held."""
    if booking.channel == "chat":
        return _("At the time, open %(url)s and write your reference and code.",
                 url=links.absolute(links.session_path(booking.reference, booking.lang)))
    if booking.channel == "video":
        return _("At the time, open %(url)s and write your reference and code: the page "
                 "has the link to the video meeting.",
                 url=links.absolute(links.session_path(booking.reference, booking.lang)))
    return _("At the time, the treater calls you on the number you gave.")


def calendar_file(booking: Booking, now: dt.datetime | None = None) -> str:
    with force_locale(booking.lang):
        return ics.calendar(
            booking, _offer_title(booking.offer_id, booking.lang),
            _("Reference %(reference)s.", reference=booking.reference) + " "
            + how_to_join(booking),
            links.absolute(links.session_path(booking.reference, booking.lang)),
            now or utcnow())


def _attachment(booking: Booking) -> list[dict]:
    return [{"filename": f"{booking.reference}.ics", "content_type": "text/calendar",
             "content": calendar_file(booking)}]


def _event_key(booking: Booking, what: str) -> str:
    return f"booking:{booking.reference}:{what}:{booking.sequence}"


def _reminders(booking: Booking) -> None:
    before = dt.timedelta(minutes=current_app.config["REMINDER_MINUTES_BEFORE"])
    send_after = max(booking.starts_at - before, utcnow())
    when = format_moment(booking.starts_at, booking.lang)
    title = _offer_title(booking.offer_id, booking.lang)
    body = _("Reminder: %(title)s %(when)s. Reference %(reference)s.", title=title,
             when=when, reference=booking.reference) + " " + how_to_join(booking)
    key = f"booking:{booking.reference}:reminder:{booking.sequence}"
    if booking.email:
        outbox.queue(key + ":email", "email", booking.email,
                     _("Reminder: %(title)s", title=title), body, send_after)
    if booking.phone:
        outbox.queue(key + ":sms", "sms", booking.phone, "", body, send_after)


def booked(booking: Booking) -> None:
    with force_locale(booking.lang):
        if booking.email:
            title = _offer_title(booking.offer_id, booking.lang)
            body = _("You have booked %(title)s %(when)s. Reference %(reference)s.",
                     title=title, when=format_moment(booking.starts_at, booking.lang),
                     reference=booking.reference) + " " + how_to_join(booking) + "\n\n" + _(
                "Keep the code you were shown: it is not in this e-mail. With the "
                "reference and the code you can cancel or move the time.")
            outbox.queue(_event_key(booking, "confirmation"), "email", booking.email,
                         _("Booked: %(title)s", title=title), body,
                         attachments=_attachment(booking))
        _reminders(booking)


def moved(booking: Booking) -> None:
    outbox.cancel(f"booking:{booking.reference}:reminder:")
    with force_locale(booking.lang):
        if booking.email:
            title = _offer_title(booking.offer_id, booking.lang)
            body = _("Your time for %(title)s is now %(when)s. Reference %(reference)s.",
                     title=title, when=format_moment(booking.starts_at, booking.lang),
                     reference=booking.reference) + " " + how_to_join(booking)
            outbox.queue(_event_key(booking, "moved"), "email", booking.email,
                         _("New time: %(title)s", title=title), body,
                         attachments=_attachment(booking))
        _reminders(booking)


def cancelled(booking: Booking) -> None:
    outbox.cancel(f"booking:{booking.reference}:reminder:")
    if not booking.email:
        return
    with force_locale(booking.lang):
        title = _offer_title(booking.offer_id, booking.lang)
        body = _("Your time for %(title)s %(when)s is cancelled. Reference %(reference)s.",
                 title=title, when=format_moment(booking.starts_at, booking.lang),
                 reference=booking.reference)
        outbox.queue(_event_key(booking, "cancelled"), "email", booking.email,
                     _("Cancelled: %(title)s", title=title), body,
                     attachments=_attachment(booking))


def requested(request: BookingRequest, treater_ids: set[int]) -> None:
    """Alert the units of the offer's treaters (their e-mail), in Danish: staff read Danish."""
    for unit in staff.units_of_members(treater_ids):
        if not unit.email:
            continue
        with force_locale("da"):
            title = _offer_title(request.offer_id, "da")
            body = _("Someone asks for a time for %(title)s: no time was free soon enough. "
                     "Request %(reference)s. See the requests in Indgang.",
                     title=title, reference=request.reference)
            outbox.queue(f"request:{request.reference}:unit:{unit.slug}", "email", unit.email,
                         _("Request for a time: %(title)s", title=title), body)
