"""The two kinds of chat Space: `static` (the page; the model runs in the visitor's browser) and `gradio` (the
Python app, on the Space's hardware); which one a deploy makes, and why one never replaces the other in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubtools.errors import HubtoolsError

if TYPE_CHECKING:
    from huggingface_hub import HfApi


def existing_kind(api: HfApi, space_id: str) -> str | None:
    """The SDK of `space_id` (`static`, `gradio`, or another such as `docker`); None when there is no such Space
    (or it names none)."""
    from hubtools.serve.resolve import hub_error

    try:
        if not api.repo_exists(space_id, repo_type="space"):
            return None
        return getattr(api.space_info(space_id), "sdk", None)
    except Exception as error:
        raise hub_error(error, space_id) from error


def choose_kind(api: HfApi, space_id: str, kind: str) -> str:
    """`auto`: an existing Space keeps its kind; a new one is static on huggingface.co (free for every account;
    Gradio Spaces need a paid plan there), Gradio on other Hubs (the embedded Hub runs no Spaces either way, and
    `hubtools space run` serves both kinds). An explicit kind is returned as given."""
    if kind != "auto":
        return kind
    from hubtools.hub.target import DEFAULT_ENDPOINT

    existing = existing_kind(api, space_id)
    if existing is not None:
        return existing  # check_kind refuses one that is neither kind
    return "static" if (api.endpoint or "").rstrip("/") == DEFAULT_ENDPOINT else "gradio"


def check_kind(api: HfApi, space_id: str, kind: str) -> None:
    """Refuse to deploy `kind` to an existing Space of another kind: its SDK would switch under its visitors, and
    the other app's files (the Gradio app and its library copy, or the page's 28 MB of WebAssembly) would stay."""
    existing = existing_kind(api, space_id)
    if existing is not None and existing != kind:
        raise HubtoolsError(
            f"{space_id} is a {existing} Space, not a {kind} one: deploy the {kind} chat to another Space name, "
            f"or delete {space_id} first to make it anew as {kind}"
        )
