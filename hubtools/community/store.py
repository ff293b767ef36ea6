"""Accepted contributions → a private (or gated) dataset repo, batched by huggingface_hub's `CommitScheduler`.

Each accepted contribution is one JSONL file, `data/YYYY-MM/<receipt>.jsonl`, written whole under the
scheduler's lock, so a push never sees half a file and removing a contribution is deleting one file. Every row
carries the anonymous `receipt` and the `consent` version the contributor agreed to; nothing else about them
(no file names, no account, no address; the month only, in the folder name). Removal (`forget`) deletes the
receipt's files in one commit; the file names hold the receipt, so a dataset built from the repo can be checked
for it too.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.data.feedback import RECEIPT
from hubtools.errors import HubtoolsError

if TYPE_CHECKING:
    from huggingface_hub import CommitScheduler, HfApi

CONSENT_VERSION = "cai-dump-consent-v1"
CONSENT_TEXT = (
    "I have read the preview above. I agree that the ticked conversations, exactly as shown, are added to the "
    "project's training dataset and may be used to train and publish chat models. They are my own chats and "
    "contain nothing I do not want to share. I keep my receipt id to ask for their removal later."
)
DATA_DIR = "data"
STAGED_DIRS = (DATA_DIR, "feedback")  # what the scheduler pushes: contributions, and the Space's feedback


def new_receipt() -> str:
    """A random receipt id (64 bits): it names the contribution and nothing else."""
    token = secrets.token_hex(8)
    return "rc-" + "-".join(token[i : i + 4] for i in range(0, 16, 4))


def check_receipt(receipt: str) -> str:
    receipt = receipt.strip()
    if not RECEIPT.match(receipt):
        raise HubtoolsError(f"not a receipt id: {receipt!r} (expected rc-xxxx-xxxx-xxxx-xxxx)")
    return receipt


class ContributionStore:
    """A local staging folder pushed to `repo_id` by a `CommitScheduler` every `every_minutes`.

    The repo is created private when missing; an existing repo that is public (neither private nor gated) is
    refused, so contributions never become world-readable by a settings slip.
    """

    def __init__(
        self,
        repo_id: str,
        *,
        token: str | None = None,
        every_minutes: float = 5.0,
        folder: str | Path | None = None,
        hf_api: HfApi | None = None,
    ) -> None:
        from huggingface_hub import CommitScheduler, HfApi

        self.api = hf_api or HfApi(token=token)
        self.repo_id = repo_id
        check_access(self.api, repo_id)
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="hubtools-contrib-"))
        self.scheduler: CommitScheduler = CommitScheduler(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=self.folder,
            every=every_minutes,
            private=True,
            token=token,
            allow_patterns=[f"{folder}/*" for folder in STAGED_DIRS],
            hf_api=self.api,
        )
        # The scheduler pushes once as its thread starts. Wait for that push, so that it can never take files
        # staged afterwards away from an explicit `push()` (which would then find nothing new).
        while getattr(self.scheduler, "last_future", None) is None:
            time.sleep(0.01)
        self.scheduler.last_future.result()

    def add(self, rows: list[dict], *, receipt: str | None = None) -> str:
        """Stage `rows` as one contribution; return its receipt. The next scheduled push uploads it."""
        if not rows:
            raise HubtoolsError("nothing to store: no conversation was chosen")
        receipt = check_receipt(receipt) if receipt else new_receipt()
        month = datetime.now(timezone.utc).strftime("%Y-%m")
        path = self.folder / DATA_DIR / month / f"{receipt}.jsonl"
        lines = [json.dumps(_stored(row, receipt), ensure_ascii=False) for row in rows]
        with self.scheduler.lock:  # the scheduler lists files under this lock: it sees all of the file or none
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return receipt

    def append(self, folder: str, receipt: str, lines: list[str]) -> Path:
        """Append JSON `lines` to `<folder>/YYYY-MM/<receipt>.jsonl` (feedback arrives a record at a time).

        Under the scheduler's lock, so a push sees whole lines; the file keeps the receipt's name, so `forget`
        finds it like a contribution.
        """
        if folder not in STAGED_DIRS:
            raise HubtoolsError(f"not a staged folder: {folder!r} (expected one of {', '.join(STAGED_DIRS)})")
        receipt = check_receipt(receipt)
        month = datetime.now(timezone.utc).strftime("%Y-%m")
        path = self.folder / folder / month / f"{receipt}.jsonl"
        with self.scheduler.lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
        return path

    def push(self) -> str | None:
        """Push what is staged now (the scheduler also does on its own); the commit id, None when nothing new."""
        info = self.scheduler.trigger().result()
        return info.oid if info is not None else None

    def close(self, *, push: bool = True) -> None:
        """Push what is left (unless `push=False`) and stop the scheduler."""
        if push:
            self.push()
        self.scheduler.stop()


def _stored(row: dict, receipt: str) -> dict:
    return {
        "messages": row["messages"],
        "source": row.get("source", "cai-dump"),
        "source_id": row["source_id"],
        "receipt": receipt,
        "consent": CONSENT_VERSION,
    }


def check_access(api: HfApi, repo_id: str) -> None:
    """Create the contributions repo private when missing; refuse one anybody can read."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True)
        info = api.dataset_info(repo_id)
    except HfHubHTTPError as error:
        raise HubtoolsError(f"cannot open the contributions repo {repo_id}: {error}") from None
    if not info.private and not info.gated:
        raise HubtoolsError(
            f"the contributions repo {repo_id} is public: make it private or gated before accepting contributions"
        )


@dataclass(frozen=True)
class Forgotten:
    receipt: str
    paths: list[str]
    commit: str | None


def forget(
    repo_id: str, receipt: str, *, api: HfApi | None = None, token: str | None = None, squash: bool = False
) -> Forgotten:
    """Delete every file of contribution `receipt` from `repo_id` in one commit: its shared dumps (`data/`) and
    the Space's feedback under the same receipt (`feedback/`: votes, picks, arena votes, shared conversations).

    Deleted files stay in the repo's git history (and in any tag pinned before) until the history is squashed:
    `squash=True` then calls `super_squash_history` on `main`, which becomes one commit (the one returned).
    """
    from huggingface_hub import CommitOperationDelete, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    receipt = check_receipt(receipt)
    api = api or HfApi(token=token)
    try:
        files = api.list_repo_files(repo_id, repo_type="dataset")
        paths = sorted(path for path in files if path.rsplit("/", 1)[-1] == f"{receipt}.jsonl")
        if not paths:
            raise HubtoolsError(
                f"no contribution with receipt {receipt} in {repo_id} (already removed, or not pushed yet: "
                "the Space pushes every few minutes)"
            )
        info = api.create_commit(
            repo_id,
            repo_type="dataset",
            operations=[CommitOperationDelete(path_in_repo=path) for path in paths],
            commit_message="Remove a contribution on its contributor's request",
        )
        commit = info.oid
        if squash:
            api.super_squash_history(repo_id, repo_type="dataset")
            commit = api.repo_info(repo_id, repo_type="dataset").sha
    except HfHubHTTPError as error:
        raise HubtoolsError(f"cannot remove contribution {receipt} from {repo_id}: {error}") from None
    return Forgotten(receipt, paths, commit)
