"""The Contribute tab of the chat Space: upload dumps → review exactly what would be shared → consent → receipt.

Gradio is imported only inside `contribute_tab`, so the callbacks (plain functions of plain values) can be
tested and reused without it. Raw uploads are deleted as soon as they are converted: from then on only the
scrubbed rows exist, in this session's state, until the contributor shares or discards them (or the state
expires).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from hubtools.community.config import ContributeConfig, Limits, load_contribute_config
from hubtools.community.contribute import (
    ContributionError,
    Prepared,
    as_uploads,
    prepare,
    preview_html,
    summary_markdown,
)
from hubtools.community.store import CONSENT_TEXT, ContributionStore
from hubtools.errors import HubtoolsError

log = logging.getLogger(__name__)
STATE_TTL_S = 3600  # a review left open longer than this is dropped with the session's state

INTRO = """\
### Share your CharacterAI chats
Upload the `.json` files made by the project's CharacterAI dumper userscript
(`userscripts/characterai-dumper.user.js`, see its README). They are anonymized again here with the same scrubber
as `hubtools data convert`: names and handles, e-mails, phone numbers, IP addresses, street addresses, profile links
and card numbers become placeholders such as `[NAME]`.

**You see every conversation exactly as it would be stored and choose which to share. Nothing is kept unless you
tick the consent box and press Share.** Your uploaded files are deleted as soon as they are read.
"""


@dataclass
class Outcome:
    """What a callback tells the UI: the state to keep, a message, and whether the review shows."""

    pending: Prepared | None
    message: str
    review: bool = False


def check_files(files: list[str] | None, limits: Limits) -> Outcome:
    """Validate and convert uploaded files; the uploads themselves are deleted whatever happens."""
    try:
        prepared = prepare(as_uploads(files), limits)
    except ContributionError as error:
        return Outcome(None, f"⚠️ {error}")
    except Exception:  # a bug must not leave the raw files behind, nor show a traceback
        log.exception("checking an upload failed")
        return Outcome(None, "⚠️ Something went wrong while reading the files; nothing was kept. Please try again.")
    finally:
        discard_files(files)
    return Outcome(prepared, summary_markdown(prepared), review=True)


def share(
    pending: Prepared | None, chosen: list[str] | None, consent: bool, store: ContributionStore | None
) -> Outcome:
    """Store the chosen conversations when (and only when) the contributor consented; return the receipt."""
    if pending is None:
        return Outcome(None, "Nothing to share yet: upload your dump files first.")
    if not consent:
        return Outcome(pending, "⚠️ Tick the consent box to share. Nothing was saved.", review=True)
    rows = pending.rows(chosen or [])
    if not rows:
        return Outcome(pending, "⚠️ No conversation is ticked. Nothing was saved.", review=True)
    if store is None:
        return Outcome(None, "⚠️ This Space does not collect contributions right now. Nothing was saved.")
    try:
        receipt = store.add(rows)
    except (HubtoolsError, OSError):
        log.exception("storing a contribution failed")
        return Outcome(pending, "⚠️ Your contribution could not be saved; nothing was kept. Please try later.", True)
    return Outcome(
        None,
        f"✅ Thank you! {len(rows)} conversation(s) will be added to the dataset within a few minutes.\n\n"
        f"Your receipt id: **`{receipt}`**\n\nKeep it: it is the only link between you and these conversations "
        "(we store no name, account or address). To have them removed, paste it under **Remove a contribution** "
        "below, or send it to the maintainers through this Space's **Community** tab (the dataset may be private; "
        "whoever reads the discussion learns which conversations were yours): they run "
        "`hubtools data forget --receipt ID`.",
    )


def decline() -> Outcome:
    return Outcome(None, "Discarded: nothing from your upload was kept.")


def discard_files(files: list[str] | None) -> None:
    """Delete uploaded files (and their now-empty upload folder): raw dumps must not linger on the Space's disk."""
    for name in files or []:
        path = Path(name)
        try:
            path.unlink(missing_ok=True)
            os.rmdir(path.parent)  # only succeeds when empty
        except OSError:
            pass


def open_store(config: ContributeConfig) -> tuple[ContributionStore | None, str | None]:
    """The store for `config`, or None and a notice for the tab when contributions cannot be accepted."""
    if config.repo_id is None:
        return None, "This Space does not collect contributions (`CONTRIBUTIONS_REPO` is not set): preview only."
    try:
        store = ContributionStore(
            config.repo_id, token=config.token, every_minutes=config.every_minutes, folder=config.folder
        )
    except HubtoolsError as error:
        log.error("contributions are closed: %s", error)
        return None, "Contributions are closed right now (the dataset repo is not available): preview only."
    return store, None


def contribute_tab(config: ContributeConfig | None = None, *, store: ContributionStore | None = None) -> None:
    """Build the tab's components inside the current `gr.Blocks`/`gr.Tab` context.

    `config` defaults to the Space variables (`load_contribute_config()`); `store` (tests) replaces the one
    opened from `config.repo_id`.
    """
    import gradio as gr

    config = config or load_contribute_config()
    notice = None
    if store is None:
        store, notice = open_store(config)

    gr.Markdown(INTRO)
    if notice:
        gr.Markdown(f"ℹ️ {notice}")
    files = gr.File(
        label=f"Dump files (.json, up to {config.limits.max_files}): select them all at once",
        file_count="multiple",
        file_types=[".json"],
        elem_id="contribute-files",
    )
    message = gr.Markdown(elem_id="contribute-message", buttons=["copy"])  # the receipt id, to keep
    pending = gr.State(None, time_to_live=STATE_TTL_S)
    with gr.Column(visible=False) as review:
        chosen = gr.CheckboxGroup(
            label="Conversations to share (untick any you want to keep private)", elem_id="contribute-chosen"
        )
        preview = gr.HTML(label="Exactly what would be shared", max_height=600, elem_id="contribute-preview")
        consent = gr.Checkbox(False, label=CONSENT_TEXT, elem_id="contribute-consent")
        with gr.Row():
            share_btn = gr.Button("Share the ticked conversations", variant="primary", elem_id="contribute-share")
            decline_btn = gr.Button("Discard everything", elem_id="contribute-decline")

    outputs = [pending, message, review, chosen, preview, consent, files]

    def render(outcome: Outcome, *, keep_choices: bool = False):
        prepared = outcome.pending
        if prepared is not None and not keep_choices:
            options = [(c.title, c.key) for c in prepared.conversations]
            choices = gr.update(choices=options, value=[c.key for c in prepared.conversations])
            body = preview_html(prepared)
        elif prepared is None:
            choices, body = gr.update(choices=[], value=[]), ""
        else:
            choices, body = gr.update(), gr.update()
        consent_value = gr.update() if keep_choices and prepared is not None else False
        return prepared, outcome.message, gr.update(visible=outcome.review), choices, body, consent_value, None

    def on_check(uploaded: list[str] | None):
        return render(check_files(uploaded, config.limits))

    def on_share(state: Prepared | None, ticked: list[str] | None, agreed: bool):
        return render(share(state, ticked, agreed, store), keep_choices=True)

    def on_decline():
        return render(decline())

    # Checking on upload (not on a button) means raw dumps never wait on disk for a click that may not come.
    files.upload(
        on_check, [files], outputs, api_name="contribute_check", api_visibility="undocumented", concurrency_limit=2
    )
    share_btn.click(
        on_share, [pending, chosen, consent], outputs, api_name="contribute_share", api_visibility="undocumented"
    )
    decline_btn.click(on_decline, None, outputs, api_name="contribute_decline", api_visibility="undocumented")
