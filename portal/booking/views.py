"""The citizen's booking pages: book a time, see the code once, open, move and cancel a
booking with its code, the calendar file, and asking for a time when none is free soon
enough. Thin: the rules are in `service`, the fields in `inputs`.

Everything works without JavaScript (filters are links, every step a plain form), and
every POST carries the CSRF token. A booking's page is shown only to a browser that has
given its reference and code (`access`); the code itself is shown once, on the
confirmation after the booking (post/redirect/get: it waits in the session until that
page has been shown, then it is gone).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from babel.dates import format_date
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal.booking import access, links, notify, service
from portal.booking.inputs import BadParameter, BookingInput, RequestInput, parse_form
from portal.booking.models import BOOKED, CHANNELS, Booking
from portal.booking.slots import Slot, local_day
from portal.catalogue import service as catalogue
from portal.core import codes
from portal.core.i18n import format_moment, route
from portal.core.models import utcnow

bp = Blueprint("booking", __name__)

DAYS_SHOWN = 14
FILTERS = ("all", "lunch", "evening")
LUNCH = (dt.time(11, 0), dt.time(13, 30))  # lunch: sessions starting 11.00-13.30
EVENING = dt.time(17, 0)                    # evening: sessions starting from 17.00
NEW_BOOKING = "booking_new"       # session: the booking just made ({reference, code})
NEW_REQUEST = "booking_request"   # session: the request just made ({reference, offer})

REQUEST = {"da": "/tilbud/<slug>/anmod-om-tid", "en": "/en/offers/<slug>/request-a-time"}
REQUEST_RECEIVED = {"da": "/booking/anmodning-modtaget", "en": "/en/booking/request-received"}
CONFIRMATION = {"da": "/booking/bekraeftelse", "en": "/en/booking/confirmation"}
BOOKING = {"da": "/booking/<reference>", "en": "/en/booking/<reference>"}
CANCEL = {"da": "/booking/<reference>/afbestil", "en": "/en/booking/<reference>/cancel"}
MOVE = {"da": "/booking/<reference>/flyt", "en": "/en/booking/<reference>/move"}
FORGET = {"da": "/booking/<reference>/glem", "en": "/en/booking/<reference>/forget"}


# --- how times are shown ----------------------------------------------------------------


@bp.context_processor
def _helpers() -> dict:
    return {"format_moment": format_moment, "time_range": when, "days_shown": DAYS_SHOWN}


@dataclass(frozen=True)
class Day:
    date: dt.date
    label: str           # "tirsdag 1. december"
    slots: list[tuple[Slot, str, str]]  # (slot, "17.30", "tirsdag 1. dec. kl. 17.30")


def in_filter(slot: Slot, name: str) -> bool:
    start = slot.local_start.time()
    if name == "lunch":
        return LUNCH[0] <= start <= LUNCH[1]
    if name == "evening":
        return start >= EVENING
    return True


def by_day(slots: Iterable[Slot], lang: str) -> list[Day]:
    pattern = "EEEE d. MMMM" if lang == "da" else "EEEE d MMMM"
    days: dict[dt.date, Day] = {}
    for slot in slots:
        day = local_day(slot.starts_at)
        if day not in days:
            days[day] = Day(day, format_date(day, pattern, locale=lang), [])
        days[day].slots.append((slot, format_moment(slot.starts_at, lang, time_only=True),
                                format_moment(slot.starts_at, lang)))
    return list(days.values())


def when(start: dt.datetime, end: dt.datetime, lang: str) -> str:
    """"tirsdag 1. dec. kl. 17.30-18.00" as people read it."""
    return f"{format_moment(start, lang)}–{format_moment(end, lang, time_only=True)}"


def _filter_arg() -> str:
    value = request.args.get("filter", "all")
    return value if value in FILTERS else "all"


def _free_times(offer_id: int, channel: str, chosen: str,
                lang: str) -> tuple[list[Day], int]:
    """The free times of the next 14 days in the chosen filter, and how many in all."""
    today = local_day(utcnow())
    slots = service.list_slots(offer_id, today, today + dt.timedelta(days=DAYS_SHOWN - 1),
                               channel)
    return by_day([s for s in slots if in_filter(s, chosen)], lang), len(slots)


def bookable_channels(offer) -> list[str]:
    """The offer's channels that its schedules open, in the order of CHANNELS."""
    opened = {c for rule in service.rules_for(offer.id) for c in rule.channels}
    return [c for c in CHANNELS if c in opened and c in offer.channels]


