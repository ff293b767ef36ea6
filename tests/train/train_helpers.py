"""Helpers shared by the training tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

from transformers import TrainerCallback

MAX_STEPS = 8  # the tiny recipe's training.max_steps (see make_recipe in conftest.py)


class CrashAt(TrainerCallback):
    """Stands for a crash: raise right after optimizer step `step` (checkpoints before it are on disk)."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise RuntimeError(f"simulated crash at step {self.step}")


def losses_by_step(log_history: list[dict]) -> dict[int, float]:
    return {entry["step"]: entry["loss"] for entry in log_history if "loss" in entry}
