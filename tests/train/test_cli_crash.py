"""`hubtools train` killed with SIGKILL mid-run, then resumed: it ends where an uninterrupted run ends.

The resume runs the same command in this process (`hubtools.cli.main`), sparing a second interpreter start-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

STEPS = 16


def recipe_toml(tiny_base_dir, chats_dir) -> str:
    return f"""
[base_model]
path = "{tiny_base_dir}"
[dataset]
path = "{chats_dir}"
[training]
max_length = 64
max_steps = {STEPS}
learning_rate = 5e-3
batch_size = 4
logging_steps = 1
save_steps = 2
"""


def hubtools(*args: str) -> list[str]:
    return [sys.executable, "-m", "hubtools", "train", *args]


@pytest.mark.slow
def test_kill_9_then_resume_reaches_the_planned_step(tiny_base_dir, chats_dir, tmp_path, capsys):
    recipe = tmp_path / "crash.toml"
    recipe.write_text(recipe_toml(tiny_base_dir, chats_dir))
    out = tmp_path / "model"
    process = subprocess.Popen(hubtools(str(recipe), "--out", str(out)), stderr=subprocess.DEVNULL)
    checkpoint = out / "checkpoints" / "checkpoint-4" / "trainer_state.json"
    try:
        deadline = time.monotonic() + 300  # a generous bound on a busy machine, not a timing assertion
        while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoint.exists(), "the run never wrote its checkpoint"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (out / "hubtools_train.json").exists()  # it really died before the end

    from hubtools.cli import main

    assert main(["train", str(recipe), "--out", str(out), "--resume"]) == 0

    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)  # stdout: the result; progress and logs went to stderr
    assert f"hubtools train: {STEPS} steps" in captured.err
    record = json.loads((out / "hubtools_train.json").read_text())
    assert record["steps"] == STEPS
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [entry["step"] for entry in history if "loss" in entry] == list(range(1, STEPS + 1))
