"""Recipes are data: typed TOML files validated at load, shipped by name or given as a path.

Shipped recipes live in `hubtools/recipes/<kind>/<name>.toml` (kinds: `data`, `train`, `release`); a RECIPE
argument is either such a name or a path to a `.toml` file. Field types: `fields.py`; the error format:
`hubtools._validation`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from hubtools._validation import format_validation_error
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
    shipped = RECIPES_DIR / kind / f"{recipe}.toml"
    if path.suffix != ".toml" and not path.is_file() and shipped.is_file():  # a folder `demo/` hides no recipe
        return shipped
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise HubtoolsError(f"recipe file not found: {path}")
        return path
    names = ", ".join(shipped_recipes(kind)) or "none"
    raise HubtoolsError(f"unknown {kind} recipe {str(recipe)!r} (shipped: {names}; or give a path to a .toml file)")


def read_toml(path: Path) -> dict:
    """A TOML file's table; unreadable, non-UTF-8 or invalid TOML is a one-line error naming the file."""
    try:
        # utf-8-sig: a byte-order mark some editors write is not part of the first key.
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise HubtoolsError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    except FileNotFoundError:
        raise HubtoolsError(f"file not found: {path}") from None
    except UnicodeDecodeError as error:
        raise HubtoolsError(f"{path}: not UTF-8 text (byte {error.start}): is this a TOML file?") from None
    except OSError as error:
        raise HubtoolsError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise HubtoolsError(f"{path}: invalid TOML: {error}") from None


def load_recipe(recipe: str | Path, schema: type[Schema], kind: str) -> Schema:
    """Read and validate a recipe; every error names the file and the dotted field.

    Validators get the file and its folder as context (`recipe_file`, `recipe_dir`): paths in a file are checked
    where they lie.
    """
    path = recipe_path(recipe, kind)
    raw = read_toml(path)
    raw.setdefault("name", path.stem)
    return validate_recipe(path, raw, schema)


def validate_recipe(path: Path, raw: dict, schema: type[Schema], *, label: str = "") -> Schema:
    """Validate a recipe's table (read from `path`), raising a one-line `HubtoolsError` naming file and field;
    `label` follows the file name in errors (e.g. where values came from besides the file)."""
    try:
        return schema.model_validate(raw, context={"recipe_dir": path.resolve().parent, "recipe_file": path})
    except ValidationError as error:
        raise HubtoolsError(format_validation_error(f"{path} {label}" if label else path, error)) from None


def recipe_hash(recipe: BaseModel) -> str:
    """A content hash of the validated recipe: same settings, same hash, whatever the file's layout."""
    canonical = json.dumps(recipe.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
