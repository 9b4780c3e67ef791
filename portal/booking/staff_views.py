"""The treater's pages: their day, a session, their weekly schedule and absences, and
the requests for a time of their units' offers.

Every page needs a signed-in member with the treater role (`staff_required`). What a
treater may see or change is checked here on the server for every request, not by
which links a page shows: a booking, rule or absence that is not the treater's own
answers 404 exactly like one that does not exist (a guessed URL learns nothing), and a
request for a time is shown only for the offers of the treater's units.
"""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date, get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.booking import service
from portal.booking.models import ATTENDED, BOOKED, CHANNELS, NO_SHOW, Booking
from portal.booking.slots import TZ, local_day
from portal.catalogue import service as catalogue
from portal.core.i18n import format_moment, route
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.staff import service as staff

bp = Blueprint("treater", __name__)
treater_only = staff.staff_required(staff.TREATER)

DAY = {"da": "/personale/dag", "en": "/en/staff/day"}
SESSION = {"da": "/personale/samtale/<reference>", "en": "/en/staff/session/<reference>"}
MARK = {"da": "/personale/samtale/<reference>/fremmoede",
        "en": "/en/staff/session/<reference>/attendance"}
SCHEDULE = {"da": "/personale/skema", "en": "/en/staff/schedule"}
ADD_RULE = {"da": "/personale/skema/aabningstider", "en": "/en/staff/schedule/hours"}
REMOVE_RULE = {"da": "/personale/skema/aabningstider/<rule_id>/fjern",
               "en": "/en/staff/schedule/hours/<rule_id>/remove"}
ADD_ABSENCE = {"da": "/personale/skema/fravaer", "en": "/en/staff/schedule/absence"}
REMOVE_ABSENCE = {"da": "/personale/skema/fravaer/<exception_id>/fjern",
                  "en": "/en/staff/schedule/absence/<exception_id>/remove"}
REQUESTS = {"da": "/personale/anmodninger", "en": "/en/staff/requests"}
HANDLED = {"da": "/personale/anmodninger/<reference>/behandlet",
           "en": "/en/staff/requests/<reference>/handled"}

_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])(?:[:.][0-5][0-9])?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DANISH_DATE = re.compile(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})")


def init_app(app) -> None:
    app.register_blueprint(bp)
    staff.register_page(app, "treater.day", _l("Your day"), staff.TREATER)
    staff.register_page(app, "treater.schedule", _l("Your schedule"), staff.TREATER)
    staff.register_page(app, "treater.requests", _l("Requests for a time"), staff.TREATER)


def _me():
    return staff.current_member()


