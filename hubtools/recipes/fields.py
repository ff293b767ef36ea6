"""The field types every recipe and config shares (their errors are worded by `hubtools._validation`).

A value that cannot be meant (a non-finite learning rate, a zero batch, a seed numpy refuses, `true` where a
number goes) fails at load with `FILE: dotted.field: what was expected (got VALUE)`, instead of later, deep
inside a library, as a traceback. Every recipe model derives from `RecipeModel`: unknown keys are errors and
no float field takes `inf` or `nan` (TOML literals or strings alike).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# numpy's legacy seeding takes 0 .. 2**32-1; torch takes more. A seed must work for every library a run seeds.
MAX_SEED = 2**32 - 1
# TOML integers are 64-bit; a larger one would overflow the first tensor or array it reaches.
MAX_INT = 2**63 - 1
_NAME = re.compile(r"(?!\.)[A-Za-z0-9._-]{1,96}")


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
