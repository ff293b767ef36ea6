"""The release's optional `dpo` stage: SFT → DPO when the dataset has preference pairs.

A release recipe's `preference` names a `method = "dpo"` train recipe. After the SFT stage, that recipe runs on top
of the SFT model just trained (the local folder, never a published repo) on the `preferences` config of the very
dataset commit the SFT stage trained on; the DPO model is then the one evaluated, carded and published. The recipe's
own `base_model` and `dataset` are replaced, as the SFT recipe's dataset is.

A mistake in the recipes (a preference recipe that is not DPO, a data recipe with no `space-feedback` source, so no
`preferences` config at all, splits it never builds, sequences longer than the SFT model's positions) is refused when
the release loads, so `release --dry-run` finds it. A build whose feedback holds no pair yet (early in the
flywheel, or every pair filtered out) is not a mistake: the stage is skipped with a note and the SFT model released.

Resumable like the SFT stage: the DPO model folder sits in the SFT stage's work folder, named by a hash of the DPO
recipe on that dataset commit and of the SFT model's record, so other inputs train afresh; a run killed while
training continues from its last local checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.cards.stages import SFT_STAGE
from hubtools.data.preferences import CONFIG as PAIRS_CONFIG
from hubtools.errors import HubtoolsError
from hubtools.paths import TRAIN_RECORD_FILE, write_text_atomic
from hubtools.recipes import recipe_hash, recipe_path

if TYPE_CHECKING:
    from hubtools.data.push import PushedDataset
    from hubtools.data.recipe import DataRecipe
    from hubtools.release.recipe import ReleaseRecipe
    from hubtools.train.recipe import TrainRecipe

STAGE = "dpo"
FEEDBACK_KIND = "space-feedback"  # the data source kind whose builds hold preference pairs


def load_preference(recipe: ReleaseRecipe, data: DataRecipe, sft: TrainRecipe) -> TrainRecipe | None:
    """The release's DPO recipe checked against its other parts; None when the release has no `preference`."""
    if recipe.preference is None:
        return None
    from hubtools.train.recipe import load_train_recipe

    where = f"{recipe.source_file or f'release recipe {recipe.name}'}: preference"
    dpo = load_train_recipe(recipe.part(recipe.preference))
    dpo_file = recipe_path(recipe.part(recipe.preference), "train")
    if dpo.method != "dpo":
        raise HubtoolsError(f"{where}: train recipe {dpo.name!r} has method = {dpo.method!r}; expected 'dpo'")
    if not any(source.kind == FEEDBACK_KIND for source in data.sources):
        raise HubtoolsError(
            f"{where}: data recipe {data.name!r} has no {FEEDBACK_KIND!r} source, so its dataset has no "
            f"{PAIRS_CONFIG!r} config to train DPO on"
        )
    if dpo.dpo.dataset_config != PAIRS_CONFIG:
        raise HubtoolsError(
            f"{dpo_file}: dpo.dataset_config: a release pushes its pairs as {PAIRS_CONFIG!r}, "
            f"not {dpo.dpo.dataset_config!r}"
        )
    built = ["train", "test"] if data.splits.test > 0 else ["train"]
    for field, split in (("train_split", dpo.dataset.train_split), ("eval_split", dpo.dataset.eval_split)):
        if split is not None and split not in built:
            raise HubtoolsError(
                f"{dpo_file}: dataset.{field}: data recipe {data.name!r} builds no {split!r} split of pairs; "
                f"it builds: {', '.join(built)}"
            )
    positions = _sft_positions(sft)
    if positions is not None and dpo.training.max_length > positions:
        raise HubtoolsError(
            f"{dpo_file}: training.max_length: {dpo.training.max_length} is above the {positions} positions of the "
            f"SFT model (train recipe {sft.name!r})"
        )
    return dpo