def _promise(offer) -> dict | None:
    """When the offer must start within N days (alcohol treatment: 14, Sundhedsloven
    § 141) and no free time starts that soon: what the page must say instead."""
    days = offer.start_within_days
    if not days:
        return None
    first = service.next_slots(offer.id, None, count=1)
    if first and first[0].starts_at <= utcnow() + dt.timedelta(days=days):
        return None
    return {"days": days, "first": first[0] if first else None}


def _offer_or_404(slug: str):
    offer = catalogue.get_offer(slug)
    if offer is None:
        abort(404)
    return offer


# --- booking ------------------------------------------------------------------------------


@route(bp, links.BOOK, methods=["GET", "POST"])
def book(lang: str, slug: str):
    """Choose the channel, then a free time, then fill in the (anonymous) form."""
    offer = _offer_or_404(slug)
    channels = bookable_channels(offer)
    page = {"offer": offer, "text": offer.text(lang), "channels": channels}
    if not channels:
        return render_template("booking/book.html", **page, step="closed")
    if request.method == "POST":
        return _book(lang, offer, page)
    channel = request.args.get("channel")
    if channel not in channels:
        channel = channels[0] if len(channels) == 1 else None
    page.update(channel=channel, promise=_promise(offer))
    if channel is None:
        return render_template("booking/book.html", **page, step="channel")
    slot_id = request.args.get("slot")
    if slot_id:
        slot = _slot_of(offer, slot_id, channel)
        if slot is not None:
            return render_template("booking/form.html", **page, slot=slot, values={},
                                   errors={}, filter=_filter_arg(), next_days=None)
        flash(_("That time is no longer free. Please choose another."), "error")
    chosen = _filter_arg()
    days, total = _free_times(offer.id, channel, chosen, lang)
    return render_template("booking/book.html", **page, step="times", days=days,
                           total=total, filter=chosen)


def _slot_of(offer, slot_id: str, channel: str) -> Slot | None:
    """The free time `slot_id` names, if it is one of this offer's, for this channel."""
    try:
        slot = service.resolve(slot_id, channel)
    except service.SlotUnavailable:
        return None
    return slot if slot.offer_id == offer.id else None


def _book(lang: str, offer, page: dict):
    form = request.form.to_dict()
    # "That time was just taken": the next free times are buttons in the same form
    # (named next_slot), so whatever was typed is sent again with the new time.
    if form.get("next_slot"):
        form["slot_id"] = form.pop("next_slot")
    channel = form.get("channel") if form.get("channel") in page["channels"] else None
    page.update(channel=channel, values=form, filter="all", errors={}, next_days=None,
                taken=False)
    slot = _slot_of(offer, form.get("slot_id", ""), channel) if channel else None
    try:
        data = parse_form(BookingInput, form)
    except BadParameter as error:
        page["errors"] = error.errors
        if slot is None:
            page["next_days"] = _next_days(offer, channel, lang)
        return render_template("booking/form.html", **page, slot=slot), 400
    try:
        if slot is None:
            raise service.SlotUnavailable
        booked = service.book(data.slot_id, data.channel, alias=data.alias, email=data.email,
                              phone=data.phone, lang=data.lang,
                              requester=request.remote_addr or "")
    except service.TooManyAttempts as limited:
        return _too_many(limited)
    except service.SlotUnavailable:
        page["next_days"] = _next_days(offer, channel, lang)
        return render_template("booking/form.html", **page, slot=None), 400
    except service.SlotTaken as taken:
        page.update(next_days=by_day(taken.next_slots, lang), taken=True)
        return render_template("booking/form.html", **page, slot=slot), 409
    reference = booked.booking.reference
    session[NEW_BOOKING] = {"reference": reference, "code": booked.code}
    access.remember(reference)
    return redirect(url_for("booking.confirmation", lang=lang), 303)


