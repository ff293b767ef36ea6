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
as `hubtools data convert`: names and handles, e-mails, phone numbers, IP addresses, street addresses, profile links,
card numbers, IBANs, id numbers, dates of birth and coordinates become numbered placeholders such as `[NAME_1]`.

**You see every conversation exactly as it would be stored and choose which to share. Nothing is kept unless you
tick the consent box and press Share.** Your uploaded files are deleted as soon as they are read.

**Automatic scrubbing is not perfect.** Please read the conversations before you share them. Mask anything
personal it missed, such as a friend's name, a place or a detail about your life, and leave out any message
you would rather keep to yourself. What you see in the preview is exactly what will be stored.
"""
REVIEW_HELP = """\
**Review before you share.** To mask text, select it in the preview (or type it in the box), then press
*Mask*: every occurrence, in every conversation, becomes `[MASKED]`. To leave a message out, select any text
in it (or type its number, shown next to it, e.g. `2.3`), then press *Leave out*.
"""
# Browser side of the review buttons: the text selected in the preview, and the number of the message it is in.
SELECTED_TEXT_JS = """(typed) => {
  const s = window.getSelection(), preview = document.querySelector('#contribute-preview');
  const text = s && s.rangeCount && preview && preview.contains(s.anchorNode) ? s.toString().trim() : '';
  return text || typed;
}"""
SELECTED_MESSAGE_JS = """(typed) => {
  const s = window.getSelection();
  let node = s && s.rangeCount ? s.getRangeAt(0).startContainer : null;
  while (node && !(node.dataset && node.dataset.message)) node = node.parentNode;
  return node ? node.dataset.message : typed;
}"""


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


def mask(pending: Prepared | None, text: str | None) -> Outcome:
    """The contributor masks `text` everywhere in their pending conversations."""
    if pending is None:
        return Outcome(None, "Nothing to review yet: upload your dump files first.")
    try:
        found = pending.mask(text or "")
    except ContributionError as error:
        return Outcome(pending, f"⚠️ {error}", review=True)
    return Outcome(pending, f"Masked {found} occurrence(s) of “{(text or '').strip()}”.", review=True)


def drop(pending: Prepared | None, message_id: str | None) -> Outcome:
    """The contributor leaves one message out of their pending conversations."""
    if pending is None:
        return Outcome(None, "Nothing to review yet: upload your dump files first.")
    try:
        done = pending.drop(message_id or "")
    except ContributionError as error:
        return Outcome(pending, f"⚠️ {error}", review=True)
    if not pending.conversations:
        return Outcome(None, f"{done} Nothing is left to share, and nothing was kept.")
    return Outcome(pending, done + ".", review=True)


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


def contribute_tab(
    config: ContributeConfig | None = None, *, store: ContributionStore | None = None, notice: str | None = None
) -> None:
    """Build the tab's components inside the current `gr.Blocks`/`gr.Tab` context.

    `config` defaults to the Space variables (`load_contribute_config()`); `store` replaces the one opened from
    `config.repo_id` (the app shares one with its feedback; tests); `notice` is what `open_store` said instead.
    """
    import gradio as gr

    config = config or load_contribute_config()
    if store is None and notice is None:
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
        gr.Markdown(REVIEW_HELP)
        with gr.Row():
            mask_text = gr.Textbox(label="Text to mask", scale=3, elem_id="contribute-mask-text")
            mask_btn = gr.Button("Mask", scale=1, elem_id="contribute-mask")
            drop_id = gr.Textbox(label="Message to leave out (e.g. 2.3)", scale=2, elem_id="contribute-drop-id")
            drop_btn = gr.Button("Leave out", scale=1, elem_id="contribute-drop")
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

    def on_edit(outcome: Outcome, ticked: list[str] | None):
        """After a mask or a drop: the new preview; the ticks stay on the conversations that are left."""
        prepared = outcome.pending
        if prepared is None:
            return render(outcome)
        options = [(c.title, c.key) for c in prepared.conversations]
        remaining = {c.key for c in prepared.conversations}
        choices = gr.update(choices=options, value=[key for key in ticked or [] if key in remaining])
        return prepared, outcome.message, gr.update(visible=True), choices, preview_html(prepared), gr.update(), None

    def on_mask(state: Prepared | None, text: str | None, ticked: list[str] | None):
        return on_edit(mask(state, text), ticked)

    def on_drop(state: Prepared | None, message_id: str | None, ticked: list[str] | None):
        return on_edit(drop(state, message_id), ticked)

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
    mask_btn.click(None, [mask_text], [mask_text], js=SELECTED_TEXT_JS).then(
        on_mask, [pending, mask_text, chosen], outputs, api_name="contribute_mask", api_visibility="undocumented"
    )
    drop_btn.click(None, [drop_id], [drop_id], js=SELECTED_MESSAGE_JS).then(
        on_drop, [pending, drop_id, chosen], outputs, api_name="contribute_drop", api_visibility="undocumented"
    )
