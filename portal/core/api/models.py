"""Models every API endpoint shares: fields left out when absent, the error body, query
parameters (the first value counts) and the `lang` parameter; and how a pydantic
validation error becomes a bad-parameter answer in the asked language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from portal.core.i18n import DEFAULT, LANGUAGES, Language


def no_default(schema: dict[str, Any]) -> None:
    """For `json_schema_extra`: a `T | SkipJsonSchema[None]` field defaulting to None
    shows no `default: null` (which its own type would refuse)."""
    schema.pop("default", None)


def _is_none(value: Any) -> bool:
    return value is None


def absent(description: str) -> Any:
    """A field left out of the JSON (not null) when it has no value: declare it as
    `name: T | SkipJsonSchema[None] = absent("...")` (the document shows it as optional)."""
    return Field(None, description=description, exclude_if=_is_none,
                 json_schema_extra=no_default)


class ApiError(BaseModel):
    """Every error of the API: a code for programs, a message for people."""

    error: str = Field(description="A stable code, e.g. bad_parameter, not_found.")
    message: str = Field(description="For people, in the asked language.")
    parameter: str | SkipJsonSchema[None] = absent(
        "With bad_parameter: the first parameter that is wrong.")
    errors: dict[str, str] | SkipJsonSchema[None] = absent(
        "With bad_parameter: every wrong parameter and what is wrong.")


class BadParameter(ValueError):
    """Parameters a person or a client got wrong, each with a message for them."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        self.param, self.message = next(iter(self.errors.items()))
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"error": "bad_parameter", "parameter": self.param, "message": self.message,
                "errors": self.errors}


def invalid(message: str) -> PydanticCustomError:
    """Raise this in a validator: `message` (already in the asked language) is shown."""
    return PydanticCustomError("bad_parameter", "{message}", {"message": message})


def bad_parameters(error: ValidationError) -> BadParameter:
    """A pydantic validation error as the API and the pages report it."""
    found: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "request"
        if name in found:
            continue
        if item["type"] == "bad_parameter":
            found[name] = item["ctx"]["message"]
        elif item["type"] == "missing":
            found[name] = _("“%(name)s” is required.", name=name)
        else:
            found[name] = _("“%(name)s” is not valid.", name=name)
    return BadParameter(found or {"request": _("The request could not be read.")})


class QueryParams(BaseModel):
    """Query parameters: a repeated parameter counts once (its first value), as in Flask."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def first_values(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: (v[0] if isinstance(v, list) and v else v) for k, v in data.items()}
        return data


class LangQuery(QueryParams):
    lang: Language = Field(DEFAULT, description="Language of the texts and URLs.")

    @field_validator("lang", mode="before")
    @classmethod
    def known_language(cls, value: Any) -> str:
        if value in (None, ""):
            return DEFAULT
        if value not in LANGUAGES:
            raise invalid(_("“lang” must be one of: %(values)s.", values=", ".join(LANGUAGES)))
        return value
