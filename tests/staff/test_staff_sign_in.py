"""Staff sign-in: passwords, the lockout, one message for every refusal, a new session
at sign-in, signing out (here and everywhere), the rate limit, the cookie's settings,
and who may open which staff page."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.staff import service as staff
from portal.staff.models import CASEWORKER, StaffMember
from tests.staff.helpers import (
    PASSWORD,
    SIGN_IN,
    browser,
    error_text,
    make_booking,
    new_member,
    sign_in,
    text_of,
    token,
    treater_client,
)

DAY = "/personale/dag"


def signed_in(client) -> bool:
    return client.get(DAY).status_code == 200


def test_the_right_password_signs_in_and_lands_on_the_treaters_day(staff_app):
    _id, email = new_member(staff_app)
    client = browser(staff_app)
    response = sign_in(client, email)
    assert response.status_code == 303
    assert response.headers["Location"] == DAY
    page = client.get(DAY)
    assert page.status_code == 200
    assert f"Test {email}" in text_of(page.get_data(as_text=True))


def test_the_sign_in_page_works_in_english_too(staff_app):
    _id, email = new_member(staff_app)
    client = browser(staff_app)
    page = client.get("/en/staff/sign-in").get_data(as_text=True)
    assert "Sign in for staff" in page and 'lang="en"' in page
    response = client.post("/en/staff/sign-in", data={
        "csrf_token": token(client, "/en/staff/sign-in"), "email": email, "password": PASSWORD})
    assert response.headers["Location"] == "/en/staff/day"


def test_a_wrong_password_is_refused_and_nothing_is_signed_in(staff_app):
    _id, email = new_member(staff_app)
    client = browser(staff_app)
    response = sign_in(client, email, "not-the-password")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_text(html)
    assert f'value="{email}"' in html  # what was typed is kept (not the password)
    assert "not-the-password" not in html
    assert not signed_in(client)


def test_missing_fields_get_a_clear_message(staff_app):
    client = browser(staff_app)
    response = client.post(SIGN_IN, data={"csrf_token": token(client), "email": "",
                                          "password": ""})
    assert response.status_code == 400
    assert error_text(response.get_data(as_text=True))


def test_the_account_locks_after_repeated_failures_and_opens_again_after_the_lockout(
        staff_app):
    member_id, email = new_member(staff_app)
    client = browser(staff_app)
    attempts = staff_app.config["STAFF_LOCKOUT_ATTEMPTS"]
    for _ in range(attempts):
        assert sign_in(client, email, "wrong-password!").status_code == 400
    # Locked: even the right password is refused, with the same message.
    refused = sign_in(client, email)
    assert refused.status_code == 400
    assert not signed_in(client)
    with staff_app.app_context():
        member = db.session.get(StaffMember, member_id)
        assert member.locked_until > utcnow() + dt.timedelta(
            minutes=staff_app.config["STAFF_LOCKOUT_MINUTES"] - 1)
        # The lockout's minutes pass (moved into the past rather than waited for).
        member.locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, email).status_code == 303
    assert signed_in(client)
    with staff_app.app_context():
        member = db.session.get(StaffMember, member_id)
        assert member.failed_logins == 0 and member.locked_until is None


def test_unknown_wrong_and_locked_accounts_get_the_same_answer(staff_app):
    """The page never tells whether an account exists or is locked."""
    _id, email = new_member(staff_app)
    _locked_id, locked = new_member(staff_app, locked_until=utcnow() + dt.timedelta(hours=1))
    answers = []
    for address, password in [("nobody@test.invalid", PASSWORD), (email, "wrong-password!"),
                              (locked, PASSWORD)]:
        response = sign_in(browser(staff_app), address, password, lang="en")
        answers.append((response.status_code, error_text(response.get_data(as_text=True))))
    assert answers[0] == answers[1] == answers[2] == (
        400, "The e-mail address or the password is wrong, or the account is locked for a "
             "while after too many attempts.")


def test_an_inactive_account_cannot_sign_in(staff_app):
    _id, email = new_member(staff_app, active=False)
    response = sign_in(browser(staff_app), email)
    assert response.status_code == 400


def test_signing_in_starts_a_new_session_and_a_new_csrf_token(staff_app):
    """No session fixation: what the browser's session held before is gone, and the CSRF
    token of before no longer works."""
    _id, email = new_member(staff_app)
    client = browser(staff_app)
    old_token = token(client)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    cookie_before = client.get_cookie("session").value
    assert sign_in(client, email).status_code == 303
    assert client.get_cookie("session").value != cookie_before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{_id}:")
    new_token = token(client, DAY)
    assert new_token != old_token
    stale = client.post("/personale/log-ud", data={"csrf_token": old_token})
    assert stale.status_code == 400  # the old token is refused
    assert signed_in(client)


def test_sign_out_ends_the_session(staff_app):
    client, _id = treater_client(staff_app)
    response = client.post("/en/staff/sign-out", data={"csrf_token": token(client, DAY)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/staff/sign-in"
    assert "You are signed out." in text_of(client.get("/en/staff/sign-in").get_data(
        as_text=True))
    assert not signed_in(client)


def test_sign_out_everywhere_makes_another_browsers_cookie_useless(staff_app):
    _id, email = new_member(staff_app)
    office, home = browser(staff_app), browser(staff_app)
    assert sign_in(office, email).status_code == 303
    assert sign_in(home, email).status_code == 303
    home_cookie = home.get_cookie("session").value
    response = office.post("/personale/log-ud-overalt",
                           data={"csrf_token": token(office, "/personale")})
    assert response.status_code == 303
    assert not signed_in(office)
    assert not signed_in(home)
    # A copy of the old cookie, in a third browser (same address): worth nothing.
    thief = staff_app.test_client()
    thief.environ_base.update(home.environ_base)
    thief.set_cookie("session", home_cookie)
    assert thief.get(DAY).status_code == 302
    # A new sign-in works as before.
    assert sign_in(home, email).status_code == 303 and signed_in(home)


def test_a_staff_session_ends_by_itself_after_its_hours(staff_app):
    client, _id = treater_client(staff_app)
    with client.session_transaction() as session:
        session["staff_signed_in_at"] = int(time.time()) - 11 * 3600
    assert not signed_in(client)


def test_a_session_used_from_another_browser_is_dropped(staff_app):
    """Flask-Login's strong session protection: the cookie alone, in a browser with
    another address and user agent, is not enough."""
    client, _id = treater_client(staff_app)
    other = browser(staff_app)
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get(DAY, headers={"User-Agent": "Something else"}).status_code == 302


def test_sign_in_attempts_are_rate_limited_per_address(staff_app):
    limit = int(staff_app.config["STAFF_LOGIN_RATE_LIMIT"].split("/")[0])
    attacker = browser(staff_app)
    for i in range(limit):
        assert sign_in(attacker, f"guess{i}@test.invalid", "x" * 12).status_code == 400
    blocked = sign_in(attacker, "guess@test.invalid", "x" * 12, lang="en")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts" in error_text(blocked.get_data(as_text=True))
    # Another address is not affected.
    _id, email = new_member(staff_app)
    assert sign_in(browser(staff_app), email).status_code == 303


def test_session_cookie_settings(staff_app):
    _id, email = new_member(staff_app)
    response = sign_in(browser(staff_app), email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Cache-Control"] == "no-store"
    secure = staff_app.test_client()
    staff_app.config["SESSION_COOKIE_SECURE"] = True
    try:
        cookie = secure.get(SIGN_IN).headers["Set-Cookie"]
        assert "Secure" in cookie
    finally:
        staff_app.config["SESSION_COOKIE_SECURE"] = False


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "javascript:alert(1)"])
def test_next_never_leads_off_the_site(staff_app, target):
    _id, email = new_member(staff_app)
    response = sign_in(browser(staff_app), email, next=target)
    assert response.headers["Location"] == DAY


def test_next_brings_the_member_back_to_the_page_they_asked_for(staff_app):
    _id, email = new_member(staff_app)
    client = browser(staff_app)
    asked = client.get("/personale/skema")
    assert asked.status_code == 302
    assert asked.headers["Location"] == f"{SIGN_IN}?next=/personale/skema"
    response = sign_in(client, email, next="/personale/skema")
    assert response.headers["Location"] == "/personale/skema"


# --- who may open what --------------------------------------------------------------------


def staff_get_routes(app) -> list[str]:
    """Every staff page (GET) with sample values, in both languages."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in ("treater", "staff") \
                and rule.endpoint not in ("staff.sign_in", "staff.oidc_reply"):
            values = {**(rule.defaults or {}), "reference": "AB12-CD34"}
            urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_a_citizen_is_sent_to_the_sign_in_page_from_every_staff_page(staff_app):
    urls = staff_get_routes(staff_app)
    assert len(urls) >= 10
    citizen = browser(staff_app)
    for url in urls:
        response = citizen.get(url)
        assert response.status_code == 302, url
        assert "/log-ind" in response.headers["Location"] or "/sign-in" in response.headers[
            "Location"], url


