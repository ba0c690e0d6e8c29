"""Turn pydantic's validation errors into the one line a person reads."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from asyncgen.errors import UsageError


def choices_of(model: type[BaseModel], field: str) -> tuple[str, ...]:
    """The values a Literal-typed field accepts, in declaration order."""
    annotation = model.model_fields[field].annotation
    if get_origin(annotation) is not Literal:
        raise TypeError(f"{model.__name__}.{field} is not a Literal")
    return tuple(str(value) for value in get_args(annotation))


def validate_given(model: type[BaseModel], given: dict[str, Any]) -> dict[str, Any]:
    """Validate only the keys present, so a partial set of answers fails fast and clearly."""
    unknown = sorted(set(given) - set(model.model_fields))
    if unknown:
        known = ", ".join(model.model_fields)
        raise UsageError(f"unknown key {unknown[0]!r} (known keys: {known})")
    validated: dict[str, Any] = {}
    for key, value in given.items():
        field = model.model_fields[key]
        adapter: TypeAdapter[Any] = TypeAdapter(field.rebuild_annotation())
        try:
            validated[key] = adapter.validate_python(value)
        except ValidationError as exc:
            raise UsageError(one_line(exc, prefix=key)) from None
    return validated


def one_line(exc: ValidationError, prefix: str = "") -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
    value = error.get("input")
    expected = error.get("ctx", {}).get("expected")
    if expected is not None:
        return f"{where}: {value!r} is not one of {expected}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":
        message = "must be lowercase letters and digits, joined by single hyphens, starting with a letter"
    return f"{where}: {message} (got {value!r})"
