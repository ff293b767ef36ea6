"""The arena result of one release against another, from the votes stored by the chat Space's arena tab.

A vote (`hubtools.community.feedback.ArenaVote`) names the two releases as shown (`a` left, `b` right, the order
drawn at random) and the winner. Counting, for `model` against `other`:

- only votes whose two sides are exactly these two releases (by repo and revision, either order) count; votes
  between other releases are counted as `other_pairs`;
- a side whose recorded commit differs from the revision's commit now (the tag was moved, or deleted and
  re-made) is `stale`: that vote was about another model, and is left out;
- one visitor (receipt) voting on the same battle twice counts once, the last vote (`duplicates`);
- records that are not valid feedback are `invalid`.

Win rate: ties count as half a win, `(wins + ties / 2) / votes`, and its 95% interval is the Wilson score
interval at z = 1.96 over `votes` trials (a tie as half a trial won is an approximation the interval inherits).
`voters` is the number of distinct receipts among the counted votes: votes are not independent when a few
visitors cast most of them, which the interval does not know.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hubtools.errors import HubtoolsError

Z95 = 1.959963984540054
METHOD = "ties count as half a win; 95% Wilson score interval"


@dataclass(frozen=True)
class Release:
    """A release as the Space names it: the model repo, the revision (a tag), and the commit that tag is now
    (None: accept whatever commit the votes recorded)."""

    repo: str
    revision: str
    commit: str | None = None

    @property
    def label(self) -> str:
        return f"{self.repo}@{self.revision}"


@dataclass(frozen=True)
class ArenaResult:
    model: str
    against: str
    wins: int
    ties: int
    losses: int
    voters: int
    win_rate: float | None
    low: float | None
    high: float | None
    method: str = METHOD
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def votes(self) -> int:
        return self.wins + self.ties + self.losses

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "votes": self.votes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArenaResult:
        values = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**values)


def wilson_interval(successes: float, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def arena_result(records: list[dict], model: Release, against: Release) -> ArenaResult:
    """Count the votes of `records` (stored JSON objects, any kind) for `model` against `against`."""
    from hubtools.data.feedback import parse_record

    if (model.repo, model.revision) == (against.repo, against.revision):
        raise HubtoolsError(f"arena: {model.label} against itself: name two different releases")
    skipped: Counter = Counter()
    latest: dict[tuple[str, str], Any] = {}
    for value in records:
        record, _ = parse_record(value) if isinstance(value, dict) else (None, "not an object")
        if record is None:
            skipped["invalid"] += 1
            continue
        if record.kind != "arena":
            continue
        key = (record.receipt, record.battle)
        if key in latest:
            skipped["duplicates"] += 1
        latest[key] = record
    outcome: Counter = Counter()
    voters = set()
    for (receipt, _), vote in latest.items():
        sides = {(vote.a.repo, vote.a.revision): vote.a, (vote.b.repo, vote.b.revision): vote.b}
        mine, theirs = sides.get((model.repo, model.revision)), sides.get((against.repo, against.revision))
        if mine is None or theirs is None:
            skipped["other_pairs"] += 1
            continue
        if any(
            release.commit and side.commit != release.commit for side, release in ((mine, model), (theirs, against))
        ):
            skipped["stale"] += 1
            continue
        voters.add(receipt)
        if vote.winner == "tie":
            outcome["ties"] += 1
        else:
            outcome["wins" if (vote.a if vote.winner == "a" else vote.b) is mine else "losses"] += 1
    wins, ties, losses = outcome["wins"], outcome["ties"], outcome["losses"]
    votes = wins + ties + losses
    rate = (wins + ties / 2) / votes if votes else None
    low, high = wilson_interval(wins + ties / 2, votes) if votes else (None, None)
    return ArenaResult(model.label, against.label, wins, ties, losses, len(voters), rate, low, high,
                       skipped=dict(sorted(skipped.items())))  # fmt: skip


def read_votes(repo_id: str, *, revision: str | None = None, folder: Path | None = None) -> list[dict]:
    """Every JSON object under `feedback/` of the contributions repo (a Hub dataset repo at `revision`, or a
    local copy in `folder`), read with the data stage's defensive JSONL reader; bad lines are left out."""
    from hubtools.data.sources import Reject, collect_files
    from hubtools.data.sources._jsonl import iter_objects

    if folder is None:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

        try:
            folder = Path(
                snapshot_download(repo_id, repo_type="dataset", revision=revision, allow_patterns=["feedback/**"])
            )
        except (RepositoryNotFoundError, RevisionNotFoundError):
            raise HubtoolsError(f"arena: votes repo {repo_id}@{revision or 'main'} not found (or no access)") from None
        except HfHubHTTPError as error:
            raise HubtoolsError(f"arena: cannot read votes from {repo_id}: {error}") from None
    if not (folder / "feedback").is_dir():
        return []
    records = []
    for path, display in collect_files(folder, "space-feedback"):
        records += [value for _, value in iter_objects(path, display, "arena") if not isinstance(value, Reject)]
    return records


def parse_release(text: str, *, flag: str) -> Release:
    """`REPO@REVISION` (as `--arena-releases` takes it) → a `Release`."""
    repo, sep, revision = text.strip().rpartition("@")
    if not sep or not repo or not revision or "/" not in repo:
        raise HubtoolsError(f"{flag}: expected a release as OWNER/NAME@REVISION, got {text!r}")
    return Release(repo, revision)


def hub_arena_result(
    votes_repo: str, model: Release, against: Release, *, votes_revision: str | None = None
) -> ArenaResult:
    """The arena result from the votes in `votes_repo` on the Hub target, each release's revision resolved to
    its commit now, so votes cast for a commit the tag no longer names are counted as `stale`, not mixed in."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    api = HfApi()
    resolved = []
    for release in (model, against):
        try:
            commit = api.model_info(release.repo, revision=release.revision).sha
        except (RepositoryNotFoundError, RevisionNotFoundError):
            raise HubtoolsError(f"arena: release {release.label} not found on the Hub (deleted tag?)") from None
        except HfHubHTTPError as error:
            raise HubtoolsError(f"arena: cannot resolve {release.label}: {error}") from None
        resolved.append(Release(release.repo, release.revision, commit))
    return arena_result(read_votes(votes_repo, revision=votes_revision), *resolved)