def test_a_caseworker_never_sees_a_treaters_page(staff_app):
    _id, email = new_member(staff_app, roles=(CASEWORKER,), unit="bostoette-holstebro")
    client = browser(staff_app)
    assert sign_in(client, email).status_code == 303
    for url in staff_get_routes(staff_app):
        response = client.get(url)
        if url in ("/personale", "/en/staff"):
            assert response.status_code == 200  # their own account page
        else:
            assert response.status_code == 403, url
            if url.startswith("/en/"):
                assert "This page is for treaters." in text_of(response.get_data(as_text=True))


def test_a_treater_cannot_see_or_mark_another_treaters_booking_by_its_url(staff_app):
    other_id, _email = new_member(staff_app)
    reference, _code, _room = make_booking(staff_app, other_id)
    snoop, _me = treater_client(staff_app)
    assert snoop.get(f"/personale/samtale/{reference}").status_code == 404
    assert snoop.get(f"/en/staff/session/{reference}").status_code == 404
    day = snoop.get("/personale/dag").get_data(as_text=True)
    assert reference not in day
    marked = snoop.post(f"/personale/samtale/{reference}/fremmoede",
                        data={"csrf_token": token(snoop, DAY), "status": "no-show"})
    assert marked.status_code == 404
    with staff_app.app_context():
        from portal.booking import service

        assert service.by_reference(reference).status == "booked"
    # Its owner sees it.
    owner = browser(staff_app)
    with staff_app.app_context():
        email = db.session.get(StaffMember, other_id).email
    assert sign_in(owner, email).status_code == 303
    assert owner.get(f"/personale/samtale/{reference}").status_code == 200


