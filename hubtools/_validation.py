"""The one way a pydantic validation error reaches the user: `FILE: dotted.field: what was expected`.

Every typed file (recipes, configs, the embedded Hub's users file) is validated by pydantic at load; this module
turns its errors into one line naming the file and each field, so all of them read the same. It sits in the
base layer (pydantic only) so that the Hub, which cannot import the recipes, shares it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

# Error types whose message already says what was wrong: the offending value is not appended to them.
SELF_EXPLAINED = {"value_error", "assertion_error", "extra_forbidden", "missing", "hubtools_field", "number_not_bool"}


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


def format_validation_error(path: Path | str, error: ValidationError, *, show_input: bool = True) -> str:
    """One line for every problem of a file: `FILE: field.path: message; other.field: message`.

    `show_input=False` for files holding secrets (tokens): the offending value is then never echoed.
    """
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
            if show_input and item["type"] not in SELF_EXPLAINED and isinstance(given, (int, float, str)):
                shown = repr(given)
                message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        problems.append(f"{where}: {message}" if where else message)
    return f"{path}: " + "; ".join(problems).replace("\n", " ")
