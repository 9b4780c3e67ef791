"""The intake's rules in the service: routing, who may consent, what a consent records,
withdrawal, and the consent texts from content/."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.content.loader import read_content, sync_content
from portal.core.extensions import db
from portal.intake import service
from portal.intake.service import IntakeData


def data(**change) -> IntakeData:
    values = {"lang": "da", "municipality": "egedal", "asker": "self", "authority": "none",
              "situations": ["work-education"], "story": "", "goals": "", "agencies": [],
              "contact": {"method": "phone", "phone": "+4512345678"}, "needs": [],
              "urgency": "no-hurry"}
    return IntakeData(**{**values, **change})


@pytest.mark.parametrize(("municipality", "situations", "team"), [
    ("egedal", ["work-education"], "egedal-jobcenter"),
    ("egedal", ["work-education", "mental-health"], "egedal-css"),  # the weightiest
    ("egedal", ["loneliness"], "egedal-css"),                       # the fallback
    ("fredericia", ["loneliness", "drugs"], "fredericia-voksen"),
    ("fredericia", ["debt"], "fredericia-din-indgang"),
    ("aarhus", ["drugs"], "aarhus-indgang"),                        # the default
])
def test_routing_by_the_weightiest_situation(intake_app, municipality, situations, team):
    with intake_app.app_context():
        assert service.route(municipality, situations).slug == team


def test_a_relative_without_authority_cannot_consent(intake_app):
    with intake_app.app_context():
        text = service.relevant_texts("egedal", "da", ["jobcentre"])[0]
        with pytest.raises(service.IntakeError) as refused:
            service.submit(data(asker="relative", consents=[text.id]), "web")
        assert refused.value.errors == {"consents": "relative_cannot_consent"}
        made = service.submit(data(asker="relative"), "web")
        assert made.intake.status == "awaiting_consent"


def test_power_of_attorney_consents_with_that_capacity_and_everything_is_recorded(intake_app):
    with intake_app.app_context():
        text = service.relevant_texts("egedal", "en", ["jobcentre"])[0]
        now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
        made = service.submit(data(lang="en", asker="relative", authority="power_of_attorney",
                                   agencies=["jobcentre"], consents=[text.id]), "chat", now)
        [consent] = made.intake.consents
        assert (consent.given_by, consent.capacity) == ("relative", "power_of_attorney")
        assert (consent.key, consent.version, consent.lang, consent.channel) == (
            "share-jobcentre", 1, "en", "chat")
        assert consent.text_hash == text.text_hash and len(consent.text_hash) == 64
        assert consent.given_at == now


def test_withdrawal_keeps_the_record_and_does_not_act_backwards(intake_app):
    with intake_app.app_context():
        text = service.relevant_texts("egedal", "da", ["jobcentre"])[0]
        given = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
        made = service.submit(data(consents=[text.id]), "web", given)
        consent = made.intake.consents[0]
        later = given + dt.timedelta(days=3)
        service.withdraw(made.intake, consent.id, later)
        service.withdraw(made.intake, consent.id, later + dt.timedelta(days=1))  # once
        db.session.expire_all()
        consent = service.by_reference(made.intake.reference).consents[0]
        assert consent.given_at == given and consent.withdrawn_at == later
        assert service.active_consents(consent.intake) == []


def test_a_municipality_overrides_a_consent_text(intake_app):
    with intake_app.app_context():
        egedal = {t.key: t for t in service.consent_texts("egedal", "da")}
        other = {t.key: t for t in service.consent_texts("aarhus", "da")}
        assert egedal["share-jobcentre"].municipality == "egedal"
        assert other["share-jobcentre"].municipality == ""
        assert "Jobcenter Egedal" in egedal["share-jobcentre"].parties


def test_content_sync_refuses_a_changed_text_under_the_same_version(intake_app, tmp_path):
    import shutil

    content = tmp_path / "content"
    shutil.copytree(intake_app.config["CONTENT_DIR"], content)
    path = content / "consents" / "default.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Jeg giver samtykke til, at kommunens koordinerende sagsbehandler og jobcentret",
        "Jeg giver samtykke til, at alle", 1), encoding="utf-8")
    with intake_app.app_context():
        with pytest.raises(Exception) as refused:
            sync_content(db.session, read_content(content, intake_app.config["SEEDS_DIR"]))
        db.session.rollback()
        assert "version" in str(refused.value).lower()
