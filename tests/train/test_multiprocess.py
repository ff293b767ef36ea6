"""Scale-out runs on torch's own launcher: two CPU processes (gloo, DDP) train as one process would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from train_helpers import losses_by_step

OVERRIDES = ["--set", "training.max_steps=6", "--set", "training.logging_steps=1", "--set", "training.save_steps=1000"]


def train_demo(out: Path, *launcher: str) -> dict:
    command = [sys.executable, *launcher, "-m", "hubtools", "train", "demo", "--out", str(out), *OVERRIDES]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "hubtools_train.json").read_text())


@pytest.mark.slow
def test_two_processes_split_the_batch_and_match_one_process(tmp_path):
    single = train_demo(tmp_path / "single")
    both = train_demo(tmp_path / "ddp", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")

    assert (single["hardware"]["world_size"], both["hardware"]["world_size"]) == (1, 2)
    single_plan, both_plan = single["hyperparameters"]["execution"], both["hyperparameters"]["execution"]
    assert both_plan["micro_batch_size"] * 2 == single_plan["micro_batch_size"]  # the same global batch
    expected = losses_by_step(json.loads((tmp_path / "single" / "trainer_state.json").read_text())["log_history"])
    got = losses_by_step(json.loads((tmp_path / "ddp" / "trainer_state.json").read_text())["log_history"])
    assert sorted(got) == sorted(expected) == list(range(1, 7))
    for step, loss in expected.items():  # same data, same order, gradients averaged over the two halves
        assert got[step] == pytest.approx(loss, rel=1e-4), step
