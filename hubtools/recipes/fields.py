"""The field types every recipe and config shares, and the one way their validation errors reach the user.

A value that cannot be meant (a non-finite learning rate, a zero batch, a seed numpy refuses, `true` where a
number goes) fails at load with `FILE: dotted.field: what was expected (got VALUE)`, instead of later, deep
inside a library, as a traceback. Every recipe model derives from `RecipeModel`: unknown keys are errors and
no float field takes `inf` or `nan` (TOML literals or strings alike).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

# numpy's legacy seeding takes 0 .. 2**32-1; torch takes more. A seed must work for every library a run seeds.
MAX_SEED = 2**32 - 1
# TOML integers are 64-bit; a larger one would overflow the first tensor or array it reaches.
MAX_INT = 2**63 - 1
_NAME = re.compile(r"(?!\.)[A-Za-z0-9._-]{1,96}")
# Error types whose message already says what was given; the others get `(got VALUE)` appended.
_SELF_EXPLAINED = {"value_error", "assertion_error", "extra_forbidden", "missing", "hubtools_field", "number_not_bool"}


class RecipeModel(BaseModel):
    """Base of every recipe table: unknown keys rejected, non-finite floats rejected."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads `true` as 1; in a recipe a boolean where a number goes is a mistake.
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_bool", "expected a number, got {value}", {"value": str(value).lower()})
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_string", "expected a non-empty string")
    return value


_Number = BeforeValidator(_not_bool)
Int = Annotated[int, _Number, Field(le=MAX_INT)]
PositiveInt = Annotated[int, _Number, Field(gt=0, le=MAX_INT)]
NonNegativeInt = Annotated[int, _Number, Field(ge=0, le=MAX_INT)]
PositiveFloat = Annotated[float, _Number, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, _Number, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, _Number, Field(ge=0, le=1, allow_inf_nan=False)]
# Dropout and warmup shares: 1 would drop (or warm up) everything.
Fraction = Annotated[float, _Number, Field(ge=0, lt=1, allow_inf_nan=False)]
Seed = Annotated[int, _Number, Field(ge=0, le=MAX_SEED)]
Text = Annotated[str, AfterValidator(_not_blank)]


def _recipe_name(value: str) -> str:
    # The name becomes a folder (builds, releases) and the default repo name: one path part, Hub characters.
    if not _NAME.fullmatch(value):
        raise PydanticCustomError(
            "recipe_name", "expected letters, digits, '-', '_' or '.' (a repo name; it defaults to the file name)"
        )
    return value


RecipeName = Annotated[str, AfterValidator(_recipe_name)]


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error a model validator raises about one of its fields: reported at `TABLE.field`, not at the table."""
    return PydanticCustomError("hubtools_field", "{message}", {"message": message, "field": field})


def field_path(loc: tuple[str | int, ...], extra: str = "") -> str:
    """`('sources', 1, 'weight')` → `sources[1].weight`."""
    where = ""
    for part in loc:
        if isinstance(part, str) and "[" in part:  # a union member's tag (`list[str]`), not a field
            continue
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    if extra:
        where = f"{where}.{extra}" if where and not extra.startswith("[") else where + extra
    return where


def format_validation_error(path: Path | str, error: ValidationError) -> str:
    """One line for every problem of a file: `FILE: field.path: message; other.field: message`."""
    problems = []
    for item in error.errors(include_url=False):
        ctx = item.get("ctx") or {}
        where = field_path(item["loc"], str(ctx.get("field", "")))
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        else:
            message = item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            given = item.get("input")
            if item["type"] not in _SELF_EXPLAINED and isinstance(given, (int, float, str)):
                shown = repr(given)
                message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        problems.append(f"{where}: {message}" if where else message)
    return f"{path}: " + "; ".join(problems).replace("\n", " ")