def _sft_positions(sft: TrainRecipe) -> int | None:
    """How many positions the SFT model has, when its recipe says (a config, or a local folder's config.json)."""
    from hubtools.train.model_config import POSITION_FIELDS, config_positions

    if sft.base_model.config is not None:
        return config_positions(sft.base_model.config)
    if sft.base_model.path is not None:
        try:
            config = json.loads((Path(sft.base_model.path).expanduser() / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        found = next((config[key] for key in POSITION_FIELDS if key in config), None)
        return found if isinstance(found, int) else None
    return None


def pairs_in(summary: dict[str, Any], dpo: TrainRecipe) -> int:
    """The preference pairs in the DPO recipe's training split of a build, by its summary (0 when it has none)."""
    splits = (summary.get(PAIRS_CONFIG) or {}).get("splits") or {}
    return int((splits.get(dpo.dataset.train_split) or {}).get("num_examples", 0))


def dpo_recipe_on(dpo: TrainRecipe, dataset: PushedDataset, sft_dir: Path) -> TrainRecipe:
    """The DPO recipe starting from the local SFT model, on the exact dataset commit the release pushed."""
    from hubtools.release.stages import train_recipe_on
    from hubtools.train.recipe import BaseModelSource

    on_commit = train_recipe_on(dpo, dataset.repo_id, dataset.commit)
    return on_commit.model_copy(update={"base_model": BaseModelSource(path=str(sft_dir))})


def dpo_dir(dpo: TrainRecipe, dataset_repo: str, dataset_commit: str, sft_dir: Path) -> Path:
    """Where this DPO stage's model goes: keyed by the DPO recipe on the dataset commit and by the SFT model's
    record (written once that model is complete), beside the SFT model folder."""
    from hubtools.release.stages import train_recipe_on

    digest = hashlib.sha256()
    digest.update(recipe_hash(train_recipe_on(dpo, dataset_repo, dataset_commit)).encode())
    digest.update((sft_dir / TRAIN_RECORD_FILE).read_bytes())
    return sft_dir.parent / f"{STAGE}-{digest.hexdigest()[:16]}"


def done(model_dir: Path) -> bool:
    """Whether the DPO stage finished here: its record is complete and names the SFT stage (written last)."""
    try:
        record = json.loads((model_dir / TRAIN_RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and SFT_STAGE in record


def preference_stage(
    dpo: TrainRecipe,
    dataset: PushedDataset,
    sft_dir: Path,
    *,
    run: Callable[[str, Callable[[], Any], str], Any],
    notify: Callable[[str, str, str], None],
) -> Path:
    """Run (or find done) the DPO stage; return the model folder the release goes on with: the DPO model, or the
    SFT model when the dataset has no preference pair to train on."""
    pairs = pairs_in(dataset.build.summary, dpo)
    if pairs == 0:
        notify(
            STAGE,
            "skip",
            f"no preference pairs in the {dpo.dataset.train_split!r} split of {dataset.repo_id}@"
            f"{dataset.commit[:12]} ({PAIRS_CONFIG!r} config): the SFT model is released",
        )
        return sft_dir
    out_dir = dpo_dir(dpo, dataset.repo_id, dataset.commit, sft_dir)
    if done(out_dir):
        notify(STAGE, "skip", f"trained earlier: {out_dir}")
    else:
        run(STAGE, lambda: train_preference(dpo_recipe_on(dpo, dataset, sft_dir), out_dir, sft_dir), str(out_dir))
    return out_dir


def train_preference(recipe: TrainRecipe, out_dir: Path, sft_dir: Path) -> str:
    """Train DPO into `out_dir` (continuing from its last complete checkpoint), then record the SFT stage."""
    from hubtools.train.checkpoints import latest_local_checkpoint
    from hubtools.train.trainer import CHECKPOINTS_DIR, train

    record_file = out_dir / TRAIN_RECORD_FILE
    resumed = None
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not trained yet (a record cut mid-write by a kill is trained again)
        checkpoints = out_dir / CHECKPOINTS_DIR
        resume = latest_local_checkpoint(checkpoints) is not None
        if not resume:  # only a checkpoint cut off mid-save, if anything: start over
            shutil.rmtree(checkpoints, ignore_errors=True)
        result = train(recipe, out_dir=out_dir, resume=resume)
        record, resumed = result.record, result.resumed_from_step
    sft = json.loads((sft_dir / TRAIN_RECORD_FILE).read_text(encoding="utf-8"))
    # The SFT folder is local to this machine (never published): the record names the stage, not the path, so that
    # `hubtools eval` of the published model does not look for a folder that is not there.
    record["base_model"] = {"stage": "sft"}
    kept = ("recipe", "recipe_hash", "base_model", "dataset", "hyperparameters", "steps", "train_loss", "eval_loss")
    record[SFT_STAGE] = {key: sft[key] for key in (*kept, "lora") if key in sft}
    write_text_atomic(record_file, json.dumps(record, indent=2, sort_keys=True) + "\n")
    margin, dpo = record["preference_margin"], record["hyperparameters"]["dpo"]
    return (
        f"{record['steps']} steps on {record['preference_pairs']['train']} pairs (beta {dpo['beta']}, "
        f"{dpo['loss_type']}), margin {margin['before']:+.2f} → {margin['after']:+.2f}"
        + (f", resumed from step {resumed}" if resumed else "")
    )


def planned(
    dpo: TrainRecipe | None, data: DataRecipe, dataset_repo: str, dataset_commit: str | None, sft_dir: Path | None
) -> tuple[str, str, str] | None:
    """`release --dry-run`'s (target, action, state) for the DPO stage, read from the local caches only."""
    if dpo is None:
        return None
    from hubtools.data.push import default_build_dir, reusable_build

    build = reusable_build(default_build_dir(data), data)
    pairs = "pairs counted when the dataset is built"
    if build is not None:
        count = pairs_in(build.summary, dpo)
        if count == 0:
            return dataset_repo, "skip: the build has no preference pairs, so the SFT model is released", "skipped"
        pairs = f"{count} pairs in the build"
    target, state = "(after the train stage)", "to do"
    if dataset_commit is not None and sft_dir is not None and (sft_dir / TRAIN_RECORD_FILE).is_file():
        out_dir = dpo_dir(dpo, dataset_repo, dataset_commit, sft_dir)
        target, state = str(out_dir), "cached" if done(out_dir) else "to do"
    training = dpo.training
    action = (
        f"DPO recipe {dpo.name!r} on top of the SFT model, on the {PAIRS_CONFIG!r} config ({pairs}): "
        f"{training.max_steps} steps, lr {training.learning_rate}, beta {dpo.dpo.beta}, {dpo.dpo.loss_type}; "
        "its model is the one released"
    )
    return target, action, state
