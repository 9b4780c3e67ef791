"""The web intake's steps: one question group per page, in order, each with its fields
and its checks (the rules of each field are in `inputs`, shared with the API).

A draft holds what was typed as it was typed (so a page shows it again, errors and
all); `check` says what is wrong with a step, and `complete` turns a whole draft into
the service's IntakeData once nothing is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from portal.intake import inputs, service
from portal.intake.inputs import Invalid
from portal.intake.service import IntakeData

TEXT_FIELDS = ("asker", "authority", "municipality", "story", "goals", "agencies_other",
               "method", "phone", "email", "address", "times", "interpreter_language",
               "urgency")
LIST_FIELDS = ("situations", "agencies", "needs")


@dataclass(frozen=True)
class Step:
    key: str
    slugs: dict[str, str]        # its path segment per language
    fields: tuple[str, ...]      # what it asks


STEPS = (
    Step("who", {"da": "hvem", "en": "who"}, ("asker", "authority")),
    Step("municipality", {"da": "kommune", "en": "municipality"}, ("municipality",)),
    Step("situation", {"da": "situation", "en": "situation"}, ("situations", "story")),
    Step("goals", {"da": "maal", "en": "goals"}, ("goals",)),
    Step("agencies", {"da": "instanser", "en": "agencies"}, ("agencies", "agencies_other")),
    Step("contact", {"da": "kontakt", "en": "contact"},
         ("method", "phone", "email", "address", "times")),
    Step("needs", {"da": "behov", "en": "needs"}, ("needs", "interpreter_language")),
    Step("urgency", {"da": "hast", "en": "urgency"}, ("urgency",)),
    Step("consent", {"da": "samtykke", "en": "consent"}, ("consents",)),
    Step("review", {"da": "tjek", "en": "review"}, ()),
)
BY_KEY = {s.key: s for s in STEPS}
FIELD_STEP = {f: s.key for s in STEPS for f in s.fields}


def step_of_slug(slug: str) -> Step | None:
    """A step by its path segment in either language (a language switch keeps working)."""
    return next((s for s in STEPS if slug in s.slugs.values()), None)


def number(step: Step) -> int:
    return STEPS.index(step) + 1


def previous(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index else None


def following(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


# --- reading a step's form ---------------------------------------------------------------


def read(step: Step, form: MultiDict, data: dict, lang: str) -> dict:
    """The step's values as typed (a list for the checkboxes; for the consent step the
    answer per consent text key). What the step does not show is left as it was."""
    values: dict = {}
    for name in step.fields:
        if name in LIST_FIELDS:
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)][:50]
        elif name == "consents":
            answers = {}
            for text in consent_lines(data, lang):
                answer = form.get(f"consent-{text.key}")
                if answer in ("yes", "no"):
                    answers[text.key] = answer
            values[name] = answers
        else:
            values[name] = (form.get(name) or "")[:10_000]
    return values


# --- checking --------------------------------------------------------------------------


def _run(errors: dict[str, str], name: str, check: Callable, *args) -> object:
    try:
        return check(*args)
    except Invalid as error:
        errors[name] = error.message
        return None


def may_consent(data: dict) -> bool:
    """The person filling in may consent: the citizen, or someone with authority."""
    return not service.needs_citizens_consent(data.get("asker") or "self",
                                              data.get("authority") or "none")


def consent_lines(data: dict, lang: str) -> list:
    """The consent texts this person is asked about (one per agency they named)."""
    municipality = data.get("municipality") or ""
    agencies = data.get("agencies") or []
    if not municipality:
        return []
    return service.relevant_texts(municipality, lang, list(agencies))


def check(step: Step, data: dict, lang: str) -> dict[str, str]:
    """What is wrong with `step` in `data`: {field: message}."""
    errors: dict[str, str] = {}
    get = data.get
    if step.key == "who":
        asker = _run(errors, "asker", inputs.check_asker, get("asker"))
        if asker in ("relative", "professional"):
            _run(errors, "authority", inputs.check_authority, get("authority"), asker)
    elif step.key == "municipality":
        _run(errors, "municipality", inputs.check_municipality, get("municipality"))
    elif step.key == "situation":
        situations = _run(errors, "situations", inputs.check_situations, get("situations"))
        if "situations" not in errors:
            _run(errors, "story", inputs.check_story, get("story"), situations)
    elif step.key == "goals":
        _run(errors, "goals", inputs.check_goals, get("goals"))
    elif step.key == "agencies":
        agencies = _run(errors, "agencies", inputs.check_agencies, get("agencies"))
        _run(errors, "agencies_other", inputs.check_agencies_other, get("agencies_other"),
             agencies, True)
    elif step.key == "contact":
        method = _run(errors, "method", inputs.check_method, get("method"))
        for name, field_check in (("phone", inputs.check_phone), ("email", inputs.check_email),
                                  ("address", inputs.check_address)):
            # Only the detail of the chosen method is asked for (and checked).
            if method == name or (method == "letter" and name == "address"):
                _run(errors, name, field_check, get(name), method)
        _run(errors, "times", inputs.check_times, get("times"))
    elif step.key == "needs":
        needs = _run(errors, "needs", inputs.check_needs, get("needs"))
        _run(errors, "interpreter_language", inputs.check_interpreter_language,
             get("interpreter_language"), needs)
    elif step.key == "urgency":
        _run(errors, "urgency", inputs.check_urgency, get("urgency"))
    elif step.key == "consent" and may_consent(data):
        answers = get("consents") or {}
        from flask_babel import gettext as _

        for text in consent_lines(data, lang):
            if answers.get(text.key) not in ("yes", "no"):
                errors[f"consent-{text.key}"] = _("Answer yes or no.")
    return errors


def first_problem(data: dict, lang: str) -> tuple[Step, dict[str, str]] | None:
    """The first step that is not complete, with its errors."""
    for step in STEPS[:-1]:
        errors = check(step, data, lang)
        if errors:
            return step, errors
    return None


def complete(data: dict, lang: str) -> IntakeData:
    """A whole draft (checked: `first_problem` is None) as the service's IntakeData."""
    asker = data["asker"]
    method = data["method"]
    contact = {"method": method}
    if method == "phone":
        contact["phone"] = inputs.check_phone(data.get("phone"), method)
    elif method == "email":
        contact["email"] = inputs.check_email(data.get("email"), method)
    else:
        contact["address"] = inputs.check_address(data.get("address"), method)
    times = inputs.check_times(data.get("times"))
    if times:
        contact["times"] = times
    needs = inputs.check_needs(data.get("needs"))
    if "interpreter" in needs:
        contact["interpreter_language"] = inputs.check_interpreter_language(
            data.get("interpreter_language"), needs)
    agencies = inputs.check_agencies(data.get("agencies"))
    situations = inputs.check_situations(data.get("situations"))
    answers = data.get("consents") or {}
    given = ([t.id for t in consent_lines(data, lang) if answers.get(t.key) == "yes"]
             if may_consent(data) else [])
    return IntakeData(
        lang=lang, municipality=data["municipality"], asker=asker,
        authority=inputs.check_authority(data.get("authority"), asker),
        situations=situations, story=inputs.check_story(data.get("story"), situations),
        goals=inputs.check_goals(data.get("goals")), agencies=agencies,
        agencies_other=(inputs.check_agencies_other(data.get("agencies_other"), agencies)
                        if "other" in agencies else ""),
        contact=contact, needs=needs, urgency=data["urgency"], consents=given)
