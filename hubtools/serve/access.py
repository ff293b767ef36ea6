"""Who may see the training checkpoints: the signed-in Hugging Face account, never a token typed into the page.

On a Space with `hf_oauth: true`, "Sign in with Hugging Face" puts the visitor's OpenID profile in the server
session; it names the account (`preferred_username`) and the organisations the visitor let the Space see
(`orgs`). The owner of the model repo, or a member of the organisation owning it, is a maintainer.

Run locally (no `SPACE_ID`), Gradio's sign-in stands in the account of the local token (`whoami`), as its
own local mode does; that account's organisations come from the same `whoami`, asked here with the token the
service already uses, so a signed-in profile that is not the local token's account gets no organisations.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)


def on_space() -> bool:
    """Whether this process runs as a Space on the Hub (the Space runtime sets `SPACE_ID`)."""
    return bool(os.environ.get("SPACE_ID"))


def profile_names(profile: Mapping[str, Any] | None) -> set[str]:
    """The account and organisation names a signed-in OpenID profile vouches for (empty when signed out)."""
    if not profile:
        return set()
    names = {profile.get("preferred_username")}
    for org in profile.get("orgs") or []:
        if isinstance(org, Mapping):
            names.add(org.get("preferred_username") or org.get("name"))
    return {name for name in names if isinstance(name, str) and name}


def local_names(api: HfApi, username: str) -> set[str]:
    """Off a Space: `username` and its organisations when it is the local token's account, else nothing."""
    try:
        me = api.whoami()
    except Exception as error:  # no token, or the Hub is unreachable: sign-in proves nothing more
        log.warning("whoami with the local token failed: %s", type(error).__name__)
        return set()
    if me.get("name") != username:
        return set()
    return {username} | {o.get("name") for o in me.get("orgs") or [] if isinstance(o, Mapping) and o.get("name")}


def is_maintainer(profile: Mapping[str, Any] | None, model_repo: str | None, *, api: HfApi | None = None) -> bool:
    """Whether the signed-in visitor owns `model_repo` (as its user, or as a member of its organisation)."""
    if not profile or not model_repo or "/" not in model_repo:
        return False
    owner = model_repo.split("/", 1)[0]
    names = profile_names(profile)
    if not on_space() and api is not None and owner not in names:
        names |= local_names(api, str(profile.get("preferred_username") or ""))
    return owner in names


def local_sign_in_available(api: HfApi) -> bool:
    """Gradio's local sign-in needs a logged-in personal account; without one the button would break start-up."""
    if on_space():
        return True
    try:
        return api.whoami().get("type", "user") == "user"
    except Exception:
        return False