def test_every_staff_form_refuses_a_post_without_its_csrf_token(staff_app):
    """Signed in, so that only the missing token can be the reason for a refusal."""
    client, member_id = treater_client(staff_app)
    reference, _code, room = make_booking(staff_app, member_id)
    values = {"reference": reference, "rule_id": "1", "exception_id": "1", "room": str(room)}
    posts = [rule for rule in staff_app.url_map.iter_rules() if "POST" in rule.methods
             and rule.endpoint.split(".")[0] in ("staff", "treater", "livechat", "session")]
    assert len(posts) >= 10
    for rule in posts:
        url = rule.build({**(rule.defaults or {}), **values}, append_unknown=False)[1]
        response = client.post(url, data={"status": "attended", "body": "hi"})
        assert response.status_code == 400, url
        if url.startswith("/en/"):
            assert "The form had expired" in text_of(response.get_data(as_text=True)), url
    assert signed_in(client)  # not signed out by a forged POST
    with staff_app.app_context():
        from portal.booking import service
        from portal.livechat import service as livechat

        assert service.by_reference(reference).status == "booked"
        assert livechat.messages_after(room) == []


def test_member_by_login_id_refuses_malformed_and_old_ids(staff_app):
    member_id, _email = new_member(staff_app)
    with staff_app.app_context():
        assert staff.member_by_login_id(f"{member_id}:1").id == member_id
        for bad in ["", "x", f"{member_id}", f"{member_id}:2", f"{member_id}:x", ":1"]:
            assert staff.member_by_login_id(bad) is None


def test_static_files_and_the_api_never_vary_by_the_sign_in(staff_app):
    """Signing in must not make a browser fetch the static files again, nor shared
    caches keep the public API once per cookie; no page sets a remember-me cookie."""
    citizen, (treater, _id) = browser(staff_app), treater_client(staff_app)
    for client in (citizen, treater):
        client.get("/")
        for url in ["/static/site.css", "/api/v1/situations"]:
            response = client.get(url)
            assert "Cookie" not in response.headers.get("Vary", ""), url
            assert "Set-Cookie" not in response.headers, url
        for url in ["/", "/personale/log-ind", "/personale/dag"]:
            cookies = " ".join(client.get(url).headers.getlist("Set-Cookie"))
            assert "remember_token" not in cookies, url
