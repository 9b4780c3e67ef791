"""What an intake sends, through the outbox: the team is told a new intake has arrived
(without its content: they read it in Indgang); the citizen, when they gave an e-mail
address, is told when a coordinating caseworker has taken it."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.intake.models import Intake
from portal.outbox import service as outbox


def _team_addresses(team) -> list[tuple[str, str]]:
    """(key part, address): the team's own e-mail, else each active caseworker's."""
    if team is None:
        return []
    if team.email:
        return [(team.slug, team.email)]
    return [(f"{team.slug}:{m.id}", m.email) for m in team.members
            if m.active and m.has_role("caseworker") and m.email]


def received(intake: Intake, team) -> None:
    """`team`: the staff unit the intake went to (None: no team yet). No personal data:
    only the reference."""
    with force_locale("da"):  # staff read Danish
        for part, address in _team_addresses(team):
            outbox.queue(f"intake:{intake.reference}:received:{part}", "email", address,
                         _("New intake %(reference)s", reference=intake.reference),
                         _("A new intake (%(reference)s) has arrived for %(team)s. Read it "
                           "in Indgang: the e-mail does not contain it.",
                           reference=intake.reference, team=team.name))


def handed_over(intake: Intake, team, event_id: int) -> None:
    """The intake was handed over to `team` (once per hand-over)."""
    with force_locale("da"):
        for part, address in _team_addresses(team):
            outbox.queue(f"intake:{intake.reference}:handed-over:{event_id}:{part}", "email",
                         address,
                         _("Intake %(reference)s handed over to you",
                           reference=intake.reference),
                         _("The intake %(reference)s has been handed over to %(team)s. Read "
                           "it and the reason in Indgang: the e-mail does not contain them.",
                           reference=intake.reference, team=team.name))


def accepted(intake: Intake, caseworker) -> None:
    """`caseworker`: the staff member who took it."""
    email = (intake.contact or {}).get("email")
    if not email:
        return
    with force_locale(intake.lang):
        outbox.queue(f"intake:{intake.reference}:accepted:{caseworker.id}", "email", email,
                     _("Your coordinating caseworker"),
                     _("%(name)s is now your coordinating caseworker. They will contact you "
                       "as you asked. Reference %(reference)s: with it and your code you can "
                       "see the status in Indgang.", name=caseworker.name,
                       reference=intake.reference))