def parse_time(value: str | None) -> dt.time | None:
    match = _TIME.fullmatch((value or "").strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # what a schedule needs


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date (what date fields send) or a Danish one ("24.12.2026"), in 2000-2100."""
    value = (value or "").strip()
    try:
        if match := _ISO_DATE.fullmatch(value):
            day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif match := _DANISH_DATE.fullmatch(value):
            day = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        else:
            return None
    except ValueError:
        return None
    return day if FIRST_DATE <= day <= LAST_DATE else None


def _number(value: str) -> bool:
    """An id in a path (plain strings in the routes, so that every route can be tried
    with any value: a wrong one is a 404 like an unknown one)."""
    return value.isdigit() and len(value) < 10


def _local_path(url: str | None, fallback: str) -> str:
    return staff.local_path(url) or fallback


# --- the day ---------------------------------------------------------------------------


@route(bp, DAY)
@treater_only
def day(lang: str):
    today = local_day(utcnow())
    error = None
    chosen = today
    if request.args.get("date"):
        chosen = parse_date(request.args["date"])
        if chosen is None:
            error = _("Write the date as day.month.year, for example 24.12.2026.")
            chosen = today
    bookings = service.day_list(_me().id, chosen)
    offers = {b.offer_id: catalogue.offer_by_id(b.offer_id) for b in bookings}
    return render_template(
        "staff/day.html", day=chosen, today=today, bookings=bookings, offers=offers,
        day_label=format_date(chosen, "EEEE d. MMMM y" if lang == "da" else "EEEE d MMMM y",
                              locale=lang),
        previous=chosen - dt.timedelta(days=1), next=chosen + dt.timedelta(days=1),
        error=error, date_value=request.args.get("date", "")[:20] if error else "",
        moment=lambda b: format_moment(b.starts_at, lang),
        state=service.session_state,
    ), (400 if error else 200)


# --- a session ---------------------------------------------------------------------------


def _own_booking(reference: str) -> Booking:
    booking = service.booking_of_treater(_me().id, reference)
    if booking is None:
        abort(404)
    return booking


@route(bp, SESSION)
@treater_only
def session_page(lang: str, reference: str):
    booking = _own_booking(reference)
    state = service.session_state(booking)
    room = None
    if booking.room_id is not None:
        room = livechat.room_for(booking.room_id, livechat.STAFF,
                                 until=booking.ends_at + service.SESSION_GRACE,
                                 staff_id=_me().id, writable=state in ("early", "open"))
    offer = catalogue.offer_by_id(booking.offer_id)
    return render_template(
        "staff/session.html", booking=booking, state=state, room=room,
        offer_title=offer.text(lang).title if offer else "",
        when=format_moment(booking.starts_at, lang),
        ends=format_moment(booking.ends_at, lang, time_only=True),
        video_url=_video_url(booking), can_mark=booking.starts_at <= utcnow(),
        day=local_day(booking.starts_at).isoformat(),
    )


def _video_url(booking: Booking) -> str | None:
    return service.video_url(booking)


@route(bp, MARK, methods=["POST"])
@treater_only
def mark(lang: str, reference: str):
    booking = _own_booking(reference)
    status = request.form.get("status", "")
    back = _local_path(request.form.get("next"),
                       url_for("treater.session_page", lang=lang, reference=booking.reference))
    if status not in (ATTENDED, NO_SHOW) or booking.status not in (BOOKED, ATTENDED, NO_SHOW):
        flash(_("That cannot be marked for this session."), "info")
        return redirect(back, 303)
    if booking.starts_at > utcnow():
        flash(_("A session can be marked when it has started."), "info")
        return redirect(back, 303)
    service.mark(booking, status)
    when = format_moment(booking.starts_at, lang)
    flash(_("The session %(when)s is marked as attended.", when=when) if status == ATTENDED
          else _("The session %(when)s is marked as not attended.", when=when), "success")
    return redirect(back, 303)


# --- the schedule --------------------------------------------------------------------------


RULE_MESSAGES = {
    "unknown_offer": _l("Choose one of the offers."),
    "bad_weekday": _l("Choose a weekday."),
    "bad_time": _l("Write the time as hours and minutes, for example 17:00."),
    "closes_before_opens": _l("The closing time must be after the opening time."),
    "bad_length": _l("Choose a session length."),
    "too_short": _l("The opening hours are shorter than one session."),
    "no_channel": _l("Choose at least one way of holding the session."),
}


def _schedule_page(lang: str, rule_form: dict | None = None, rule_errors: dict | None = None,
                   absence_form: dict | None = None, absence_errors: dict | None = None,
                   status: int = 200):
    me = _me()
    allowed = _allowed_offers(me)
    offers = sorted((o for o in (catalogue.offer_by_id(i) for i in allowed) if o is not None),
                    key=lambda o: o.text(lang).title)
    rules = service.rules_of_treater(me.id)
    titles = {o.id: o.text(lang).title for o in offers}
    for rule in rules:
        if rule.offer_id not in titles:
            offer = catalogue.offer_by_id(rule.offer_id)
            titles[rule.offer_id] = offer.text(lang).title if offer else "?"
    absences = service.exceptions_of_treater(me.id)
    return render_template(
        "staff/schedule.html", rules=rules, offers=offers, titles=titles, absences=absences,
        weekdays=_weekdays(lang),
        lengths=service.SESSION_LENGTHS, channels=CHANNELS,
        rule_form=rule_form or {}, rule_errors=rule_errors or {},
        absence_form=absence_form or {}, absence_errors=absence_errors or {},
        moment=lambda m: format_moment(m, lang),
        time=lambda t: t.strftime("%H.%M" if lang == "da" else "%H:%M"),
    ), status


def _weekdays(lang: str) -> list[tuple[int, str]]:
    """(0, "mandag") ... (6, "søndag"): Monday first, as `ScheduleRule.weekday` counts."""
    names = get_day_names("wide", locale=lang)
    return [(number, names[number]) for number in range(7)]


def _allowed_offers(member) -> set[int]:
    """The offers a treater may open hours for: those of their units (the offers the
    unit's treaters hold sessions for)."""
    return service.offers_of_treaters(staff.colleague_ids(member))


@route(bp, SCHEDULE)
@treater_only
def schedule(lang: str):
    return _schedule_page(lang)


@route(bp, ADD_RULE, methods=["POST"])
@treater_only
def add_rule(lang: str):
    form = {key: request.form.get(key, "")[:20] for key in
            ("offer", "weekday", "opens", "closes", "session_minutes")}
    form["channels"] = [c for c in request.form.getlist("channels") if c in CHANNELS]
    errors: dict[str, str] = {}
    opens, closes = parse_time(form["opens"]), parse_time(form["closes"])
    if opens is None:
        errors["opens"] = str(RULE_MESSAGES["bad_time"])
    if closes is None:
        errors["closes"] = str(RULE_MESSAGES["bad_time"])
    weekday = int(form["weekday"]) if form["weekday"].isdigit() else -1
    minutes = int(form["session_minutes"]) if form["session_minutes"].isdigit() else 0
    offer_id = int(form["offer"]) if form["offer"].isdigit() else 0
    if not errors:
        try:
            service.add_rule(_me().id, offer_id, weekday, opens, closes, minutes,
                             form["channels"], _allowed_offers(_me()))
        except service.ScheduleRefused as refused:
            errors = {field: _rule_message(code, refused, offer_id, lang)
                      for field, code in refused.errors.items()}
    if errors:
        return _schedule_page(lang, rule_form=form, rule_errors=errors, status=400)
    flash(_("The opening hours are added. Citizens can book them from now on."), "success")
    return redirect(url_for("treater.schedule", lang=lang), 303)


def _rule_message(code: str, refused, offer_id: int, lang: str) -> str:
    if code == "overlap" and refused.clash is not None:
        clash = refused.clash
        day_name = get_day_names("wide", locale=lang)[clash.weekday]
        pattern = "%H.%M" if lang == "da" else "%H:%M"
        return _("These hours overlap your opening hours %(day)s %(opens)s–%(closes)s. "
                 "Choose other times, or remove those hours first.", day=day_name,
                 opens=clash.opens.strftime(pattern), closes=clash.closes.strftime(pattern))
    if code == "bad_channel":
        offer = catalogue.offer_by_id(offer_id)
        names = {"chat": _("chat"), "video": _("video"), "phone": _("phone")}
        have = ", ".join(names[c] for c in (offer.channels if offer else []) if c in names)
        return _("This offer is held by %(channels)s only.", channels=have)
    return str(RULE_MESSAGES.get(code, RULE_MESSAGES["bad_time"]))


@route(bp, REMOVE_RULE, methods=["POST"])
@treater_only
def remove_rule(lang: str, rule_id: str):
    if not (_number(rule_id) and service.remove_rule(_me().id, int(rule_id))):
        abort(404)
    flash(_("The opening hours are removed. Times already booked are kept."), "success")
    return redirect(url_for("treater.schedule", lang=lang), 303)


@route(bp, ADD_ABSENCE, methods=["POST"])
@treater_only
def add_absence(lang: str):
    form = {key: request.form.get(key, "")[:20] for key in
            ("from_date", "from_time", "to_date", "to_time")}
    form["reason"] = request.form.get("reason", "")[:200]
    errors: dict[str, str] = {}
    date_message = _("Write the date as day.month.year, for example 24.12.2026.")
    time_message = _("Write the time as hours and minutes, for example 17:00.")
    from_date, to_date = parse_date(form["from_date"]), parse_date(form["to_date"])
    from_time = parse_time(form["from_time"]) if form["from_time"].strip() else dt.time(0)
    to_time = parse_time(form["to_time"]) if form["to_time"].strip() else None
    if from_date is None:
        errors["from_date"] = date_message
    if from_time is None:
        errors["from_time"] = time_message
    if to_date is None:
        errors["to_date"] = date_message
    if form["to_time"].strip() and to_time is None:
        errors["to_time"] = time_message
    if not errors:
        starts = dt.datetime.combine(from_date, from_time, TZ)
        ends = (dt.datetime.combine(to_date, to_time, TZ) if to_time is not None
                else dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time(0), TZ))
        try:
            absence = service.add_exception(_me().id, starts.astimezone(dt.UTC),
                                            ends.astimezone(dt.UTC), form["reason"])
        except service.ScheduleRefused as refused:
            errors = {"to_date": _("The absence must end after it starts.")
                      if refused.errors.get("ends") == "ends_before_starts"
                      else _("An absence can be at most a year. Add a new one after it.")}
    if errors:
        return _schedule_page(lang, absence_form=form, absence_errors=errors, status=400)
    kept = service.bookings_between(_me().id, absence.starts_at, absence.ends_at)
    flash(_("The absence is added: no new bookings in it.") + (" " + _(
        "You already have %(n)d booking(s) in it: they are kept. See them in your day "
        "list.", n=len(kept)) if kept else ""), "success")
    return redirect(url_for("treater.schedule", lang=lang), 303)


@route(bp, REMOVE_ABSENCE, methods=["POST"])
@treater_only
def remove_absence(lang: str, exception_id: str):
    if not (_number(exception_id) and service.remove_exception(_me().id, int(exception_id))):
        abort(404)
    flash(_("The absence is removed."), "success")
    return redirect(url_for("treater.schedule", lang=lang), 303)


# --- requests for a time ---------------------------------------------------------------------


def _unit_offers() -> set[int]:
    return _allowed_offers(_me())


@route(bp, REQUESTS)
@treater_only
def requests(lang: str):
    show_all = request.args.get("all") == "1"
    items = service.requests_for_offers(_unit_offers(), include_handled=show_all)
    titles = {}
    for item in items:
        offer = catalogue.offer_by_id(item.offer_id)
        titles[item.offer_id] = offer.text(lang).title if offer else ""
    return render_template("staff/requests.html", request_items=items, titles=titles,
                           show_all=show_all, moment=lambda m: format_moment(m, lang))


@route(bp, HANDLED, methods=["POST"])
@treater_only
def mark_handled(lang: str, reference: str):
    item = service.request_by_reference(reference)
    if item is None or item.offer_id not in _unit_offers():
        abort(404)
    service.mark_request_handled(item)
    flash(_("Request %(reference)s is marked as handled.", reference=item.reference),
          "success")
    return redirect(url_for("treater.requests", lang=lang), 303)