def _too_many(limited: service.TooManyAttempts):
    """Too many bookings from this address: say so plainly (nothing was booked)."""
    minutes = max(1, -(-limited.retry_after // 60))
    abort(Response(render_template(
        "errors/error.html", code=429, title=_("Too many bookings"),
        message=_("Many times have been booked from this connection. Please wait "
                  "%(minutes)d minutes and try again.", minutes=minutes)),
        429, {"Retry-After": str(limited.retry_after)}))


def _next_days(offer, channel: str | None, lang: str) -> list[Day]:
    return by_day(service.next_slots(offer.id, channel), lang) if channel else []


@route(bp, CONFIRMATION)
def confirmation(lang: str):
    """The booking just made, with its code this once (a reload shows it without)."""
    new = session.get(NEW_BOOKING)
    booking = service.by_reference(new["reference"]) if new else None
    if booking is None:
        return redirect(url_for("booking.manage", lang=lang), 303)
    code = new.get("code")
    if code:
        session[NEW_BOOKING] = {"reference": booking.reference}  # shown once: now gone
    return render_template("booking/confirmation.html", code=code, **_booking_page(booking,
                                                                                    lang))


# --- asking for a time -----------------------------------------------------------------------


@route(bp, REQUEST, methods=["GET", "POST"])
def request_time(lang: str, slug: str):
    """No free time within the offer's promise: ask the treatment centre for one."""
    offer = _offer_or_404(slug)
    if not offer.start_within_days or not bookable_channels(offer):
        abort(404)
    page = {"offer": offer, "text": offer.text(lang), "promise": _promise(offer)}
    if request.method == "GET":
        if page["promise"] is None:  # there are free times soon enough: book one
            return redirect(url_for("booking.book", lang=lang, slug=slug), 303)
        return render_template("booking/request.html", **page, values={}, errors={})
    form = request.form.to_dict()
    try:
        data = parse_form(RequestInput, form)
    except BadParameter as error:
        return render_template("booking/request.html", **page, values=form,
                               errors=error.errors), 400
    try:
        made = service.request_time(offer.id, data.alias, data.email, data.phone,
                                    data.wishes, data.lang, requester=request.remote_addr or "")
    except service.TooManyAttempts as limited:
        return _too_many(limited)
    session[NEW_REQUEST] = {"reference": made.reference, "offer": offer.slug,
                            "email": bool(data.email), "phone": bool(data.phone)}
    return redirect(url_for("booking.request_received", lang=lang), 303)


@route(bp, REQUEST_RECEIVED)
def request_received(lang: str):
    made = session.get(NEW_REQUEST)
    offer = catalogue.get_offer(made["offer"]) if made else None
    if offer is None:
        return redirect(url_for("catalogue.home", lang=lang), 303)
    return render_template("booking/request_received.html", made=made, offer=offer,
                           text=offer.text(lang))


# --- a booking, with its code ----------------------------------------------------------------


@route(bp, links.MANAGE, methods=["GET", "POST"])
def manage(lang: str):
    """Reference and code: every try counts (per address and per booking)."""
    if request.method == "GET":
        values = {"reference": codes.normalise(request.args.get("reference"))}
        return render_template("booking/manage.html", values=values, errors={})
    reference = (request.form.get("reference") or "").strip()[:40]
    code = request.form.get("code") or ""
    values = {"reference": reference}
    errors = {}
    if not codes.normalise(reference):
        errors["reference"] = _("Write the reference, e.g. AB12-CD34.")
    if not codes.normalise(code):
        errors["code"] = _("Write the code you were given when you booked.")
    if errors:
        return render_template("booking/manage.html", values=values, errors=errors), 400
    try:
        booking = service.open_booking(reference, code, request.remote_addr or "")
    except service.TooManyAttempts as limited:
        minutes = max(1, -(-limited.retry_after // 60))
        response = Response(render_template("booking/manage.html", values=values, errors={},
                                            limited=minutes), 429)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    except service.AccessDenied:
        return render_template("booking/manage.html", values=values, errors={}, denied=True), 403
    access.remember(booking.reference)
    return redirect(url_for("booking.show", lang=lang, reference=booking.reference), 303)


def _opened(lang: str, reference: str) -> Booking | Response:
    """The booking, if this browser has given its code; else back to the code form."""
    reference = codes.normalise(reference)
    booking = service.by_reference(reference) if access.is_open(reference) else None
    if booking is None:
        return redirect(url_for("booking.manage", lang=lang, reference=reference or None), 303)
    return booking


def _booking_page(booking: Booking, lang: str) -> dict:
    offer = catalogue.offer_by_id(booking.offer_id)
    return {
        "booking": booking,
        "offer": offer,
        "text": offer.text(lang) if offer else None,
        "when": when(booking.starts_at, booking.ends_at, lang),
        "session_url": links.session_path(booking.reference, lang),
        "calendar_url": links.calendar_path(booking.reference, lang),
        "changeable": booking.status == BOOKED,
    }


@route(bp, BOOKING)
def show(lang: str, reference: str):
    booking = _opened(lang, reference)
    if not isinstance(booking, Booking):
        return booking
    return render_template("booking/booking.html", **_booking_page(booking, lang))


@route(bp, CANCEL, methods=["GET", "POST"])
def cancel(lang: str, reference: str):
    """Are you sure? Then cancel: the time is free again, the calendar file says so."""
    booking = _opened(lang, reference)
    if not isinstance(booking, Booking):
        return booking
    if booking.status != BOOKED:
        flash(_("This booking cannot be cancelled: it is no longer booked."), "error")
        return redirect(url_for("booking.show", lang=lang, reference=booking.reference), 303)
    if request.method == "GET":
        return render_template("booking/cancel.html", **_booking_page(booking, lang))
    service.cancel(booking)
    flash(_("Your time is cancelled. It is free for others now."), "success")
    return redirect(url_for("booking.show", lang=lang, reference=booking.reference), 303)


@route(bp, MOVE, methods=["GET", "POST"])
def move(lang: str, reference: str):
    """Another free time of the same offer and channel; same reference and code."""
    booking = _opened(lang, reference)
    if not isinstance(booking, Booking):
        return booking
    page = _booking_page(booking, lang)
    if booking.status != BOOKED or page["offer"] is None or page["offer"].retired:
        flash(_("This booking cannot be moved: it is no longer booked."), "error")
        return redirect(url_for("booking.show", lang=lang, reference=booking.reference), 303)
    slot_id = request.form.get("slot_id") if request.method == "POST" else request.args.get(
        "slot")
    slot = _slot_of(page["offer"], slot_id, booking.channel) if slot_id else None
    if request.method == "POST" and slot is not None:
        try:
            service.move(booking, slot.id)
        except service.SlotUnavailable:
            slot = None
        except service.SlotTaken as taken:
            flash(_("That time was just taken. Please choose another."), "error")
            return render_template("booking/move.html", **page, slot=None,
                                   days=by_day(taken.next_slots, lang), total=None,
                                   filter="all"), 409
        else:
            flash(_("Your time is moved to %(when)s.",
                    when=when(booking.starts_at, booking.ends_at, lang)), "success")
            return redirect(url_for("booking.show", lang=lang, reference=booking.reference),
                            303)
    if slot_id and slot is None:
        flash(_("That time is no longer free. Please choose another."), "error")
    chosen = _filter_arg()
    days, total = ([], 0) if slot else _free_times(booking.offer_id, booking.channel, chosen,
                                                          lang)
    status = 400 if request.method == "POST" else 200
    return render_template("booking/move.html", **page, slot=slot, days=days, total=total,
                           filter=chosen), status


@route(bp, FORGET, methods=["POST"])
def forget(lang: str, reference: str):
    """Close the booking on this browser (a shared computer): the code is needed again."""
    access.forget(codes.normalise(reference))
    flash(_("The booking is closed on this browser. You need the code to open it again."),
          "success")
    return redirect(url_for("booking.manage", lang=lang), 303)


@route(bp, links.CALENDAR)
def calendar(lang: str, reference: str, token: str):
    """The booking's calendar file, for calendar apps (which cannot ask for a code)."""
    expected = links.calendar_token(reference)
    booking = service.by_reference(reference) if hmac.compare_digest(
        token.encode(), expected.encode()) else None
    if booking is None or booking.reference != reference:
        abort(404)
    return Response(notify.calendar_file(booking), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{booking.reference}.ics"'})

