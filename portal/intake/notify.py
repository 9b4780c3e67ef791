"""What an intake sends, through the outbox: the team is told a new intake has arrived
(without its content: they read it in Indgang); the citizen, when they gave an e-mail
address, is told when a coordinating caseworker has taken it."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.intake.models import Intake
from portal.outbox import service as outbox


def received(intake: Intake, team) -> None:
    """`team`: the staff unit the intake went to (None: no team yet)."""
    if team is None or not team.email:
        return
    with force_locale("da"):  # staff read Danish
        outbox.queue(f"intake:{intake.reference}:received:{team.slug}", "email", team.email,
                     _("New intake %(reference)s", reference=intake.reference),
                     _("A new intake (%(reference)s) has arrived for %(team)s. Read it in "
                       "Indgang: the e-mail does not contain it.",
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
