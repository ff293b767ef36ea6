"""Where a crashed run picks up: the newest of the local checkpoints and the one on the Hub `checkpoints` branch.

The Trainer itself writes `checkpoint-N/` folders and, with `hub_strategy="checkpoint"` and
`hub_revision=CHECKPOINT_BRANCH`, pushes the latest one to `last-checkpoint/` on that branch; here we only find
the newest and bring a Hub one back into the local folder layout the Trainer resumes from.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

CHECKPOINT_BRANCH = "checkpoints"
HUB_CHECKPOINT_DIR = "last-checkpoint"
STATE_FILE = "trainer_state.json"


def checkpoint_step(folder: Path) -> int:
    """The optimizer step a checkpoint folder was saved at (read from its trainer_state.json)."""
    return int(json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))["global_step"])


def latest_local_checkpoint(work_dir: Path) -> Path | None:
    """The complete `checkpoint-N` folder with the highest step (one killed mid-save has no trainer_state.json)."""
    complete = [path for path in work_dir.glob("checkpoint-*") if (path / STATE_FILE).is_file()]
    return max(complete, key=checkpoint_step, default=None)


def hub_checkpoint_state(repo_id: str) -> dict | None:
    """The trainer state of the checkpoint on the repo's `checkpoints` branch, or None if there is none yet."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        path = hf_hub_download(repo_id, f"{HUB_CHECKPOINT_DIR}/{STATE_FILE}", revision=CHECKPOINT_BRANCH)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))


def same_run(earlier: dict, later: dict) -> bool:
    """Whether `later` continues the run `earlier` was saved from: their logs agree on every step both reached.
    The `checkpoints` branch is shared by every run pushing to the repo (each release of a model), so a Hub
    checkpoint further ahead may belong to another run entirely."""
    step = earlier["global_step"]
    before = [entry for entry in later.get("log_history", []) if entry.get("step", 0) <= step]
    return before == earlier.get("log_history", [])


def download_hub_checkpoint(repo_id: str, work_dir: Path) -> Path:
    """Fetch `last-checkpoint/` from the `checkpoints` branch into `work_dir/checkpoint-N` and return it."""
    from huggingface_hub import snapshot_download

    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        snapshot_download(
            repo_id, revision=CHECKPOINT_BRANCH, allow_patterns=[f"{HUB_CHECKPOINT_DIR}/*"], local_dir=tmp
        )
        fetched = Path(tmp) / HUB_CHECKPOINT_DIR
        target = work_dir / f"checkpoint-{checkpoint_step(fetched)}"
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(fetched), target)
    return target


def find_resume_checkpoint(work_dir: Path, repo_id: str | None) -> Path | None:
    """The newest checkpoint of this run, local or on the Hub (downloaded when the Hub one is ahead of the local
    one and continues it; without a local checkpoint, the Hub's is taken as the one to resume)."""
    local = latest_local_checkpoint(work_dir)
    if repo_id is None:
        return local
    remote = hub_checkpoint_state(repo_id)
    if remote is None:
        return local
    if local is None:
        return download_hub_checkpoint(repo_id, work_dir)
    state = json.loads((local / STATE_FILE).read_text(encoding="utf-8"))
    if remote["global_step"] > state["global_step"] and same_run(state, remote):
        return download_hub_checkpoint(repo_id, work_dir)
    return local
