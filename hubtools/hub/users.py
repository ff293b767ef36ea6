"""Who may do what on the embedded Hub: users, their tokens and organizations, and the namespaces they own.

Three ways to start a Hub, from most to least open:

- no token at all: local development, loopback only; any non-empty token acts as the one `--user`, who may
  write everywhere (the tests and offline releases run like this);
- `--token`/`--user` (or a token file, or the environment): one user owning their own namespace;
- `--users USERS.toml`: several users, each with one or more tokens and a list of organizations::

    [users.alice]
    token = "hf_..."            # or token = ["hf_...", "hf_..."]
    orgs = ["team"]

A user writes under their own name and their organizations; private repos are visible to the same people.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hubtools._validation import format_validation_error
from hubtools.errors import HubtoolsError
from hubtools.hub._names import is_valid_name

TOKEN_ENV = "HUBTOOLS_HUB_TOKEN"
_MAX_TOKEN = 4096


@dataclass(frozen=True)
class User:
    """An authenticated caller; `everywhere` marks the open development user, who owns every namespace."""

    name: str
    orgs: tuple[str, ...] = ()
    everywhere: bool = False

    def owns(self, namespace: str) -> bool:
        """True when this user may write under `namespace` (their name or one of their orgs, any case)."""
        if self.everywhere:
            return True
        return namespace.lower() in {self.name.lower(), *(org.lower() for org in self.orgs)}


class Accounts:
    """The users of one Hub and the tokens that authenticate them (compared in constant time)."""

    def __init__(self, tokens: Iterable[tuple[str, User]], open_user: User | None = None) -> None:
        self._tokens = [(token.encode("utf-8", "surrogateescape"), user) for token, user in tokens]
        self.open_user = open_user
        if not self._tokens and open_user is None:
            raise ValueError("a Hub needs at least one token, or an open development user")

    @classmethod
    def single(cls, user: str, tokens: Sequence[str] = ()) -> Accounts:
        """The `--token`/`--user` shorthand: no tokens means the open development mode."""
        if not is_valid_name(user):
            raise ValueError(f"invalid user name {user!r}: use letters, digits, '-', '_' or '.'")
        tokens = [token for token in tokens if token]
        if not tokens:
            return cls([], open_user=User(user, everywhere=True))
        return cls([(token, User(user)) for token in tokens])

    @property
    def open(self) -> bool:
        """True in the open development mode (no token configured)."""
        return self.open_user is not None

    @property
    def default_user(self) -> str:
        """The name reported where one user must be named (the open user, else the first user)."""
        if self.open_user is not None:
            return self.open_user.name
        return self._tokens[0][1].name

    def authenticate(self, token: str) -> User | None:
        """The user a non-empty token belongs to, or None when it is not accepted."""
        if not token or len(token) > _MAX_TOKEN:
            return None
        if self.open_user is not None:
            return self.open_user
        given = token.encode("utf-8", "surrogateescape")
        found = None
        for known, user in self._tokens:  # no early exit: the time taken does not tell which token matched
            if hmac.compare_digest(given, known):
                found = user
        return found


class _UserEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: list[str] = Field(description="one token, or a list of tokens")
    orgs: list[str] = Field(default_factory=list)

    @field_validator("token", mode="before")
    @classmethod
    def _one_token_is_a_list(cls, value: object) -> object:
        if not isinstance(value, (str, list)):  # one type below, so errors name `token`, not a union member
            raise ValueError("give a token (a string) or a list of tokens")
        return [value] if isinstance(value, str) else value

    @field_validator("token")
    @classmethod
    def _tokens_usable(cls, tokens: list[str]) -> list[str]:
        if not tokens:
            raise ValueError("give at least one token")
        for token in tokens:
            if not token or token != token.strip() or any(char.isspace() for char in token):
                raise ValueError("a token must be non-empty and contain no spaces")
            if len(token) > _MAX_TOKEN:
                raise ValueError(f"a token is at most {_MAX_TOKEN} characters")
        return tokens

    @field_validator("orgs")
    @classmethod
    def _org_names(cls, value: list[str]) -> list[str]:
        for org in value:
            if not is_valid_name(org):
                raise ValueError(f"invalid organization name {org!r}: use letters, digits, '-', '_' or '.'")
        return value


class _UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: dict[str, _UserEntry]


def load_users(path: Path) -> Accounts:
    """Read a USERS.toml; every mistake names the file and the field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HubtoolsError(f"{path}: cannot read the users file: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise HubtoolsError(f"{path}: invalid TOML: {error}") from None
    try:
        parsed = _UsersFile.model_validate(raw)
    except ValidationError as error:
        raise HubtoolsError(format_validation_error(path, error, show_input=False)) from None  # inputs are tokens
    if not parsed.users:
        raise HubtoolsError(f"{path}: users: define at least one [users.NAME] table")
    tokens: list[tuple[str, User]] = []
    owners: dict[str, str] = {}
    names: dict[str, str] = {}
    for name in parsed.users:
        if not is_valid_name(name):
            raise HubtoolsError(f"{path}: users.{name}: invalid user name (letters, digits, '-', '_', '.')")
        if name.lower() in names:  # namespaces match case-insensitively, as repo ids do
            raise HubtoolsError(f"{path}: users.{name}: the same name as users.{names[name.lower()]}")
        names[name.lower()] = name
    for name, entry in parsed.users.items():
        clash = sorted(org for org in entry.orgs if org.lower() in names)
        if clash:
            raise HubtoolsError(f"{path}: users.{name}.orgs: {clash[0]!r} is also a user name")
        user = User(name, tuple(entry.orgs))
        for token in entry.token:
            if token in owners and owners[token] != name:
                raise HubtoolsError(f"{path}: users.{name}.token: the same token is given to {owners[token]!r}")
            owners[token] = name
            tokens.append((token, user))
    return Accounts(tokens)


def read_token_file(path: Path) -> list[str]:
    """Tokens from a file, one a line (blank lines and `#` comments ignored), so none shows in the process list."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HubtoolsError(
            f"{path}: cannot read the token file: {getattr(error, 'strerror', None) or error}"
        ) from None
    tokens = []
    for number, line in enumerate(text.splitlines(), start=1):
        token = line.strip()
        if not token or token.startswith("#"):
            continue
        if any(char.isspace() for char in token):
            raise HubtoolsError(f"{path}, line {number}: a token cannot contain spaces")
        tokens.append(token)
    if not tokens:
        raise HubtoolsError(f"{path}: the token file holds no token")
    return tokens


def tokens_from_env() -> list[str]:
    """Tokens from `HUBTOOLS_HUB_TOKEN` (several separated by commas or spaces)."""
    value = os.environ.get(TOKEN_ENV, "")
    return [token for token in value.replace(",", " ").split() if token]
