"""Recipes are data: typed TOML files validated at load, shipped by name or given as a path.

Shipped recipes live in `hubtools/recipes/<kind>/<name>.toml` (kinds: `data`, `train`); a RECIPE argument
is either such a name or a path to a `.toml` file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from hubtools.errors import HubtoolsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RECIPES_DIR = Path(__file__).parent
Schema = TypeVar("Schema", bound=BaseModel)


def shipped_recipes(kind: str) -> list[str]:
    """Names of the recipes of one kind that ship with hubtools."""
    return sorted(path.stem for path in (RECIPES_DIR / kind).glob("*.toml"))


def recipe_path(recipe: str | Path, kind: str) -> Path:
    """Find a recipe by shipped name or by path; the error lists what ships."""
    path = Path(recipe)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise HubtoolsError(f"recipe file not found: {path}")
        return path
    shipped = RECIPES_DIR / kind / f"{recipe}.toml"
    if shipped.is_file():
        return shipped
    names = ", ".join(shipped_recipes(kind)) or "none"
    raise HubtoolsError(f"unknown {kind} recipe {str(recipe)!r} (shipped: {names}; or give a path to a .toml file)")


def load_recipe(recipe: str | Path, schema: type[Schema], kind: str) -> Schema:
    """Read and validate a recipe; every error names the file and the field."""
    path = recipe_path(recipe, kind)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise HubtoolsError(f"{path}: invalid TOML: {error}") from None
    raw.setdefault("name", path.stem)
    try:
        return schema.model_validate(raw)
    except ValidationError as error:
        raise HubtoolsError(format_validation_error(path, error)) from None


def format_validation_error(path: Path, error: ValidationError) -> str:
    """One line per problem: `FILE: field a.b: message`."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"{path}: field {where}: {message}")
    return "\n".join(lines)


def recipe_hash(recipe: BaseModel) -> str:
    """A content hash of the validated recipe: same settings, same hash, whatever the file's layout."""
    canonical = json.dumps(recipe.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
